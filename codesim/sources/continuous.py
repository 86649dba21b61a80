"""Continuous sources and models, and their quantisation into bins the coders can run on. The scenario
kinds ``beta`` and ``normal`` are registered here: binned, each is an i.i.d. source or an order-0 model.

The likelihood-ratio view of KL divergence does not need a finite alphabet: for samples x drawn from a
density p, the mean of log2 p(x)/q(x) converges to the continuous D(p||q). The coders, however, work
on symbols, so a continuous distribution becomes a :class:`~codesim.sources.iid.Distribution` by
cutting its range into bins and giving each bin its probability mass (a difference of CDFs).

Quantisation can only lose information, so for the same bins D(p_bins||q_bins) <= D(p||q) (the data
processing inequality), and it climbs towards D(p||q) as the bins are refined.

>>> p, q = Beta(17, 6), Beta(3, 3)
>>> round(kl(p, q), 4), round(kl(q, p), 4)
(1.5105, 5.3467)
>>> e = edges(p, 8)
>>> bin_labels(e)
[0.06, 0.19, 0.31, 0.44, 0.56, 0.69, 0.81, 0.94]
>>> from codesim.measures import kl_divergence
>>> round(kl_divergence(quantise(p, e), quantise(q, e)), 4)
1.4301

A normal density has no finite support, so it is quantised over a finite range (by default its mean
plus or minus :data:`DEFAULT_SDS` standard deviations). The mass outside the range is *dropped and
the rest renormalised*: the bins describe the normal truncated to that range, not the normal with its
tails folded into the end bins. Choose a range wide enough that the dropped mass does not matter
(``1 - (cdf(high) - cdf(low))``; about 6.3e-5 for the default four standard deviations).

Numerics: the regularised incomplete beta function (Beta's CDF) is evaluated from its continued
fraction by the modified Lentz method, on whichever tail converges fast, so that both the CDF and the
survival function keep their relative accuracy deep in the tails; digamma (for the closed-form Beta
KL) by upward recurrence then the asymptotic series. Nothing here needs scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .base import Kind, register
from .iid import Distribution, index_dtype
from ..errors import CodesimError, ScenarioError, show_value
from ..measures import kl_divergence

#: The most bins a quantisation may have: the largest alphabet a .csim container holds
#: (``codesim.files.container.MAX_ALPHABET``; restated here because this module sits below the container).
MAX_BINS = 1 << 16
#: A normal's default quantisation range is mean +- this many standard deviations.
DEFAULT_SDS = 4.0
#: Beta parameters codesim takes. Below 1e-300, 1/a (in digamma) and a + b leave double precision;
#: above 1e8 the bins lose accuracy (a ln x carries an absolute error of about a * 1e-16, so the
#: masses agree with scipy's to 1e-8 at 1e8 but only to 1e-6 at 1e10) and the continued fraction
#: needs thousands of steps.
MIN_BETA, MAX_BETA = 1e-300, 1e8
#: A normal's mean may be at most this far from 0 and its sd at most this large and at least its
#: inverse: then mean +- 4 sd, sd^2 and the closed-form KL's terms stay finite and normal doubles.
MAX_NORMAL = 1e150

_LN2 = math.log(2.0)


# -- validation helpers --------------------------------------------------------------------------
def _real(value, what: str) -> float:
    """``value`` as a finite float, or a CodesimError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CodesimError(f"{what} is {show_value(value)}: expected a number")
    try:
        out = float(value)
    except OverflowError:
        raise CodesimError(f"{what} is {show_value(value)}: too large for a double") from None
    if not math.isfinite(out):
        raise CodesimError(f"{what} is {out}: it must be finite")
    return out


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise CodesimError(f"cannot draw {n!r} samples: give a non-negative integer")
    return int(n)


def _shaped(result: np.ndarray, x) -> np.ndarray | float:
    """A plain float for scalar input, an array of the input's shape otherwise."""
    return float(result) if np.ndim(x) == 0 else result


