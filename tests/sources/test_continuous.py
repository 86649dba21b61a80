"""Continuous Beta and Normal distributions: CDFs, digamma, closed-form KL, quantisation into bins.

Every numeric claim is checked against something computed independently here: numpy quadrature of
densities written out in the test (never the module's own pdf), textbook values, and scipy where it
is installed (scipy is not a dependency of codesim; those tests skip without it).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim import Distribution
from codesim.sources.continuous import DEFAULT_SDS, MAX_BINS, Beta, Normal, bin_indices, bin_labels, digamma, edges, kl, log_beta, quantise, to_distribution
from codesim.errors import CodesimError
from codesim.measures import kl_divergence

EULER_GAMMA = 0.57721566490153286061
LN2 = math.log(2.0)


# -- independent densities and quadrature (no codesim code) --------------------------------------
def beta_pdf(x, a, b):
    """The Beta density written out with math.lgamma, for use as an independent reference."""
    x = np.asarray(x, dtype=np.float64)
    return x ** (a - 1) * (1 - x) ** (b - 1) / math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))


def normal_pdf(x, m, s):
    return np.exp(-0.5 * ((np.asarray(x, dtype=np.float64) - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))


def cumulative_trapezoid(y, x):
    return np.concatenate([[0.0], np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))])


def midpoint_integral(f, low, high, n=2_000_000):
    """Midpoint rule: never evaluates the end points, where Beta densities may be 0 or infinite."""
    h = (high - low) / n
    x = low + h * (np.arange(n) + 0.5)
    return float(np.sum(f(x)) * h)


def kl_by_quadrature_beta(a1, b1, a2, b2):
    """The integral of p log(p/q) over [0, 1] after substituting x = sin^2(t): dx = sin(2t) dt
    tames the logarithmic end-point singularities that slow a plain grid down to ~1e-6, and the
    logs are written in t so densities that underflow far out still give finite log ratios."""
    log_b1 = math.lgamma(a1) + math.lgamma(b1) - math.lgamma(a1 + b1)
    log_b2 = math.lgamma(a2) + math.lgamma(b2) - math.lgamma(a2 + b2)

    def integrand(t):
        log_x, log_1mx = 2 * np.log(np.sin(t)), 2 * np.log(np.cos(t))
        log_p = (a1 - 1) * log_x + (b1 - 1) * log_1mx - log_b1
        log_q = (a2 - 1) * log_x + (b2 - 1) * log_1mx - log_b2
        return np.exp(log_p) * (log_p - log_q) * np.sin(2 * t)
    return midpoint_integral(integrand, 0.0, math.pi / 2) / LN2


def kl_by_quadrature_normal(m1, s1, m2, s2):
    def integrand(x):
        p = normal_pdf(x, m1, s1)
        # log p - log q written out, so p -> 0 far out does not give 0 * log(0/0)
        log_ratio = (math.log(s2 / s1) - 0.5 * ((x - m1) / s1) ** 2 + 0.5 * ((x - m2) / s2) ** 2)
        return p * log_ratio
    return midpoint_integral(integrand, m1 - 20 * s1, m1 + 20 * s1) / LN2


# -- the headline numbers ------------------------------------------------------------------------
def test_kl_beta_17_6_from_beta_3_3_is_1_5105_bits_and_the_reverse_is_5_3467():
    """The likelihood-ratio example: D(Beta(17,6)||Beta(3,3)) = 1.5105 bits; the other direction is
    over three times larger, because Beta(3,3) puts mass near 0 where Beta(17,6) has almost none."""
    assert kl(Beta(17, 6), Beta(3, 3)) == pytest.approx(1.510520135098539, abs=1e-12)
    assert kl(Beta(3, 3), Beta(17, 6)) == pytest.approx(5.346677659948743, abs=1e-12)


# -- CDFs ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [(17, 6), (3, 3), (1, 1), (2, 5), (1.5, 2.5), (40, 70)])
def test_beta_cdf_equals_the_integral_of_the_density(a, b):
    """cdf(x) matches the cumulative trapezoid integral of the pdf on a 2-million-point grid."""
    grid = np.linspace(0.0, 1.0, 2_000_001)
    integral = cumulative_trapezoid(beta_pdf(grid, a, b), grid)
    at = np.arange(0, grid.size, 40_000)
    assert np.allclose(Beta(a, b).cdf(grid[at]), integral[at], rtol=0, atol=1e-9)


@pytest.mark.parametrize("a, b", [(0.5, 3), (0.2, 2), (0.05, 4)])
def test_beta_cdf_with_a_below_1_equals_the_integral_after_substituting_u_equals_x_to_the_a(a, b):
    """For a < 1 the density is infinite at 0; with u = x^a the CDF is the integral of the bounded
    (1 - u^(1/a))^(b-1) from 0 to x^a, divided by a B(a, b)."""
    x = np.array([1e-6, 1e-3, 0.05, 0.3, 0.6, 0.9, 0.999])
    u = np.linspace(0.0, 1.0, 2_000_001)
    integral = cumulative_trapezoid((1 - u ** (1 / a)) ** (b - 1), u)
    norm = a * math.exp(math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b))
    expected = np.interp(x ** a, u, integral) / norm
    assert np.allclose(Beta(a, b).cdf(x), expected, rtol=0, atol=1e-11)


def test_normal_cdf_equals_the_integral_of_the_density():
    m, s = 1.5, 0.7
    grid = np.linspace(m - 12 * s, m + 12 * s, 2_000_001)
    integral = cumulative_trapezoid(normal_pdf(grid, m, s), grid)
    at = np.arange(0, grid.size, 40_000)
    assert np.allclose(Normal(m, s).cdf(grid[at]), integral[at], rtol=0, atol=1e-11)


def test_beta_cdf_and_sf_match_scipy_to_1e_10_relative_deep_into_both_tails():
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(7)
    for _ in range(300):
        a, b = np.exp(rng.uniform(math.log(0.01), math.log(1000), 2))
        x = np.concatenate([rng.uniform(0, 1, 10), 10 ** rng.uniform(-200, 0, 5),
                            1 - 10 ** rng.uniform(-15, 0, 5)])
        dist = Beta(a, b)
        for mine, ref in ((dist.cdf(x), special.betainc(a, b, x)),
                          (dist.sf(x), special.betaincc(a, b, x))):
            keep = ref > 1e-290
            assert np.allclose(mine[keep], ref[keep], rtol=1e-10, atol=0), (a, b)


def test_normal_cdf_and_sf_match_scipy_relative_in_the_tails():
    stats = pytest.importorskip("scipy.stats")
    x = np.linspace(-30, 30, 601)
    dist = Normal(0.5, 2.0)
    assert np.allclose(dist.cdf(x), stats.norm.cdf(x, 0.5, 2.0), rtol=1e-13, atol=0)
    assert np.allclose(dist.sf(x), stats.norm.sf(x, 0.5, 2.0), rtol=1e-13, atol=0)


def test_pdfs_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    x = np.linspace(0.001, 0.999, 99)
    for a, b in [(17, 6), (0.3, 0.8), (1, 1), (250, 40)]:
        assert np.allclose(Beta(a, b).logpdf(x), stats.beta.logpdf(x, a, b), rtol=1e-12, atol=1e-12)
    assert np.allclose(Normal(-1, 3).pdf(x * 20), stats.norm.pdf(x * 20, -1, 3), rtol=1e-13)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 500), st.floats(0.05, 500),
       st.lists(st.integers(0, 2 ** 30), min_size=1, max_size=20))
def test_beta_cdf_is_monotone_complements_sf_and_mirrors_under_swapping_a_and_b(a, b, ks):
    """cdf non-decreasing, cdf + sf = 1, and I_x(a, b) = 1 - I_(1-x)(b, a). The points are multiples
    of 2^-30, for which 1 - x is exact (elsewhere rounding 1 - x would itself move the answer)."""
    x = np.sort(np.array(ks, dtype=np.float64)) / 2 ** 30
    dist = Beta(a, b)
    cdf, sf = dist.cdf(x), dist.sf(x)
    assert np.all(np.diff(cdf) >= -1e-15)
    assert np.all((cdf >= 0) & (cdf <= 1))
    assert np.allclose(cdf + sf, 1.0, rtol=0, atol=1e-14)
    assert np.allclose(Beta(b, a).sf(1 - x), cdf, rtol=1e-12, atol=1e-15)


def test_beta_cdf_ends_and_symmetric_midpoint():
    d = Beta(2.5, 4)
    assert d.cdf(0.0) == 0.0 and d.cdf(1.0) == 1.0
    assert d.cdf(-0.5) == 0.0 and d.cdf(3.0) == 1.0 and d.sf(3.0) == 0.0
    assert isinstance(d.cdf(0.3), float) and d.cdf(np.array([0.3])).shape == (1,)
    for a in (0.5, 7, 1e4, 1e6):  # a symmetric Beta has its median at 1/2
        assert Beta(a, a).cdf(0.5) == pytest.approx(0.5, abs=1e-9)
    assert Beta(1, 1).cdf(0.37) == pytest.approx(0.37, abs=1e-15)  # the uniform distribution


def test_pdf_and_logpdf_at_and_outside_the_beta_support():
    assert Beta(2, 3).pdf(-0.1) == 0.0 and Beta(2, 3).pdf(1.1) == 0.0
    assert Beta(2, 3).logpdf(1.5) == -math.inf
    assert Beta(1, 1).pdf(0.0) == 1.0 and Beta(1, 1).pdf(1.0) == 1.0
    assert Beta(0.5, 0.5).pdf(0.0) == math.inf
    assert Beta(1, 3).pdf(0.0) == pytest.approx(3.0)  # b x^0 (1-x)^2 at 0
    assert Beta(17, 6).pdf(0.5) == pytest.approx(float(beta_pdf(0.5, 17, 6)), rel=1e-13)
    assert Normal(2, 0.5).pdf(2.0) == pytest.approx(1 / (0.5 * math.sqrt(2 * math.pi)), rel=1e-15)


# -- special functions ---------------------------------------------------------------------------
def test_digamma_known_values():
    """psi(1) = -gamma, psi(1/2) = -gamma - 2 ln 2, psi(n + 1) = -gamma + H_n."""
    assert digamma(1.0) == pytest.approx(-EULER_GAMMA, abs=1e-15)
    assert digamma(0.5) == pytest.approx(-EULER_GAMMA - 2 * math.log(2), abs=1e-15)
    for n in (1, 5, 9, 10, 30):
        harmonic = math.fsum(1 / k for k in range(1, n + 1))
        assert digamma(n + 1.0) == pytest.approx(-EULER_GAMMA + harmonic, abs=2e-15)
    assert digamma(1.4616321449683623) == pytest.approx(0.0, abs=1e-15)  # its only positive root


@given(st.floats(1e-3, 1e6))
def test_digamma_satisfies_its_recurrence(x):
    # digamma(x) + 1/x cancels for small x: the reference itself carries ~eps * (|psi(x)| + 1/x) error
    rounding = 8 * np.finfo(float).eps * (abs(digamma(x)) + 1 / x)
    assert digamma(x + 1) == pytest.approx(digamma(x) + 1 / x, rel=1e-13, abs=max(1e-13, rounding))


def test_digamma_matches_scipy():
    special = pytest.importorskip("scipy.special")
    x = np.concatenate([10 ** np.linspace(-8, 8, 400), np.linspace(0.1, 20, 400)])
    assert np.allclose([digamma(v) for v in x], special.digamma(x), rtol=1e-14, atol=1e-14)


def test_log_beta_agrees_with_the_lgamma_sum_where_that_sum_is_accurate():
    """Below 10 it is the lgamma sum; above, the Stirling form agrees with the lgamma sum to the
    rounding of that sum, which is an ulp of its largest term."""
    for a, b in [(0.5, 0.5), (3, 3), (17, 6), (9.999, 10.001), (10, 10), (0.01, 100), (2000, 3)]:
        direct = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
        assert log_beta(a, b) == pytest.approx(direct, rel=1e-13, abs=4e-16 * math.lgamma(a + b) + 1e-14)
        assert log_beta(a, b) == log_beta(b, a)
    assert log_beta(1, 7) == pytest.approx(-math.log(7), abs=1e-15)  # B(1, b) = 1/b
    assert log_beta(20, 30) == pytest.approx(  # B(m, n) = (m-1)! (n-1)! / (m+n-1)!
        math.log(math.factorial(19)) + math.log(math.factorial(29)) - math.log(math.factorial(49)), abs=1e-12)


def test_log_beta_keeps_full_precision_where_lgamma_terms_cancel():
    """ln B(a, b) with one argument large is a small difference of large lgamma values; the result
    is correct to ~1e-13 relative against 40-digit arithmetic (scipy's betaln, which sums lgammas,
    is off by up to 1e-9 here, so mpmath is the reference)."""
    mpmath = pytest.importorskip("mpmath")
    rng = np.random.default_rng(3)
    for a, b in np.exp(rng.uniform(-5, 14, (300, 2))):
        with mpmath.workdps(40):
            exact = float(mpmath.log(mpmath.beta(mpmath.mpf(a), mpmath.mpf(b))))
        assert log_beta(a, b) == pytest.approx(exact, rel=1e-13, abs=1e-13)


# -- closed-form KL ------------------------------------------------------------------------------
@pytest.mark.parametrize("a1, b1, a2, b2", [
    (17, 6, 3, 3), (3, 3, 17, 6), (2, 5, 5, 2), (1, 1, 2, 2), (4, 4, 4.5, 3.5), (30, 60, 25, 70),
])
def test_beta_kl_equals_the_integral_of_p_log_p_over_q(a1, b1, a2, b2):
    assert kl(Beta(a1, b1), Beta(a2, b2)) == pytest.approx(kl_by_quadrature_beta(a1, b1, a2, b2),
                                                           abs=1e-10)


@pytest.mark.parametrize("m1, s1, m2, s2", [(0, 1, 1, 2), (1, 2, 0, 1), (0, 1, 0, 1), (-3, 0.1, 2, 5)])
def test_normal_kl_equals_the_integral_of_p_log_p_over_q(m1, s1, m2, s2):
    assert kl(Normal(m1, s1), Normal(m2, s2)) == pytest.approx(kl_by_quadrature_normal(m1, s1, m2, s2),
                                                               abs=1e-12)


def test_beta_kl_with_singular_densities_matches_scipy_quad():
    integrate = pytest.importorskip("scipy.integrate")
    stats = pytest.importorskip("scipy.stats")
    for a1, b1, a2, b2 in [(0.5, 0.5, 2, 2), (0.3, 2, 0.8, 0.9), (5, 0.7, 2, 1)]:
        p, q = stats.beta(a1, b1), stats.beta(a2, b2)
        nats, _ = integrate.quad(lambda x: p.pdf(x) * (p.logpdf(x) - q.logpdf(x)), 0, 1,
                                 points=[0.5], limit=500, epsabs=1e-12)
        assert kl(Beta(a1, b1), Beta(a2, b2)) == pytest.approx(nats / LN2, abs=1e-7)


def test_kl_of_a_distribution_from_itself_is_zero_and_mixed_families_have_no_closed_form():
    assert kl(Beta(17, 6), Beta(17, 6)) == 0.0
    assert kl(Normal(3, 2), Normal(3, 2)) == 0.0
    with pytest.raises(CodesimError, match="no closed form.*Beta.*Normal"):
        kl(Beta(2, 2), Normal(0.5, 0.1))
    with pytest.raises(CodesimError, match="expected a Beta or Normal"):
        kl(Beta(2, 2), Distribution.uniform(2))


# -- quantisation --------------------------------------------------------------------------------
DOUBLINGS = [2 ** k for k in range(1, 11)]  # 2, 4, ..., 1024: each partition refines the last


@pytest.mark.parametrize("p, q, bin_range", [
    (Beta(17, 6), Beta(3, 3), (0.0, 1.0)),
    (Beta(3, 3), Beta(17, 6), (0.0, 1.0)),
    # mean +- 10 sd of both: the truncated mass (< 1e-23) is far below double precision of the KL
    (Normal(0, 1), Normal(1, 2), (-19.0, 21.0)),
])
def test_quantised_kl_climbs_towards_the_continuous_kl_and_never_exceeds_it(p, q, bin_range):
    """Data processing inequality: quantising cannot increase KL, and a refinement of the bins cannot
    decrease it; with 1024 bins it is within 0.01 bits of the closed form."""
    exact = kl(p, q)
    values = []
    for n in DOUBLINGS:
        e = edges(bin_range, n)
        values.append(kl_divergence(quantise(p, e), quantise(q, e)))
    assert all(v <= exact + 1e-12 for v in values)
    assert all(later >= earlier - 1e-12 for earlier, later in zip(values, values[1:]))
    assert exact - values[-1] < 0.01


def test_quantised_beta_kl_at_8_64_512_bins():
    p, q = Beta(17, 6), Beta(3, 3)
    got = [kl_divergence(quantise(p, edges(p, n)), quantise(q, edges(p, n))) for n in (8, 64, 512)]
    assert got == pytest.approx([1.430132, 1.509057, 1.510497], abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.2, 60), st.floats(0.2, 60), st.floats(0.2, 60), st.floats(0.2, 60),
       st.integers(1, 300))
def test_quantised_kl_never_exceeds_the_continuous_kl(a1, b1, a2, b2, bins):
    e = edges((0.0, 1.0), bins)
    p, q = Beta(a1, b1), Beta(a2, b2)
    assert kl_divergence(quantise(p, e), quantise(q, e)) <= kl(p, q) * (1 + 1e-9) + 1e-12


def gauss_legendre_bin_masses(a, b, e, nodes=16):
    """Each bin's mass by Gauss-Legendre quadrature of the written-out density: exact (to rounding)
    for integer a, b, where the density is a polynomial of degree a + b - 2 < 2 * nodes."""
    t, w = np.polynomial.legendre.leggauss(nodes)
    mid, half = 0.5 * (e[1:] + e[:-1]), 0.5 * np.diff(e)
    x = mid[:, None] + half[:, None] * t[None, :]
    return (beta_pdf(x, a, b) * w[None, :]).sum(axis=1) * half


@pytest.mark.parametrize("bins", [8, 1024, MAX_BINS])
def test_beta_bin_masses_are_accurate_to_1e_10_relative_even_in_the_tails(bins):
    """Against per-bin Gauss-Legendre quadrature, for every bin, including ones of mass 1e-80."""
    e = edges(Beta(17, 6), bins)
    mine = quantise(Beta(17, 6), e)
    ref = gauss_legendre_bin_masses(17, 6, e)
    assert np.allclose(mine, ref / ref.sum(), rtol=1e-10, atol=0)
    assert mine.min() > 0 and (bins < 1024 or mine[0] < 1e-40)


def test_quantise_gives_a_probability_vector_and_whole_support_beta_needs_no_renormalising():
    d = Beta(2.5, 0.7)  # infinite density at 1: the last bin carries it as a finite mass
    e = edges(d, 100)
    probs = quantise(d, e)
    assert probs.shape == (100,) and np.all(probs >= 0)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-15)
    assert np.allclose(probs, np.diff(d.cdf(e)), rtol=1e-12, atol=1e-17)


def test_normal_is_truncated_to_the_range_and_renormalised_not_folded_into_end_bins():
    d = Normal(0, 1)
    e = edges((-1.0, 2.0), 3)
    inside = d.cdf(2.0) - d.cdf(-1.0)
    expected = np.diff(d.cdf(e)) / inside
    assert np.allclose(quantise(d, e), expected, rtol=1e-13)
    # folding would have given the first bin P(X < 0) = 0.5 before any renormalisation
    assert quantise(d, e)[0] == pytest.approx((0.5 - d.cdf(-1.0)) / inside)


def test_beta_quantised_over_a_sub_range_is_the_truncated_beta():
    d = Beta(17, 6)
    e = np.array([0.5, 0.6, 0.9])
    inside = d.cdf(0.9) - d.cdf(0.5)
    assert np.allclose(quantise(d, e), [(d.cdf(0.6) - d.cdf(0.5)) / inside,
                                        (d.cdf(0.9) - d.cdf(0.6)) / inside], rtol=1e-13)


def test_far_normal_tail_bins_keep_their_relative_accuracy():
    """Bins 30 sd out have mass ~1e-200: taken from the survival function, not as 1 - 1."""
    stats = pytest.importorskip("scipy.stats")
    e = np.array([30.0, 30.5, 31.0])
    ref = stats.norm.sf(e[:-1]) - stats.norm.sf(e[1:])
    assert np.allclose(quantise(Normal(0, 1), e), ref / ref.sum(), rtol=1e-12)
    assert np.allclose(quantise(Normal(0, 1), -e[::-1]), (ref / ref.sum())[::-1], rtol=1e-12)


def test_large_shape_parameters_quantise_quickly_and_correctly():
    d = Beta(1e6, 1e6)
    probs = quantise(d, edges(d, MAX_BINS))
    assert math.fsum(probs) == pytest.approx(1.0)
    assert np.allclose(probs, probs[::-1], rtol=1e-6, atol=1e-300)  # symmetric about 1/2


def test_a_range_with_no_representable_mass_is_an_error():
    with pytest.raises(CodesimError, match="no probability mass"):
        quantise(Normal(0, 1), [50.0, 60.0])


# -- edges, labels, bins as a Distribution -------------------------------------------------------
def test_edges_are_equal_width_over_the_support_or_the_given_range():
    e = edges(Beta(17, 6), 4)
    assert e.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    n = Normal(10, 2)
    assert n.default_range == (10 - 2 * DEFAULT_SDS, 10 + 2 * DEFAULT_SDS)
    assert edges(n, 8)[[0, -1]].tolist() == [2.0, 18.0]
    assert edges((-3, 7), 5).tolist() == [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
    assert edges([Normal(0, 1), Normal(1, 2)], 2).tolist() == [-7.0, 1.0, 9.0]  # covers both
    big = edges((0.1, 0.7), MAX_BINS)
    assert big.size == MAX_BINS + 1 and big[0] == 0.1 and big[-1] == 0.7
    assert np.allclose(np.diff(big), 0.6 / MAX_BINS, rtol=1e-9)


def test_bin_labels_are_distinct_rounded_centres_inside_their_bins():
    assert bin_labels(edges(Beta(1, 1), 8)) == [0.06, 0.19, 0.31, 0.44, 0.56, 0.69, 0.81, 0.94]
    assert bin_labels(edges((-2, 2), 4)) == [-1.5, -0.5, 0.5, 1.5]
    for e in (edges((0, 1), MAX_BINS), edges((1e6, 2e6), 7), edges((-1e-9, 1e-9), 5),
              np.array([0.0, 1e-6, 0.5, 1.0])):
        labels = bin_labels(e)
        assert all(isinstance(v, float) for v in labels)
        assert len(set(labels)) == len(labels) == e.size - 1
        assert np.all((np.array(labels) > e[:-1]) & (np.array(labels) < e[1:]))


def test_to_distribution_labels_bins_and_sampling_then_binning_matches_the_bin_masses():
    """Drawing from the continuous Beta and binning gives the quantised distribution."""
    d = Beta(17, 6)
    e = edges(d, 16)
    dist = to_distribution(d, e)
    assert isinstance(dist, Distribution) and dist.alphabet == tuple(bin_labels(e))
    n = 200_000
    counts = np.bincount(bin_indices(d.sample(n, 11), e), minlength=16)
    se = np.sqrt(dist.probs * (1 - dist.probs) / n)
    assert np.all(np.abs(counts / n - dist.probs) < 5 * se + 1e-12)


def test_bin_indices_edges_belong_to_the_bin_above_except_the_last():
    e = np.array([0.0, 0.5, 1.0])
    idx = bin_indices([0.0, 0.25, 0.5, 0.99, 1.0], e)
    assert idx.tolist() == [0, 0, 1, 1, 1] and idx.dtype == np.uint8
    with pytest.raises(CodesimError, match="outside the binned range"):
        bin_indices([0.5, 1.5], e)


# -- sampling and the likelihood ratio -----------------------------------------------------------
@pytest.mark.parametrize("p, q", [(Beta(17, 6), Beta(3, 3)), (Normal(0, 1), Normal(1, 2))])
def test_mean_log_likelihood_ratio_of_samples_converges_to_the_kl(p, q):
    """Over 10^5 draws from p, mean log2 p(x)/q(x) is within 0.02 bits of D(p||q); 0.02 is over
    four standard errors of that mean for these pairs, so the test is not luck."""
    x = p.sample(100_000, np.random.default_rng(2024))
    llr = (p.logpdf(x) - q.logpdf(x)) / LN2
    assert 4 * llr.std() / math.sqrt(x.size) < 0.02
    assert abs(llr.mean() - kl(p, q)) < 0.02


def test_sampling_is_repeatable_from_a_seed():
    assert np.array_equal(Beta(2, 3).sample(50, 5), Beta(2, 3).sample(50, np.random.default_rng(5)))
    assert Normal(0, 1).sample(0, 1).shape == (0,)
    x = Beta(2, 3).sample(1000, 1)
    assert x.dtype == np.float64 and np.all((x >= 0) & (x <= 1))


# -- validation ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: Beta(0, 1), "Beta parameter a is 0: it must be > 0"),
    (lambda: Beta(2, -1), "Beta parameter b is -1"),
    (lambda: Beta(float("nan"), 1), "Beta parameter a is nan: it must be finite"),
    (lambda: Beta(2, float("inf")), "Beta parameter b is inf: it must be finite"),
    (lambda: Beta("2", 1), "Beta parameter a is the string '2': expected a number"),
    (lambda: Beta(True, 1), "expected a number"),
    (lambda: Normal(0, 0), "Normal sd is 0: it must be > 0"),
    (lambda: Normal(0, -2), "Normal sd is -2"),
    (lambda: Normal(float("inf"), 1), "Normal mean is inf"),
    (lambda: edges((1, 1), 4), r"range \(1, 1\) is empty"),
    (lambda: edges((2, 1), 4), "low must be below high"),
    (lambda: edges((0, float("nan")), 4), "range high is nan"),
    (lambda: edges((0, 1), 0), "bins is 0: it must be from 1 to 65536"),
    (lambda: edges((0, 1), MAX_BINS + 1), "bins is 65537"),
    (lambda: edges((0, 1), 2.5), "bins is 2.5: give a whole number"),
    (lambda: edges((0, 1), True), "bins is True"),
    (lambda: edges("01", 4), "cannot take a range"),
    (lambda: edges((1.0, 1.0 + 1e-15), 1000), "too narrow"),
    (lambda: quantise(Beta(2, 2), [0.0, 0.5, 0.5, 1.0]), "strictly increasing: edge 3"),
    (lambda: quantise(Beta(2, 2), [-0.1, 0.5, 1.0]), r"outside the support \[0, 1\]"),
    (lambda: quantise(Beta(2, 2), [0.0, 1.2]), "outside the support"),
    (lambda: quantise(Beta(2, 2), [0.5]), "at least 2"),
    (lambda: quantise(Normal(0, 1), [0.0, float("inf")]), "edge 2 is not finite"),
    (lambda: quantise(Normal(0, 1), np.zeros((2, 2))), "flat list"),
    (lambda: quantise(Normal(0, 1), np.arange(MAX_BINS + 2.0)), "over the limit of 65536"),
    (lambda: quantise(Normal(0, 1), ["low", "high"]), "edge 1 is the string 'low': expected a number"),
    (lambda: kl(Normal(0, 1), "N(0, 1)"), "expected a Beta or Normal"),
    (lambda: Beta(2, 2).sample(-1), "cannot draw -1 samples"),
    (lambda: digamma(0.0), "x > 0"),
])
def test_bad_input_is_a_codesim_error_saying_what_is_wrong(make, message):
    with pytest.raises(CodesimError, match=message):
        make()


def test_max_bins_is_the_container_alphabet_limit():
    from codesim.files.container import MAX_ALPHABET

    assert MAX_BINS == MAX_ALPHABET


def test_distributions_are_frozen_and_compare_by_value():
    d = Beta(17, 6)
    with pytest.raises(AttributeError):
        d.a = 3  # type: ignore[misc]
    assert d == Beta(17.0, 6.0) and hash(d) == hash(Beta(17.0, 6.0))
    assert isinstance(d.a, float) and Normal(1, 2).sd == 2.0
