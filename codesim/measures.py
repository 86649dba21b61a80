"""Information measures over probability vectors: entropy, cross-entropy, KL divergence.

Free functions over arrays or :class:`~codesim.sources.iid.Distribution` objects, in bits by
default (``base="nats"`` or ``"bans"``, or any number above 1). Conventions: 0 log 0 = 0, and
+inf where q(x) = 0 < p(x), the cost of a model that rules out what happens.

>>> from codesim.measures import entropy, kl_divergence
>>> round(entropy([0.5, 0.25, 0.25]), 3)
1.5
>>> round(kl_divergence([1, 0], [0.3, 0.7]), 3)
1.737
"""

from __future__ import annotations

import math

import numpy as np

from .errors import CodesimError

_BASES = {"bits": 2.0, "nats": math.e, "bans": 10.0}


def _log_base(base: str | float) -> float:
    if isinstance(base, str):
        if base not in _BASES:
            raise CodesimError(f"unknown unit {base!r}: use one of {', '.join(_BASES)}")
        return math.log(_BASES[base])
    if not base > 1:  # a base below 1 would make every entropy negative; nan fails this test too
        raise CodesimError(f"log base must be a number above 1, got {base}")
    return math.log(base)


def _vec(x) -> np.ndarray:
    return np.asarray(getattr(x, "probs", x), dtype=np.float64)


def _pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    pv, qv = _vec(p), _vec(q)
    if pv.shape != qv.shape:
        raise CodesimError(f"p has {pv.size} entries and q has {qv.size}: they must match")
    return pv, qv


def entropy(p, base: str | float = "bits") -> float:
    """H(p) = -sum p log p, with 0 log 0 = 0."""
    pv = _vec(p)
    nz = pv[pv > 0]
    # 0.0 - x rather than -x: a certain outcome has entropy 0.0, not -0.0
    return float(0.0 - (nz * np.log(nz)).sum() / _log_base(base))


def cross_entropy(p, q, base: str | float = "bits") -> float:
    """H(p, q) = -sum p log q: the mean cost of coding p's symbols with -log q(x) each."""
    pv, qv = _pair(p, q)
    support = pv > 0
    if np.any(qv[support] <= 0):
        return math.inf
    return float(0.0 - (pv[support] * np.log(qv[support])).sum() / _log_base(base))  # 0.0, not -0.0, for q = p certain


def kl_divergence(p, q, base: str | float = "bits") -> float:
    """D(p||q) = H(p, q) - H(p) >= 0; +inf where q(x) = 0 < p(x).

    Summed term by term as p log(p/q) rather than by subtracting two sums, so that D(p||p) is exactly
    0 and small divergences keep their digits.
    """
    pv, qv = _pair(p, q)
    support = pv > 0
    if np.any(qv[support] <= 0):
        return math.inf
    terms = pv[support] * log_ratio(pv[support], qv[support])
    return max(0.0, float(terms.sum() / _log_base(base)))


def log_ratio(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """log(p/q) for p, q > 0: one log of the quotient (its digits kept where p is close to q), or log p -
    log q where the quotient leaves the normal doubles (p = 1, q = 5e-324: 1/q overflows to inf, and
    D(p||q) is 744 nats, not inf)."""
    with np.errstate(over="ignore", under="ignore"):
        ratio = p / q
    out = np.log(np.where(ratio >= np.finfo(float).tiny, ratio, 1.0))
    wide = ~(np.isfinite(ratio) & (ratio >= np.finfo(float).tiny))
    out[wide] = np.log(p[wide]) - np.log(q[wide])
    return out


def log_likelihood_ratio(stream: np.ndarray, p, q, base: str | float = "bits") -> float:
    """The sample mean of log p(x)/q(x) over a stream of indices drawn from p.

    By the law of large numbers it converges to D(p||q) as the stream grows: the likelihood-ratio
    view of KL divergence. +inf if q rules out a symbol that occurs; nan for an empty stream.
    """
    pv = _vec(p)
    return log_likelihood_ratio_of_counts(np.bincount(np.asarray(stream), minlength=pv.size), p, q, base)


def log_likelihood_ratio_of_counts(counts: np.ndarray, p, q, base: str | float = "bits") -> float:
    """:func:`log_likelihood_ratio` of a stream given by its symbol counts (streams too long to hold
    are counted block by block)."""
    pv, qv = _pair(p, q)
    counts = np.asarray(counts)
    n = int(counts.sum())
    if n == 0:
        return math.nan
    seen = counts > 0
    # A symbol that p rules out cannot come from p, whatever q says of it: the stream is not p's.
    if np.any(pv[seen] <= 0):
        raise CodesimError("the stream contains a symbol that p gives probability 0")
    if np.any(qv[seen] <= 0):
        return math.inf
    total = (counts[seen] * log_ratio(pv[seen], qv[seen])).sum()
    return float(total / n / _log_base(base))


def ideal_length(stream: np.ndarray, q) -> float:
    """sum over the stream of -log2 q(x): the bits an exact -log2 q coder spends on it."""
    return ideal_length_of_counts(np.bincount(np.asarray(stream), minlength=_vec(q).size), q)


def ideal_length_of_counts(counts: np.ndarray, q) -> float:
    """:func:`ideal_length` of a stream given by its symbol counts."""
    qv = _vec(q)
    counts = np.asarray(counts)
    seen = counts > 0
    if np.any(qv[seen] <= 0):
        return math.inf
    return float(-(counts[seen] * np.log2(qv[seen])).sum())
