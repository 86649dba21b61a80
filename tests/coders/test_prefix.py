"""Prefix codes from q (fixed, Shannon, Huffman): Kraft sums, optimality and the bounds of the theory."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim.coders import PrefixCode, build
from codesim.coders.prefix_code import canonical_codewords
from codesim.coders.prefix import shannon_lengths
from codesim.errors import CodesimError, DecodeError
from codesim.measures import entropy, kl_divergence

from ..conftest import NASA_P, prob_vectors

PREFIX_SCHEMES = ["fixed", "shannon", "huffman"]


def codewords(code: PrefixCode) -> list[str]:
    return [code.codeword(i) for i in range(code.size)]


def is_prefix_free(words: list[str]) -> bool:
    ordered = sorted(words)
    return all(not b.startswith(a) for a, b in zip(ordered, ordered[1:]))


@given(prob_vectors(max_size=40))
def test_huffman_kraft_sum_is_exactly_one(q):
    """A Huffman code is complete: sum 2^-l = 1, checked in exact integer arithmetic."""
    code = build("huffman", q)
    top = int(code.lengths.max())
    assert sum(1 << (top - int(l)) for l in code.lengths) == 1 << top or code.size == 1
    assert code.kraft_sum == (1 if code.size > 1 else Fraction(1, 2))


@given(prob_vectors(max_size=40), st.sampled_from(PREFIX_SCHEMES))
def test_codes_are_prefix_free_and_within_kraft(q, scheme):
    code = build(scheme, q)
    assert code.kraft_sum <= 1
    assert is_prefix_free(codewords(code))
    assert [len(w) for w in codewords(code)] == code.lengths.tolist()


def test_canonical_codewords_count_up_by_length_then_index():
    assert [format(c, f"0{l}b") for c, l in zip(canonical_codewords(np.array([2, 1, 3, 3])), [2, 1, 3, 3])] == [
        "10", "0", "110", "111"]


def test_huffman_ties_are_broken_by_weight_then_symbol_index():
    """Equal weights: the same q always gives the same code, lower indices merged first."""
    code = build("huffman", [0.25, 0.25, 0.25, 0.25])
    assert codewords(code) == ["00", "01", "10", "11"]
    a = build("huffman", [0.4, 0.2, 0.2, 0.1, 0.1])
    assert a.lengths.tolist() == build("huffman", [0.4, 0.2, 0.2, 0.1, 0.1]).lengths.tolist()


def test_huffman_nasa_code_matches_the_hand_computed_lengths():
    """NASA levels: 105 and 100 get 1 and 2 bits; the expected length is 2.37 bits."""
    code = build("huffman", NASA_P)
    assert code.lengths.tolist() == [2, 1, 5, 4, 4, 5, 5, 5]
    assert code.expected_length(NASA_P) == pytest.approx(2.37)


def _all_prefix_length_vectors(k: int, max_len: int):
    for lengths in itertools.product(range(1, max_len + 1), repeat=k):
        if sum(Fraction(1, 2**l) for l in lengths) <= 1:
            yield lengths


@given(prob_vectors(min_size=1, max_size=5))
@settings(max_examples=60, deadline=None)
def test_huffman_is_optimal_against_brute_force_over_all_prefix_codes(q):
    """No length vector satisfying Kraft has a smaller expected length (alphabets up to 5)."""
    best = min(np.dot(q, lengths) for lengths in _all_prefix_length_vectors(q.size, max(1, q.size - 1)))
    assert build("huffman", q).expected_length(q) == pytest.approx(best, abs=1e-12)


@given(prob_vectors(min_size=2, max_size=30, allow_zeros=False))
def test_huffman_on_p_is_within_one_bit_of_entropy(p):
    """H(p) <= E[l] < H(p) + 1 for the Huffman code built on p (p with no certain symbol: a
    certain symbol has H = 0 yet still costs the 1 bit every codeword needs, L = H + 1)."""
    L = build("huffman", p).expected_length(p)
    assert entropy(p) - 1e-12 <= L < entropy(p) + 1


@given(prob_vectors(min_size=2, max_size=30), st.data())
def test_shannon_wrong_code_theorem(p, data):
    """Cover & Thomas Thm 5.4.3: H(p) + D(p||q) <= E_p[l] < H(p) + D(p||q) + 1 for l = ceil(-log2 q)."""
    q = data.draw(prob_vectors(min_size=p.size, max_size=p.size, allow_zeros=False))
    L = build("shannon", q).expected_length(p)
    bound = entropy(p) + kl_divergence(p, q)
    assert bound - 1e-9 <= L < bound + 1


@given(prob_vectors(max_size=30), st.data(), st.sampled_from(PREFIX_SCHEMES))
def test_expected_length_is_entropy_plus_code_kl_plus_kraft_slack(p, data, scheme):
    """For every prefix code, E_p[l] = H(p) + D(p||r) + log2(1/c), r = 2^-l / c, c = Kraft sum."""
    q = data.draw(prob_vectors(min_size=p.size, max_size=p.size))
    code = build(scheme, q)
    c = float(code.kraft_sum)
    rhs = entropy(p) + kl_divergence(p, code.implied) + math.log2(1 / c)
    assert code.expected_length(p) == pytest.approx(rhs, abs=1e-9)


def test_symbols_q_rules_out_still_get_codewords():
    for scheme in PREFIX_SCHEMES:
        code = build(scheme, [0.5, 0.5, 0.0, 0.0])
        assert code.kraft_sum <= 1 and code.size == 4
        stream = np.array([2, 3, 0, 2])
        assert code.decode(code.encode(stream), 4).tolist() == [2, 3, 0, 2]


def test_shannon_makes_room_for_zeros_when_q_is_dyadic():
    """A dyadic q fills the Kraft sum; one longest codeword is lengthened to free room."""
    assert shannon_lengths(np.array([0.5, 0.5, 0.0])).tolist() == [1, 2, 2]
    assert shannon_lengths(np.array([0.5, 0.25, 0.0, 0.25, 0.0])).tolist() == [1, 2, 4, 3, 4]


def test_one_symbol_alphabet_costs_one_bit_per_symbol():
    for scheme in PREFIX_SCHEMES:
        code = build(scheme, [1.0])
        assert code.lengths.tolist() == [1]
        bits = code.encode(np.zeros(5, dtype=np.uint8))
        assert len(bits) == 5 and code.decode(bits, 5).tolist() == [0] * 5


@given(prob_vectors(max_size=20), st.integers(0, 2**32 - 1), st.integers(0, 3000))
@settings(max_examples=40)
def test_packed_encoder_equals_bitarray_encode(q, seed, n):
    """The vectorised word packer writes exactly the bits bitarray's C encoder writes."""
    code = build("huffman", q)
    stream = np.random.default_rng(seed).integers(0, q.size, n)
    expected = bitarray(endian="big")
    expected.encode({i: bitarray(code.codeword(i)) for i in range(code.size)}, stream.tolist())
    assert code.encode(stream) == expected


