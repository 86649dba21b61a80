"""Shannon-Fano, Shannon-Fano-Elias and length-limited Huffman: validity, bounds, textbook values."""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings
from hypothesis import strategies as st

from codesim.coders import build, from_config
from codesim.coders.prefix import (
    huffman_lengths,
    limited_huffman_lengths,
    shannon_fano_elias_codewords,
    shannon_fano_elias_lengths,
    shannon_fano_lengths,
)
from codesim.errors import CodesimError, SchemeError
from codesim.measures import entropy

from ..conftest import normalise, prob_vectors

SCHEMES = ["shannon-fano", "shannon-fano-elias", "huffman-limited"]


# Models with some zero-probability symbols mixed in, and strictly positive sources for the bounds.
models = prob_vectors(max_size=12)
positive_sources = prob_vectors(min_size=2, max_size=12, allow_zeros=False)


def _build(scheme: str, q: np.ndarray, data=None):
    if scheme == "huffman-limited" and data is not None:
        shortest = max(1, math.ceil(math.log2(q.size)))
        return build(scheme, q, max_length=data.draw(st.integers(shortest, shortest + 4), label="max_length"))
    return build(scheme, q)


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=60, deadline=None)
@given(q=models, data=st.data())
def test_kraft_sum_at_most_one_and_every_symbol_coded(scheme, q, data):
    """Kraft sum (exact Fraction) <= 1, and every symbol, zero-probability ones too, has a codeword."""
    code = _build(scheme, q, data)
    assert code.kraft_sum <= 1
    assert code.size == q.size and code.lengths.min() >= 1


@pytest.mark.parametrize("scheme", SCHEMES)
@settings(max_examples=60, deadline=None)
@given(q=models, data=st.data())
def test_round_trip(scheme, q, data):
    """Any stream over the alphabet, including symbols q rules out, decodes back to itself."""
    code = _build(scheme, q, data)
    symbols = data.draw(st.lists(st.integers(0, q.size - 1), max_size=300), label="stream")
    stream = np.array(symbols, dtype=np.int64)
    bits = code.encode(stream)
    assert len(bits) == int(code.lengths[stream].sum())
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


@pytest.mark.parametrize("scheme", SCHEMES)
def test_one_symbol_alphabet_spends_one_bit(scheme):
    """A one-symbol alphabet gets a 1-bit codeword, and its streams round-trip."""
    code = build(scheme, [1.0])
    assert code.lengths.tolist() == [1]
    stream = np.zeros(5, dtype=np.uint8)
    assert code.decode(code.encode(stream), 5).tolist() == [0] * 5


@pytest.mark.parametrize("scheme", SCHEMES)
def test_empty_stream(scheme):
    """The empty stream encodes to no bits and decodes from them."""
    code = build(scheme, [0.5, 0.3, 0.2])
    bits = code.encode(np.array([], dtype=np.int64))
    assert len(bits) == 0
    assert code.decode(bits, 0).size == 0


@pytest.mark.parametrize("scheme", SCHEMES)
def test_config_round_trip(scheme):
    """get_config -> from_config rebuilds the same scheme, parameters and lengths."""
    code = build(scheme, [0.4, 0.3, 0.2, 0.1, 0.0])
    again = from_config(code.get_config())
    assert again.get_config() == code.get_config()


# -- Shannon-Fano ---------------------------------------------------------------------------------------

def test_shannon_fano_classic_example():
    """The classic example 0.35, 0.17, 0.17, 0.16, 0.15: Fano's lengths are 2, 2, 2, 3, 3 (L = 2.31).

    Huffman does better here (lengths 1, 3, 3, 3, 3, L = 2.30): Fano's method is not optimal.
    """
    q = np.array([0.35, 0.17, 0.17, 0.16, 0.15])
    assert shannon_fano_lengths(q).tolist() == [2, 2, 2, 3, 3]
    assert huffman_lengths(q).tolist() == [1, 3, 3, 3, 3]
    assert shannon_fano_lengths(q) @ q == pytest.approx(2.31)
    assert huffman_lengths(q) @ q == pytest.approx(2.30)


