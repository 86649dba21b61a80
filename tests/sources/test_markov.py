"""Markov chains: closed forms of their rates, stationary distributions against power iteration,
sampling across blocks, estimates against brute-force counting, and what a scenario may not say."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution, jit
from codesim.errors import CodesimError, DistributionError, ScenarioError
from codesim.measures import kl_divergence
from codesim.scenario import parse
from codesim.sources import markov
from codesim.sources.markov import (MarkovChain, context_counts, cross_entropy_rate, estimate_chain, expected_cost,
                                    kl_rate, memory_bits, mixture, transition_rows)

probability = st.floats(0.01, 0.99)


def h2(a: float) -> float:
    return -a * math.log2(a) - (1 - a) * math.log2(1 - a)


def two_state(a: float, b: float) -> MarkovChain:
    """Leaves state 0 with probability a, state 1 with probability b."""
    return MarkovChain.from_transitions([[1 - a, a], [b, 1 - b]], ["0", "1"])


def random_chain(rng, size: int, order: int, concentration: float = 1.0) -> MarkovChain:
    return MarkovChain.from_transitions(rng.dirichlet(np.full(size, concentration), size=size ** order), order=order)


def dense_matrix(chain: MarkovChain) -> np.ndarray:
    """The chain over its K^k contexts as a K^k x K^k matrix, built here from the rows."""
    size, k = len(chain.alphabet), chain.order
    full = size ** k
    P = np.zeros((full, full))
    for c in range(full):
        for x in range(size):
            P[c, (c * size + x) % full] += chain.rows[c, x]
    return P


@given(a=probability, b=probability)
@settings(max_examples=60, deadline=None)
def test_two_state_chain_rates_match_their_closed_forms(a, b):
    chain = two_state(a, b)
    pi = np.array([b, a]) / (a + b)
    assert chain.marginal().probs == pytest.approx(pi, abs=1e-12)
    assert chain.entropy_rate() == pytest.approx((b * h2(a) + a * h2(b)) / (a + b), abs=1e-12)
    assert memory_bits(chain) == pytest.approx(h2(a / (a + b)) - (b * h2(a) + a * h2(b)) / (a + b), abs=1e-12)


@given(a=probability, b=probability, c=probability, d=probability)
@settings(max_examples=60, deadline=None)
def test_kl_rate_of_two_state_chains_is_the_stationary_mixture_of_row_divergences(a, b, c, d):
    p, q = two_state(a, b), two_state(c, d)
    pi0, pi1 = b / (a + b), a / (a + b)
    expected = pi0 * kl_divergence([1 - a, a], [1 - c, c]) + pi1 * kl_divergence([b, 1 - b], [d, 1 - d])
    assert kl_rate(p, q) == pytest.approx(expected, abs=1e-12)
    assert cross_entropy_rate(p, q) == pytest.approx(p.entropy_rate() + expected, abs=1e-12)
    assert kl_rate(p, p) == 0.0
    # the KL rate is not symmetric
    assert kl_rate(q, p) == pytest.approx(d / (c + d) * kl_divergence([1 - c, c], [1 - a, a])
                                          + c / (c + d) * kl_divergence([d, 1 - d], [b, 1 - b]), abs=1e-12)


@given(a=probability, b=probability, q0=probability)
@settings(max_examples=60, deadline=None)
def test_an_iid_model_pays_the_memory_plus_the_marginal_divergence(a, b, q0):
    chain = two_state(a, b)
    q = Distribution.from_probs([q0, 1 - q0], chain.alphabet)
    marginal = chain.marginal()
    assert kl_rate(chain, q) == pytest.approx(memory_bits(chain) + kl_divergence(marginal, q), abs=1e-12)
    assert cross_entropy_rate(chain, q) == pytest.approx(-(marginal.probs * np.log2(q.probs)).sum(), abs=1e-12)


@given(eps=st.floats(0.001, 0.5))
@settings(max_examples=30, deadline=None)
def test_an_order2_parity_chain_has_the_entropy_rate_of_its_noise(eps):
    """x_n = x_(n-1) XOR x_(n-2), flipped with probability eps: every context's next symbol has the
    binary entropy h(eps), so the rate is h(eps) whatever the stationary distribution."""
    rows = [[1 - eps, eps] if (c >> 1) ^ (c & 1) == 0 else [eps, 1 - eps] for c in range(4)]
    chain = MarkovChain.from_transitions(rows, order=2)
    assert chain.entropy_rate() == pytest.approx(h2(eps), abs=1e-12)
    assert chain.marginal().probs == pytest.approx([0.5, 0.5], abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 5), order=st.integers(1, 3))
@settings(max_examples=40, deadline=None)
def test_stationary_distribution_agrees_with_power_iteration(seed, size, order):
    chain = random_chain(np.random.default_rng(seed), size, order)
    P = dense_matrix(chain)
    pi = np.full(len(P), 1.0 / len(P))
    for _ in range(20000):
        nxt = 0.5 * (pi + pi @ P)
        if np.abs(nxt - pi).sum() < 1e-15:
            break
        pi = nxt
    assert chain.stationary == pytest.approx(pi, abs=1e-9)
    assert chain.stationary @ P == pytest.approx(chain.stationary, abs=1e-12)



def test_kl_rate_with_a_subnormal_transition_probability_is_finite_and_exact():
    """q's row puts 5e-324 on a symbol p's row gives 1/2: p/q overflows a double, yet D(P||Q) is
    finite, pi(0) (1/2 log2(1/2 / 5e-324) + 1/2 log2(1/2 / (1 - 5e-324))), as log p - log q gives."""
    p = MarkovChain.from_transitions([[0.5, 0.5], [0.5, 0.5]], ["0", "1"])
    q = MarkovChain.from_transitions([[1.0 - 5e-324, 5e-324], [0.5, 0.5]], ["0", "1"])
    expected = 0.5 * (0.5 * (math.log2(0.5) - math.log2(5e-324)) + 0.5 * math.log2(0.5))
    assert kl_rate(p, q) == pytest.approx(expected, rel=1e-12) and math.isfinite(expected)

def test_a_chain_past_the_dense_solve_is_solved_by_power_iteration():
    chain = random_chain(np.random.default_rng(3), 3, 7)  # 2187 contexts, past MAX_DENSE_STATES
    pi = chain.stationary
    assert pi @ dense_matrix(chain) == pytest.approx(pi, abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 4), order=st.integers(1, 3), k=st.integers(1, 4))
@settings(max_examples=40, deadline=None)
def test_block_probabilities_are_the_stationary_k_block_distribution(seed, size, order, k):
    chain = random_chain(np.random.default_rng(seed), size, order)
    full = size ** order
    pi = chain.stationary
    expected = np.zeros(size ** k)
    for t in itertools.product(range(size), repeat=k + order):  # a stationary start, then k symbols
        ctx = sum(d * size ** (order - 1 - j) for j, d in enumerate(t[:order]))
        prob = pi[ctx]
        for x in t[order:]:
            prob *= chain.rows[ctx, x]
            ctx = (ctx * size + x) % full
        expected[sum(d * size ** (k - 1 - j) for j, d in enumerate(t[order:]))] += prob
    assert chain.block_probs(k) == pytest.approx(expected, abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), length=st.integers(0, 3000), block=st.integers(1, 500))
@settings(max_examples=40, deadline=None)
def test_a_chain_stream_does_not_depend_on_the_block_size(seed, length, block):
    chain = random_chain(np.random.default_rng(seed % 1000), 3, 2)
    whole = chain.sample(length, seed)
    assert whole.size == length
    assert np.array_equal(np.concatenate([np.zeros(0, whole.dtype), *chain.blocks(length, seed, block)]), whole)


def test_sampling_follows_the_transitions_and_never_draws_the_impossible():
    chain = MarkovChain.from_transitions([[0.0, 0.9, 0.1], [0.5, 0.0, 0.5], [0.25, 0.75, 0.0]])
    x = chain.sample(600_000, 11).astype(np.int64)
    assert not np.any(x[1:] == x[:-1])  # the diagonal is zero
    pairs = np.bincount(x[:-1] * 3 + x[1:], minlength=9).reshape(3, 3)
    freq = pairs / pairs.sum(axis=1, keepdims=True)
    assert freq == pytest.approx(chain.rows, abs=5e-3)
    assert np.bincount(x, minlength=3) / x.size == pytest.approx(chain.marginal().probs, abs=5e-3)


def test_the_initial_tuple_is_drawn_from_initial():
    chain = MarkovChain.from_transitions([[0.5, 0.5]] * 4, order=2, initial=[0, 0, 0, 1])
    for seed in range(20):
        assert chain.sample(5, seed)[:2].tolist() == [1, 1]
    assert chain.sample(1, 0).tolist() == [1]


@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3), cut=st.integers(1, 50))
@settings(max_examples=40, deadline=None)
def test_context_counts_across_blocks_equal_a_brute_force_count(seed, order, cut):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=int(rng.integers(0, 120)))
    keys, counts = context_counts([x[lo : lo + cut] for lo in range(0, x.size, cut)], 3, order)
    full = 3 ** order
    offsets = [sum(3 ** i for i in range(j)) for j in range(order + 1)]
    brute: dict[int, int] = {}
    for i in range(x.size):
        for j in range(order + 1):
            if i >= j:
                value = 0
                for d in x[i - j : i]:
                    value = value * 3 + int(d)
                cid = value if j == order else full + offsets[j] + value
                brute[cid * 3 + int(x[i])] = brute.get(cid * 3 + int(x[i]), 0) + 1
    assert dict(zip(keys.tolist(), counts.tolist())) == brute


def test_an_estimate_approaches_the_chain_and_backs_off_for_unseen_contexts():
    rng = np.random.default_rng(5)
    chain = random_chain(rng, 4, 2, concentration=2.0)
    m = 400_000
    q = estimate_chain(chain.blocks(m, 9, 100_000), chain.alphabet, 2, 0.5)
    contexts, rows = q.context_table()
    assert contexts.fallback and len(q.contexts.ids) == 16
    # the expected divergence of a KT estimate: about (contexts x (K-1)) / (2 m ln 2) bits
    assert kl_rate(chain, q) < 5 * 16 * 3 / (2 * m * math.log(2))
    sparse = estimate_chain([np.array([0, 1, 0, 1, 0, 1])], range(3), 2, 1.0)
    assert sparse.contexts.ids.tolist() == [1, 3]  # "0 1" and "1 0" only
    unseen = sparse.probabilities(np.array([2, 2]))
    assert unseen == pytest.approx(np.array([3 + 1, 3 + 1, 0 + 1]) / 9)  # the order-0 counts, smoothed


def test_expected_cost_equals_a_brute_force_expectation():
    rng = np.random.default_rng(8)
    p = random_chain(rng, 3, 1)
    q = random_chain(rng, 3, 2)
    contexts, rows = q.context_table()
    full = contexts.rows_of_ids(np.arange(9))
    brute = 0.0
    for a, b, x in itertools.product(range(3), repeat=3):
        prob = p.stationary[a] * p.rows[a, b] * p.rows[b, x]
        brute += prob * -math.log2(rows[full[a * 3 + b], x])
    assert cross_entropy_rate(p, q) == pytest.approx(brute, abs=1e-12)
    with np.errstate(divide="ignore"):
        assert expected_cost(p, contexts, -np.log2(rows)) == pytest.approx(brute, abs=1e-12)


def test_mixing_transition_rows_is_exact_at_both_ends_and_convex_between():
    rng = np.random.default_rng(2)
    p, q = random_chain(rng, 3, 1), random_chain(rng, 3, 2)
    assert mixture(q, p, 0.0) is q and mixture(q, p, 1.0) is p
    half = mixture(q, p, 0.5)
    assert half.order == 2
    assert half.rows == pytest.approx(0.5 * transition_rows(q, 2) + 0.5 * transition_rows(p, 2))
    kl = [kl_rate(p, mixture(q, p, t)) for t in np.linspace(0, 1, 6)]
    assert all(b <= a + 1e-12 for a, b in zip(kl, kl[1:])) and kl[-1] == 0.0
    iid = Distribution.uniform(3)
    assert mixture(iid, p, 0.5).rows == pytest.approx(0.5 * transition_rows(iid, 1) + 0.5 * p.rows)


# -- what a scenario may not say -------------------------------------------------------------------
def scenario(source: str, models: str = "[models.u]\nuniform = true") -> dict:
    import tomllib

    return tomllib.loads(f'alphabet = ["a", "b"]\n[source]\n{source}\n{models}\n')


@pytest.mark.parametrize("source, message", [
    ("markov = { transitions = [[0.8, 0.2], [0.3, 0.8]] }",
     r"\[source.markov\] transitions row 2 \(context 'b'\) sums to 1.1"),
    ("markov = { transitions = [[0.8, 0.2]] }", r"transitions has 1 rows, but order 1 over 2 symbols needs 2\^1 = 2"),
    ("markov = { transitions = [[0.8, 0.2], [0.3, -0.7]] }", r"row 2 \(context 'b'\) entry 2 is negative"),
    ("markov = { transitions = [[0.8, 0.2], [0.3, 0.7, 0]] }", r"row 2 \(context 'b'\) has 3 entries"),
    ("markov = { transitions = [[1, 0], [0, 1]] }", r"2 closed classes of contexts that do not communicate \(\{'a'\}; \{'b'\}\)"),
    ("markov = { transitions = [[1, 0], [0.5, 0.5]] }", r"context\(s\) 'b' are transient"),
    ("markov = { transitions = [[0.5, 0.5], [0.5, 0.5]], initial = [1] }", r"initial has 1 entries"),
    ("markov = { transitions = [[0.5, 0.5]], order = 0, initial = [1] }", r"initial: an order-0 chain"),
    ("markov = { transitions = [[0.5, 0.5]], order = 40 }", r"order: 40 is over the limit of 32$"),
    ("markov = { transitions = [[0.5, 0.5]], order = 1e300 }", r"order: 1e\+300 is over the limit of 32$"),
    ("markov = { transitions = [[0.5, 0.5]], order = 30 }", r"2\^30 contexts x 2 symbols = 2147483648 transition probabilities, over the limit of 262144"),
    ("markov = { transition = [[0.5, 0.5]] }", r"missing key 'transitions'"),
    ("markov = { transitions = [[1e308, 1e308], [0.5, 0.5]] }", r"row 1 \(context 'a'\) sums to more than the largest"),
    ("markov = { transitions = [[0.5, 0.5], [0.5, 0.5]], initial = [1e308, 1e308] }", r"initial sums to more than"),
    ("markov = { transitions = [[nan, 1], [0.5, 0.5]] }", r"row 1 \(context 'a'\) entry 1 is NaN"),
    ("markov = { transitions = [[inf, 1], [0.5, 0.5]] }", r"row 1 \(context 'a'\) entry 1 is infinite"),
    ("markov = { transitions = [['a', 1], [0.5, 0.5]] }", r"row 1 \(context 'a'\) entry 1 is the string 'a': expected a number"),
    ("markov = { transitions = [0.5, 0.5] }", r"row 1 \(context 'a'\) is not a list of probabilities"),
    ("markov = { transitions = [[0.5, 0.5], [0.5, 0.5]], order = 1.5 }", r"order: expected a whole number"),
])
def test_a_bad_chain_is_refused_naming_the_key_and_row(source, message):
    with pytest.raises(ScenarioError, match=message):
        parse(scenario(source), "s.toml")


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 4), order=st.integers(1, 2),
       written=st.sampled_from(["float", "int", "array", "negzero"]))
@settings(max_examples=25, deadline=None)
def test_rows_checked_all_at_once_equal_rows_checked_one_by_one(seed, size, order, written):
    """A table at the limit is checked as one matrix: the rows, -0.0 and integers among them, and
    sums off by up to the tolerance, come out as the row-by-row checks give them."""
    rng = np.random.default_rng(seed)
    rows = rng.dirichlet(np.ones(size), size=size ** order) * (1 + rng.uniform(-1e-7, 1e-7, (size ** order, 1)))
    rows[0] = 0.0
    rows[0, 0] = 1
    table = {"float": rows.tolist(), "array": rows, "int": [[int(v) if v == 1 else v for v in r] for r in rows.tolist()],
             "negzero": [[-0.0 if v == 0 else v for v in r] for r in rows.tolist()]}[written]
    fast = markov._probability_rows(table, size, order, tuple(range(size)))
    assert markov._plain_rows(table, size) is not None  # tuples below take the checks row by row
    slow = markov._probability_rows([tuple(r) for r in np.asarray(table, dtype=object)], size, order,
                                    tuple(range(size)))
    assert np.array_equal(fast, slow) and not np.signbit(fast).any()


@pytest.mark.parametrize("row", [[1e308, 1e308], [True, 0], [1, 10**400], [0.5, -0.0, 0.5]])
def test_rows_the_matrix_check_cannot_take_go_to_the_named_checks(row):
    with pytest.raises(DistributionError, match="row 2 \\(context 'b'\\)"):
        markov._probability_rows([[0.5, 0.5], row], 2, 1, ("a", "b"))


def test_a_reducible_chain_may_start_where_initial_says():
    sc = parse(scenario("markov = { transitions = [[1, 0], [0.5, 0.5]], initial = [0, 1] }"), "s.toml")
    assert sc.source.entropy_rate() == 0.0 and sc.source.sample(3, 1)[0] == 1


def test_an_order0_chain_is_the_iid_distribution():
    sc = parse(scenario("markov = { transitions = [[0.25, 0.75]], order = 0 }"), "s.toml")
    assert sc.source == Distribution.from_probs([0.25, 0.75], ["a", "b"])


def test_a_chain_too_large_for_its_table_limit_is_refused_before_reading_its_rows():
    with pytest.raises(CodesimError, match="over the limit of 262144"):
        MarkovChain.from_transitions([[0.5, 0.5]], order=22)
    with pytest.raises(DistributionError, match="order must be a whole number >= 1"):
        MarkovChain.from_transitions([[0.5, 0.5]], order=0)


@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 5), order=st.integers(1, 3), length=st.integers(0, 300))
@settings(max_examples=25, deadline=None)
def test_compiled_and_interpreted_sampling_draw_the_same_stream(seed, size, order, length):
    chain = random_chain(np.random.default_rng(seed % 997), size, order)
    compiled = chain.sample(length, seed)
    with jit.interpreted():
        assert np.array_equal(MarkovChain.from_transitions(chain.rows, order=order).sample(length, seed), compiled)


def test_all_models_together_hold_at_most_the_scenario_limit_of_probabilities(monkeypatch):
    import codesim.scenario as scenario_module

    monkeypatch.setattr(scenario_module, "MAX_MODEL_VALUES", 10)
    chain = "markov = { transitions = [[0.5, 0.5], [0.5, 0.5]] }"
    with pytest.raises(ScenarioError, match=r"\[models.second\] the models up to this one hold 12 probabilities"):
        parse(scenario("probs = [0.5, 0.5]", f"[models.first]\n{chain}\n[models.second]\n{chain}"), "s.toml")


def test_an_estimate_counts_in_pieces_whatever_its_order(monkeypatch):
    import codesim.sources.markov as markov

    x = np.random.default_rng(1).integers(0, 3, size=500)
    whole = context_counts([x], 3, 3)
    monkeypatch.setattr(markov, "COUNT_KEYS", 9)  # pieces of 2 positions
    pieces = context_counts([x], 3, 3)
    assert np.array_equal(whole[0], pieces[0]) and np.array_equal(whole[1], pieces[1])


def test_contexts_no_history_enters_are_not_stored_and_never_occur():
    """Over 0, 1, 2 with order 2, a 2 never follows a 0: the contexts '0 2' is never entered, and its
    row (whatever it says) is not kept; the chain is irreducible on the contexts that occur."""
    rng = np.random.default_rng(4)
    rows = rng.dirichlet(np.ones(3), size=9)
    rows[[0, 3, 6], 2] = 0.0  # contexts ending in 0: no 2 next
    rows[[0, 3, 6]] /= rows[[0, 3, 6]].sum(axis=1, keepdims=True)
    rows[2] = [1.0, 0.0, 0.0]  # context '0 2' never occurs, so its row is never used
    chain = MarkovChain.from_transitions(rows, order=2)
    assert 2 not in chain.contexts.ids.tolist() and len(chain.contexts.ids) == 8
    x = chain.sample(50_000, 3).astype(np.int64)
    assert not np.any((x[:-1] == 0) & (x[1:] == 2))
    P = dense_matrix(MarkovChain.from_transitions(rows, order=2, initial=np.full(9, 1 / 9)))
    pi = np.full(9, 1 / 9)
    for _ in range(5000):
        pi = pi @ P
    stored = chain.contexts.ids
    assert chain.stationary == pytest.approx(pi[stored], abs=1e-9) and pi[2] < 1e-12
    # a code built from it, and a mixture with an i.i.d. model, still cover every context that occurs
    assert mixture(Distribution.uniform(3), chain, 0.5).rows.sum(axis=1) == pytest.approx(np.ones(9))


@pytest.mark.parametrize("source_order, model_order", [(0, 2), (1, 3), (0, 1)])
def test_an_estimates_rates_come_from_its_stored_contexts_and_its_fallback(source_order, model_order):
    """Against a brute-force sum over every context of the model's order: each context's stationary
    probability by the chain rule, and the estimate's row for it (the fallback for those it never saw)."""
    rng = np.random.default_rng(source_order * 10 + model_order)
    p = (Distribution.from_probs(rng.dirichlet(np.ones(3))) if source_order == 0
         else random_chain(rng, 3, source_order))
    q = estimate_chain([p.sample(3 * model_order, 5)], range(3), model_order, 0.5)  # too short to see all
    assert len(q.contexts.ids) < 3 ** model_order
    marginal = p.marginal().probs

    def conditional(context):
        return marginal if source_order == 0 else p.probabilities(np.array(context))

    brute = kl = 0.0
    for context in itertools.product(range(3), repeat=model_order):
        prob = marginal[context[0]] if source_order == 0 else p.stationary[context[0]]
        for j in range(1, model_order):
            prob *= conditional(context[:j])[context[j]]
        nxt, model = conditional(context), q.probabilities(np.array(context))
        brute += prob * -(nxt * np.log2(model)).sum()
        kl += prob * (nxt * np.log2(nxt / model)).sum()
    assert cross_entropy_rate(p, q) == pytest.approx(brute, abs=1e-12)
    assert kl_rate(p, q) == pytest.approx(kl, abs=1e-12)


def test_an_order2_estimate_over_a_large_alphabet_is_measured_without_listing_every_context():
    p = Distribution.uniform(2100)
    q = estimate_chain([p.sample(600, 1)], p.alphabet, 2, 0.5)
    assert 2100 ** 2 > 4 * (1 << 20)  # more contexts than any table holds
    assert cross_entropy_rate(p, q) > math.log2(2100) and math.isfinite(kl_rate(p, q))
