"""Models estimated from data: smoothed frequency estimates, and what estimating from a sample costs.
The scenario kind ``estimate`` (a model estimated from a sample of the source) is registered here.

A model q is often not known but estimated from m observed symbols. With counts c(x), total n and k
symbols, the add-alpha estimate is

    q(x) = (c(x) + alpha) / (n + alpha k)

``smoothing`` names alpha: ``"none"`` (alpha = 0, the maximum-likelihood estimate c(x)/n, which gives
q(x) = 0 to every symbol the sample missed, so D(p||q) = inf for a source that emits it),
``"laplace"`` (alpha = 1, Laplace's rule of succession), ``"kt"`` (alpha = 1/2, the
Krichevsky-Trofimov estimate), or any number alpha >= 0.

>>> smoothed([3, 1, 0], "laplace").round(4).tolist()
[0.5714, 0.2857, 0.1429]
>>> smoothed([3, 1, 0], "none").tolist()
[0.75, 0.25, 0.0]
>>> round(expected_ml_excess(8, 2000), 6)
0.002525
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .base import Kind, Source, register
from .iid import Distribution, _as_vector
from .markov import MarkovChain, estimate_chain
from ..coders.context import MAX_ORDER
from ..errors import EstimateError, counted, did_you_mean

#: The named smoothings and the pseudocount alpha each adds to every count.
SMOOTHINGS: dict[str, float] = {"none": 0.0, "laplace": 1.0, "kt": 0.5}

#: The most training samples: drawing and counting them takes about 40 seconds here over 8 symbols and
#: a few minutes over 65536, and the estimate's expected excess (k-1)/(2 m ln 2) is then below 10^-4
#: bits per symbol for every alphabet codesim takes.
MAX_SAMPLES = 10**9
#: Training samples are drawn and counted this many at a time, so that estimating from 10^9 symbols
#: needs a few tens of MB, not one byte per symbol.
COUNT_CHUNK = 1 << 22
#: An order-k estimate counts k + 1 contexts a sample (its full one and the shorter ones of a message's
#: start): at most this many in all, an order-1 estimate from MAX_SAMPLES, about 25 s here (order 19
#: from 10^8 samples), so that a high order is refused before minutes of counting, not after.
MAX_CONTEXT_COUNTS = 2 * MAX_SAMPLES


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def pseudocount(smoothing: str | float) -> float:
    """The alpha a smoothing adds to every count: a name of :data:`SMOOTHINGS` or a number >= 0.

    A string is a name only: ``"0.5"`` is refused, as a string is wherever a number belongs, so that a
    scenario's ``smoothing = "4"`` is not silently read as the number 4."""
    if isinstance(smoothing, str):
        if smoothing in SMOOTHINGS:
            return SMOOTHINGS[smoothing]
        if _is_number(smoothing):
            raise EstimateError(
                f"smoothing is the string {smoothing!r}: write the number without quotes, or one of "
                f"{', '.join(SMOOTHINGS)}"
            )
        raise EstimateError(
            f"unknown smoothing {smoothing!r}: use one of {', '.join(SMOOTHINGS)} "
            f"or a number alpha >= 0{did_you_mean(smoothing, SMOOTHINGS)}"
        )
    elif isinstance(smoothing, (int, float, np.integer, np.floating)) and not isinstance(smoothing, (bool, np.bool_)):
        value = float(smoothing)
    else:
        raise EstimateError(
            f"smoothing {smoothing!r} is neither a name ({', '.join(SMOOTHINGS)}) nor a number alpha >= 0"
        )
    if math.isnan(value):
        raise EstimateError("smoothing alpha is NaN: give a number >= 0 or one of " + ", ".join(SMOOTHINGS))
    if math.isinf(value):
        raise EstimateError("smoothing alpha is infinite: give a finite number >= 0")
    if value < 0:
        raise EstimateError(
            f"smoothing alpha is {value:g}: the pseudocount added to every count must be >= 0"
        )
    return value


def smoothed(counts: Sequence[float], smoothing: str | float) -> np.ndarray:
    """Probabilities (c(x) + alpha) / (n + alpha k) from symbol counts c (non-negative numbers).

    With alpha = 0 (``"none"``) a zero count gives probability 0, and counts that are all zero give
    no estimate at all: an error.
    """
    alpha = pseudocount(smoothing)
    vec = _as_vector(counts, "counts")
    scale = max(float(vec.max()), alpha)
    if scale <= 0:
        raise EstimateError(
            "all counts are zero and smoothing 'none' adds nothing to them, so there is nothing to "
            "estimate from: use more samples, or smoothing 'laplace', 'kt' or a positive alpha"
        )
    try:
        total = math.fsum(vec) + alpha * vec.size
    except OverflowError:
        total = math.inf
    if math.isinf(total):  # counts or alpha near 1e308: the same ratios, relative to the largest
        weights = vec / scale + alpha / scale
        return weights / math.fsum(weights)
    return (vec + alpha) / total


def _check_samples(samples) -> int:
    if isinstance(samples, (bool, np.bool_)) or not isinstance(samples, (int, np.integer)):
        raise EstimateError(f"samples must be a whole number >= 0, got {samples!r}")
    if samples < 0:
        raise EstimateError(f"samples must be >= 0, got {samples}")
    if samples > MAX_SAMPLES:
        raise EstimateError(f"samples {samples} is over the limit of {MAX_SAMPLES:.0e}")
    return int(samples)