def test_codewords_longer_than_64_bits_round_trip():
    """A geometric q gives Huffman codewords of up to 69 bits: the bitarray fallback path."""
    q = 2.0 ** -np.arange(1, 71)
    code = build("huffman", q / q.sum())
    assert code.lengths.max() > 64
    stream = np.array([0, 69, 68, 1, 69])
    assert code.decode(code.encode(stream), 5).tolist() == stream.tolist()


def test_over_long_and_over_subscribed_lengths_are_refused():
    with pytest.raises(CodesimError, match="over-subscribed"):
        PrefixCode([1, 1, 1])
    with pytest.raises(CodesimError, match="over the decoder's limit"):
        PrefixCode([1, 300])
    with pytest.raises(CodesimError, match="integers >= 1"):
        PrefixCode([0, 1])


def test_decoder_rejects_short_trailing_and_unmatched_bits():
    code = build("shannon", [0.5, 0.3, 0.2])  # lengths 1, 2, 3: incomplete, '111' matches nothing
    bits = code.encode(np.array([0, 1, 2]))
    with pytest.raises(DecodeError):
        code.decode(bits[:-1], 3)
    with pytest.raises(DecodeError, match="stream has"):
        code.decode(bits + bitarray("0"), 3)
    with pytest.raises(DecodeError):
        code.decode(bitarray("111"), 1)


def test_a_lane_stream_of_only_the_shortest_codeword_takes_exactly_the_least_bits_the_bounds_allow():
    """The bounds a reader checks a payload against are tight: n shortest codewords in lanes of equal
    length, and a jump table of its minimal size (no deviations, the base in as few bits as it needs)."""
    from codesim.coders.prefix_code import PrefixCode

    code = PrefixCode([1, 2, 2])
    n = 1 << 21
    assert code.lanes_for(n) > 1
    bits = code.encode(np.zeros(n, dtype=np.uint8))
    assert len(bits) == code.bit_bounds(n)[0]
    assert code.decode(bits, n).sum() == 0
