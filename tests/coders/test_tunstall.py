"""Tunstall codes: the dictionary and rate of a small example by hand, the rate and the per-word identity
against the words enumerated independently, round trips through the container, and hostile bits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim.coders import build, check_config
from codesim.coders.tunstall import TunstallCode
from codesim.errors import ConfigError, SchemeError
from codesim.measures import entropy

from ..conftest import decodes_to_its_own_encoding_or_is_refused, prob_vectors, round_trips_everywhere


def test_the_dictionary_and_rate_of_a_small_example_by_hand():
    """q = (0.7, 0.2, 0.1), 3 bits: split the root (3 words), then 0 (5 words), then 00 (7 words); a
    fourth split would make 9 > 8. On p = q, E[L] = 1 + 0.7 + 0.49 = 2.19 symbols a word, so 3 / 2.19
    bits a symbol."""
    code = build("tunstall", [0.7, 0.2, 0.1], bits=3)
    assert sorted(code.words()) == sorted([(1,), (2,), (0, 1), (0, 2), (0, 0, 0), (0, 0, 1), (0, 0, 2)])
    assert code.expected_parse_length([0.7, 0.2, 0.1]) == pytest.approx(2.19)
    assert code.expected_length([0.7, 0.2, 0.1]) == pytest.approx(3 / 2.19)
    stream = np.array([0, 0, 0, 1, 0, 2, 2, 0])  # 000 | 1 | 02 | 2 | 0 (completed to 000, cut)
    bits = code.encode(stream)
    words = code.words()
    assert [words[int(bits[i:i + 3].to01(), 2)] for i in range(0, len(bits), 3)] == [(0, 0, 0), (1,), (0, 2), (2,),
                                                                                      (0, 0, 0)]
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


def enumerated(code: TunstallCode, p: np.ndarray) -> tuple[float, np.ndarray]:
    """E[L] and P_W from the words themselves: each word's probability is the product of p over it."""
    words = code.words()
    probs = np.array([math.prod(p[x] for x in w) for w in words])
    return float(sum(pw * len(w) for pw, w in zip(probs, words))), probs


@given(q=prob_vectors(min_size=2, max_size=6), p=prob_vectors(min_size=6, max_size=6, allow_zeros=False),
       bits=st.integers(3, 9))
@settings(max_examples=60)
def test_rate_and_the_per_word_identity(q, p, bits):
    """E_p[L] from the internal nodes = from the words; the words' probabilities sum to 1 (a complete
    tree); and bits / E[L] = H(p) + D(P_W || uniform) / E[L] + log2(2^bits / words) / E[L], at least H(p)."""
    p = p[: q.size] / p[: q.size].sum()
    code = build("tunstall", q, bits=bits)
    length, probs = enumerated(code, p)
    assert code.expected_parse_length(p) == pytest.approx(length)
    assert probs.sum() == pytest.approx(1.0)
    words = len(code.words())
    assert words <= 1 << bits and words + q.size - 1 > 1 << bits  # no further split fits
    slack = math.log2((1 << bits) / words) / length
    assert code.expected_length(p) == pytest.approx(entropy(p) + code.code_divergence(p) + slack)
    assert code.expected_length(p) >= entropy(p) - 1e-12


def test_the_rate_on_the_source_it_was_built_for_approaches_the_entropy():
    q = np.array([0.6, 0.3, 0.1])
    rates = [build("tunstall", q, bits=b).expected_length(q) for b in (2, 4, 8, 12, 16)]
    assert all(a >= b - 1e-12 for a, b in zip(rates, rates[1:])) and rates[-1] - entropy(q) < 0.05


@given(size=st.sampled_from([1, 2, 3, 7, 256]), data=st.data())
@settings(max_examples=50)
def test_round_trips_through_the_coder_the_container_and_both_kernel_paths(size, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    q = rng.dirichlet(np.full(size, 0.4))
    code = build("tunstall", q, bits=data.draw(st.integers(max(1, (size - 1).bit_length()), 10), label="bits"))
    stream = rng.choice(size, data.draw(st.integers(0, 400), label="n"), p=q)
    bits = round_trips_everywhere(code, stream)
    low, high = code.bit_bounds(stream.size)
    assert low <= len(bits) <= high


@given(st.data())
@settings(max_examples=60)
def test_hostile_bits_decode_to_their_encoding_or_are_refused(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    code = build("tunstall", rng.dirichlet(np.ones(3)), bits=4)
    n = data.draw(st.integers(1, 60))
    bits = bitarray(rng.integers(0, 2, data.draw(st.integers(0, 300))).tolist(), endian="big")
    decodes_to_its_own_encoding_or_is_refused(code, bits, n)


def test_alphabets_and_configs_it_cannot_take_are_refused():
    with pytest.raises(SchemeError, match="bits >= 9"):
        build("tunstall", np.full(300, 1 / 300))
    config = build("tunstall", [0.5, 0.3, 0.2], bits=4).get_config()
    for field, value in (("internal", [[0, 3]]), ("internal", [[1, 0]]), ("internal", [[0, 0], [0, 0]]),
                         ("internal", [[0, 0]] * 9), ("internal", "x"), ("size", 4)):
        with pytest.raises(ConfigError, match=field):
            check_config({**config, field: value}, 3)
