"""Quantised frequencies: the integer model that stream coders (arithmetic, rANS) code with.

A stream coder spends about -log2(f(x) / 2^precision) bits on symbol x, so its implied distribution is
r = f / 2^precision and the quantisation costs D(q||r)-like extra bits on top of D(p||q). Frequencies
are integers, never floats, so the decoder rebuilds the identical table on any machine.

Config of a frequency coder: ``{"scheme", "params", "precision", "freqs"}``: ``precision`` P (equal to
the ``precision`` parameter where the scheme has one) and one integer frequency >= 1 per symbol,
summing to 2^P.
"""

from __future__ import annotations

import heapq
import math
from typing import Any, ClassVar

import numpy as np

from ..errors import CodesimError, ConfigError, SchemeError
from .base import Coder, table_columns_with
from .config import check_count, check_version, field, int_list, strict_int


def check_slots(scheme: str, size: int, precision: int, max_precision: int) -> None:
    """Refuse an alphabet with more symbols than 2^precision frequency slots, advising a precision the
    scheme takes (up to ``max_precision``) or saying that none does."""
    if size <= 1 << precision:
        return
    needed = max(1, (size - 1).bit_length())
    advice = (f"use precision >= {needed}" if needed <= max_precision else
              f"{scheme} codes at most 2^{max_precision} = {1 << max_precision} symbols")
    raise SchemeError(f"scheme {scheme!r}: precision={precision} gives {1 << precision} frequency slots, "
                      f"fewer than the {size} symbols; {advice}")


def quantise(q: np.ndarray, precision: int) -> np.ndarray:
    """Integer frequencies f >= 1 with sum exactly 2^precision that minimise the expected code length
    under q, sum q(x) log2(2^precision / f(x)), among all such tables.

    Every symbol keeps f >= 1, including those q gives probability 0 (a coder must be able to code
    whatever the source emits). Rounding q * 2^precision rarely hits the total exactly; the difference
    is made up one count at a time where it costs the model least: a count goes to the symbol that
    gains most, q(x) log2((f+1)/f), or is taken from the one (with f > 1) that loses least,
    q(x) log2(f/(f-1)). Then counts move, one at a time, from the symbol that loses least to the one
    that gains most while that saves bits. The objective is a sum of concave functions of the f(x), so
    a table that no single move improves is optimal over all tables (the exchange argument of
    separable resource allocation; Ibaraki and Katoh 1988, ch. 4). Ties go to the lower symbol index,
    so the result is deterministic.
    """
    q = np.asarray(q, dtype=np.float64)
    total = 1 << precision
    if q.size > total:
        raise CodesimError(
            f"precision {precision} gives {total} frequency slots, fewer than the {q.size} symbols; "
            f"use precision >= {math.ceil(math.log2(q.size))}"
        )
    f = np.maximum(1, np.rint(q / q.sum() * total)).astype(np.int64)
    q = q / q.sum()
    gains = _Gains(q, f)
    gap = total - int(f.sum())
    for _ in range(gap):
        gains.move(to=gains.best_receiver())
    for _ in range(-gap):
        gains.move(away=gains.best_donor())
    while True:
        i, j = gains.best_receiver(), gains.best_donor()
        if j is None or i == j or _gain(q[i], f[i]) <= _gain(q[j], f[j] - 1):
            return f
        gains.move(to=i, away=j)


class _Gains:
    """Two heaps over the symbols, kept current as counts move: who gains most from one more count
    (q(x) log2((f+1)/f); only symbols with q > 0 gain anything) and who loses least by giving one up
    (q(x) log2(f/(f-1)), only f > 1). Entries made stale by a move are dropped when they surface."""

    def __init__(self, q: np.ndarray, f: np.ndarray):
        self.q, self.f = q, f
        self.receivers = [(-_gain(q[i], f[i]), i, int(f[i])) for i in np.flatnonzero(q > 0).tolist()]
        self.donors = [(_gain(q[i], f[i] - 1), i, int(f[i])) for i in np.flatnonzero(f > 1).tolist()]
        heapq.heapify(self.receivers)
        heapq.heapify(self.donors)

    def best_receiver(self) -> int:
        return self._top(self.receivers)

    def best_donor(self) -> int | None:
        return self._top(self.donors) if self.donors else None

    def _top(self, heap) -> int | None:
        while heap and heap[0][2] != self.f[heap[0][1]]:
            heapq.heappop(heap)
        return heap[0][1] if heap else None

    def move(self, to: int | None = None, away: int | None = None) -> None:
        for i, step in ((to, 1), (away, -1)):
            if i is None:
                continue
            self.f[i] += step
            fi = int(self.f[i])
            if self.q[i] > 0:
                heapq.heappush(self.receivers, (-_gain(self.q[i], fi), i, fi))
            if fi > 1:
                heapq.heappush(self.donors, (_gain(self.q[i], fi - 1), i, fi))


