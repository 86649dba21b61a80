"""The source and model protocols: what every source and model kind gives, and a source with memory
whose stream continues from block to block through a simulation."""

from dataclasses import dataclass, replace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution, build, simulate_many
from codesim.coders.context import Contexts
from codesim.coders.registry import get, register as register_scheme, unregister as unregister_scheme
from codesim.errors import SchemeError
from codesim.measures import cross_entropy, entropy, kl_divergence
from codesim.sources.base import Kind, Model, Source, kinds, order0_probs, register, unregister, whole_stream
from codesim.sources.files import Message
from codesim.simulation.simulate import trial_seeds, trial_streams

from ..conftest import NASA_P


@dataclass(frozen=True)
class Chain:
    """A source with memory: a walk on 0, 1, 2 that stays with probability ``stay`` and otherwise steps
    to the next state (mod 3), from a first state drawn at random. Its marginal is uniform; its entropy
    rate the binary entropy of ``stay``, below log2 3."""

    stay: float = 0.8
    alphabet: tuple = ("x", "y", "z")

    def blocks(self, length, seed, block):
        rng = np.random.default_rng(seed)
        state = int(rng.integers(3))
        for lo in range(0, length, block):
            moves = rng.random(min(block, length - lo)) >= self.stay
            out = (state + np.cumsum(moves)) % 3
            state = int(out[-1])
            yield out.astype(np.uint8)

    def entropy_rate(self):
        return entropy([self.stay, 1 - self.stay])

    def marginal(self):
        return Distribution.uniform(self.alphabet)


@dataclass(frozen=True)
class Remembering:
    """A model of order 1 (for the protocol's check only)."""

    alphabet: tuple = ("x", "y", "z")
    order: int = 1

    def probabilities(self, context):
        return np.full(3, 1 / 3)

    def order0_probs(self):
        return np.full(3, 1 / 3)

    def context_table(self):
        contexts = Contexts(3, 1, np.arange(4), False)  # x, y, z and the empty context
        return contexts, np.full((4, 3), 1 / 3)


def test_a_distribution_is_an_iid_source_and_an_order0_model():
    p = Distribution.from_probs(NASA_P)
    assert isinstance(p, Source) and isinstance(p, Model)
    assert p.order == 0 and p.marginal() is p
    assert p.entropy_rate() == entropy(p)
    assert np.array_equal(p.probabilities(np.array([3, 1], dtype=np.uint8)), p.probs)
    assert np.array_equal(order0_probs(p), p.probs)
    assert order0_probs([0.5, 0.5]).dtype == np.float64
    assert isinstance(Chain(), Source) and not isinstance(Chain(), Model)


def test_a_message_is_a_source_of_its_own_symbols():
    symbols = np.array([2, 0, 2, 2, 1], dtype=np.uint8)
    m = Message(("a", "b", "c"), symbols)
    assert isinstance(m, Source)
    assert [b.tolist() for b in m.blocks(5, None, 2)] == [[2, 0], [2, 2], [1]]
    assert np.array_equal(whole_stream(m, 4, None), symbols[:4])
    assert m.marginal().probs.tolist() == [0.2, 0.2, 0.6]
    assert m.entropy_rate() == entropy([0.2, 0.2, 0.6])


@given(length=st.integers(1, 3000), block=st.integers(1, 400), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_a_chain_continues_from_block_to_block(length, block, seed):
    child = trial_seeds(seed, 1)[0]
    joined = np.concatenate(list(Chain().blocks(length, child, block)))
    assert np.array_equal(joined, whole_stream(Chain(), length, child))
    moves = np.diff(joined.astype(int)) % 3
    assert set(moves.tolist()) <= {0, 1}  # a state never skips one: no block starts afresh


@pytest.mark.parametrize("block", [1, 7, 999, 4000])
def test_a_simulation_draws_a_stateful_source_as_one_stream_whatever_the_block(block):
    """Prefix codes' messages concatenate, so a stream that continues across blocks costs the bits of
    the whole stream; a source drawn afresh in each block would not (it restarts at a random state)."""
    q = Distribution.from_probs([0.5, 0.25, 0.25], ("x", "y", "z"))
    [m] = simulate_many(Chain(), {"q": q}, ["huffman"], length=4000, trials=2, seed=5, block=block)
    code = build("huffman", q)
    assert list(m.bits) == [len(code.encode(s)) for s in trial_streams(Chain(), 4000, 2, 5)]
    assert m.entropy_bits == Chain().entropy_rate() < entropy(Chain().marginal())
    memory = entropy(Chain().marginal()) - Chain().entropy_rate()
    assert m.memory_bits == pytest.approx(memory, abs=1e-15) and memory > 0.5
    assert m.kl_bits == pytest.approx(kl_divergence(Chain().marginal(), q) + memory, abs=1e-15)
    assert m.cross_entropy_bits == cross_entropy(Chain().marginal(), q)


def test_a_scheme_without_a_context_code_refuses_a_model_with_memory():
    plain = replace(get("huffman"), name="memoryless-huffman", context=None, context_coder=None)
    register_scheme(plain)
    try:
        with pytest.raises(SchemeError, match="model 'm': scheme 'memoryless-huffman' has no context code"):
            simulate_many(Chain(), {"m": Remembering()}, ["memoryless-huffman"], length=10, trials=1, seed=0)
    finally:
        unregister_scheme("memoryless-huffman")


def test_kinds_are_registered_once_in_the_order_scenarios_list_them():
    assert list(kinds())[:9] == ["probs", "counts", "uniform", "dirichlet", "markov", "estimate", "file", "beta",
                                 "normal"]
    with pytest.raises(ValueError, match="registered twice"):
        register(Kind("probs", lambda table, setting, name: None))
    register(Kind("spare", lambda table, setting, name: None))
    assert "spare" in kinds()
    unregister("spare")
    assert "spare" not in kinds()
