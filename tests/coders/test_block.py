"""Block (extension) Huffman codes over k-tuples: round trips, the 1/k bound, configs, limits."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings
from hypothesis import strategies as st

import codesim.coders.block  # noqa: F401  (registers block-huffman)
from codesim.coders import build, from_config
from codesim.coders.block import MAX_TUPLES, BlockCode, product_distribution
from codesim.errors import CodesimError, DecodeError, SchemeError
from codesim.measures import entropy, kl_divergence

from ..conftest import normalise, prob_vectors


# Models with some zero-probability symbols mixed in, and strictly positive sources for the bounds.
models = prob_vectors(max_size=6)
positive_sources = prob_vectors(min_size=2, max_size=6, allow_zeros=False)


def _exact_mean_length(p: np.ndarray, code: BlockCode) -> Fraction:
    """E_{p^k}[l_k] / k in exact rational arithmetic over the float p."""
    k, size = code.k, code.size
    exact = [Fraction(x) for x in p.tolist()]
    total = Fraction(0)
    for index, length in enumerate(code.tuple_code.lengths.tolist()):
        prob = Fraction(1)
        for j in range(k):
            prob *= exact[index // size ** (k - 1 - j) % size]
        total += prob * length
    return total / k


@settings(max_examples=80, deadline=None)
@given(q=models, k=st.integers(1, 4), data=st.data())
def test_round_trip_any_length(q, k, data):
    """Streams of any length, multiples of k or not, and symbols q rules out, decode back to themselves."""
    code = build("block-huffman", q, k=k)
    symbols = data.draw(st.lists(st.integers(0, q.size - 1), max_size=200), label="stream")
    stream = np.array(symbols, dtype=np.int64)
    bits = code.encode(stream)
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 6, 7, 1000, 1001, 1002])
def test_round_trip_tail_lengths(n):
    """With k = 3 every remainder n mod 3 (0, 1, 2) round-trips, the empty stream included."""
    rng = np.random.default_rng(n)
    q = np.array([0.6, 0.25, 0.1, 0.05])
    code = build("block-huffman", q, k=3)
    stream = rng.choice(4, size=n, p=q).astype(np.uint8)
    bits = code.encode(stream)
    if n == 0:
        assert len(bits) == 0
    assert code.decode(bits, n).tolist() == stream.tolist()


def test_k1_equals_plain_huffman_bits():
    """k = 1 is plain Huffman: identical bits for the same stream."""
    rng = np.random.default_rng(7)
    q = normalise(rng.random(9))
    stream = rng.choice(9, size=5000, p=q)
    assert build("block-huffman", q, k=1).encode(stream) == build("huffman", q).encode(stream)


@settings(max_examples=60, deadline=None)
@given(p=positive_sources, k=st.integers(1, 3))
def test_within_one_over_k_of_entropy(p, k):
    """Built on p (all p(x) > 0, k >= 2 symbols): H(p) <= E[L_k]/k < H(p) + 1/k, the mean exact."""
    code = build("block-huffman", p, k=k)
    exact = _exact_mean_length(p, code)
    h = entropy(p)
    assert h - 1e-12 <= float(exact) < h + 1 / k
    assert code.expected_length(p) == pytest.approx(float(exact), rel=1e-12)


def test_integer_length_loss_shrinks_with_k_on_skewed_source():
    """p = (0.9, 0.1): the loss E[L_k]/k - H(p) is 0.531, 0.176, 0.064 bits for k = 1, 2, 3."""
    p = np.array([0.9, 0.1])
    h = entropy(p)
    loss = [float(_exact_mean_length(p, build("block-huffman", p, k=k))) - h for k in (1, 2, 3)]
    assert loss[0] > loss[1] > loss[2] > 0
    assert loss == pytest.approx([0.531, 0.176, 0.064], abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(q=positive_sources, k=st.integers(1, 3), data=st.data())
def test_expected_length_decomposes(q, k, data):
    """Per symbol, E_{p^k}[l_k]/k = H(p) + D(p^k||r_k)/k + log2(1/c)/k, c the tuple code's Kraft sum."""
    p = normalise(data.draw(st.lists(st.floats(1e-3, 1.0), min_size=q.size, max_size=q.size), label="p"))
    code = build("block-huffman", q, k=k)
    c = float(code.tuple_code.kraft_sum)
    assert code.expected_length(p) == pytest.approx(
        entropy(p) + code.code_divergence(p) + np.log2(1 / c) / k, rel=1e-9, abs=1e-9
    )
    assert code.code_divergence(p) == pytest.approx(
        kl_divergence(product_distribution(p, k), code.tuple_code.implied) / k
    )


