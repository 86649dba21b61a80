"""Integer sources and models: pmfs and tails against scipy and mpmath, the alphabet's end, the cap,
renormalisation over given labels, and one-line refusals of bad parameters and labels."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim.errors import DistributionError
from codesim.measures import entropy
from codesim.sources.integer import (MAX_LABEL, MAX_S, TOLERANCE, IntegerDistribution, log_hurwitz, support_end,
                                     tail)

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")

THETAS = st.floats(1e-6, 0.999)
MEANS = st.floats(1e-4, 5e4)
EXPONENTS = st.floats(3.45, 60.0)  # below about 3.4 the zeta tail at 65535 is over 1e-12: capped


def reference(family, parameter):
    """The family as scipy has it, shifted to start at 0."""
    if family == "geometric":
        return stats.geom(1.0 - parameter, loc=-1)
    if family == "poisson":
        return stats.poisson(parameter)
    return stats.zipf(parameter, loc=-1)


def reference_tail(family, parameter, n):
    """P(X > n) independently: theta^(n+1) in 40 digits (scipy's geom.sf is off by 3e-11 relative at
    theta = 1e-6), scipy's survival function, and for zeta the Hurwitz function over zeta(s)."""
    if family == "geometric":
        mpmath = pytest.importorskip("mpmath")
        with mpmath.workdps(40):
            return float(mpmath.mpf(parameter) ** (n + 1))
    if family == "zeta":
        return float(special.zeta(parameter, n + 2.0) / special.zeta(parameter))
    return float(reference(family, parameter).sf(n))


#: Relative agreement asked of scipy: its Poisson log pmf n ln(mean) - mean - ln n! cancels to about
#: 1e-16 n ln(mean) (2e-11 near a mean of 5e4); the others agree to rounding.
RTOL = {"geometric": 1e-12, "poisson": 1e-9, "zeta": 1e-11}


@pytest.mark.parametrize("family, parameter", [("geometric", 0.9), ("geometric", 0.01), ("poisson", 0.3),
                                               ("poisson", 7.5), ("poisson", 2000.0), ("zeta", 3.5),
                                               ("zeta", 12.0), ("zeta", 1.5)])
def test_pmf_is_scipys_renormalised_over_0_to_n(family, parameter):
    d = IntegerDistribution.of(family, parameter)
    n = np.arange(len(d))
    assert d.alphabet == tuple(range(len(d)))
    expected = reference(family, parameter).pmf(n)
    kept = math.fsum(expected)
    np.testing.assert_allclose(d.probs, expected / kept, rtol=RTOL[family], atol=1e-300)
    assert math.fsum(d.probs) == pytest.approx(1.0, abs=1e-15)
    assert d.truncated == pytest.approx(reference_tail(family, parameter, len(d) - 1), rel=RTOL[family])
    assert d.kept == pytest.approx(kept, rel=RTOL[family]) and d.kept + d.truncated == pytest.approx(1.0)
    assert (d.family, d.parameter) == (family, parameter)


