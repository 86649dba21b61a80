"""Every registered scheme, through one shared checker: round trips, configs, edge cases, registration.

Adding a scheme adds one line to PARAMS (strategies for its parameters, if it has any).
"""

import pkgutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import codesim.coders
from codesim.coders import Coder, Scheme, SchemeSpec, available, build, from_config
from codesim.errors import CodesimError, DecodeError
from codesim.sources.markov import MarkovChain

from ..conftest import prob_vectors

#: Hypothesis strategies for each scheme's parameters (schemes without parameters need no entry).
PARAMS = {
    "huffman": {"radix": st.integers(2, 16)},
    "huffman-limited": {"max_length": st.integers(6, 20), "radix": st.integers(2, 16)},
    "block-huffman": {"k": st.integers(1, 3)},
    "rans": {"lanes": st.integers(1, 64)},
    "arithmetic": {},
    "adaptive-arithmetic": {"alpha": st.sampled_from([0.5, 1.0]) | st.floats(1e-4, 1e3)},
    "ctw": {"depth": st.integers(0, 6)},
    "tunstall": {"bits": st.integers(5, 12)},  # 2^5 words hold the up to 24 symbols drawn
    "tans": {"table_log": st.integers(5, 12)},
    "exp-golomb": {"k": st.integers(0, 12)},
    "golomb": {"m": st.integers(0, 40)},
    "rice": {"k": st.integers(0, 12)},
    **{name: {"level": st.integers(low, high)}
       for name, low, high in [("zlib", 1, 9), ("bz2", 1, 9), ("lzma", 0, 9), ("zstd", 1, 22), ("brotli", 0, 11)]},
}

NAMES = [s.name for s in available()]


def params_for(name: str, data) -> dict:
    return {key: data.draw(strategy, label=key) for key, strategy in PARAMS.get(name, {}).items()}


def check_round_trip(coder: Coder, stream: np.ndarray) -> None:
    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    again = from_config(coder.get_config())
    assert again.decode(bits, stream.size).tolist() == stream.tolist()
    assert again.encode(stream) == bits


@pytest.mark.parametrize("name", NAMES)
@given(q=prob_vectors(max_size=24), data=st.data())
@settings(max_examples=40, deadline=None)
def test_every_scheme_round_trips_random_models_and_streams(name, q, data):
    """decode(encode(x)) == x, also through get_config/from_config, q with zeros included."""
    coder = build(name, q, **params_for(name, data))
    n = data.draw(st.integers(0, 400), label="n")
    stream = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).integers(0, q.size, n)
    check_round_trip(coder, stream)


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_handles_empty_streams_and_one_symbol_alphabets(name):
    coder = build(name, np.array([0.6, 0.4]))
    check_round_trip(coder, np.array([], dtype=np.uint8))
    single = build(name, np.array([1.0]))
    check_round_trip(single, np.zeros(100, dtype=np.uint8))


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_codes_a_symbol_the_model_rules_out(name):
    """p emits symbol 2, q gives it probability 0: it still codes, at finite cost."""
    coder = build(name, np.array([0.5, 0.5, 0.0]))
    stream = np.array([2, 0, 2, 1, 2] * 50)
    check_round_trip(coder, stream)
    expected = coder.expected_length(np.array([0.0, 0.0, 1.0]))
    assert expected is None or np.isfinite(expected)  # None: no closed form (a general-purpose compressor)


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_handles_an_alphabet_of_1500_symbols(name):
    q = np.random.default_rng(1).dirichlet(np.ones(1500))
    params = {"k": 1} if name == "block-huffman" else {"bits": 11} if name == "tunstall" else {}
    coder = build(name, q, **params)
    check_round_trip(coder, np.random.default_rng(2).integers(0, 1500, 5000))


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_reports_a_distribution_and_an_exact_expected_length(name):
    q = np.array([0.5, 0.2, 0.2, 0.1])
    coder = build(name, q)
    assert coder.implied.sum() == pytest.approx(1.0) and np.all(coder.implied > 0)
    if coder.expected_length(q) is None:  # no closed form: neither figure (a general-purpose compressor)
        assert coder.code_divergence(q) is None
        return
    assert coder.expected_length(q) >= 1.7609 - 1e-9  # H(q)
    assert coder.code_divergence(q) >= 0


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_rejects_bits_that_are_not_its_stream(name):
    coder = build(name, np.array([0.7, 0.2, 0.1]))
    bits = coder.encode(np.array([0, 1, 2, 0, 0, 1] * 20))
    with pytest.raises(DecodeError):
        coder.decode(bits + bits[:64] + bits[:64], 120)
    with pytest.raises(DecodeError):
        coder.decode(bits[: len(bits) // 2], 120)


def test_unknown_schemes_and_parameters_are_named():
    with pytest.raises(CodesimError, match="unknown scheme 'hufman' \\(did you mean 'huffman'\\?\\)"):
        build("hufman", [0.5, 0.5])
    with pytest.raises(CodesimError, match="has no parameter 'x'"):
        SchemeSpec.parse("huffman:x=1")
    with pytest.raises(CodesimError, match="name=value"):
        SchemeSpec.parse("huffman:x")


def test_every_coder_module_is_imported_by_the_package():
    """A module under codesim/coders that the package does not import would define schemes that are
    never registered."""
    modules = {f"codesim.coders.{m.name}" for m in pkgutil.iter_modules(codesim.coders.__path__)}
    code = "import sys, codesim.coders; print(' '.join(m for m in sys.modules if m.startswith('codesim.coders.')))"
    imported = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  check=True).stdout.split())
    assert modules <= imported


def test_every_scheme_object_and_coder_class_is_registered():
    """Each Scheme defined in a coder module is the registered one, and each concrete Coder class is
    what some registered scheme builds."""
    registered = {s.name: s for s in available()}
    built = {type(build(s.name, np.array([0.5, 0.25, 0.25]))) for s in available()}
    chain = MarkovChain.from_transitions([[0.5, 0.25, 0.25]] * 3)
    built |= {type(build(s.name, chain)) for s in available() if s.context is not None}
    built.add(type(build("huffman", np.array([0.5, 0.25, 0.25]), radix=3)))  # D-ary Huffman's own class
    for info in pkgutil.iter_modules(codesim.coders.__path__):
        module = __import__(f"codesim.coders.{info.name}", fromlist=["_"])
        for obj in vars(module).values():
            if isinstance(obj, Scheme):
                assert registered.get(obj.name) is obj, f"{obj.name} defined but not registered"
            if (isinstance(obj, type) and issubclass(obj, Coder) and obj.__module__ == module.__name__
                    and not getattr(obj, "__abstractmethods__", None)):
                assert obj in built, f"{obj.__name__} is built by no registered scheme"
