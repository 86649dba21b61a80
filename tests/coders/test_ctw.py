"""Context-tree weighting: its probabilities against the method's definition computed with exact fractions
(and the worked example of Willems, Shtarkov and Tjalkens 1995), its redundancy bound on random tree sources,
round trips through the coder, the container and both kernel paths, hostile bits, and its limit on chains."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import jit
from codesim.coders import build, ctw
from codesim.coders.ctw import CtwCoder, tree_source_bound
from codesim.errors import SchemeError
from codesim.measures import entropy
from codesim.sources.markov import MarkovChain

from ..conftest import decodes_to_its_own_encoding_or_is_refused, round_trips_everywhere


# -- the definition, with fractions ----------------------------------------------------------------

def kt(zeros: int, ones: int) -> Fraction:
    """The Krichevsky-Trofimov probability of a binary sequence with these counts (order is irrelevant)."""
    p, a, b = Fraction(1), 0, 0
    for bit in [0] * zeros + [1] * ones:
        p *= Fraction(2 * (b if bit else a) + 1, 2 * (a + b + 1))
        a, b = a + (not bit), b + bit
    return p


def weighted(decisions, size: int, depth: int) -> Fraction:
    """Pw at the root for binary decisions, each (context, bit) with context the symbols before it, most
    recent first: Pw(s) = 1/2 Pe(s) + 1/2 prod over the K children Pw(child), Pe at depth D."""
    def pw(ctx):
        seen = [bit for context, bit in decisions if context[: len(ctx)] == ctx]
        if not seen:
            return Fraction(1)
        own = kt(seen.count(0), seen.count(1))
        if len(ctx) == depth:
            return own
        children = Fraction(1)
        for y in range(size):
            children *= pw(ctx + (y,))
        return own / 2 + children / 2
    return pw(())


def probability(stream, size: int, depth: int, past) -> Fraction:
    """The probability CTW gives a stream over ``size`` symbols: the product over the decision nodes of the
    binary decomposition of each node's own weighted context tree, built here from the definition."""
    full = list(past) + [int(x) for x in stream]
    bits = (size - 1).bit_length()
    nodes: dict[int, list] = {}
    for t in range(depth, len(full)):
        context = tuple(full[t - 1 - j] for j in range(depth))
        x, prefix = full[t], 0
        for level in range(bits):
            bit = (x >> (bits - 1 - level)) & 1
            if ((2 * prefix + 1) << (bits - 1 - level)) < size:
                nodes.setdefault((1 << level) + prefix, []).append((context, bit))
            prefix = 2 * prefix + bit
    p = Fraction(1)
    for decisions in nodes.values():
        p *= weighted(decisions, size, depth)
    return p


def test_the_worked_example_of_the_paper():
    """Willems, Shtarkov and Tjalkens (1995), the example of their section on the algorithm: the sequence
    0110100 after the past 010, depth 3, has weighted probability 95/32768."""
    stream, past = [0, 1, 1, 0, 1, 0, 0], [0, 1, 0]
    assert probability(stream, 2, 3, past) == Fraction(95, 32768)
    coder = CtwCoder(2, depth=3)
    assert coder.ideal_bits(np.array(stream), past) == pytest.approx(-math.log2(95 / 32768), abs=1e-6)


@given(size=st.integers(2, 5), depth=st.integers(0, 3), data=st.data())
@settings(max_examples=60)
def test_the_coders_probability_is_the_definitions(size, depth, data):
    """-log2 of the probability the kernels compute (their quantised decisions) is that of the definition,
    over binary and K-ary alphabets, for any past."""
    n = data.draw(st.integers(0, 14 if size == 2 else 8), label="n")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    stream, past = rng.integers(0, size, n), rng.integers(0, size, depth)
    exact = -math.log2(probability(stream, size, depth, past))
    assert CtwCoder(size, depth).ideal_bits(stream, past) == pytest.approx(exact, abs=1e-6 * (n + 1))


# -- the bound on tree sources ---------------------------------------------------------------------

def random_tree(rng, size: int, depth: int, splits: int) -> list[tuple[int, ...]]:
    """A full K-ary tree of contexts: from the root, ``splits`` times a random leaf above the depth is
    split into its K children."""
    leaves = [()]
    for _ in range(splits):
        shallow = [leaf for leaf in leaves if len(leaf) < depth]
        if not shallow:
            break
        leaf = shallow[rng.integers(len(shallow))]
        leaves.remove(leaf)
        leaves += [leaf + (y,) for y in range(size)]
    return leaves


