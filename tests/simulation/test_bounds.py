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
