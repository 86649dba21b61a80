"""Shared strategies and fixtures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings, strategies as st

# No per-example deadline: the first example that reaches a compiled kernel waits for numba to compile it
# (seconds, once per process), which is not the test's slowness.
settings.register_profile("codesim", deadline=None)
settings.load_profile("codesim")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

NASA_LEVELS = [100, 105, 110, 145, 160, 162, 174, 180]
NASA_P = [0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]


@st.composite
def prob_vectors(draw, min_size=1, max_size=12, allow_zeros=True):
    """Probability vectors, some with zero entries (never all zero); positive entries >= about 1e-5."""
    k = draw(st.integers(min_size, max_size))
    weights = draw(st.lists(st.floats(1e-3, 1.0), min_size=k, max_size=k))
    w = np.array(weights)
    if allow_zeros:
        w[draw(st.lists(st.integers(0, k - 1), max_size=k))] = 0.0
    if w.sum() <= 0:
        w[draw(st.integers(0, k - 1))] = 1.0
    return w / w.sum()


@st.composite
def streams_for(draw, k, max_len=300):
    """A stream of indices into an alphabet of size k."""
    n = draw(st.integers(0, max_len))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).integers(0, k, n).astype(np.uint32)


@pytest.fixture
def nasa():
    from codesim import Distribution

    return Distribution.from_probs(NASA_P, NASA_LEVELS)


def normalise(weights) -> np.ndarray:
    """Weights scaled to sum to 1."""
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()



@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Every scheme codes a short stream over 8-bit and 16-bit symbols once, before the tests: the first
    call of each kernel compiles it (seconds, on a fresh checkout), which tests with a deadline per
    example would otherwise count against the example that happened to come first."""
    from codesim.coders import available, build
    from codesim.errors import SchemeError

    for k in (3, 300):
        stream = (np.arange(64) % k).astype(np.uint8 if k < 256 else np.uint16)
        for scheme in available():
            try:
                coder = build(scheme.name, np.full(k, 1.0 / k))
            except SchemeError:  # block-huffman over 300 symbols: too many tuples, and no kernel to load
                continue
            coder.decode(coder.encode(stream), stream.size)


def round_trips_everywhere(coder, stream: np.ndarray):
    """Encode ``stream`` and check it comes back: from the coder, through a .csim file (config and
    payload restored from bytes), and with the kernels interpreted (the same bits both ways). Returns
    the bits."""
    from codesim import jit
    from codesim.files import container

    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    labels = [f"s{i}" for i in range(coder.size)]
    header, again, stored = container.loads(container.dumps(coder, bits, stream.size, labels))
    assert container.decode_payload(header, again, stored).tolist() == stream.tolist()
    with jit.interpreted():
        assert coder.encode(stream) == bits
        assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    return bits


def decodes_to_its_own_encoding_or_is_refused(coder, bits, n: int) -> None:
    """Hostile bits: a DecodeError, or n symbols whose encoding is exactly those bits (a decoder that
    accepts only the encoder's bits); never a crash or a hang."""
    from codesim.errors import DecodeError

    try:
        out = coder.decode(bits, n)
    except DecodeError:
        return
    assert coder.encode(out) == bits