def sample_tree_source(rng, leaves, size: int, depth: int, n: int) -> np.ndarray:
    """n symbols of the tree source whose leaf s draws from its own distribution, after a past of zeros."""
    params = {leaf: rng.dirichlet(np.full(size, 0.4)) for leaf in leaves}
    longest = max(map(len, leaves))
    full = [0] * depth
    for _ in range(n):
        recent = tuple(full[-1 - j] for j in range(longest))
        leaf = next(recent[:j] for j in range(longest + 1) if recent[:j] in params)
        full.append(int(rng.choice(size, p=params[leaf])))
    return np.array(full[depth:])


@pytest.mark.parametrize("size", [2, 3, 4])
@given(data=st.data())
@settings(max_examples=25)
def test_the_bits_stay_under_the_bound_on_random_tree_sources(size, data):
    """len(bits) <= the leaves' best fit + Gamma_D(S) + sum of KT regrets + the coder's own 2 bits,
    its rounding and the quantisation of each decision (Theorem 2 of the paper, per decision node)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    depth = data.draw(st.integers(0, 4), label="depth")
    leaves = random_tree(rng, size, depth, data.draw(st.integers(0, 4), label="splits"))
    n = data.draw(st.integers(1, 2000), label="n")
    stream = sample_tree_source(rng, leaves, size, depth, n)
    coder = CtwCoder(size, depth)
    bits = coder.encode(stream)
    bound, fit = coder.redundancy_bound(stream, leaves)
    decisions = coder.decision_sizes(stream).size
    # A decision's probability p >= 1 / (2 (n + 1)) loses at most -log2(1 - 2^-33 / p) to rounding to 2^-32.
    quantisation = decisions * -math.log2(1 - (n + 1) * 2.0**-32)
    assert len(bits) <= fit + bound + 2 + decisions * coder.rounding_loss + quantisation + 1e-9
    assert coder.decode(bits, n).tolist() == stream.tolist()


def test_the_bound_is_computed_from_the_tree_it_is_given():
    """Gamma_D(S) and the regrets by hand: a binary tree {0, 1} at depth 1 over 0101 after a 0 has leaf 0
    (after 0: bits 1, 1) and leaf 1 (after 1: bits 0), both at depth D: Gamma = 2*2 - 1 - 2 = 1, and the
    regrets 1/2 log2 2 + 1 and 1/2 log2 1 + 1; the best fit is 0 bits (each leaf saw one value)."""
    bound, fit = tree_source_bound(np.array([1, 0, 1]), [(0,), (1,)], 2, 1)
    assert bound == pytest.approx(1 + 1.5 + 1.0) and fit == 0
    with pytest.raises(Exception, match="deeper"):
        tree_source_bound(np.array([1]), [(0, 0), (0, 1), (1,)], 2, 1)


# -- coding ------------------------------------------------------------------------------------------

@given(size=st.sampled_from([1, 2, 3, 5, 8, 256, 257]), depth=st.integers(0, 5), data=st.data())
@settings(max_examples=60)
def test_round_trips_through_the_coder_the_container_and_both_kernel_paths(size, depth, data):
    n = data.draw(st.integers(0, 300), label="n")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    skew = rng.dirichlet(np.full(size, 0.3))
    stream = rng.choice(size, n, p=skew)
    coder = build("ctw", np.full(size, 1 / size), depth=depth)
    bits = round_trips_everywhere(coder, stream)
    assert len(bits) <= coder.max_bits(stream)


@given(size=st.sampled_from([1, 2, 3, 5, 8, 256, 257]), depth=st.integers(0, 4), data=st.data())
@settings(max_examples=40)
def test_each_traced_symbol_costs_what_it_adds_to_its_prefixs_ideal_bits(size, depth, data):
    stream = np.asarray(data.draw(st.lists(st.integers(0, size - 1), max_size=40), label="stream"), dtype=np.int64)
    coder = CtwCoder(size, depth)
    rows = coder.trace_rows(stream, list(range(size)), None, stream.size, None)
    prefixes = [coder.ideal_bits(stream[:i]) for i in range(stream.size + 1)]
    assert [row["cost_bits"] for row in rows] == pytest.approx(np.diff(prefixes).tolist(), abs=1e-9)
    assert all(row["model_prob"] == pytest.approx(2.0 ** -row["cost_bits"]) for row in rows)
    assert coder.coded_decisions(stream).sum() == coder.decision_sizes(stream).size


def test_a_message_past_the_node_budget_still_round_trips(monkeypatch):
    """With the budget spent, paths stop at their deepest existing node; encoder and decoder agree, and
    the trie's growth from its first size to the budget changes no bit."""
    rng = np.random.default_rng(3)
    stream = rng.integers(0, 16, 3000)
    coder = CtwCoder(16, depth=3)
    full = coder.encode(stream)
    monkeypatch.setattr(ctw, "FIRST_NODES", 1 << 16)
    assert coder.encode(stream) == full  # no growth at all: the same bits
    monkeypatch.setattr(ctw, "FIRST_NODES", 8)
    monkeypatch.setattr(ctw, "MAX_NODES", 500)
    capped = coder.encode(stream)
    assert capped != full and coder.decode(capped, stream.size).tolist() == stream.tolist()
    with jit.interpreted():
        assert coder.encode(stream) == capped