def check_end(family, parameter):
    end = support_end(family, parameter)
    assert tail(family, parameter, end) < TOLERANCE
    # the least such N: the tail just before it is not below the tolerance (scipy agreeing within its error)
    assert reference_tail(family, parameter, end) < TOLERANCE * (1 + RTOL[family])
    if end > 0:
        assert tail(family, parameter, end - 1) >= TOLERANCE
        assert reference_tail(family, parameter, end - 1) >= TOLERANCE * (1 - RTOL[family])
    for n in {0, end // 2, end - 1, end, end + 10}:
        if n >= 0:
            assert tail(family, parameter, n) == pytest.approx(reference_tail(family, parameter, n),
                                                               rel=RTOL[family], abs=1e-300)


@settings(max_examples=60, deadline=None)
@given(THETAS)
def test_geometric_end_is_the_least_n_whose_tail_is_below_the_tolerance(theta):
    check_end("geometric", theta)


@settings(max_examples=40, deadline=None)
@given(MEANS)
def test_poisson_end_is_the_least_n_whose_tail_is_below_the_tolerance(mean):
    check_end("poisson", mean)


@settings(max_examples=40, deadline=None)
@given(EXPONENTS)
def test_zeta_end_is_the_least_n_whose_tail_is_below_the_tolerance(s):
    check_end("zeta", s)


def test_geometric_tail_is_the_closed_form_and_the_end_its_logarithm():
    assert tail("geometric", 0.9, 262) == pytest.approx(0.9**263, rel=1e-15)
    assert support_end("geometric", 0.9) == math.ceil(math.log(1e-12) / math.log(0.9)) - 1 == 262
    assert support_end("geometric", 0.5) == 39  # 2^-40 < 1e-12 <= 2^-39


def test_poisson_tails_match_mpmath_where_scipy_cancels():
    mpmath = pytest.importorskip("mpmath")
    for mean, n in [(3000.0, 3000), (3000.0, 3300), (5e4, 51000), (0.01, 0), (7.5, 3)]:
        with mpmath.workdps(40):
            exact = float(1 - mpmath.gammainc(n + 1, mean, regularized=True))  # P(X > n) = P(n + 1, mean)
        assert tail("poisson", mean, n) == pytest.approx(exact, rel=1e-13)


@pytest.mark.parametrize("s", [1.0001, 1.5, 2.0, 3.4, 7.0, 50.0, 999.0])
@pytest.mark.parametrize("a", [1.0, 2.0, 7.0, 40.0, 1000.0, 65537.0])
def test_log_hurwitz_matches_mpmath(s, a):
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(200):  # mpmath's own Hurwitz zeta needs the digits at large s and a
        exact = float(mpmath.log(mpmath.zeta(s, a)))
    assert log_hurwitz(s, a) == pytest.approx(exact, rel=1e-14, abs=1e-14)


def test_a_heavy_tail_is_capped_at_the_largest_alphabet_or_at_max():
    assert support_end("zeta", 1.5) == MAX_LABEL
    assert support_end("zeta", 3.3) == MAX_LABEL and support_end("zeta", 3.5) < MAX_LABEL
    assert support_end("zeta", 2.0, cap=100) == 100
    assert support_end("geometric", 0.5, cap=100) == 39  # a cap above the end changes nothing
    d = IntegerDistribution.zeta(1.5)
    assert len(d) == MAX_LABEL + 1
    assert d.truncated == pytest.approx(reference_tail("zeta", 1.5, MAX_LABEL), rel=1e-11)
    assert d.truncated > 1e-3  # (65537^-0.5 / 0.5) / zeta(1.5), about 0.003


def test_given_labels_are_evaluated_and_renormalised_over():
    labels = [5, 0, 2]
    d = IntegerDistribution.poisson(3.0, labels)
    pmf = stats.poisson(3.0).pmf(labels)
    assert d.alphabet == (5, 0, 2)
    np.testing.assert_allclose(d.probs, pmf / pmf.sum(), rtol=1e-13)
    assert d.truncated == pytest.approx(1 - pmf.sum(), rel=1e-12)
    # labels that are exactly 0..N in another order keep the accurate tail
    shuffled = IntegerDistribution.geometric(0.5, [3, 1, 0, 2])
    assert shuffled.truncated == pytest.approx(0.5**4, rel=1e-15)


@pytest.mark.parametrize("family, value, match", [
    ("geometric", 0.0, "theta is 0"), ("geometric", 1.0, "theta is 1"), ("geometric", 1.5, "theta is 1.5"),
    ("geometric", -0.5, "theta is -0.5"), ("poisson", 0.0, "mean is 0"), ("poisson", -2.0, "mean is -2"),
    ("poisson", 1e7, r"at most 1e\+06"), ("zeta", 1.0, "s is 1"), ("zeta", 0.5, "s is 0.5"),
    ("zeta", MAX_S * 2, "at most 1000"), ("geometric", math.nan, "theta is nan"),
    ("poisson", math.inf, "mean is inf"), ("zeta", "2", "expected a number"), ("zeta", True, "expected a number"),
    ("geometric", 10**400, "too large"),
])
def test_bad_parameters_are_refused_naming_them(family, value, match):
    with pytest.raises(DistributionError, match=match):
        IntegerDistribution.of(family, value)


@pytest.mark.parametrize("label, shown", [(-1, "-1"), (2.0, "2.0"), ("3", "'3'"), (True, "the boolean true")])
def test_a_label_that_is_not_a_non_negative_integer_is_named(label, shown):
    with pytest.raises(DistributionError, match=r"alphabet entry 2 is ") as info:
        IntegerDistribution.geometric(0.5, [0, label, 4])
    assert shown in str(info.value) and "\n" not in str(info.value)


def test_labels_far_from_the_bulk_hold_no_mass_and_are_refused():
    with pytest.raises(DistributionError, match="holds none of poisson"):
        IntegerDistribution.poisson(1e6)  # 0..65535, about 1000 standard deviations below the mean


def test_it_is_a_distribution_that_pickles_samples_and_has_a_short_repr():
    d = IntegerDistribution.zeta(1.2)
    back = pickle.loads(pickle.dumps(d))
    assert back == d and (back.family, back.parameter, back.truncated) == (d.family, d.parameter, d.truncated)
    assert repr(d) == "IntegerDistribution(zeta(s=1.2), 0..65535, truncated=0.097)"
    assert repr(IntegerDistribution.geometric(0.5, [7, 3])) == (
        "IntegerDistribution(geometric(theta=0.5), 2 labels from 3 to 7, truncated=0.93)")
    stream = d.sample(20000, seed=3)
    assert stream.dtype == np.uint16
    # the mean of ln(n + 1) under zeta(1.2) truncated: the sample's agrees with the pmf's
    logs = np.log1p(np.arange(len(d)))
    assert np.log1p(stream.astype(float)).mean() == pytest.approx(float(d.probs @ logs), rel=0.05)
    assert entropy(IntegerDistribution.geometric(0.5)) == pytest.approx(2.0, abs=1e-9)
