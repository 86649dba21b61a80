"""Entropy, cross-entropy and KL divergence: textbook values and the inequalities of the theory."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from codesim import Distribution
from codesim.errors import CodesimError
from codesim.measures import cross_entropy, entropy, ideal_length, kl_divergence, log_likelihood_ratio

from .conftest import NASA_P, prob_vectors


def test_nasa_temperature_entropy_is_2_3231_bits():
    assert entropy(NASA_P) == pytest.approx(2.3231, abs=5e-5)


def test_nasa_fixed_3_bit_code_wastes_d_p_uniform_0_677_bits():
    """3 - H(p) is exactly D(p || uniform) for an alphabet of 8."""
    assert kl_divergence(NASA_P, [1 / 8] * 8) == pytest.approx(3 - entropy(NASA_P), abs=1e-12)
    assert kl_divergence(NASA_P, [1 / 8] * 8) == pytest.approx(0.677, abs=5e-4)


def test_dog_or_panda_classifier_losses_1_737_and_0_152_bits():
    assert kl_divergence([1, 0], [0.3, 0.7]) == pytest.approx(1.737, abs=5e-4)
    assert kl_divergence([1, 0], [0.9, 0.1]) == pytest.approx(0.152, abs=5e-4)
    assert cross_entropy([1, 0], [0.3, 0.7]) == pytest.approx(math.log2(1 / 0.3))


def test_zero_log_zero_is_zero_and_certainty_has_zero_entropy():
    assert entropy([1.0, 0.0]) == 0.0
    assert math.copysign(1, entropy([1.0, 0.0])) == 1  # not -0.0
    assert entropy([0.5, 0.5, 0.0]) == pytest.approx(1.0)


def test_kl_is_infinite_where_q_rules_out_what_p_emits():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)  # q > 0 where p = 0 is fine


def test_units_bits_nats_bans_differ_by_log_of_the_base():
    p = [0.2, 0.3, 0.5]
    assert entropy(p, "nats") == pytest.approx(entropy(p) * math.log(2))
    assert entropy(p, "bans") == pytest.approx(entropy(p) * math.log10(2))
    assert entropy(p, 2) == pytest.approx(entropy(p))
    with pytest.raises(CodesimError, match="unknown unit"):
        entropy(p, "shannons")
    assert entropy(p, 4) == pytest.approx(entropy(p) / 2) and entropy(p, 1.5) > entropy(p)
    for base in (1, 0.5, 0, -2, math.nan):
        with pytest.raises(CodesimError, match="log base must be a number above 1"):
            entropy(p, base)


def test_a_model_that_rules_out_what_happens_costs_infinity_without_a_numpy_warning():
    """The q = 0 check comes before the logarithm: no log(0) or division by zero is ever evaluated
    (the suite turns RuntimeWarnings into failures)."""
    from codesim.measures import ideal_length_of_counts, log_likelihood_ratio_of_counts

    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert log_likelihood_ratio_of_counts(np.array([1, 1]), [0.5, 0.5], [1.0, 0.0]) == math.inf
    assert ideal_length_of_counts(np.array([1, 1]), [1.0, 0.0]) == math.inf


def test_the_likelihood_ratio_of_one_symbol_is_its_own_log_ratio_and_of_none_is_nan():
    assert log_likelihood_ratio(np.array([1]), [0.25, 0.75], [0.5, 0.5]) == pytest.approx(math.log2(1.5))
    assert math.isnan(log_likelihood_ratio(np.array([], dtype=int), [0.25, 0.75], [0.5, 0.5]))


@given(prob_vectors(), st.data())
def test_kl_is_nonnegative_and_cross_entropy_minus_entropy(p, data):
    q = data.draw(prob_vectors(min_size=p.size, max_size=p.size, allow_zeros=False))
    d = kl_divergence(p, q)
    assert d >= 0
    assert d == pytest.approx(cross_entropy(p, q) - entropy(p), abs=1e-9)


@given(prob_vectors())
def test_kl_of_a_distribution_with_itself_is_exactly_zero(p):
    assert kl_divergence(p, p) == 0.0


@given(prob_vectors(min_size=2, allow_zeros=False), st.data())
def test_kl_is_positive_when_distributions_differ(p, data):
    q = data.draw(prob_vectors(min_size=p.size, max_size=p.size, allow_zeros=False))
    if np.abs(p - q).max() > 1e-6:
        assert kl_divergence(p, q) > 0


def test_kl_is_asymmetric():
    p, q = [0.9, 0.05, 0.05], [1 / 3, 1 / 3, 1 / 3]
    assert kl_divergence(p, q) != pytest.approx(kl_divergence(q, p), abs=1e-3)


def test_likelihood_ratio_average_converges_to_kl():
    """The mean of log2 p(x)/q(x) over a long stream from p approaches D(p||q)."""
    p = Distribution.from_probs(NASA_P)
    q = Distribution.uniform(8)
    stream = p.sample(10**6, seed=5)
    assert log_likelihood_ratio(stream, p, q) == pytest.approx(kl_divergence(p, q), abs=0.01)


def test_ideal_length_is_sum_of_minus_log2_q():
    stream = np.array([0, 1, 1, 2])
    q = [0.5, 0.25, 0.25]
    assert ideal_length(stream, q) == pytest.approx(1 + 2 + 2 + 2)
    assert ideal_length(np.array([1]), [1.0, 0.0]) == math.inf


def test_mismatched_lengths_are_an_error():
    with pytest.raises(CodesimError, match="must match"):
        kl_divergence([0.5, 0.5], [1.0])


def test_a_symbol_that_neither_p_nor_q_allows_is_ignored():
    """0 log 0 = 0 on both sides: a symbol outside both supports costs nothing, it is not an infinite loss."""
    assert cross_entropy([0.5, 0.5, 0], [0.5, 0.5, 0]) == 1.0
    assert kl_divergence([0.5, 0.5, 0], [0.5, 0.5, 0]) == 0.0
    assert cross_entropy([0.5, 0.5, 0], [0.25, 0.75, 0]) == pytest.approx(0.5 * 2 + 0.5 * math.log2(4 / 3))


def test_ideal_length_ignores_symbols_that_never_occur_even_where_q_is_zero():
    from codesim.measures import ideal_length_of_counts

    assert ideal_length_of_counts(np.array([3, 1, 0]), [0.5, 0.5, 0.0]) == 4.0
    assert ideal_length(np.array([0, 0, 0, 1]), [0.5, 0.5, 0.0]) == 4.0
    assert ideal_length_of_counts(np.array([3, 1, 1]), [0.5, 0.5, 0.0]) == math.inf


@pytest.mark.parametrize("q", [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5]])
def test_likelihood_ratio_of_a_stream_that_p_rules_out_is_an_error(q):
    """Whether or not q allows the symbol, a stream holding it was not drawn from p: no -inf, no inf."""
    from codesim.measures import log_likelihood_ratio_of_counts

    with pytest.raises(CodesimError, match="p gives probability 0"):
        log_likelihood_ratio(np.array([0, 1, 2]), [0.5, 0.5, 0.0], q)
    with pytest.raises(CodesimError, match="p gives probability 0"):
        log_likelihood_ratio_of_counts(np.array([1, 1, 1]), [0.5, 0.5, 0.0], q)
    assert log_likelihood_ratio(np.array([0, 1]), [0.5, 0.5, 0.0], q) == pytest.approx(
        0.5 * math.log2(0.5 / q[0]) + 0.5 * math.log2(0.5 / q[1]))


@pytest.mark.parametrize("p, q", [([1.0, 0.0], [5e-324, 1.0]), ([5e-324, 1.0], [1.0, 5e-324]),
                                  ([1e-300, 1.0], [1.0, 1e-300]), ([0.5, 0.5], [1e-310, 1.0])])
def test_a_subnormal_probability_is_small_not_zero_and_its_divergence_finite(p, q):
    """p/q overflows a double where q is subnormal: D(p||q) is still H(p,q) - H(p), finite, with no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = kl_divergence(p, q)
        assert math.isfinite(d) and d == pytest.approx(cross_entropy(p, q) - entropy(p), rel=1e-12)
        stream = np.array([i for i, x in enumerate(p) if x > 0])
        terms = [math.log2(p[i]) - math.log2(q[i]) for i in stream]
        assert log_likelihood_ratio(stream, p, q) == pytest.approx(sum(terms) / len(terms), rel=1e-12)


def test_a_certain_outcome_coded_by_its_own_model_costs_plus_zero():
    """0.0, not -0.0: the JSON and CSV outputs write the sign."""
    assert math.copysign(1.0, cross_entropy([1.0, 0.0], [1.0, 0.0])) == 1.0
    assert math.copysign(1.0, entropy([1.0, 0.0])) == 1.0
