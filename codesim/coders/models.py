"""What a range coder asks of its model, for a static and for an adaptive model.

A model gives symbol x an interval [start(x), start(x) + size(x)) out of a total: the coder spends
log2(total / size(x)) bits on it. The coder asks three things (as constriction's coders ask their
models for ``left_cumulative_and_probability`` and ``quantile_function``): the interval of a symbol
(:meth:`interval`), the symbol whose interval holds a cumulative target (:meth:`find`, as the decoder
asks), and to learn from a symbol (:meth:`update`). A model is all integers, so encoder and decoder
agree on every interval exactly.

The coding loops (:mod:`codesim.coders.kernels.rangecoder`) do not call these per symbol: they read
the model's tables, which :meth:`tables` gives in the form the kernels take (:mod:`codesim.jit`):
``shift`` (P when the total is always 2^P, else 0), ``starts`` and ``sizes``, a static model's
``lookup`` table and ``slot_shift``, an adaptive model's Fenwick ``tree``, and ``total``, ``step``,
``limit`` and ``pseudo``, and for a model with contexts ``follow`` and ``context`` (None for the
others; see :class:`AdaptiveContextModel`). The range coder of config version 1 (:mod:`codesim.coders.rangecoder_v1`)
reads the same tables as lists, and asks :meth:`intervals` for a chunk of a stream at a time.
:meth:`interval`, :meth:`find` and :meth:`update` state the model one symbol at a time;
tests/coders/test_kernels.py holds the kernels and :meth:`intervals` to them.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import repeat

import numpy as np

from .. import jit
from .context import Contexts
from .kernels import fenwick

#: The static model's lookup table has at most 2^SLOT_BITS slots (4097 int32 entries, 16 KB): with
#: the 24-bit default precision a slot spans 2^12 of the total, so every symbol of probability 2^-12
#: or more starts at most one symbol boundary inside a slot.
SLOT_BITS = 12


class StaticModel:
    """Quantised frequencies f (every f >= 1, sum 2^P): symbol x always gets [s(x), s(x) + f(x)) of
    2^P, s(x) the sum of f below x."""

    step = pseudo = 0
    limit = 0
    tree: list[int] = []
    follow = context = None

    def __init__(self, freqs: np.ndarray, starts: np.ndarray, precision: int):
        self.shift = precision
        self.total = 1 << precision
        self.freq_array, self.start_array = freqs, starts
        self.starts, self.sizes = starts.tolist(), freqs.tolist()
        self._lookup = None

    def tables(self):
        """(starts, sizes, lookup, slot_shift, tree) as the kernels take them.

        ``lookup[s]`` is the symbol whose interval holds target s << slot_shift, for the 2^L slots of
        the total (L = min(P, SLOT_BITS)), and ``lookup[2^L]`` the last symbol.
        """
        if self._lookup is None:
            slot_shift = max(self.shift - SLOT_BITS, 0)
            firsts = np.arange((self.total >> slot_shift) + 1, dtype=np.int64) << slot_shift
            lookup = np.searchsorted(self.start_array, firsts, side="right").astype(np.int32) - 1
            self._lookup = (jit.plain(self.start_array.astype(np.int64)), jit.plain(self.freq_array.astype(np.int64)),
                            jit.plain(lookup), slot_shift, None)
        return self._lookup

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
    follow = context = None

    def __init__(self, size: int, pseudo: int, step: int, limit: int, weights: list[int] | None = None):
        """The estimator before any symbol (every weight a), or, given ``weights``, after the symbols
        that gave it those weights."""
        self.pseudo, self.step, self.limit = pseudo, step, limit
        self.sizes = [pseudo] * size if weights is None else list(weights)
        self.tree = [0] * (fenwick.tree_span(size) + 1)
        fenwick.build.py_func(self.sizes, self.tree, 0, size, len(self.tree) - 1)
        self.total = sum(self.sizes)
        self._stale = False  # the tree lags behind the weights (after counted intervals)

    def tables(self):
        """(starts, sizes, lookup, slot_shift, tree) as the kernels take them: the weights and their
        tree (copies, which a message's coding then updates), and no starts or lookup table (empty
        arrays of the static model's types, so both models' tables have one signature)."""
        self._sync()
        return (jit.plain(np.zeros(0, dtype=np.int64)), jit.plain(np.array(self.sizes, dtype=np.int64)),
                jit.plain(np.zeros(0, dtype=np.int32)), 0,
                jit.plain(np.array(self.tree, dtype=np.int64)))

    def interval(self, x: int) -> tuple[int, int, int]:
        self._sync()
        return fenwick.below(self.tree, x), self.sizes[x], self.total

    def intervals(self, stream: np.ndarray):
        """The intervals of the symbols of ``stream`` in turn, learning from each (so the model ends
        as it would after coding them).

        The encoder knows the whole stream, so with no halving ahead the intervals are counted at once
        (:meth:`_counted_intervals`, 3 to 6 times faster here); otherwise the model steps through the
        symbols (:func:`.kernels.fenwick.adaptive_intervals`). Both give the same intervals.
        """
        m = stream.size
        if self.total + self.step * m <= self.limit:
            return self._counted_intervals(stream)
        starts, sizes, totals = [0] * m, [0] * m, [0] * m
        self._sync()
        self.total = fenwick.adaptive_intervals(stream.tolist(), self.sizes, self.tree, self.total, self.step,
                                                self.limit, self.pseudo, starts, sizes, totals)
        return starts, sizes, totals

    def _counted_intervals(self, stream: np.ndarray):
        """The intervals of a stream that does not reach the halving limit, from counts.

        Before symbol i, symbol y's weight is w(y) + d (the y among symbols 0 .. i-1), so x_i's size is
        w(x_i) + d * (earlier x_i), its start the weights below x_i plus d * (earlier symbols below
        x_i), and the total T + d i (:func:`earlier_counts`).
        """
        d = self.step
        weights = np.array(self.sizes, dtype=np.int64)
        x = stream.astype(np.int64, copy=False)
        below, same = earlier_counts(x, weights.size)
        starts = (np.cumsum(weights) - weights)[x] + d * below
        sizes = weights[x] + d * same
        weights += d * np.bincount(x, minlength=weights.size)
        totals = range(self.total, self.total + d * x.size, d)
        self.total += d * x.size
        self.sizes = weights.tolist()
        self._stale = True
        return starts.tolist(), sizes.tolist(), totals

    def find(self, target: int) -> int:
        self._sync()
        return fenwick.find(self.tree, target)[0]

    def update(self, x: int) -> None:
        self._sync()
        self.sizes[x] += self.step
        fenwick.add(self.tree, x, self.step)
        self.total += self.step
        if self.total > self.limit:
            self.total = fenwick.halve.py_func(self.sizes, 0, len(self.sizes), self.pseudo, self.step)
            fenwick.build.py_func(self.sizes, self.tree, 0, len(self.sizes), len(self.tree) - 1)

    def _sync(self) -> None:
        """Bring the tree up to the weights (counting the intervals of a stream updates only those)."""
        if self._stale:
            fenwick.build.py_func(self.sizes, self.tree, 0, len(self.sizes), len(self.tree) - 1)
            self._stale = False


class AdaptiveContextModel:
    """One add-alpha model (:class:`AdaptiveModel`) per context of a message's last k symbols, each
    starting from the pseudo-counts alone and halved on its own: row c of the tables is the model of
    the context whose id is c (``contexts``, dense: every context has a row, the partial contexts of
    a message's first k symbols after the full ones). ``follow[c] + x`` is the row after symbol x in
    row c, and ``context[0]`` the row of the next symbol, the empty context's at first.

    The kernels take its tables (:meth:`tables`: ``sizes`` C rows of K weights, ``tree`` C Fenwick
    trees, see :mod:`.kernels.rangecoder`); the interpreted encoder asks :meth:`intervals`. One model
    codes one message, one way or the other.
    """

    shift = 0

    def __init__(self, contexts: Contexts, pseudo: int, step: int, limit: int, follow: np.ndarray):
        self.pseudo, self.step, self.limit = pseudo, step, limit
        self.total = pseudo * contexts.size  # every context's total before its first symbol
        self._contexts = contexts
        self._weights = np.full((follow.size, contexts.size), pseudo, dtype=np.int64)
        self._totals = np.full(follow.size, self.total, dtype=np.int64)
        self._history = np.zeros(0, dtype=np.int64)  # the message's last k symbols (all, while fewer)
        self._follow = follow
        self.follow = jit.plain(follow)
        self.context = jit.plain(np.array([contexts.start_id], dtype=np.int64))

    def tables(self):
        """(starts, sizes, lookup, slot_shift, tree) as :meth:`AdaptiveModel.tables` gives them, a row
        of weights and a tree per context."""
        return (jit.plain(np.zeros(0, dtype=np.int64)), jit.plain(self._weights.ravel()),
                jit.plain(np.zeros(0, dtype=np.int32)), 0, jit.plain(fenwick.build_rows(self._weights).ravel()))

    def intervals(self, stream: np.ndarray):
        """The intervals of the symbols of ``stream`` in turn, each in its context, learning from each
        (so that the model ends as it would after coding them).

        With no halving ahead, counted at once as :meth:`AdaptiveModel.intervals` counts them, over the
        pairs (context, symbol): before symbol i, x_i's size is its weight in its context c_i plus d
        times the earlier x_i in c_i, its start the weights below x_i in c_i plus d times the earlier
        symbols below x_i in c_i, and the total c_i's plus d times the earlier symbols in c_i.
        Otherwise each context's symbols go through an :class:`AdaptiveModel` of their own.
        """
        x = stream.astype(np.int64, copy=False)
        m, (count, k) = x.size, self._weights.shape
        if m == 0:
            return [], [], []
        message = np.concatenate([self._history, x])
        rows = self._contexts.ids_of(message)[self._history.size :]
        self._history = message[-self._contexts.order :]
        self.context[0] = int(self._follow[rows[-1]] + x[-1])
        d = self.step
        if int(self._totals[rows].max()) + d * m <= self.limit:
            keys = rows * k + x
            below, same = earlier_counts(keys, count * k)
            below_rows, same_rows = earlier_counts(rows, count)
            weights = self._weights.ravel()
            starts = (np.cumsum(self._weights, axis=1) - self._weights).ravel()[keys] + d * (below - below_rows)
            sizes = weights[keys] + d * same
            totals = self._totals[rows] + d * same_rows
            weights += d * np.bincount(keys, minlength=weights.size)
            self._totals += d * np.bincount(rows, minlength=count)
            return starts.tolist(), sizes.tolist(), totals.tolist()
        starts, sizes, totals = (np.empty(m, dtype=np.int64) for _ in range(3))
        order = np.argsort(rows, kind="stable")
        for at in np.split(order, np.flatnonzero(np.diff(rows[order])) + 1):
            row = int(rows[at[0]])
            model = AdaptiveModel(k, self.pseudo, self.step, self.limit, self._weights[row].tolist())
            starts[at], sizes[at], totals[at] = (list(part) for part in model.intervals(x[at]))
            self._weights[row], self._totals[row] = model.sizes, model.total
        return starts.tolist(), sizes.tolist(), totals.tolist()


def earlier_counts(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(below, same): for each i, how many of x[0 .. i-1] are below x[i], and how many equal it.

    x_j < x_i exactly when, at the highest bit where they differ, x_j has 0 and x_i has 1. So bit by
    bit from the top, with the positions kept sorted by the bits above (stably, so each group of
    equal high bits lists its positions in order), a position whose bit is 1 counts the positions
    before it in its group whose bit is 0; then each group splits, zeros first, for the next bit.
    After the last bit the groups are the symbols, and a position's rank in its group is ``same``.
    O(n log2 k) in numpy, no loop per symbol.
    """
    m = x.size
    at = np.arange(m)
    order = at.copy()  # positions sorted by the bits above the current one, stably
    below = np.zeros(m, dtype=np.int64)
    for b in range(max(k - 1, 1).bit_length() - 1, -1, -1):
        xs = x[order]
        start, starts = _group_starts(xs >> (b + 1))
        zero = ((xs >> b) & 1) == 0
        zeros_before = np.cumsum(zero) - zero
        zeros_in = zeros_before - zeros_before[start]  # zeros before it in its group
        below[order[~zero]] += zeros_in[~zero]
        group_zeros = np.add.reduceat(zero, starts, dtype=np.int64) if m else zeros_in
        zeros_of_group = np.repeat(group_zeros, np.diff(np.append(starts, m)))
        moved = start + np.where(zero, zeros_in, zeros_of_group + (at - start) - zeros_in)
        order[moved] = order.copy()
    start, _ = _group_starts(x[order])
    same = np.empty(m, dtype=np.int64)
    same[order] = at - start
    return below, same


def _group_starts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted ``keys``: where each position's run of equal keys starts, and the runs' starts."""
    first = np.ones(keys.size, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return starts[np.cumsum(first) - 1], starts
