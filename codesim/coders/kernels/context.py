"""Following a message's context from symbol to symbol, for the context codes' sequential loops.

A context code (see :mod:`codesim.coders.context`) has one table row per stored context. A loop that
codes or decodes symbol after symbol moves from row to row with :func:`advance`: one lookup in the
flat ``nxt`` table (row * size + symbol) in the common case. Only a model with a fallback row (an
estimated model, whose unseen contexts share one row) needs the context's id as well: entering the
fallback row, the id is computed from the row's own; leaving it, the new id is searched for among the
stored ones (:func:`find`).
"""

from __future__ import annotations

from ... import jit

#: ``nxt`` entries: the next context is not stored, so the fallback row codes it (LOOKUP: the row is
#: the fallback itself, and the next row must be searched for by id); IMPOSSIBLE: the model gives the
#: symbol probability 0 in this context, so no code can have coded it.
LOOKUP, IMPOSSIBLE = -1, -2


@jit.kernel
def next_id(cid: int, x: int, size: int, full: int, order: int, offsets) -> int:
    """The id of the context after symbol x in context ``cid``: a full context (the last ``order``
    symbols as a base-``size`` number below ``full`` = size^order), or, in a message's first ``order``
    positions, the partial context of the j symbols so far, ``full + offsets[j] + value``."""
    if cid < full:
        return (cid * size + x) % full
    rest = cid - full
    j = 0
    while j + 1 < order and rest >= offsets[j + 1]:
        j += 1
    value = (rest - offsets[j]) * size + x
    if j + 1 < order:
        return full + offsets[j + 1] + value
    return value


@jit.kernel
def find(ids, cid: int, fallback: int) -> int:
    """The row of context ``cid`` among the sorted stored ``ids``, or ``fallback`` if it is not stored."""
    lo, hi = 0, len(ids)
    while lo < hi:
        mid = (lo + hi) >> 1
        if ids[mid] < cid:
            lo = mid + 1
        else:
            hi = mid
    if lo < len(ids) and ids[lo] == cid:
        return lo
    return fallback


@jit.kernel
def advance(row: int, cid: int, x: int, nxt, ids, size: int, full: int, order: int, offsets,
            fallback: int) -> tuple[int, int]:
    """(row, id) of the context after symbol x (a symbol index below ``size``) coded in ``row``.

    The row is IMPOSSIBLE (negative) when the model rules x out in ``row``: the caller stops there.
    ``cid`` is the context's id while the row is the fallback, and is carried unchanged otherwise.
    """
    nr = nxt[row * size + x]
    if nr >= 0 and nr != fallback:
        return nr, cid
    if nr == LOOKUP:
        cid = next_id(cid, x, size, full, order, offsets)
        return find(ids, cid, fallback), cid
    if nr == IMPOSSIBLE:
        return IMPOSSIBLE, cid
    return fallback, next_id(ids[row], x, size, full, order, offsets)
