"""The universal codes' bounds on expected bits: above the mean measured over many streams, summed over the
messages a stream is coded in, and carried by `converge`'s points of the schemes that learn."""

from __future__ import annotations

import math

import numpy as np
import pytest

from codesim import Distribution, load
from codesim.coders import SchemeSpec
from codesim.simulation.experiments import converge
from codesim.simulation.simulate import bound_bits, code_message
from codesim.sources.markov import MarkovChain

from ..conftest import SCENARIOS

def build(text: str, q):
    """The coder a scheme spec written as on the command line builds from q."""
    return SchemeSpec.parse(text).build(np.asarray(q, dtype=np.float64))


CHAIN = MarkovChain.from_transitions([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])


@pytest.mark.parametrize("scheme, source", [
    ("ctw:depth=2", CHAIN), ("ctw:depth=1", CHAIN), ("ctw:depth=0", Distribution.from_probs([0.6, 0.3, 0.1])),
    ("adaptive-arithmetic", CHAIN), ("adaptive-arithmetic", Distribution.from_probs([0.6, 0.3, 0.1])),
])
@pytest.mark.parametrize("n", [30, 300, 3000])
def test_the_mean_of_many_streams_stays_under_the_bound(scheme, source, n):
    """The bound is on the expectation: the mean over 200 streams, plus its sampling noise (three standard
    errors), stays under it."""
    coder = build(scheme, np.full(3, 1 / 3))
    bits = [len(coder.encode(source.sample(n, seed))) for seed in range(200)]
    bound = coder.expected_bits_bound(source, n)
    assert np.mean(bits) - 3 * np.std(bits) / math.sqrt(len(bits)) <= bound


def test_no_bound_where_it_would_not_hold():
    """ctw of depth 1 on a chain of order 2, adaptive-arithmetic with contexts, the prefix codes: none."""
    second = MarkovChain.from_transitions(np.full((4, 2), 0.5), order=2)
    assert build("ctw:depth=1", [0.5, 0.5]).expected_bits_bound(second, 100) is None
    assert build("ctw:depth=2", [0.5, 0.5]).expected_bits_bound(second, 100) is not None
    assert build("adaptive-arithmetic:order=1", [0.5, 0.5]).expected_bits_bound(second, 100) is None
    assert build("huffman", [0.5, 0.5]).expected_bits_bound(second, 100) is None


def test_a_stream_is_bounded_message_by_message_as_it_is_coded():
    """Blocks of 1000 symbols, each cut at the coder's own limit: the sum of each message's bound."""
    coder = build("ctw:depth=2", [0.5, 0.3, 0.2])
    step = coder.symbol_limit()
    one = coder.expected_bits_bound
    assert bound_bits(coder, CHAIN, 2500, 1000) == pytest.approx(2 * one(CHAIN, 1000) + one(CHAIN, 500))
    # A block of step + 5 symbols, then the rest, step + 2: messages of step, 5, step and 2 symbols.
    assert bound_bits(coder, CHAIN, 2 * step + 7, step + 5) == pytest.approx(
        2 * one(CHAIN, step) + one(CHAIN, 5) + one(CHAIN, 2))
    assert bound_bits(build("huffman", [0.5, 0.3, 0.2]), CHAIN, 10, 5) is None


def test_converge_carries_the_bound_of_ctw_and_of_no_scheme_without_one():
    scenario = load(SCENARIOS / "weather-persistence.toml")
    points = converge(scenario, lengths=[100, 1000], trials=2, seed=1,
                      schemes=["ctw:depth=2", "adaptive-huffman", "arithmetic"])
    learned = {(p.scheme, p.length): p for p in points if p.model is None}
    for n in (100, 1000):
        assert learned[("ctw:depth=2", n)].bound_bits_per_symbol == pytest.approx(
            build("ctw:depth=2", [0.5, 0.5]).expected_bits_bound(scenario.source, n) / n)
        assert learned[("adaptive-huffman", n)].bound_bits_per_symbol is None
    assert all(p.bound_bits_per_symbol is None for p in points if p.model is not None)
    assert code_message(build("ctw:depth=2", [0.5, 0.5]), scenario.source.sample(100, 0))[1]


def direct_start_cost(p, size: int, count: int) -> float:
    """sum over t < count of E[-log2 P(x_t | 0..0 x_0 .. x_{t-1})], one prefix at a time."""
    total = 0.0
    for t in range(count):
        joint = p.block_probs(t + 1).reshape(-1, size)
        for prefix in range(size**t):
            before = np.array(np.unravel_index(prefix, (size,) * t), dtype=np.int64).ravel() if t else []
            row = p.probabilities(np.concatenate([np.zeros(p.order - t, dtype=np.int64), before]))
            seen = joint[prefix] > 0
            if np.any(row[seen] == 0):
                return math.inf
            total -= float(np.dot(joint[prefix][seen], np.log2(row[seen])))
    return total


@pytest.mark.parametrize("size, order", [(2, 1), (3, 2), (2, 4), (4, 3)])
def test_the_bound_counts_the_first_symbols_in_the_contexts_their_past_of_zeros_makes(size, order):
    rng = np.random.default_rng(size * 10 + order)
    chain = MarkovChain.from_transitions(rng.dirichlet(np.full(size, 0.7), size**order), order=order)
    coder = build(f"ctw:depth={order}", np.full(size, 1 / size))
    for n in (1, order, 50):
        start = min(order, n)
        rest = coder.expected_bits_bound(chain, n) - (n - start) * chain.entropy_rate()
        assert coder._start_cost(chain, start) == pytest.approx(direct_start_cost(chain, size, start), rel=1e-12)
        assert rest > coder._start_cost(chain, start)


def test_a_chain_that_rules_out_a_symbol_after_the_zeros_has_no_bound():
    chain = MarkovChain.from_transitions([[0.5, 0.5, 0.0], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
    coder = build("ctw:depth=1", np.full(3, 1 / 3))
    assert coder.expected_bits_bound(chain, 10) is None
    assert coder._start_cost(chain, 1) == direct_start_cost(chain, 3, 1) == math.inf


def test_the_start_of_a_message_is_costed_once_per_source_at_every_length_converge_takes(monkeypatch):
    """A binary chain of order 17, the highest a scenario writes out: its bound at 400 lengths, each cut
    into messages, works out the cost of a message's first j symbols once per j <= 17, not once per
    message (it took a second a call)."""
    from codesim.coders import ctw

    rows = np.random.default_rng(0).dirichlet(np.ones(2), 2**17)
    chain = MarkovChain.from_transitions(rows, order=17)
    coder = build("ctw:depth=17", [0.5, 0.5])
    calls = []
    monkeypatch.setattr(ctw, "transition_rows", lambda *a, _f=ctw.transition_rows: calls.append(a) or _f(*a))
    bounds = [bound_bits(coder, chain, n, 7 * n // 10 + 1) for n in range(20, 8020, 20)]
    assert 1 <= len(calls) <= 17
    assert all(b is not None and b > 0 for b in bounds)