def _gain(q: float, f: int) -> float:
    """What one more count (f -> f + 1) saves, in expected bits per symbol under q."""
    return q * math.log2((f + 1) / f)


def check_frequencies(freqs, precision: int) -> np.ndarray:
    """Frequencies read back from a config: every one >= 1 and their sum exactly 2^precision."""
    try:
        f = np.asarray(freqs)
    except (TypeError, ValueError):
        raise CodesimError("frequencies must be a non-empty list of integers") from None
    if f.ndim != 1 or f.size == 0 or f.dtype.kind not in "iu":
        raise CodesimError("frequencies must be a non-empty list of integers")
    if f.min() < 1:
        raise CodesimError(f"frequency of symbol {int(np.argmin(f))} is {int(f.min())}: every symbol needs >= 1")
    if int(f.sum()) != 1 << precision:
        raise CodesimError(f"frequencies add up to {int(f.sum())}, not 2^{precision} = {1 << precision}")
    return f.astype(np.int64)


class FrequencyCoder(Coder):
    """Base of the coders that spend about -log2(f(x) / 2^precision) bits on x.

    Subclasses set ``scheme`` and implement ``encode`` and ``decode``; the table is ``freqs`` and its
    cumulative sums ``starts`` (start[x] = sum of f below x).
    """

    #: Largest precision any stream coder accepts; checked before 2^precision is ever formed.
    max_precision: ClassVar[int] = 32

    def __init__(self, freqs, precision: int, scheme: str, params: dict[str, Any]):
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or not (
            1 <= precision <= self.max_precision
        ):
            raise CodesimError(f"precision must be an integer from 1 to {self.max_precision}, got {precision!r}")
        if not isinstance(params, dict):
            raise CodesimError(f"a coder's params are a table of name = value, got {params!r}")
        self.precision = int(precision)
        self.freqs = check_frequencies(freqs, self.precision)
        self.freqs.setflags(write=False)
        self.starts = np.concatenate(([0], np.cumsum(self.freqs)[:-1])).astype(np.int64)
        self.starts.setflags(write=False)
        self.scheme = scheme
        self.params = dict(params)

    @property
    def size(self) -> int:
        return int(self.freqs.size)

    @property
    def implied(self) -> np.ndarray:
        return self.freqs / float(1 << self.precision)

    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "precision": self.precision,
                "freqs": self.freqs.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "FrequencyCoder":
        """The coder of a config, in the config's version (1 when it has none), which a subclass's
        constructor takes as its fifth argument."""
        try:
            freqs, precision, scheme = config["freqs"], config["precision"], config["scheme"]
        except (KeyError, TypeError):
            raise CodesimError(f"a {cls.__name__} config needs scheme, precision and freqs") from None
        version = check_version(config, cls.versions, str(scheme))
        return cls(np.asarray(freqs), precision, scheme, config.get("params", {}), version)

    config_fields: ClassVar[tuple[str, ...]] = ("precision", "freqs")

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The precision within the class's and equal to the parameter; a frequency >= 1 per symbol,
        summing to 2^precision."""
        precision = strict_int(config["precision"], "precision", 1, cls.max_precision)
        if params.get("precision", precision) != precision:
            raise ConfigError(f"{field('precision')} is {precision} but 'coder.params.precision' is "
                              f"{params['precision']}", corrupt=True)
        freqs = int_list(config["freqs"], "freqs", "frequencies")
        check_count(len(freqs), size, "freqs")
        for i, f in enumerate(freqs):
            if f < 1:
                raise ConfigError(f"{field('freqs')} entry {i + 1} is {f}: every symbol needs a frequency >= 1 "
                                  "(zeros make symbols uncodable)")
        total = sum(freqs)
        if total != 1 << precision:
            raise ConfigError(f"{field('freqs')} adds up to {total}, not 2^{precision} = {1 << precision}")

    table_columns = table_columns_with(("frequency", "frequency"), ("cost_bits", "-log2 f/2^P"))

    def table_entry(self, i: int) -> dict[str, Any]:
        """Symbol i's frequency and the exact cost -log2(f / 2^P) it has in the code."""
        return {"frequency": int(self.freqs[i]), "cost_bits": self.precision - math.log2(int(self.freqs[i]))}