# -- special functions ---------------------------------------------------------------------------
def digamma(x: float) -> float:
    """psi(x) = d/dx ln Gamma(x) for real x > 0, to about 1e-14 absolute.

    The recurrence psi(x) = psi(x + 1) - 1/x moves the argument up to 10 or more, where the
    asymptotic series ln x - 1/(2x) - sum_k B_2k / (2k x^2k) has terms that shrink fast enough that
    seven of them reach double precision (the first one left out is 4e-17 at x = 10; stopping at 6,
    as is also common, would leave an error near 2e-13).
    """
    x = _real(x, "the digamma argument")
    if x <= 0:
        raise CodesimError(f"digamma is only implemented for x > 0, got {x}")
    shift = 0.0
    while x < 10.0:
        shift += 1.0 / x
        x += 1.0
    inv2 = 1.0 / (x * x)
    # B_2k / (2k) for k = 1..7: 1/12, -1/120, 1/252, -1/240, 1/132, -691/32760, 1/12, evaluated by
    # Horner's rule in 1/x^2 from the smallest term up so the small terms are not lost.
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (
        1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))))
    return math.log(x) - 0.5 / x - series - shift


def _stirling_correction(z: float) -> float:
    """ln Gamma(z) - [(z - 1/2) ln z - z + ln(2 pi)/2] for z >= 10, from the Stirling series
    sum_k B_2k / (2k (2k-1) z^(2k-1)); seven terms reach double precision at z = 10."""
    inv2 = 1.0 / (z * z)
    return (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 * (
        1 / 1188 - inv2 * (691 / 360360 - inv2 / 156)))))) / z


def log_beta(a: float, b: float) -> float:
    """ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), for a, b > 0.

    Summing three lgamma values loses absolute accuracy when they are large and nearly cancel
    (ln Gamma(100) is 360, while ln Gamma(100) - ln Gamma(100.01) is only -0.05): the error is an
    ulp of the largest, and exp() turns it into a relative error of the Beta CDF. So when an
    argument is 10 or more, the large parts of Stirling's formula are combined analytically first
    (only logarithms of ratios remain) and just the small Stirling corrections are subtracted.
    """
    small, large = min(a, b), max(a, b)
    if large < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    total = small + large
    # ln Gamma(large) - ln Gamma(total), by Stirling: the (z - 1/2) ln z - z parts reduce to
    # -(large - 1/2) ln(1 + small/large) - small ln(total) + small.
    big_diff = (-(large - 0.5) * math.log1p(small / large) - small * math.log(total) + small
                + _stirling_correction(large) - _stirling_correction(total))
    if small < 10.0:
        return math.lgamma(small) + big_diff
    # Both large: Stirling for ln Gamma(small) too, its (small - 1/2) ln small - small merging with
    # the -small ln(total) + small above into a log of a ratio.
    return (0.5 * math.log(2 * math.pi) + (small - 0.5) * -math.log1p(large / small)
            - 0.5 * math.log(total) - (large - 0.5) * math.log1p(small / large)
            + _stirling_correction(small) + _stirling_correction(large) - _stirling_correction(total))


#: The continued fraction stops when a full (odd + even) step changes it by less than this.
_CF_EPS = 1e-15
#: Guards Lentz's method against a zero denominator (it replaces an exact 0 by this).
_CF_TINY = 1e-300
#: Steps needed near the mean grow like sqrt(max(a, b)): 26 at a = b = 100, about 10^4 at 10^10.
#: The cap only turns a runaway into an error.
_CF_MAX_STEPS = 200_000