def sample_counts(p: Source, samples: int, seed: int | np.random.Generator | None) -> np.ndarray:
    """How often each symbol occurs in the first ``samples`` symbols of a stream drawn from p: exactly
    the counts of ``p.sample(samples, seed)`` for a distribution, drawn in blocks so that memory stays
    bounded."""
    n = _check_samples(samples)
    size = len(p.alphabet)
    counts = np.zeros(size, dtype=np.int64)
    for block in p.blocks(n, seed, COUNT_CHUNK):
        counts += np.bincount(block, minlength=size)
    return counts


def estimate(
    p: Source, samples: int, smoothing: str | float, seed: int | np.random.Generator | None
) -> Distribution:
    """A model q over p's alphabet estimated from ``samples`` symbols drawn from p with ``seed``.

    The same seed gives the same training sample and so the same q. With smoothing ``"none"`` a
    symbol the sample never drew gets q(x) = 0.
    """
    pseudocount(smoothing)  # a bad smoothing is reported before any sampling is done
    counts = sample_counts(p, samples, seed)
    return Distribution(p.alphabet, smoothed(counts, smoothing))


def expected_ml_excess(k: int, m: int) -> float:
    """(k - 1) / (2 m ln 2): the large-m approximation of E[D(p||q_hat)] in bits per symbol.

    q_hat is the maximum-likelihood estimate c(x)/m from m independent draws of p, and k is the
    number of symbols p gives positive probability. It is the excess a code built from q_hat spends
    over H(p) on p's own symbols, averaged over training samples.

    Why: with q_hat = p + delta (sum delta = 0), a second-order expansion of the logarithm gives
    D(p||q_hat) = 1/2 sum delta(x)^2 / p(x) + O(delta^3) nats, and since c(x) is binomial,
    E[delta(x)^2] = p(x)(1 - p(x))/m exactly, so the leading term has expectation
    1/2 sum (1 - p(x))/m = (k - 1)/(2m) nats. The same quadratic form is Pearson's chi-square
    statistic divided by 2m, and D(q_hat||p) has the same expansion to second order, so 2m D in nats
    (either direction; for D(q_hat||p) it is the G statistic of the likelihood-ratio test) is
    asymptotically chi-square with k - 1 degrees of freedom, whose mean is k - 1 (Wilks' theorem).

    Where it holds: when every symbol is expected many times (m * min p(x) >> 1); the neglected
    terms are of order sum 1/p(x) / m^2. It is an approximation, never the exact value: for any
    finite m the ML estimate misses some symbol with positive probability, where D(p||q_hat) = inf,
    so the exact expectation is infinite; the formula describes the typical sample, in which every
    symbol appears. Add-alpha smoothing with a fixed alpha shifts q_hat by O(1/m) and leaves the
    leading term (k - 1)/(2m) unchanged.
    """
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)) or k < 1:
        raise EstimateError(f"k (the number of symbols) must be a whole number >= 1, got {k!r}")
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, (int, float, np.integer, np.floating)):
        raise EstimateError(f"m (the number of samples) must be a number > 0, got {m!r}")
    if not m > 0 or math.isinf(m):
        raise EstimateError(f"m (the number of samples) must be a finite number > 0, got {m!r}")
    return (int(k) - 1) / (2.0 * float(m) * math.log(2.0))


def _estimated(table, setting, name: str | None) -> Distribution | MarkovChain:
    if name is None:
        table.fail("the source cannot be estimated: estimate draws its training sample from the source")
    spec = table.sub("estimate")
    samples = spec.integer("samples", minimum=0, maximum=MAX_SAMPLES)
    smoothing = spec.take("smoothing", (str, int, float), default="none")
    seed = spec.seed("seed")  # required, as for dirichlet
    order = spec.integer("order", default=0, minimum=0, maximum=MAX_ORDER)
    spec.done()
    if order > 0 and samples * (order + 1) > MAX_CONTEXT_COUNTS:
        spec.fail(f"{samples} samples at order {order} count {samples * (order + 1)} contexts (order + 1 a "
                  f"sample), over the limit of {MAX_CONTEXT_COUNTS:.0e}: use fewer samples or a lower order",
                  "samples")
    if order > 0:
        alpha = pseudocount(smoothing)
        chain = estimate_chain(setting.source.blocks(samples, seed, COUNT_CHUNK), setting.alphabet, order, alpha)
        setting.remarks.append(
            f"Model '{name}' is an order-{order} chain estimated from {counted(samples, 'sample')} of p "
            f"({smoothing} smoothing, seed {seed}): {counted(len(chain.contexts.ids), 'context')} seen, the order-0 "
            "estimate for the rest.")
        return chain
    dist = estimate(setting.source, samples, smoothing, seed)
    k = int(np.count_nonzero(setting.source.marginal().probs))
    if samples > 0:
        expected = expected_ml_excess(k, samples)
        setting.remarks.append(
            f"Model '{name}' was estimated from {counted(samples, 'sample')} of p ({smoothing} smoothing, "
            f"seed {seed}); "
            f"for a maximum-likelihood estimate D(p||q) is about (k-1)/(2 m ln 2) = {expected:.4f} bits.")
        setting.figures.setdefault("expected_estimate_kl_bits", {})[name] = expected
    return dist


register(Kind("estimate", _estimated))
