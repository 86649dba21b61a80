"""Estimated models: add-alpha smoothing by hand, repeatable training samples, and the (k-1)/(2m ln 2)
expected excess of a model estimated from m samples."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution, kl_divergence
from codesim.sources import estimate as estimate_module
from codesim.errors import CodesimError
from codesim.sources.estimate import estimate, expected_ml_excess, pseudocount, sample_counts, smoothed

from ..conftest import NASA_LEVELS, NASA_P


@pytest.mark.parametrize(
    "smoothing, expected",
    [
        # n = 4, k = 3: q(x) = (c(x) + alpha) / (4 + 3 alpha)
        ("none", [3 / 4, 1 / 4, 0.0]),
        (0, [3 / 4, 1 / 4, 0.0]),
        ("laplace", [4 / 7, 2 / 7, 1 / 7]),
        ("kt", [3.5 / 5.5, 1.5 / 5.5, 0.5 / 5.5]),   # = 7/11, 3/11, 1/11
        (0.5, [7 / 11, 3 / 11, 1 / 11]),
        (2, [5 / 10, 3 / 10, 2 / 10]),
    ],
)
def test_smoothing_counts_3_1_0_gives_the_hand_computed_probabilities(smoothing, expected):
    assert smoothed([3, 1, 0], smoothing) == pytest.approx(expected, abs=1e-15)


def test_ml_estimate_keeps_zero_counts_at_exactly_zero():
    assert smoothed(np.array([3, 1, 0]), "none")[2] == 0.0


@given(counts=st.lists(st.integers(0, 1000), min_size=1, max_size=20), alpha=st.floats(1e-6, 100))
@settings(max_examples=100, deadline=None)
def test_positive_alpha_gives_a_positive_distribution_summing_to_one(counts, alpha):
    q = smoothed(counts, alpha)
    assert np.all(q > 0)
    assert math.fsum(q) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    "smoothing, message",
    [
        (-1, "must be >= 0"),
        (float("nan"), "NaN"),
        (float("inf"), "infinite"),
        ("laplase", "did you mean 'laplace'"),
        ("KT", "unknown smoothing 'KT'"),
        ("0.5", "smoothing is the string '0.5': write the number without quotes"),
        ("nan", "smoothing is the string 'nan'"),
        (True, "neither a name"),
        ([1], "neither a name"),
    ],
)
def test_bad_smoothings_are_clear_errors(smoothing, message):
    with pytest.raises(CodesimError, match=message):
        smoothed([1, 2], smoothing)


@pytest.mark.parametrize(
    "counts, smoothing, message",
    [
        ([0, 0, 0], "none", "all counts are zero"),
        ([3, -1], "laplace", "entry 2 is negative"),
        ([3, float("nan")], "laplace", "entry 2 is NaN"),
        ([], "laplace", "empty"),
    ],
)
def test_counts_that_cannot_give_an_estimate_are_clear_errors(counts, smoothing, message):
    with pytest.raises(CodesimError, match=message):
        smoothed(counts, smoothing)


def test_all_zero_counts_with_smoothing_give_the_uniform_distribution():
    assert smoothed([0, 0, 0, 0], "kt") == pytest.approx([0.25] * 4)


def test_named_smoothings_are_their_pseudocounts():
    assert (pseudocount("none"), pseudocount("laplace"), pseudocount("kt"), pseudocount(3)) == (0, 1, 0.5, 3)


def test_estimate_is_repeatable_from_its_seed_and_keeps_the_alphabet(nasa):
    a = estimate(nasa, 500, "kt", seed=7)
    assert a == estimate(nasa, 500, "kt", seed=7)
    assert a.alphabet == tuple(NASA_LEVELS)
    assert not np.array_equal(a.probs, estimate(nasa, 500, "kt", seed=8).probs)


def test_estimate_smooths_the_counts_of_the_seeded_sample(nasa):
    counts = np.bincount(nasa.sample(300, seed=3), minlength=nasa.size)
    assert estimate(nasa, 300, "laplace", seed=3).probs == pytest.approx((counts + 1) / (300 + 8), abs=1e-15)


def test_counting_in_chunks_counts_exactly_the_one_shot_sample(nasa, monkeypatch):
    monkeypatch.setattr(estimate_module, "COUNT_CHUNK", 7)
    one_shot = np.bincount(nasa.sample(1000, seed=11), minlength=nasa.size)
    assert sample_counts(nasa, 1000, seed=11).tolist() == one_shot.tolist()


def test_with_smoothing_none_a_symbol_never_drawn_gets_probability_zero():
    p = Distribution.uniform(["a", "b", "c", "d"])
    counts = sample_counts(p, 2, seed=5)  # two draws miss at least two of the four symbols
    q = estimate(p, 2, "none", seed=5)
    missed = counts == 0
    assert missed.sum() >= 2
    assert np.all(q.probs[missed] == 0.0) and np.all(q.probs[~missed] > 0)
    assert kl_divergence(p, q) == math.inf
    assert estimate(p, 2, "laplace", seed=5).probs[missed] == pytest.approx(1 / (2 + 4))


def test_zero_samples_give_no_ml_estimate_but_a_uniform_smoothed_one(nasa):
    with pytest.raises(CodesimError, match="all counts are zero"):
        estimate(nasa, 0, "none", seed=1)
    assert estimate(nasa, 0, "laplace", seed=1).probs == pytest.approx([1 / 8] * 8)


@pytest.mark.parametrize("samples", [-1, 2.5, True, "10"])
def test_sample_sizes_must_be_whole_numbers_at_least_zero(nasa, samples):
    with pytest.raises(CodesimError, match="samples must be"):
        estimate(nasa, samples, "kt", seed=1)


def test_expected_ml_excess_is_k_minus_1_over_2m_ln2():
    assert expected_ml_excess(2, 1) == pytest.approx(1 / (2 * math.log(2)))   # 0.7213 bits
    assert expected_ml_excess(8, 2000) == pytest.approx(7 / (4000 * math.log(2)))
    assert expected_ml_excess(1, 10) == 0.0   # a certain source is estimated exactly


@pytest.mark.parametrize("k, m", [(0, 10), (2.0, 10), (3, 0), (3, -5), (3, float("nan")), (3, float("inf"))])
def test_expected_ml_excess_rejects_impossible_arguments(k, m):
    with pytest.raises(CodesimError):
        expected_ml_excess(k, m)


@pytest.mark.parametrize(
    "source, smoothing",
    [("uniform", "none"), ("nasa", "none"), ("nasa", "laplace"), ("nasa", "kt")],
)
def test_mean_excess_of_a_model_estimated_from_m_samples_is_k_minus_1_over_2m_ln2(source, smoothing):
    """E[D(p||q_hat)] over 1000 training samples of m = 2000 symbols (k = 8, so every symbol is
    expected at least 40 times and, in these seeds, always appears) is within 10% of (k-1)/(2m ln 2).

    One D(p||q_hat) has a relative spread of about sqrt(2/(k-1)) = 0.53 (2m D is close to chi-square
    with k-1 degrees of freedom), so the mean of 1000 has a standard error of about 1.7%: 10% is
    about six standard errors, and narrow enough to tell k-1 from k (k/(k-1) = 1.14)."""
    p = Distribution.uniform(8) if source == "uniform" else Distribution.from_probs(NASA_P)
    k, m, reps = 8, 2000, 1000
    excess = np.array([kl_divergence(p, estimate(p, m, smoothing, seed)) for seed in range(reps)])
    assert np.all(np.isfinite(excess))
    theory = expected_ml_excess(k, m)
    assert excess.mean() == pytest.approx(theory, rel=0.10)
    assert abs(excess.mean() - theory) < abs(excess.mean() - k / (2 * m * math.log(2)))
    assert excess.std() / math.sqrt(reps) < 0.03 * theory   # the spread the tolerance assumes
