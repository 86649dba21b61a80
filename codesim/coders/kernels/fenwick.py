"""Cumulative weights in a Fenwick tree (Fenwick 1994, "A new data structure for cumulative frequency
tables"): the weight below a symbol, the symbol a cumulative target falls in, and adding to one
weight, each in O(log k).

``tree`` is 1-based with ``span + 1`` entries, span a power of two >= k: entry i holds the sum of the
i & -i weights ending at symbol i - 1. Symbols k .. span - 1 pad it with weight 0: they never hold a
target below the total, and the descent needs no bounds check. Every weight and sum stays below
2^63 (the adaptive model's total is at most 2^62), so the tree fits int64 arrays. A model with
contexts keeps a model per context in one flat array of rows: row r's k weights from r k, its tree's
span + 1 entries from r (span + 1); :func:`build` and :func:`halve` take the row (0 without contexts),
and :func:`build_rows` builds every row's tree at once with numpy.

:func:`build` and :func:`halve` are kernels (:mod:`codesim.jit`), because the range coder's compiled
loops call them; Python code that keeps its tables in lists calls their ``.py_func``. Neither calls
the other, so that a ``.py_func`` runs as Python all the way.
"""

from __future__ import annotations

import numpy as np

from ... import jit


def tree_span(k: int) -> int:
    """The padded size of the tree over k symbols: the least power of two >= k."""
    span = 1
    while span < k:
        span <<= 1
    return span


@jit.kernel
def build(weights, tree, row: int, size: int, span: int) -> None:
    """Fill row ``row`` of ``tree`` (entries row (span + 1) .. row (span + 1) + span) with the Fenwick
    sums of the ``size`` weights from ``weights[row * size]``: one context's tree among a model's
    contexts (row 0 of a model without contexts)."""
    first = row * size
    node = row * (span + 1)
    tree[node] = 0
    for i in range(1, span + 1):
        tree[node + i] = weights[first + i - 1] if i <= size else 0
    for i in range(1, span + 1):
        parent = i + (i & -i)
        if parent <= span:
            tree[node + parent] += tree[node + i]


def build_rows(weights):
    """The Fenwick trees of the rows of a 2-D numpy array of weights (one model per row), as a 2-D
    array of rows of span + 1 entries, all at once: entry i of a row is the sum of its i & -i weights
    ending at symbol i - 1, a difference of two prefix sums."""
    rows, k = weights.shape
    span = tree_span(k)
    prefix = np.zeros((rows, span + 1), dtype=np.int64)
    prefix[:, 1 : k + 1] = np.cumsum(weights, axis=1)
    prefix[:, k + 1 :] = prefix[:, k : k + 1]
    node = np.arange(1, span + 1)
    tree = np.zeros((rows, span + 1), dtype=np.int64)
    tree[:, 1:] = prefix[:, node] - prefix[:, node - (node & -node)]
    return tree


def below(tree, x: int) -> int:
    """The sum of the weights of symbols 0 .. x - 1."""
    start = 0
    while x:
        start += tree[x]
        x &= x - 1
    return start


def add(tree, x: int, step: int) -> None:
    """Add ``step`` to symbol x's weight."""
    span = len(tree) - 1
    i = x + 1
    while i <= span:
        tree[i] += step
        i += i & -i


def find(tree, target: int) -> tuple[int, int]:
    """(x, rest): the last symbol x whose start (weight below it) is <= target, and target - start."""
    x, rest, probe = 0, target, len(tree) - 1  # the span, a power of two: the descent's first step
    while probe:
        j = x + probe
        if tree[j] <= rest:
            x = j
            rest -= tree[j]
        probe >>= 1
    return x, rest


@jit.kernel
def halve(weights, row: int, size: int, pseudo: int, step: int) -> int:
    """Halve the counts of row ``row``'s add-alpha model in place (its ``size`` weights from
    ``weights[row * size]``: weight d c + a becomes d floor(c / 2) + a) and return its new total; the
    caller then rebuilds the row's tree (:func:`build`).

    Not a call to :func:`build` from here: a kernel calling a kernel calls the compiled one, even from
    the ``.py_func`` that plain Python runs over lists."""
    first = row * size
    total = 0
    for x in range(first, first + size):
        w = step * ((weights[x] - pseudo) // step >> 1) + pseudo
        weights[x] = w
        total += w
    return total


def adaptive_intervals(stream, weights, tree, total: int, step: int, limit: int, pseudo: int,
                       starts, sizes, totals) -> int:
    """The intervals an add-alpha model gives the symbols of ``stream`` in turn, learning as it goes.

    Symbol i gets start ``starts[i]`` (the weight below it), size ``sizes[i]`` (its weight) and total
    ``totals[i]``; then its weight grows by ``step`` and, when the total passes ``limit``, the counts
    are halved (:func:`halve`). The lists are filled in place; returns the total after the last
    symbol. The prefix sum and the update are :func:`below` and :func:`add`, written out: a call per
    symbol would cost a tenth of the encoder's time. Plain Python over lists (the range coder of
    config version 1 runs it, and counts the cost of a stream past :attr:`exact_symbols` with it).
    """
    span = len(tree) - 1
    for n, x in enumerate(stream):
        start, i = 0, x
        while i:
            start += tree[i]
            i &= i - 1
        starts[n] = start
        sizes[n] = weights[x]
        totals[n] = total
        weights[x] += step
        i = x + 1
        while i <= span:
            tree[i] += step
            i += i & -i
        total += step
        if total > limit:
            total = halve.py_func(weights, 0, len(weights), pseudo, step)
            build.py_func(weights, tree, 0, len(weights), span)
    return total