def _incbeta_fraction(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The continued fraction 1 + d1/(1 + d2/(1 + ...)) of the incomplete beta function.

    With it, I_x(a, b) = x^a (1-x)^b / (a B(a, b)) / fraction (Numerical Recipes, 3rd ed., §6.4,
    eq. 6.4.5; DLMF 8.17.22). The coefficients are

        d_(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),    d_(2m) = m(b-m) x / ((a+2m-1)(a+2m)),

    and the fraction converges quickly for x < (a+1)/(a+b+2). It is evaluated front to back by the
    modified Lentz method (Lentz 1976; Thompson & Barnett 1986): only the ratios of successive
    numerators (C) and of successive denominators (D) of the convergents are carried along, each
    updated from the next coefficient, so the number of terms need not be fixed in advance and no
    convergent overflows. All points advance together as numpy arrays; points that have converged are
    set aside so a few slow points near the mean do not keep the whole array busy.
    """
    out = np.empty_like(x)
    if x.size == 0:
        return out
    idx = np.arange(x.size)
    f = np.ones_like(x)
    c = np.ones_like(x)
    d = np.zeros_like(x)
    apb = a + b

    def step(coef):
        nonlocal c, d, f
        d = 1.0 + coef * d
        d = np.where(np.abs(d) < _CF_TINY, _CF_TINY, d)
        c = 1.0 + coef / c
        c = np.where(np.abs(c) < _CF_TINY, _CF_TINY, c)
        d = 1.0 / d
        delta = c * d
        f = f * delta
        return delta

    for m in range(_CF_MAX_STEPS):
        odd = step(-(a + m) * (apb + m) * x / ((a + 2 * m) * (a + 2 * m + 1)))
        k = m + 1
        even = step(k * (b - k) * x / ((a + 2 * k - 1) * (a + 2 * k)))
        done = (np.abs(odd - 1.0) < _CF_EPS) & (np.abs(even - 1.0) < _CF_EPS)
        if done.any():
            out[idx[done]] = f[done]
            keep = ~done
            if not keep.any():
                return out
            idx, x, a, b, apb, f, c, d = (v[keep] for v in (idx, x, a, b, apb, f, c, d))
    raise CodesimError(
        f"the incomplete beta function did not converge in {_CF_MAX_STEPS} steps "
        f"(a = {a[0]:g}, b = {b[0]:g}): shape parameters this large are beyond what codesim supports"
    )


def _beta_tails(x, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(X <= x), P(X > x)) for X ~ Beta(a, b), each with its own relative accuracy.

    Each point is computed directly on the side where the continued fraction converges fast, which
    is also (roughly) the side where that tail is the smaller one; the other tail is 1 minus it,
    which loses nothing because it is the larger. Returning both lets bin masses far out in either
    tail be taken as differences of small numbers rather than of numbers near 1.
    """
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    lower = np.where(flat >= 1.0, 1.0, 0.0)
    lower[np.isnan(flat)] = np.nan
    inside = (flat > 0.0) & (flat < 1.0)
    xi = flat[inside]
    swap = xi >= (a + 1.0) / (a + b + 2.0)
    # Working on the upper tail means evaluating I_(1-x)(b, a), whose front factor
    # (1-x)^b x^a / (b B(b, a)) differs from the lower tail's only in dividing by b. It takes ln x
    # and ln(1 - x) of the given x, never of a rounded 1 - x; only the continued fraction sees 1 - x
    # (exact for x >= 1/2, one rounding below), and it is insensitive to that rounding.
    xx = np.where(swap, 1.0 - xi, xi)
    aa = np.where(swap, b, a)
    bb = np.where(swap, a, b)
    log_front = a * np.log(xi) + b * np.log1p(-xi) - log_beta(a, b) - np.log(aa)
    direct = np.exp(log_front) / _incbeta_fraction(xx, aa, bb)
    lower[inside] = np.where(swap, 1.0 - direct, direct)
    upper = 1.0 - lower
    upper[inside] = np.where(swap, direct, 1.0 - direct)
    return lower.reshape(x.shape), upper.reshape(x.shape)


_erfc = np.frompyfunc(math.erfc, 1, 1)


def _normal_tails(x, mean: float, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(P(X <= x), P(X > x)) for X ~ Normal(mean, sd), both from erfc so both tails stay accurate."""
    with np.errstate(over="ignore"):  # an edge far out in the tails: z = +-inf, and erfc is exact there
        z = (np.asarray(x, dtype=np.float64) - mean) / (sd * math.sqrt(2.0))
    return (0.5 * np.asarray(_erfc(-z), dtype=np.float64), 0.5 * np.asarray(_erfc(z), dtype=np.float64))


# -- distributions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Beta:
    """The Beta(a, b) density x^(a-1) (1-x)^(b-1) / B(a, b) on [0, 1]; a, b > 0 and finite."""

    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("a", "b"):
            value = _real(getattr(self, name), f"Beta parameter {name}")
            if value <= 0:
                raise CodesimError(f"Beta parameter {name} is {value:g}: it must be > 0")
            if not MIN_BETA <= value <= MAX_BETA:
                raise CodesimError(f"Beta parameter {name} is {value:g}: codesim takes Beta parameters "
                                   f"from {MIN_BETA:g} to {MAX_BETA:g}")
            object.__setattr__(self, name, value)

    @property
    def support(self) -> tuple[float, float]:
        """Where the density lives: [0, 1]."""
        return (0.0, 1.0)

    @property
    def default_range(self) -> tuple[float, float]:
        """The range quantised when none is given: the whole support."""
        return self.support

    def logpdf(self, x):
        """ln of the density; -inf outside [0, 1] (and +inf at an end where a or b < 1)."""
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            # An exponent of exactly 0 contributes 0 even at the end where its log is -inf.
            left = np.where(self.a == 1.0, 0.0, (self.a - 1.0) * np.log(x))
            right = np.where(self.b == 1.0, 0.0, (self.b - 1.0) * np.log1p(-x))
            out = left + right - log_beta(self.a, self.b)
        out = np.where((x < 0.0) | (x > 1.0), -np.inf, out)
        return _shaped(out, x)

    def pdf(self, x):
        """The density; 0 outside [0, 1]."""
        return _shaped(np.exp(self.logpdf(x)), x)

    def cdf(self, x):
        """P(X <= x): the regularised incomplete beta function I_x(a, b)."""
        return _shaped(_beta_tails(x, self.a, self.b)[0], x)

    def sf(self, x):
        """P(X > x) = 1 - cdf(x), accurate also where it is tiny."""
        return _shaped(_beta_tails(x, self.a, self.b)[1], x)

    def _tails(self, x):
        return _beta_tails(x, self.a, self.b)

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """n independent draws (float64), from a Generator or a seed."""
        return _rng(rng).beta(self.a, self.b, _count(n))


@dataclass(frozen=True)
class Normal:
    """The normal density with the given mean and standard deviation (sd > 0, both finite).

    Its support is the whole line; quantisation uses a finite range, by default
    :attr:`default_range` = mean +- :data:`DEFAULT_SDS` sd, truncating the normal to it.
    """

    mean: float
    sd: float

    def __post_init__(self) -> None:
        mean = _real(self.mean, "Normal mean")
        if abs(mean) > MAX_NORMAL:
            raise CodesimError(f"Normal mean is {mean:g}: codesim takes means from {-MAX_NORMAL:g} to "
                               f"{MAX_NORMAL:g}")
        sd = _real(self.sd, "Normal sd")
        if sd <= 0:
            raise CodesimError(f"Normal sd is {sd:g}: it must be > 0")
        if not 1 / MAX_NORMAL <= sd <= MAX_NORMAL:
            raise CodesimError(f"Normal sd is {sd:g}: codesim takes sd from {1 / MAX_NORMAL:g} to {MAX_NORMAL:g}")
        object.__setattr__(self, "mean", mean + 0.0)  # + 0.0: no -0 in reports
        object.__setattr__(self, "sd", sd)

    @property
    def support(self) -> tuple[float, float]:
        """Where the density lives: the whole real line."""
        return (-math.inf, math.inf)

    @property
    def default_range(self) -> tuple[float, float]:
        """mean +- DEFAULT_SDS sd: the range quantised when none is given."""
        return (self.mean - DEFAULT_SDS * self.sd, self.mean + DEFAULT_SDS * self.sd)

    def logpdf(self, x):
        """ln of the density."""
        with np.errstate(over="ignore"):  # far in the tails the log density is -inf
            z = (np.asarray(x, dtype=np.float64) - self.mean) / self.sd
            return _shaped(-0.5 * z * z - math.log(self.sd) - 0.5 * math.log(2 * math.pi), x)

    def pdf(self, x):
        """The density."""
        return _shaped(np.exp(self.logpdf(x)), x)

    def cdf(self, x):
        """P(X <= x) of the untruncated normal, from erfc (accurate far into the lower tail)."""
        return _shaped(_normal_tails(x, self.mean, self.sd)[0], x)

    def sf(self, x):
        """P(X > x) of the untruncated normal, accurate far into the upper tail."""
        return _shaped(_normal_tails(x, self.mean, self.sd)[1], x)

    def _tails(self, x):
        return _normal_tails(x, self.mean, self.sd)

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """n independent draws (float64) from the untruncated normal, from a Generator or a seed."""
        return _rng(rng).normal(self.mean, self.sd, _count(n))


Continuous = Beta | Normal


def _family(dist) -> str:
    if not isinstance(dist, (Beta, Normal)):
        raise CodesimError(f"expected a Beta or Normal distribution, got {type(dist).__name__}")
    return type(dist).__name__


# -- KL divergence -------------------------------------------------------------------------------
def kl(p: Continuous, q: Continuous) -> float:
    """The continuous D(p||q) in bits, in closed form.

    Beta-Beta (in nats):  ln B(a2,b2) - ln B(a1,b1) + (a1-a2) psi(a1) + (b1-b2) psi(b1)
                          + (a2-a1+b2-b1) psi(a1+b1);
    Normal-Normal (nats): ln(s2/s1) + (s1^2 + (m1-m2)^2) / (2 s2^2) - 1/2.
    Mixed families have no closed form here: quantise both onto common bins and use
    :func:`codesim.measures.kl_divergence`.
    """
    fp, fq = _family(p), _family(q)
    if fp != fq:
        raise CodesimError(
            f"no closed form for the KL divergence of a {fp} from a {fq}: quantise both onto the "
            "same edges and use codesim.measures.kl_divergence"
        )
    if isinstance(p, Beta):
        a1, b1, a2, b2 = p.a, p.b, q.a, q.b
        nats = (log_beta(a2, b2) - log_beta(a1, b1) + (a1 - a2) * digamma(a1)
                + (b1 - b2) * digamma(b1) + (a2 - a1 + b2 - b1) * digamma(a1 + b1))
    else:
        s1, s2 = p.sd, q.sd
        nats = math.log(s2) - math.log(s1) + (s1 * s1 + (p.mean - q.mean) ** 2) / (2.0 * s2 * s2) - 0.5
    # Rounding can leave -1e-16 for identical distributions; a divergence is never negative.
    return max(0.0, nats / _LN2)


# -- quantisation --------------------------------------------------------------------------------
def _bins(bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)):
        raise CodesimError(f"bins is {bins!r}: give a whole number of bins from 1 to {MAX_BINS}")
    if not 1 <= bins <= MAX_BINS:
        raise CodesimError(f"bins is {bins}: it must be from 1 to {MAX_BINS} (the largest alphabet)")
    return int(bins)


def _range_of(spec) -> tuple[float, float]:
    if isinstance(spec, (Beta, Normal)):
        return spec.default_range
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(s, (Beta, Normal)) for s in spec):
        lows, highs = zip(*(s.default_range for s in spec))
        return (min(lows), max(highs))
    if isinstance(spec, (str, bytes)) or not hasattr(spec, "__len__") or len(spec) != 2:
        raise CodesimError(
            f"cannot take a range from {spec!r}: give a distribution, a list of distributions or "
            "a (low, high) pair"
        )
    low, high = _real(spec[0], "range low"), _real(spec[1], "range high")
    if not low < high:
        raise CodesimError(f"the range ({low:g}, {high:g}) is empty: low must be below high")
    _check_span(low, high, "the range")
    return (low, high)


def _check_span(low: float, high: float, what: str) -> None:
    if math.isinf(high - low):
        raise CodesimError(f"{what} from {low:g} to {high:g} is wider than the largest double: bin "
                           "widths would be infinite")


def edges(spec, bins: int) -> np.ndarray:
    """bins + 1 equal-width bin edges.

    ``spec`` is a distribution (its :attr:`default_range`: [0, 1] for a Beta, mean +- 4 sd for a
    Normal), a list of distributions (the smallest range covering all their default ranges, so p
    and q can share bins), or an explicit (low, high) pair.
    """
    low, high = _range_of(spec)
    n = _bins(bins)
    out = np.linspace(low, high, n + 1)
    out[0], out[-1] = low, high
    if not np.all(np.diff(out) > 0):
        raise CodesimError(
            f"the range ({low:g}, {high:g}) is too narrow for {n} distinct bins in double precision"
        )
    return out


def check_edges(dist, e) -> np.ndarray:
    """``e`` as bin edges: a flat list of finite numbers (not strings), strictly increasing, within
    ``dist``'s support (unless ``dist`` is None)."""
    if not isinstance(e, np.ndarray):
        if isinstance(e, (str, bytes)) or not hasattr(e, "__len__"):
            raise CodesimError(f"edges must be a flat list of numbers, got {show_value(e)}")
        for i, v in enumerate(e):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise CodesimError(f"edge {i + 1} is {show_value(v)}: expected a number")
    try:
        arr = np.asarray(e, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise CodesimError(f"edges must be a flat list of numbers, got {show_value(e)}") from None
    if arr.ndim != 1 or arr.size < 2:
        raise CodesimError("edges must be a flat list of at least 2 numbers (low and high)")
    if arr.size - 1 > MAX_BINS:
        raise CodesimError(f"{arr.size - 1} bins are over the limit of {MAX_BINS}")
    if not np.all(np.isfinite(arr)):
        raise CodesimError(f"edge {int(np.flatnonzero(~np.isfinite(arr))[0]) + 1} is not finite")
    with np.errstate(over="ignore"):  # an infinite step is still a step up; the span is refused below
        bad = np.flatnonzero(np.diff(arr) <= 0)
    if bad.size:
        i = int(bad[0])
        raise CodesimError(
            f"edges must be strictly increasing: edge {i + 2} ({arr[i + 1]:g}) is not above "
            f"edge {i + 1} ({arr[i]:g})"
        )
    _check_span(float(arr[0]), float(arr[-1]), "the span of the edges")
    if dist is not None:
        low, high = dist.support
        if arr[0] < low or arr[-1] > high:
            raise CodesimError(
                f"edges run from {arr[0]:g} to {arr[-1]:g}, outside the support [{low:g}, {high:g}] "
                f"of {dist}"
            )
    return arr


def quantise(dist: Continuous, bin_edges) -> np.ndarray:
    """The probability of each bin [e_i, e_(i+1)), renormalised over [e_0, e_last].

    For a Beta whose edges cover [0, 1] nothing is renormalised; for a Normal (or a sub-range) the
    result is the distribution *truncated* to the range: mass outside is dropped, not folded into
    the end bins. Each mass is a CDF difference taken in whichever tail makes the subtracted term
    the smaller (lower-tail CDFs left of the median, survival functions right of it), so bins far in
    either tail keep their relative accuracy. A bin whose mass underflows double precision is 0.
    """
    _family(dist)
    arr = check_edges(dist, bin_edges)
    lower, upper = dist._tails(arr)
    from_lower = lower[1:] - lower[:-1]
    from_upper = upper[:-1] - upper[1:]
    mass = np.where(lower[:-1] <= upper[1:], from_lower, from_upper)
    # Independently rounded CDF values can step back by an ulp where the true mass is ~0.
    mass = np.maximum(mass, 0.0)
    total = math.fsum(mass)
    if not total > 0:
        raise CodesimError(
            f"the range [{arr[0]:g}, {arr[-1]:g}] holds no probability mass of {dist} in double "
            "precision: move the range towards the distribution's centre"
        )
    return mass / total


def bin_labels(bin_edges) -> list[float]:
    """One distinct float label per bin: its centre, rounded to the fewest decimals that keep every
    label within a twentieth of its bin's width of the true centre (so labels stay well inside their
    bins and read as the centre: 8 bins on [0, 1] give 0.06, 0.19, ..., 0.94)."""
    arr = check_edges(None, bin_edges)
    width = np.diff(arr)
    centres = arr[:-1] + 0.5 * width  # not (low + high) / 2, which overflows near 1e308
    slack = 0.05 * width
    start = int(math.floor(-math.log10(float(slack.max())))) if slack.max() > 0 else 400
    # np.round scales by 10^decimals: past the largest double that is inf, and such a rounding is refused.
    with np.errstate(over="ignore", invalid="ignore"):
        for decimals in range(start, min(start + 40, 308)):
            rounded = np.round(centres, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
            if np.all(np.abs(rounded - centres) < slack) and np.unique(rounded).size == rounded.size:
                return [float(v) for v in rounded]
    if np.unique(centres).size == centres.size:
        return [float(v) + 0.0 for v in centres]
    raise CodesimError("bins too narrow to give each a distinct label in double precision")


def to_distribution(dist: Continuous, bin_edges) -> Distribution:
    """The quantised distribution as a :class:`Distribution` labelled by :func:`bin_labels`."""
    return Distribution.from_probs(quantise(dist, bin_edges), bin_labels(bin_edges))


def bin_indices(x, bin_edges) -> np.ndarray:
    """The bin of each value (bins are [e_i, e_(i+1)), the last one closed), as compact indices.

    Values outside [e_0, e_last] are an error: with truncation they belong to no bin.
    """
    arr = check_edges(None, bin_edges)
    xs = np.asarray(x, dtype=np.float64)
    outside = ~((xs >= arr[0]) & (xs <= arr[-1]))
    if outside.any():
        bad = float(xs.ravel()[np.flatnonzero(outside.ravel())[0]])
        raise CodesimError(f"value {bad:g} lies outside the binned range [{arr[0]:g}, {arr[-1]:g}]")
    idx = np.searchsorted(arr, xs, side="right") - 1
    idx = np.minimum(idx, arr.size - 2)
    return idx.astype(index_dtype(arr.size - 1))



# -- the scenario kinds "beta" and "normal" ----------------------------------------------------------
@dataclass(frozen=True)
class _Binned:
    """What a continuous source decides for its scenario's models: the density and the bin edges."""

    density: Continuous
    edges: np.ndarray


def _density(table, key: str) -> Continuous:
    spec = table.sub(key)
    try:
        if key == "beta":
            dist = Beta(spec.take("a", (int, float)), spec.take("b", (int, float)))
        else:
            dist = Normal(spec.take("mean", (int, float)), spec.take("sd", (int, float)))
    except ScenarioError:
        raise
    except CodesimError as exc:
        spec.fail(str(exc))
    spec.done()
    return dist


def _setup(key: str):
    def setup(setting, top, source, models) -> None:
        """A continuous source: the alphabet is the bins of [quantise], p the source's mass in each."""
        if "alphabet" in top.data:
            top.fail("a continuous source's alphabet is its bins: give [quantise] bins or edges instead", "alphabet")
        q = top.sub("quantise", default={})
        density = _density(source, key)
        try:
            if "edges" in q.data:
                if "bins" in q.data or "range" in q.data:
                    q.fail("give edges, or bins (and a range), not both")
                bin_edges = check_edges(density, q.take("edges", list))
            else:
                span = q.take("range", list, default=None)
                bin_edges = edges(tuple(span) if span is not None else density,
                                  q.integer("bins", default=64, minimum=1))
            setting.source = to_distribution(density, bin_edges)
        except ScenarioError:
            raise
        except CodesimError as exc:
            q.fail(str(exc))
        q.done()
        source.done()
        setting.state = _Binned(density, bin_edges)
        setting.alphabet = setting.source.alphabet
    return setup


def _show(dist: Continuous) -> str:
    if isinstance(dist, Beta):
        return f"Beta({dist.a:g}, {dist.b:g})"
    return f"Normal({dist.mean:g}, {dist.sd:g})"


def _binned(key: str):
    def build(table, setting, name: str | None) -> Distribution:
        if not isinstance(setting.state, _Binned):
            table.fail(f"{key} is a continuous model: it needs a continuous source ([source] beta or normal)")
        binned = setting.state
        model = _density(table, key)
        dist = to_distribution(model, binned.edges)
        if name is not None:
            try:
                exact = kl(binned.density, model)
            except CodesimError:
                exact = None
            divergence = kl_divergence(setting.source, dist)
            setting.figures.setdefault("continuous_kl_bits", {})[name] = exact
            shown = "has no closed form" if exact is None else f"= {exact:.4f} bits"
            setting.remarks.append(
                f"Model '{name}': continuous D({_show(binned.density)}||{_show(model)}) {shown}; "
                f"quantised into {binned.edges.size - 1} bins, D(p||q) = {divergence:.4f} bits (quantising never "
                "adds divergence, and finer bins approach the continuous value).")
        return dist
    return build


for _key in ("beta", "normal"):
    register(Kind(_key, _binned(_key), setup=_setup(_key),
                  top_keys={"quantise": "[quantise] bins a continuous source: give [source] beta or normal"}))
