"""The bitstreams of the sequential coders (arithmetic, adaptive-arithmetic, adaptive-huffman) are pinned:
seeded streams must encode to the exact bits the coders wrote before their loops moved into
``codesim.coders.kernels``, and the golden files must decode and re-encode to their payloads. The range
coders' pins are those of config version 1 (configs without a version), which they still write when
restored from such a config."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

from codesim.coders import build, from_config
from codesim.coders.adaptive import AdaptiveArithmeticCoder
from codesim.coders.frequencies import quantise
from codesim.coders.rangecoder import ArithmeticCoder
from codesim.files.container import loads

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

#: (scheme, params, k, n, seed, "bits:sha256 prefix"). The digests were captured by running the code of
#: commit 4fd7b29 (coders/arithmetic.py and coders/adaptive.py, before the range coder, the Fenwick
#: tree and Vitter's update became kernels) on exactly these streams; they are not computed by the
#: code under test.
PINNED = [
    ("arithmetic", {"precision": 24}, 8, 5000, 1, "7617:eae9acb1fd95c9bf"),
    ("arithmetic", {"precision": 12}, 3, 3000, 2, "3931:b1a2dbc615ce5555"),
    ("arithmetic", {"precision": 32}, 300, 4000, 3, "27371:130b76919357087f"),
    ("arithmetic", {"precision": 16}, 2, 70000, 4, "45109:372aae36ca74a8b5"),
    ("arithmetic", {"precision": 1}, 2, 500, 5, "500:b8cc8a7c589b7482"),
    ("arithmetic", {"precision": 20}, 1500, 6000, 6, "61311:95ff0c148d532e2b"),
    ("adaptive-arithmetic", {"alpha": 0.5}, 8, 5000, 7, "9984:0b8bb0dac8740cbc"),
    ("adaptive-arithmetic", {"alpha": 1.0}, 3, 70000, 8, "91032:f0228e475323d743"),
    ("adaptive-arithmetic", {"alpha": 0.1}, 40, 4000, 9, "17059:2555144281496f11"),
    ("adaptive-arithmetic", {"alpha": 1000.0}, 65536, 3000, 10, "48001:e825b6693f780c9f"),
    ("adaptive-arithmetic", {"alpha": 0.0001}, 2, 3000, 11, "2917:e04f14ad49e94587"),
    ("adaptive-arithmetic", {"alpha": 0.3}, 1500, 6000, 12, "63341:ad45a0eaeb60330d"),
    ("adaptive-huffman", {}, 2, 3000, 13, "3000:9eca61ccb1a97414"),
    ("adaptive-huffman", {}, 8, 70000, 14, "185624:cc3495b5d8a8b131"),
    ("adaptive-huffman", {}, 100, 5000, 15, "27136:387bf2d7f8f7cc29"),
    ("adaptive-huffman", {}, 65536, 3000, 16, "78393:f091c95ef44c993c"),
]
#: Narrow registers (W, U) at precision 8 over 5 symbols, captured the same way: carries and runs of
#: all-ones digits are everyday events there.
PINNED_NARROW = [(12, 1, 20, "3714:90efe3072a577e55"), (15, 3, 21, "3434:f31b8b6b125d8028"),
                 (10, 1, 22, "3834:869cb5248fcff60e")]
#: adaptive-arithmetic with its counts halved past a total of 2^10 (KT, 5 symbols, seed 23).
PINNED_HALVING = "8954:a58446d2cd5796fe"


def digest(bits) -> str:
    return f"{len(bits)}:{hashlib.sha256(bits.tobytes()).hexdigest()[:16]}"


def version_1(coder):
    """The coder of ``coder``'s config without its version: the bitstream files written before had."""
    config = coder.get_config()
    config.pop("version", None)
    return from_config(config)


def seeded(seed: int, k: int, n: int, concentration: float):
    """A stream of n symbols and the Dirichlet draw p it comes from, as the digests were captured."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(k, concentration))
    return rng.choice(k, n, p=p), p


@pytest.mark.parametrize("scheme, params, k, n, seed, expected", PINNED, ids=lambda v: str(v))
def test_seeded_streams_encode_to_the_pinned_bits_and_back(scheme, params, k, n, seed, expected):
    stream, p = seeded(seed, k, n, 0.3 if seed % 2 else 2.0)
    coder = version_1(build(scheme, p, **params))
    bits = coder.encode(stream)
    assert digest(bits) == expected
    np.testing.assert_array_equal(coder.decode(bits, n), stream)


@pytest.mark.parametrize("state_bits, digit_bits, seed, expected", PINNED_NARROW)
def test_narrow_registers_encode_to_the_pinned_bits_and_back(state_bits, digit_bits, seed, expected):
    cls = type("Narrow", (ArithmeticCoder,), {"registers": {1: (state_bits, digit_bits)}})
    stream, p = seeded(seed, 5, 2000, 0.5)
    coder = cls(quantise(p, 8), 8, version=1)
    bits = coder.encode(stream)
    assert digest(bits) == expected
    np.testing.assert_array_equal(coder.decode(bits, stream.size), stream)


def test_halving_counts_encode_to_the_pinned_bits_and_back():
    coder = type("SmallLimit", (AdaptiveArithmeticCoder,), {"max_totals": {1: 1 << 10}})(5, 0.5, version=1)
    stream, _ = seeded(23, 5, 5000, 0.5)
    bits = coder.encode(stream)
    assert digest(bits) == PINNED_HALVING
    np.testing.assert_array_equal(coder.decode(bits, stream.size), stream)


@pytest.mark.parametrize("name", ["dog-panda-arithmetic", "adaptive-arithmetic-laplace", "dog-panda-arithmetic-v2",
                                  "arithmetic-v2-wide", "adaptive-arithmetic-v2-kt",
                                  "adaptive-huffman-text"])
def test_golden_payloads_decode_and_encode_again_to_the_same_bits(name):
    header, coder, bits = loads((GOLDEN / f"{name}.csim").read_bytes())
    stream = coder.decode(bits, header.symbols)
    assert coder.encode(stream) == bits
