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


@jit.kernel
def advance_scaled(start: int, scale: int, cid: int, x: int, nxt, ids, size: int, full: int, order: int, offsets,
                   fallback: int) -> tuple[int, int]:
    """:func:`advance` for a loop that holds its row as ``start`` = row * ``scale`` (where the row's
    entries start in a table of ``scale`` entries a row): (next row * scale, id), negative when the
    next row is IMPOSSIBLE.

    Such a loop follows the common case itself, through a table ``scaled`` of next row * scale by
    entry row * size + x (the entries of ``nxt`` that are not rows, LOOKUP and IMPOSSIBLE, as they
    are), and calls this only where ``scaled`` has no row or has the fallback's: a multiply and a
    call fewer on the path from one symbol to the next, which a decoder cannot overlap."""
    row, cid = advance(start // scale, cid, x, nxt, ids, size, full, order, offsets, fallback)
    return row * scale, cid


@jit.kernel
def entries(stream, out, row: int, cid: int, scaled, nxt, ids, size: int, full: int, order: int, offsets,
            fallback: int) -> int:
    """``out[i] = row_i * size + stream[i]``: every position's entry in a context code's flat tables
    (``size`` entries a row), the message starting in context (``row``, ``cid``); ``scaled`` is the
    next row * size by entry (see :func:`advance_scaled`). Returns len(stream), or the first position
    whose row is IMPOSSIBLE (the symbol before it is ruled out)."""
    base = row * size
    shared = fallback * size if fallback >= 0 else IMPOSSIBLE
    for i in range(len(stream)):
        if base < 0:
            return i
        x = stream[i]
        at = base + x
        out[i] = at
        nb = scaled[at]
        if nb >= 0 and nb != shared:
            base = nb
        else:
            base, cid = advance_scaled(base, size, cid, x, nxt, ids, size, full, order, offsets, fallback)
    return len(stream)


@jit.kernel
def entry_of(lookup, starts, at: int, target: int) -> int:
    """The entry whose interval holds ``target``: the last entry e from ``lookup[at]`` to
    ``lookup[at + 1]`` (a slot's bracket of a row's entries) with ``starts[e] <= target``."""
    e = lookup[at]
    high = lookup[at + 1]
    while e < high:
        middle = (e + high + 1) >> 1
        if starts[middle] <= target:
            e = middle
        else:
            high = middle - 1
    return e
