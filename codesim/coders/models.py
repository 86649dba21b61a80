"""What a range coder asks of its model, for a static and for an adaptive model.

A model gives symbol x an interval [start(x), start(x) + size(x)) out of a total: the coder spends
log2(total / size(x)) bits on it. The coder asks three things (as constriction's coders ask their
models for ``left_cumulative_and_probability`` and ``quantile_function``): the interval of a symbol
(:meth:`interval`, and :meth:`intervals` for a whole stream, as the encoder asks), the symbol whose
interval holds a cumulative target (:meth:`find`, as the decoder asks), and to learn from a symbol
(:meth:`update`). A model is all integers, so encoder and decoder agree on every interval exactly.

The decoding loop reads a model's tables directly (:mod:`codesim.coders.kernels.rangecoder`): ``shift``
(P when the total is always 2^P, else 0), ``starts`` and ``sizes``, the Fenwick ``tree`` of a model
that learns, and ``total``, ``step``, ``limit`` and ``pseudo``.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import repeat

import numpy as np

from .kernels import fenwick

#: Alphabets up to this size have the adaptive model's intervals for a known stream counted with
#: numpy (:meth:`AdaptiveModel._counted_intervals`): its work per symbol grows with k, a Fenwick
#: step's with log2 k; here counting is 2 to 3 times faster over 8 symbols, and no faster past 32.
COUNTED_ALPHABET = 32
#: Cells of the one-hot matrix counted at once: 4 MB of int32.
COUNTED_CELLS = 1 << 20


class StaticModel:
    """Quantised frequencies f (every f >= 1, sum 2^P): symbol x always gets [s(x), s(x) + f(x)) of
    2^P, s(x) the sum of f below x."""

    step = pseudo = 0
    limit = 0
    tree: list[int] = []

    def __init__(self, freqs: np.ndarray, starts: np.ndarray, precision: int):
        self.shift = precision
        self.total = 1 << precision
        self.freq_array, self.start_array = freqs, starts
        self.starts, self.sizes = starts.tolist(), freqs.tolist()

    def interval(self, x: int) -> tuple[int, int, int]:
        """(start, size, total) of symbol x."""
        return self.starts[x], self.sizes[x], self.total

    def intervals(self, stream: np.ndarray):
        """The starts, sizes and totals of the symbols of ``stream``, as sequences of ints."""
        return self.start_array[stream].tolist(), self.freq_array[stream].tolist(), repeat(self.total)

    def find(self, target: int) -> int:
        """The symbol whose interval holds ``target`` (0 <= target < total)."""
        return bisect_right(self.starts, target) - 1

    def update(self, x: int) -> None:
        """A static model learns nothing."""


class AdaptiveModel:
    """The add-alpha estimator in integers: symbol x has weight d c(x) + a after c(x) occurrences
    (alpha = a / d), its interval is its weight out of the sum of weights, and the counts are halved
    when that sum would pass ``limit`` (see :class:`codesim.coders.adaptive.AdaptiveArithmeticCoder`).

    One model codes one message: it changes with every symbol coded.
    """

    shift = 0
    starts: list[int] = []

    def __init__(self, size: int, pseudo: int, step: int, limit: int):
        self.pseudo, self.step, self.limit = pseudo, step, limit
        self.sizes = [pseudo] * size
        self.tree = [0] * (fenwick.tree_span(size) + 1)
        fenwick.build(self.sizes, self.tree)
        self.total = pseudo * size

    def interval(self, x: int) -> tuple[int, int, int]:
        return fenwick.below(self.tree, x), self.sizes[x], self.total

    def intervals(self, stream: np.ndarray):
        """The intervals of the symbols of ``stream`` in turn, learning from each (so the model ends
        as it would after coding them).

        The encoder knows the whole stream, so over a small alphabet with no halving ahead the
        intervals are counted at once (:meth:`_counted_intervals`); otherwise the model steps through
        the symbols (:func:`.kernels.fenwick.adaptive_intervals`). Both give the same intervals.
        """
        m = stream.size
        if len(self.sizes) <= COUNTED_ALPHABET and self.total + self.step * m <= self.limit:
            return self._counted_intervals(stream)
        starts, sizes, totals = [0] * m, [0] * m, [0] * m
        self.total = fenwick.adaptive_intervals(stream.tolist(), self.sizes, self.tree, self.total, self.step,
                                                self.limit, self.pseudo, starts, sizes, totals)
        return starts, sizes, totals

    def _counted_intervals(self, stream: np.ndarray):
        """The intervals of a stream that does not reach the halving limit, from counts.

        Before symbol i, symbol y's weight is w(y) + d (the y among symbols 0 .. i-1), so x_i's size is
        w(x_i) + d * (earlier x_i), its start the weights below x_i plus d * (earlier symbols below
        x_i), and the total T + d i. The counts are cumulative sums over a one-hot matrix (a row per
        symbol of the stream, a column per symbol of the alphabet), COUNTED_CELLS cells at a time.
        """
        k, d = len(self.sizes), self.step
        weights = np.array(self.sizes, dtype=np.int64)
        x = stream.astype(np.int64, copy=False)
        starts = np.empty(x.size, dtype=np.int64)
        sizes = np.empty(x.size, dtype=np.int64)
        rows = max(1, COUNTED_CELLS // k)
        for first in range(0, x.size, rows):
            part = x[first : first + rows]
            at = np.arange(part.size)
            seen = np.zeros((part.size, k), dtype=np.int32)
            seen[at, part] = 1
            np.cumsum(seen, axis=0, out=seen)  # seen[i, y]: y among the part's symbols 0 .. i
            same = seen[at, part]  # x_i itself included
            below = np.cumsum(seen, axis=1)[at, part] - same  # symbols below x_i among 0 .. i - 1
            starts[first : first + part.size] = (np.cumsum(weights) - weights)[part] + d * below
            sizes[first : first + part.size] = weights[part] + d * (same - 1)
            weights += d * seen[-1]
        totals = range(self.total, self.total + d * x.size, d)
        self.total += d * x.size
        self.sizes = weights.tolist()
        fenwick.build(self.sizes, self.tree)
        return starts.tolist(), sizes.tolist(), totals

    def find(self, target: int) -> int:
        return fenwick.find(self.tree, target)[0]

    def update(self, x: int) -> None:
        self.sizes[x] += self.step
        fenwick.add(self.tree, x, self.step)
        self.total += self.step
        if self.total > self.limit:
            self.total = fenwick.halve(self.sizes, self.tree, self.pseudo, self.step)
