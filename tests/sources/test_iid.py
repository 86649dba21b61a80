"""Distribution constructors, validation messages and sampling."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution
from codesim.sources.iid import SAMPLE_CHUNK, index_dtype
from codesim.errors import DistributionError

from ..conftest import NASA_LEVELS, NASA_P, prob_vectors


def test_sum_within_tolerance_is_renormalised_silently():
    d = Distribution.from_probs([0.33333333, 0.33333333, 0.33333333])
    assert d.probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_sum_off_by_more_than_tolerance_is_an_error_stating_the_sum():
    with pytest.raises(DistributionError, match="sum to 0.9"):
        Distribution.from_probs([0.5, 0.4])
    assert Distribution.from_probs([0.5, 0.4], normalise=True).probs[0] == pytest.approx(5 / 9)


@pytest.mark.parametrize(
    "probs, message",
    [
        ([0.5, float("nan")], "entry 2 is NaN"),
        ([0.5, float("inf")], "entry 2 is infinite"),
        ([1.5, -0.5], "entry 2 is negative"),
        ([0.0, 0.0], "no positive mass"),
        ([], "is empty"),
        ([0.5, "0.5"], "expected a number"),
        ([True, 0.0], "expected a number"),
    ],
)
def test_bad_probability_vectors_name_the_problem(probs, message):
    with pytest.raises(DistributionError, match=message):
        Distribution.from_probs(probs)


def test_alphabet_problems_are_named():
    with pytest.raises(DistributionError, match="3 entries but the alphabet has 2"):
        Distribution.from_probs([0.2, 0.3, 0.5], ["a", "b"])
    with pytest.raises(DistributionError, match="both 'a'"):
        Distribution.uniform(["a", "b", "a"])
    with pytest.raises(DistributionError, match="alphabet is empty"):
        Distribution.uniform([])


def test_labels_may_be_ints_floats_or_strings():
    assert Distribution.uniform([100, 2.5, "dog"]).alphabet == (100, 2.5, "dog")


def test_counts_give_the_empirical_distribution():
    assert Distribution.from_counts([30, 40, 5, 6, 7, 2, 5, 5]).probs == pytest.approx(NASA_P)
    with pytest.raises(DistributionError, match="no positive mass"):
        Distribution.from_counts([0, 0])


def test_dirichlet_draw_is_repeatable_from_its_seed():
    a = Distribution.dirichlet(8, 1.0, seed=7)
    assert a == Distribution.dirichlet(8, 1.0, seed=7)
    assert a != Distribution.dirichlet(8, 1.0, seed=8)
    assert a.probs.sum() == pytest.approx(1.0)
    with pytest.raises(DistributionError, match="alpha must be positive"):
        Distribution.dirichlet(3, -1.0, seed=1)


def test_probabilities_are_read_only():
    d = Distribution.uniform(3)
    with pytest.raises(ValueError):
        d.probs[0] = 1.0


def test_sample_uses_the_smallest_index_dtype():
    assert Distribution.uniform(256).sample(3, seed=1).dtype == np.uint8
    assert Distribution.uniform(257).sample(3, seed=1).dtype == np.uint16
    assert index_dtype(70000) == np.uint32


@given(prob_vectors(max_size=20), st.integers(0, 2**32 - 1))
@settings(max_examples=50)
def test_sampling_never_draws_a_symbol_of_probability_zero(p, seed):
    stream = Distribution.from_probs(p).sample(2000, seed=seed)
    assert np.all(p[stream] > 0)


def test_sample_frequencies_match_the_distribution():
    """Empirical frequencies of 10^6 draws are within 5 standard errors of p."""
    p = Distribution.from_probs(NASA_P, NASA_LEVELS)
    n = 10**6
    freq = np.bincount(p.sample(n, seed=3), minlength=8) / n
    se = np.sqrt(p.probs * (1 - p.probs) / n)
    assert np.all(np.abs(freq - p.probs) < 5 * se)


def test_sampling_in_chunks_equals_one_shot_inverse_cdf():
    """Chunked sampling draws the same uniforms, so it equals one searchsorted over all of them."""
    p = Distribution.from_probs(NASA_P)
    n = SAMPLE_CHUNK * 2 + 17
    chunked = p.sample(n, seed=9)
    u = np.random.default_rng(9).random(n)
    cdf = np.cumsum(p.probs)
    cdf[-1] = 1.0
    assert np.array_equal(chunked, np.searchsorted(cdf, u, side="right"))