def test_shannon_fano_tie_goes_to_earliest_cut():
    """Equal cuts (1/3 | 2/3 vs 2/3 | 1/3) go to the earliest, even when rounding tips the float sums."""
    assert shannon_fano_lengths(np.full(3, 1 / 3)).tolist() == [1, 2, 2]


def test_shannon_fano_ties_in_q_sort_by_index():
    """Equal probabilities keep index order, so a permuted dyadic q gets its exact lengths."""
    assert shannon_fano_lengths(np.array([0.125, 0.5, 0.125, 0.25])).tolist() == [3, 1, 3, 2]


@settings(max_examples=200, deadline=None)
@given(p=positive_sources)
def test_shannon_fano_within_one_bit_of_entropy(p):
    """Built on p itself (all p(x) > 0, k >= 2): H(p) <= E_p[l] < H(p) + 1."""
    mean = float(shannon_fano_lengths(p) @ p)
    h = entropy(p)
    assert h - 1e-12 <= mean < h + 1


def test_fano_splits_from_the_most_probable_symbol_down():
    """q = (3, 1, 1, 1, 1) / 7, sorted most probable first: the cuts after 3 and after 4 of 7 are equally
    close to half, the earlier wins, {3} | {1, 1, 1, 1}, then 2 | 2 and 1 | 1: lengths 1, 3, 3, 3, 3
    (2.143 bits). Splitting from the least probable end would give 2.286 bits."""
    q = np.array([3, 1, 1, 1, 1]) / 7
    assert shannon_fano_lengths(q).tolist() == [1, 3, 3, 3, 3]
    assert shannon_fano_lengths(q[::-1].copy()).tolist() == [3, 3, 3, 3, 1]


# -- Shannon-Fano-Elias ------------------------------------------------------------------------------

def test_sfe_cover_thomas_example_5_9_1():
    """Cover & Thomas, 2nd ed., Example 5.9.1: p = (0.25, 0.5, 0.125, 0.125) gives codewords
    001, 10, 1101, 1111 (lengths 3, 2, 4, 4)."""
    q = np.array([0.25, 0.5, 0.125, 0.125])
    assert shannon_fano_elias_lengths(q).tolist() == [3, 2, 4, 4]
    assert shannon_fano_elias_codewords(q) == ["001", "10", "1101", "1111"]


def test_sfe_gives_a_symbol_q_rules_out_no_textbook_codeword():
    """An empty interval has no midpoint to write down; the next symbol's interval starts where it was."""
    assert shannon_fano_elias_codewords(np.array([0.5, 0.0, 0.5])) == ["01", None, "11"]


def test_sfe_canonical_code_matches_textbook_length_profile():
    """The scheme's canonical codewords have the textbook codewords' lengths and are prefix-free too."""
    q = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
    textbook = shannon_fano_elias_codewords(q)
    code = build("shannon-fano-elias", q)
    canonical = [code.codeword(i) for i in range(q.size)]
    assert [len(w) for w in textbook] == [len(w) for w in canonical] == [3, 3, 4, 4, 4]
    for words in (textbook, canonical):
        assert not any(a != b and b.startswith(a) for a in words for b in words)


@settings(max_examples=200, deadline=None)
@given(p=models)
def test_sfe_within_two_bits_of_entropy(p):
    """Built on p: H(p) + 1 <= E_p[l] < H(p) + 2 (zero-probability symbols cost nothing under p)."""
    mean = float(shannon_fano_elias_lengths(p) @ p)
    h = entropy(p)
    assert h + 1 - 1e-9 <= mean < h + 2