@given(st.data())
@settings(max_examples=60)
def test_hostile_bits_decode_to_their_encoding_or_are_refused(data):
    """Random, truncated and extended bit strings: a DecodeError, or symbols whose encoding is exactly
    those bits (the range coder's ending check); never a crash or a hang."""
    from bitarray import bitarray

    size = data.draw(st.sampled_from([2, 3, 256]), label="size")
    coder = CtwCoder(size, data.draw(st.integers(0, 4), label="depth"))
    n = data.draw(st.integers(1, 200), label="n")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    good = coder.encode(rng.integers(0, size, n))
    candidates = [bitarray(rng.integers(0, 2, data.draw(st.integers(0, 400))).tolist(), endian="big"),
                  good[: len(good) // 2], good + bitarray("1"), good + bitarray("0" * 9)]
    for bits in candidates:
        decodes_to_its_own_encoding_or_is_refused(coder, bits, n)


# -- what it tends to --------------------------------------------------------------------------------

def test_its_limit_is_the_entropy_of_a_symbol_given_depth_symbols():
    chain = MarkovChain.from_transitions([[0.9, 0.1, 0.0], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
    assert CtwCoder(3, 1).expected_length(chain) == pytest.approx(chain.entropy_rate())
    assert CtwCoder(3, 0).expected_length(chain) == pytest.approx(entropy(chain.marginal()))
    second = MarkovChain.from_transitions(np.random.default_rng(1).dirichlet(np.ones(2), 4), order=2)
    expected = entropy(second.block_probs(2)) - entropy(second.block_probs(1))
    assert CtwCoder(2, 1).expected_length(second) == pytest.approx(expected)
    assert CtwCoder(2, 1).expected_length(np.array([0.25, 0.75])) == pytest.approx(entropy([0.25, 0.75]))


def test_on_a_chain_it_approaches_the_entropy_rate_within_its_bound():
    """A second-order binary chain, depth 4: bits above the sample's best fit of the chain's tree by at
    most the bound, whose share per symbol shrinks with n, so that at n = 10^5 the rate is within 0.01
    bits of the entropy rate."""
    chain = MarkovChain.from_transitions([[0.95, 0.05], [0.4, 0.6], [0.7, 0.3], [0.1, 0.9]], order=2)
    leaves = [(a, b) for a in range(2) for b in range(2)]
    coder = CtwCoder(2, 4)
    rates = []
    for n in (1000, 10_000, 100_000):
        stream = chain.sample(n, seed=n)
        bits = len(coder.encode(stream))
        bound, fit = coder.redundancy_bound(stream, leaves)
        assert bits <= fit + bound + 2 + 1e-3
        rates.append(bits / n)
    assert abs(rates[-1] - chain.entropy_rate()) < 0.01


def test_the_depth_is_checked():
    with pytest.raises(SchemeError, match="depth"):
        build("ctw", [0.5, 0.5], depth=40)
    assert build("ctw", [0.5, 0.5]).depth == ctw.DEFAULT_DEPTH == 4
