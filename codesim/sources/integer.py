"""Distributions over the non-negative integers, cut to a finite alphabet: the scenario kinds
``geometric`` (P(n) = (1 - theta) theta^n), ``poisson`` (P(n) = e^-mean mean^n / n!) and ``zeta``
(P(n) = (n + 1)^-s / zeta(s)), each an i.i.d. source or an order-0 model.

Their support is infinite, so each is evaluated on a finite set of integer labels and renormalised over
it; the mass left out (``truncated``) is kept for the report. When a scenario omits its alphabet it is
0..N, N the least integer whose tail P(X > N) is below :data:`TOLERANCE` (:func:`support_end`), or the
cap ``max`` (default :data:`MAX_LABEL`) when the tail is heavier.

>>> p = IntegerDistribution.geometric(0.5)
>>> p.alphabet[-1], f"{p.truncated:.2e}", p
(39, '9.09e-13', IntegerDistribution(geometric(theta=0.5), 0..39, truncated=9.1e-13))

Numerics: geometric tails are theta^(N+1); Poisson tails are summed from the pmf at N + 1 (above the
mean, where the terms fall) or are one minus the cdf summed from the pmf at N (below it), each a series
of ratios in double precision; zeta tails are Hurwitz zeta functions zeta(s, N + 2) / zeta(s), each by
Euler-Maclaurin summation scaled by its first term, so a tail keeps its relative accuracy far below the
smallest double's square. Nothing here needs scipy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import DistributionError, show_value
from .base import Kind, register
from .continuous import _stirling_correction
from .iid import Distribution, Label, _check_labels

#: An omitted alphabet holds all but less than this of every integer distribution's mass.
TOLERANCE = 1e-12
#: The largest label of an omitted alphabet: 0..65535 is the largest alphabet a .csim file holds
#: (``codesim.files.container.MAX_ALPHABET``; restated because this module sits below the container).
MAX_LABEL = (1 << 16) - 1
#: The largest Poisson mean. An omitted alphabet (at most 0..65535) holds none of the mass of a mean past
#: about 7e4; around larger means, given labels hold some, and each tail sums about 6 sqrt(mean) terms.
MAX_MEAN = 1e6
#: The largest zeta exponent: at s = 1000 all but 2^-1000 of the mass is on 0 already.
MAX_S = 1000.0

#: Each family's parameter, as a scenario names it.
PARAMETERS = {"geometric": "theta", "poisson": "mean", "zeta": "s"}


# -- parameters ------------------------------------------------------------------------------------
def check_parameter(family: str, value) -> float:
    """``value`` as the family's parameter (a finite float in its range), or a DistributionError saying
    what the range is."""
    if family not in PARAMETERS:
        raise DistributionError(f"no integer family {family!r} (families: {', '.join(PARAMETERS)})")
    name = PARAMETERS[family]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DistributionError(f"{name} is {show_value(value)}: expected a number")
    try:
        x = float(value)
    except OverflowError:
        raise DistributionError(f"{name} is {show_value(value)}: too large for a double") from None
    if not math.isfinite(x):
        raise DistributionError(f"{name} is {x}: it must be finite")
    if family == "geometric" and not 0.0 < x < 1.0:
        raise DistributionError(f"theta is {x:g}: it must be between 0 and 1, both excluded")
    if family == "poisson" and not 0.0 < x <= MAX_MEAN:
        raise DistributionError(f"mean is {x:g}: it must be > 0 and at most {MAX_MEAN:g}")
    if family == "zeta" and not 1.0 < x <= MAX_S:
        raise DistributionError(f"s is {x:g}: it must be > 1 (the sum of (n+1)^-s diverges at 1) and at "
                                f"most {MAX_S:g}")
    return x


# -- tails -----------------------------------------------------------------------------------------
def _geometric_tail(theta: float, n: int) -> float:
    return math.pow(theta, n + 1)


def _poisson_log_pmf(mean: float, n):
    """ln P(n) for an int or an array of them (as floats).

    From 10 on, Stirling's series for ln n! leaves n (ln(1 + d) - d) - ln(2 pi n)/2 - its correction,
    d = (mean - n)/n: its error is about 1e-16 |mean - n|, where n ln(mean) - mean - ln n! loses
    1e-16 n ln(mean) to cancellation (1e-10 near a mean of 1e5).
    """
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (mean - n) / n
        large = n * (np.log1p(d) - d) - 0.5 * np.log(2 * math.pi * n) - _stirling_correction(n)
    factorials = np.array([math.lgamma(v + 1.0) for v in np.minimum(n, 10.0).ravel().tolist()])
    small = n * math.log(mean) - mean - factorials.reshape(n.shape)
    out = np.where(n >= 10, large, small)
    return float(out) if out.ndim == 0 else out


def _ratio_series(first_ratio: Callable[[int], float]) -> float:
    """1 + r(0) + r(0) r(1) + ...: the terms' ratios r(k) are below 1 and falling, so the sum stops
    once a term no longer changes it."""
    total, term, k = 1.0, 1.0, 0
    while True:
        term *= first_ratio(k)
        if term <= 1e-17 * total:
            return total
        total += term
        k += 1


def _poisson_tail(mean: float, n: int) -> float:
    """P(X > n): above the mean the sum of the pmf from n + 1 (each term mean/(n + 2 + k) times the
    last); below it one minus the cdf, summed down from n (each term (n - k)/mean times the last)."""
    if n + 1 >= mean:
        ratios = _ratio_series(lambda k: mean / (n + 2 + k))
        return math.exp(_poisson_log_pmf(mean, n + 1) + math.log(ratios))
    cdf = math.exp(_poisson_log_pmf(mean, n)) * _ratio_series(lambda k: max(n - k, 0) / mean)
    return max(0.0, 1.0 - cdf)


#: B_2j / (2j)! for j = 1..10, the Euler-Maclaurin coefficients.
_EM = [1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160, -691 / 1307674368000, 1 / 74724249600,
       -3617 / 10670622842880000, 43867 / 5109094217170944000, -174611 / 802857662698291200000]


def log_hurwitz(s: float, a: float) -> float:
    """ln zeta(s, a) = ln sum_(k >= 0) (k + a)^-s for s > 1, a >= 1.

    The first K terms are summed, K making x = a + K at least max(20, 2 s), and the rest is the
    Euler-Maclaurin tail x^(1-s)/(s-1) + x^-s/2 + sum_j B_2j/(2j)! s(s+1)..(s+2j-2) x^(1-s-2j), whose
    terms then fall by about (s + 2j)^2 / (2 pi x)^2 each, under 1/16 up to j = 10. Every term is divided by a^-s, so nothing
    underflows, and the logarithm of a^-s is added back.
    """
    skip = max(0, math.ceil(max(20.0, 2.0 * s) - a))
    x = a + skip
    terms = [math.exp(-s * math.log1p(k / a)) for k in range(skip)]
    last = math.exp(-s * math.log1p(skip / a))  # (x / a)^-s
    terms += [last * x / (s - 1.0), last * 0.5]
    rising, power = s, 1.0 / x
    for j, coefficient in enumerate(_EM, 1):
        terms.append(last * coefficient * rising * power)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        power /= x * x
    return -s * math.log(a) + math.log(math.fsum(terms))


def _zeta_tail(s: float, n: int) -> float:
    return math.exp(log_hurwitz(s, n + 2.0) - log_hurwitz(s, 1.0))


_TAILS = {"geometric": _geometric_tail, "poisson": _poisson_tail, "zeta": _zeta_tail}


def tail(family: str, parameter: float, n: int) -> float:
    """P(X > n) for the family with its parameter (before any truncation)."""
    return _TAILS[family](check_parameter(family, parameter), int(n))


def support_end(family: str, parameter: float, tolerance: float = TOLERANCE, cap: int = MAX_LABEL) -> int:
    """The least N with P(X > N) < tolerance, or ``cap`` when the tail at ``cap`` is heavier."""
    parameter = check_parameter(family, parameter)
    tail_at = _TAILS[family]
    if tail_at(parameter, cap) >= tolerance:
        return cap
    low, high = -1, cap  # the tail at low is >= tolerance (P(X > -1) = 1), at high below it
    while high - low > 1:
        mid = (low + high) // 2
        if tail_at(parameter, mid) < tolerance:
            high = mid
        else:
            low = mid
    return high


# -- the distribution ------------------------------------------------------------------------------
def _integer_labels(labels: Sequence[Label], family: str) -> tuple[Label, ...]:
    labels = _check_labels(labels)
    for i, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, int) or label < 0:
            raise DistributionError(f"alphabet entry {i + 1} is {show_value(label)}: a {family} distribution "
                                    "is over the non-negative integers, so every label must be one")
    return labels


def _log_pmf(family: str, parameter: float, n: np.ndarray) -> np.ndarray:
    if family == "geometric":
        return math.log1p(-parameter) + n * math.log(parameter)
    if family == "poisson":
        return _poisson_log_pmf(parameter, n)
    return -parameter * np.log1p(n) - log_hurwitz(parameter, 1.0)


class OutOfReach(DistributionError):
    """The labels hold none of a family's mass in double precision (its parameter puts the mass far
    from them)."""


@dataclass(frozen=True, eq=False, repr=False)
class IntegerDistribution(Distribution):
    """A geometric, Poisson or zeta distribution renormalised over integer labels; ``truncated`` is the
    mass the labels leave out, before renormalising, and ``kept`` the mass they hold (1 - truncated,
    accurate also where truncated rounds to 1)."""

    family: str
    parameter: float
    truncated: float
    kept: float

    @classmethod
    def of(cls, family: str, parameter: float, labels: Sequence[Label] | None = None) -> "IntegerDistribution":
        """The family over ``labels`` (non-negative integers), by default 0..:func:`support_end`."""
        parameter = check_parameter(family, parameter)
        if labels is None:
            labels = range(support_end(family, parameter) + 1)
        labels = _integer_labels(labels, family)
        with np.errstate(under="ignore", over="ignore"):
            pmf = np.exp(_log_pmf(family, parameter, np.asarray(labels, dtype=np.float64)))
        kept = math.fsum(pmf)
        shown = describe(family, parameter)
        if not kept > 0:
            raise OutOfReach(f"the alphabet holds none of {shown}'s mass in double precision: give labels nearer "
                             "its bulk")
        end = max(labels)
        if len(labels) == end + 1:  # distinct non-negative integers: exactly 0..end
            truncated = _TAILS[family](parameter, end)
        else:
            truncated = max(0.0, 1.0 - kept)
        return cls(labels, pmf / kept, family, parameter, truncated, kept)

    @classmethod
    def geometric(cls, theta: float, labels: Sequence[Label] | None = None) -> "IntegerDistribution":
        """P(n) = (1 - theta) theta^n, 0 < theta < 1."""
        return cls.of("geometric", theta, labels)

    @classmethod
    def poisson(cls, mean: float, labels: Sequence[Label] | None = None) -> "IntegerDistribution":
        """P(n) = e^-mean mean^n / n!, mean > 0."""
        return cls.of("poisson", mean, labels)

    @classmethod
    def zeta(cls, s: float, labels: Sequence[Label] | None = None) -> "IntegerDistribution":
        """P(n) = (n + 1)^-s / zeta(s), s > 1."""
        return cls.of("zeta", s, labels)

    @property
    def name(self) -> str:
        """The family and its parameter, e.g. ``geometric(theta=0.9)``."""
        return describe(self.family, self.parameter)

    def __repr__(self) -> str:
        labels = self.alphabet
        span = (f"0..{labels[-1]}" if list(labels) == list(range(len(labels)))
                else f"{len(labels)} labels from {min(labels)} to {max(labels)}")
        return f"IntegerDistribution({self.name}, {span}, truncated={self.truncated:.2g})"


def describe(family: str, parameter: float) -> str:
    """``family(name=value)`` as reports write it."""
    return f"{family}({PARAMETERS[family]}={parameter:.10g})"


# -- the scenario kinds ----------------------------------------------------------------------------
@dataclass(frozen=True)
class OmittedAlphabet:
    """What an integer source decides when the scenario omits its alphabet: it is 0..end."""

    end: int


def _read(table, family: str) -> tuple[float, int | None]:
    """The family's parameter and ``max`` from ``table``'s sub-table, each error naming its key."""
    spec = table.sub(family)
    key = PARAMETERS[family]
    try:
        parameter = check_parameter(family, spec.take(key, (int, float)))
    except DistributionError as exc:
        spec.fail(str(exc))
    cap = spec.integer("max", default=None, minimum=0, maximum=MAX_LABEL)
    spec.done()
    return parameter, cap


def _alphabet(setting, source, models) -> tuple[int, ...]:
    """0..N for a scenario that omits its alphabet: N the largest over the source and the models of an
    integer family of the least label whose tail is below TOLERANCE, each capped by its ``max``."""
    end = 0
    for table in (source, *models.values()):
        for family in PARAMETERS:
            if family in table.data:
                parameter, cap = _read(table, family)
                end = max(end, support_end(family, parameter, cap=MAX_LABEL if cap is None else cap))
    setting.state = OmittedAlphabet(end)
    return tuple(range(end + 1))


def _build(family: str):
    def build(table, setting, name: str | None) -> IntegerDistribution:
        parameter, cap = _read(table, family)
        if cap is not None and not isinstance(setting.state, OmittedAlphabet):
            table.sub(family).fail("max caps an omitted alphabet, and this scenario's alphabet is given "
                                   "(or set by its source): remove max", "max")
        try:
            dist = IntegerDistribution.of(family, parameter, setting.alphabet)
        except OutOfReach as exc:  # the parameter puts the mass out of the alphabet's reach: name it
            table.sub(family).fail(f"{PARAMETERS[family]} = {parameter:g}: {exc}")
        who = "The source" if name is None else f"Model '{name}'"
        if dist.truncated == 0:
            left = "all of its mass in double precision"
        else:
            held = f"all but {dist.truncated:.1e}" if dist.truncated < 0.5 else f"only {dist.kept:.1e}"
            left = f"{held} of its mass; the rest is left out and the distribution renormalised"
        span = (f"0..{setting.alphabet[-1]}" if isinstance(setting.state, OmittedAlphabet)
                else f"of {len(setting.alphabet)} labels")
        setting.remarks.append(f"{who} is {dist.name}: the alphabet {span} holds {left}.")
        setting.figures.setdefault("truncated_mass", {})["source" if name is None else name] = dist.truncated
        return dist
    return build


for _family in PARAMETERS:
    register(Kind(_family, _build(_family), alphabet=_alphabet))