def test_sfe_zero_symbols_after_longest_positive():
    """Zero-probability symbols get the longest positive length plus ceil(log2 z) for z of them."""
    assert shannon_fano_elias_lengths(np.array([0.5, 0.5, 0, 0, 0])).tolist() == [2, 2, 4, 4, 4]
    assert shannon_fano_elias_lengths(np.array([1.0, 0.0])).tolist() == [1, 1]


# -- length-limited Huffman ------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _length_vectors(k: int, max_length: int) -> np.ndarray:
    """Every length vector in 1..max_length for k symbols whose Kraft sum is at most 1."""
    all_vectors = np.array(list(itertools.product(range(1, max_length + 1), repeat=k)), dtype=np.int64)
    kraft = np.exp2(-all_vectors.astype(np.float64)).sum(axis=1)  # exact: sums of a few powers of two
    return all_vectors[kraft <= 1]


@settings(max_examples=150, deadline=None)
@given(q=st.lists(st.one_of(st.just(0.0), st.floats(1e-4, 1.0)), min_size=2, max_size=5)
       .filter(lambda w: sum(w) > 0).map(normalise), data=st.data())
def test_huffman_limited_is_optimal_by_brute_force(q, data):
    """For k <= 5, package-merge's E_q[l] equals the minimum over all length vectors within the limit."""
    shortest = math.ceil(math.log2(q.size))
    max_length = data.draw(st.integers(max(1, shortest), 5), label="max_length")
    lengths = limited_huffman_lengths(q, max_length)
    assert lengths.max() <= max_length
    best = float((_length_vectors(q.size, max_length) @ q).min())
    assert float(lengths @ q) == pytest.approx(best, rel=1e-12, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(q=models, data=st.data())
def test_huffman_limited_respects_max_length(q, data):
    """No codeword is longer than max_length, zero-probability symbols included."""
    shortest = max(1, math.ceil(math.log2(q.size)))
    max_length = data.draw(st.integers(shortest, 8), label="max_length")
    code = build("huffman-limited", q, max_length=max_length)
    assert code.lengths.max() <= max_length
    assert code.params == {"max_length": max_length}


@settings(max_examples=100, deadline=None)
@given(q=models)
def test_huffman_limited_equals_huffman_when_limit_is_loose(q):
    """With max_length >= k - 1 (no Huffman code is deeper) the expected length is Huffman's."""
    limited = limited_huffman_lengths(q, max(q.size - 1, 1))
    assert float(limited @ q) == pytest.approx(float(huffman_lengths(q) @ q), rel=1e-12, abs=1e-12)


def test_huffman_limited_shortens_a_deep_code():
    """A geometric model whose Huffman code is 9 deep fits in 4 bits, at a small cost."""
    q = normalise(2.0 ** -np.arange(10))
    assert huffman_lengths(q).max() == 9
    limited = limited_huffman_lengths(q, 4)
    assert limited.max() == 4
    assert float(limited @ q) > float(huffman_lengths(q) @ q)


def test_huffman_limited_refuses_too_short_limit():
    """max_length < ceil(log2 k) is refused with a message naming the minimum."""
    with pytest.raises(SchemeError, match=r"max_length >= 3"):
        build("huffman-limited", np.full(5, 0.2), max_length=2)
    assert build("huffman-limited", np.full(5, 0.2), max_length=3).lengths.max() == 3


def test_huffman_limited_parameter_bounds():
    """max_length is an integer from 1 to 256 (the decoder's limit), checked by the registry."""
    with pytest.raises(SchemeError):
        build("huffman-limited", [0.5, 0.5], max_length=0)
    with pytest.raises(SchemeError):
        build("huffman-limited", [0.5, 0.5], max_length=257)


def test_huffman_limited_rejects_corrupt_bits():
    """Bits that are not exactly n codewords raise a DecodeError (a CodesimError)."""
    code = build("huffman-limited", [0.5, 0.25, 0.25], max_length=2)
    with pytest.raises(CodesimError):
        code.decode(bitarray("1"), 1)