def test_measured_bits_match_expected_length():
    """On a long stream from p, real bits per symbol approach E[L_k]/k."""
    rng = np.random.default_rng(3)
    p = np.array([0.7, 0.2, 0.1])
    code = build("block-huffman", p, k=3)
    stream = rng.choice(3, size=300_000, p=p)
    assert len(code.encode(stream)) / stream.size == pytest.approx(code.expected_length(p), abs=0.01)


def test_implied_is_a_distribution_over_symbols():
    """implied is the mean positional marginal of r_k: K entries summing to 1."""
    code = build("block-huffman", [0.5, 0.3, 0.2], k=2)
    r = code.implied
    assert r.shape == (3,) and r.sum() == pytest.approx(1.0) and (r > 0).all()


def test_product_distribution_first_symbol_most_significant():
    """Tuple index = base-K number of its symbols, first symbol most significant."""
    q = np.array([0.5, 0.3, 0.2])
    qk = product_distribution(q, 2)
    assert qk[1 * 3 + 2] == pytest.approx(0.3 * 0.2)
    assert qk.sum() == pytest.approx(1.0)


def test_config_round_trip():
    """get_config -> from_config (also through the registry) rebuilds an identical coder."""
    code = build("block-huffman", [0.6, 0.3, 0.1, 0.0], k=3)
    config = code.get_config()
    assert config["scheme"] == "block-huffman" and config["params"] == {"k": 3}
    assert len(config["tuple_lengths"]) == 4**3 and len(config["leftover_lengths"]) == 4
    for again in (from_config(config), BlockCode.from_config(config)):
        assert again.get_config() == config
        stream = np.array([3, 0, 1, 2, 2, 0, 1], dtype=np.int64)
        assert again.encode(stream) == code.encode(stream)


def test_config_with_wrong_table_size_is_refused():
    """A config whose tuple table does not have K^k entries is refused, not half-built."""
    config = build("block-huffman", [0.5, 0.5], k=2).get_config()
    config["params"]["k"] = 3
    with pytest.raises(CodesimError, match="tuple code lengths"):
        from_config(config)
    with pytest.raises(SchemeError):
        from_config({"scheme": "block-huffman", "params": {}})


def test_too_many_tuples_refused_with_reason():
    """K^k over the limit is refused before building, saying how many tuples and the largest k."""
    with pytest.raises(SchemeError, match=r"256\^3 = 16777216 tuples.*use k <= 2"):
        build("block-huffman", np.full(256, 1 / 256), k=3)
    assert 256**2 <= MAX_TUPLES
    with pytest.raises(SchemeError):
        build("block-huffman", [0.5, 0.5], k=17)


def test_corrupt_bits_raise_decode_error():
    """Bits that do not decode to exactly n symbols raise DecodeError, in the tail or the tuples."""
    code = build("block-huffman", [0.5, 0.25, 0.25], k=2)
    bits = code.encode(np.array([0, 1, 2, 0, 1]))
    with pytest.raises(DecodeError):
        code.decode(bits + bitarray("1"), 5)
    with pytest.raises(DecodeError):
        code.decode(bits[:-1], 5)
    with pytest.raises(DecodeError):
        code.decode(bitarray(), 1)
