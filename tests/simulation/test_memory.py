"""Simulations on sources with memory: an i.i.d. model pays the memory plus its marginal divergence in
coded bits, the sample log-likelihood ratio tends to the KL divergence rate, and an i.i.d. source
measures exactly as before."""

import dataclasses

import numpy as np
import pytest

from codesim import Distribution, simulate_many
from codesim.measures import entropy, kl_divergence
from codesim.scenario import parse
from codesim.simulation.experiments import converge, sweep
from codesim.sources.markov import MarkovChain, kl_rate, memory_bits

WEATHER = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])


def test_an_iid_model_on_a_chain_pays_memory_plus_marginal_divergence_in_coded_bits():
    q = Distribution.from_probs([0.5, 0.5], WEATHER.alphabet)
    [m] = simulate_many(WEATHER, {"q": q}, ["arithmetic"], length=400_000, trials=4, seed=7)
    memory = memory_bits(WEATHER)
    expected = memory + kl_divergence(WEATHER.marginal(), q)
    assert m.entropy_bits == WEATHER.entropy_rate()
    assert m.memory_bits == pytest.approx(memory, abs=1e-15) and memory > 0.18
    assert m.marginal_entropy_bits == entropy(WEATHER.marginal())
    assert m.kl_bits == pytest.approx(expected, abs=1e-12)
    # q is uniform: -log2 q is 1 bit a symbol, so the arithmetic coder spends 1 bit plus its termination
    assert m.bits_per_symbol == pytest.approx(1.0, abs=1e-4)
    assert m.excess_bits_per_symbol == pytest.approx(expected, abs=1e-4)
    assert m.sample_kl_bits == pytest.approx(expected, abs=0.01)


def test_an_iid_model_measures_its_sample_kl_along_the_chain():
    q = Distribution.from_probs([0.7, 0.3], WEATHER.alphabet)
    [m] = simulate_many(WEATHER, {"q": q}, ["huffman"], length=200_000, trials=3, seed=1, block=30_000)
    assert m.sample_kl_bits == pytest.approx(kl_rate(WEATHER, q), abs=0.01)
    assert m.ideal_bits_per_symbol == pytest.approx(m.cross_entropy_bits, abs=0.01)


def test_an_order0_chain_scenario_measures_exactly_as_its_probs_scenario():
    base = {"alphabet": ["a", "b", "c"], "models": {"q": {"probs": [0.2, 0.3, 0.5]}},
            "run": {"length": 5000, "trials": 3, "seed": 4}}
    as_probs = parse({**base, "source": {"probs": [0.5, 0.25, 0.25]}})
    as_chain = parse({**base, "source": {"markov": {"transitions": [[0.5, 0.25, 0.25]], "order": 0}}})
    schemes = ["huffman", "arithmetic", "rans", "adaptive-arithmetic"]
    runs = [simulate_many(sc.source, sc.models, schemes, length=5000, trials=3, seed=4) for sc in (as_probs, as_chain)]
    strip = lambda m: dataclasses.replace(m, encode_seconds=0.0, decode_seconds=0.0)  # noqa: E731
    assert [strip(m) for m in runs[0]] == [strip(m) for m in runs[1]]
    assert runs[0][0].memory_bits == 0.0 and runs[0][0].marginal_entropy_bits == runs[0][0].entropy_bits


def test_a_learner_on_a_chain_is_measured_against_the_entropy_rate():
    [m] = simulate_many(WEATHER, {}, ["adaptive-arithmetic"], length=100_000, trials=2, seed=3)
    assert m.model is None and m.kl_bits is None and m.entropy_bits == WEATHER.entropy_rate()
    # an order-0 learner cannot see the memory: it ends near the marginal entropy
    assert m.bits_per_symbol == pytest.approx(entropy(WEATHER.marginal()), abs=0.01)


def test_convergence_on_a_chain_follows_the_rates():
    sc = parse({"alphabet": ["calm", "storm"], "source": {"markov": {"transitions": [[0.8, 0.2], [0.3, 0.7]]}},
                "models": {"iid": {"probs": [0.6, 0.4]}}, "run": {"seed": 2}})
    points = converge(sc, schemes=["arithmetic"], lengths=[1000, 100_000], trials=3, seed=2)
    last = points[-1]
    assert last.entropy_bits == WEATHER.entropy_rate() and last.kl_bits == pytest.approx(memory_bits(WEATHER))
    assert last.llr_bits == pytest.approx(last.kl_bits, abs=0.01)
    assert last.bits_per_symbol == pytest.approx(last.cross_entropy_bits, abs=0.01)


def test_a_chain_model_pays_its_kl_divergence_rate_in_coded_bits():
    misread = MarkovChain.from_transitions([[0.9, 0.1], [0.5, 0.5]], WEATHER.alphabet)
    models = {"chain": WEATHER, "misread": misread}
    chain, wrong = simulate_many(WEATHER, models, ["arithmetic"], length=300_000, trials=4, seed=11)
    assert chain.kl_bits == 0.0 and wrong.kl_bits == pytest.approx(kl_rate(WEATHER, misread), abs=1e-15)
    for m in (chain, wrong):
        # a range coder spends the message's ideal length plus at most 2 bits and its quantisation
        assert 0 <= m.bits_per_symbol - m.ideal_bits_per_symbol < 1e-4
        assert m.excess_bits_per_symbol == pytest.approx(m.kl_bits, abs=0.006)
        assert m.sample_kl_bits == pytest.approx(m.kl_bits, abs=0.006)
        assert m.expected_bits_per_symbol == pytest.approx(m.cross_entropy_bits, abs=1e-6)


def test_a_sweep_mixes_transition_rows_and_the_coded_bits_follow_the_kl_rate():
    sc = parse({"alphabet": ["calm", "storm"], "source": {"markov": {"transitions": [[0.8, 0.2], [0.3, 0.7]]}},
                "models": {"iid": {"probs": [0.5, 0.5]}}, "run": {"seed": 2}})
    points = sweep(sc, mix=[0.0, 0.5, 1.0], schemes=["arithmetic"], length=200_000, trials=2, seed=2)
    kl = [p.kl_bits for p in points]
    assert kl[0] == pytest.approx(memory_bits(WEATHER) + kl_divergence(WEATHER.marginal(), [0.5, 0.5]))
    assert kl[0] > kl[1] > kl[2] == 0.0
    for p in points:
        assert p.excess_bits_per_symbol == pytest.approx(p.kl_bits, abs=0.006)
        assert p.memory_bits == pytest.approx(memory_bits(WEATHER))


def test_the_code_budget_counts_context_tables_and_a_learner_once():
    from codesim.coders import SchemeSpec
    from codesim.simulation.simulate import MAX_CODE_ENTRIES, CONTEXT_ENTRY_WEIGHT, check_codes
    from codesim.errors import CodesimError

    big = MarkovChain.from_transitions(np.full((4096, 64), 1 / 64), order=2)  # 4097 + 65 rows x 64
    rows = big.context_table()[0].rows
    fits = MAX_CODE_ENTRIES // (rows * 64 // CONTEXT_ENTRY_WEIGHT)
    check_codes([SchemeSpec.parse("huffman")], 64, [big] * fits)
    with pytest.raises(CodesimError, match="over the limit of 2097152"):
        check_codes([SchemeSpec.parse("huffman")], 64, [big] * (fits + 1))
    check_codes([SchemeSpec.parse("adaptive-arithmetic")], 64, [big] * 1000)  # built once, not per model
