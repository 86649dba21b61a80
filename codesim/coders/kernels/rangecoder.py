"""The range coder's loops: both arithmetic-coding schemes encode and decode through these two kernels.

The coder keeps an interval [low, low + range) of W-bit registers (W = ``state_bits``) and codes a
symbol with the interval [start, start + size) out of ``total`` that its model gives it::

    r = range // total;   low += r * start;   range = r * size

then, while range < 2^(W - U), moves the top U bits of low out as one digit (U = ``digit_bits``).
A model whose total is 2^P passes ``shift`` = P and the division is the shift ``range >> P``.

Registers of at most 62 bits, so everything fits int64: low < 2^W and r * (start + size) <= range <=
2^W, so low + range < 2^(W+1) <= 2^63; the decoder's ``diff`` (code value minus low) stays below
range. When low reaches 2^W after a symbol, the carry goes at once into the digits already written: it
runs back through trailing all-ones bytes (:func:`carry`) and stops at the first that is not, so each
byte rolls over at most once after it was last incremented (amortised O(1) a symbol), and it never
runs past the first digit, because the code value stays below 1.

The encoder keeps its newest digits in an int64 (at most 63 bits) and writes them 32 bits at a time
into a byte buffer that the caller allocates and grows when the encoder stops for room; the buffer
holds the bit string itself, most significant bit first. That needs U to divide 8, a symbol of a static
model (P <= 32) to move at most 32 bits, and one of an adaptive model (T <= 2^40) at most 40. The
decoder reads a digit from the two bytes that hold it, in the encoded bits followed by zeros, which is
how a decoder reads bits past the end.

A static model gives its intervals as ``starts`` and ``sizes`` out of 2^``shift`` and no ``tree``;
its decoder finds a target's symbol through ``lookup``: entry s holds the symbol whose interval holds
target s << ``slot_shift``, so the symbol of any target in slot s lies between entries s and s + 1
(usually they are equal; otherwise a binary search between them). An adaptive model gives its
weights as ``sizes`` and their Fenwick tree as ``tree`` (see :mod:`.fenwick`): after each symbol its
weight grows by ``step``, and the counts are halved when the total passes ``limit``.

An adaptive model with contexts (``adaptive-arithmetic`` of order k > 0) has one such model per
context, in C rows: ``sizes`` holds C rows of K weights, ``tree`` C rows of span + 1
entries, and a row's total is its tree's root, ``tree[row * (span + 1) + span]``. ``follow[row] + x``
is the row of the context after symbol x in ``row`` (a dense table: every context has a row, so no
symbol can lead out of the table), and ``context[0]`` the row the next symbol is coded in. A model
without contexts passes None for both.
"""

from __future__ import annotations

from ... import jit
from .context import advance_scaled, entry_of
from .fenwick import build, halve

#: 2^63 - 1: a register masked with it is the same number, and the compiler then knows it is not
#: negative, so it divides without the adjustments a floor division of negative numbers needs.
NONNEG = (1 << 63) - 1


@jit.kernel
def carry(out, pos: int) -> int:
    """Add 1 to the bit string ``out[0 .. pos - 1]`` (pos bits, most significant first) at its last bit.

    Returns 0, or -1 if the carry would run past the first byte (no encoder's output does that).
    """
    at = (pos - 1) >> 3
    value = out[at] + (1 << (7 - ((pos - 1) & 7)))
    while value > 255:
        out[at] = value - 256
        at -= 1
        if at < 0:
            return -1
        value = out[at] + 1
    out[at] = value
    return 0


@jit.kernel
def encode(stream, first: int, out, pos: int, low: int, rng: int, state_bits: int, digit_bits: int,
           shift: int, starts, sizes, totals, tree, total: int, step: int, limit: int, pseudo: int,
           branchless: bool, follow, context):
    """Code ``stream[first:]`` in turn from registers (low, rng), writing digits into ``out`` from bit ``pos``.

    Stops early, before a symbol, when ``out`` may lack room for its digits (fewer than 32 bytes
    left); ``out[pos // 8]`` holds the bits written before, and zeros after them. Returns (i, pos, low,
    rng, total): the next symbol to code (``len(stream)`` when all are coded, -1 if a carry ran past
    the first digit), the bits written, the registers and the model's total. An adaptive model's
    ``sizes`` and ``tree`` are updated in place, and so is ``context`` (see below).

    With ``totals`` (and no tree), symbol i is coded with the interval (starts[i], sizes[i]) out of
    totals[i] that the caller worked out: an adaptive model's intervals counted at once with numpy
    (:meth:`codesim.coders.models.AdaptiveModel.intervals`), which the interpreted path does faster
    than its own Fenwick tree.

    The newest digits wait in ``pending`` (``held`` bits, at most 63) and go to ``out`` 32 bits at a
    time: a carry into them is an addition, and one that rolls them all over goes on into ``out``.

    An adaptive model with contexts (``follow`` not None, see the module notes) codes each symbol with
    its context's row of ``sizes`` and ``tree``, whose total is that tree's root; ``context[0]`` is the row
    of the next symbol's context, read at the start and written back at every return.
    """
    top = state_bits - digit_bits
    bottom = 1 << top
    one = 1 << state_bits
    full = one - 1
    low_mask = bottom - 1
    # A model with contexts has rows of weights and trees; one without has one row, and numba compiles
    # its loops without the tests of ``follow`` (it prunes a test of an argument that is None), so that
    # they run as fast as before contexts.
    row = 0 if follow is None else context[0]
    rows = 1 if follow is None else len(follow)
    span = 0 if tree is None else len(tree) // rows - 1
    symbols = 0 if tree is None else len(sizes) // rows
    weights = node = 0  # where the row's weights and tree start: always 0 without contexts
    n = len(stream)
    at = pos >> 3
    held = pos & 7
    pending = (out[at] + 0) >> (8 - held)  # + 0: an int64 (numba shifts a uint8 to a uint64)
    out[at] = 0
    i = first
    while i < n:
        # A symbol moves at most 40 bits: code as many as surely fit before looking at the room again.
        stop = min(n, i + (len(out) - 24 - at) // 8)
        if stop <= i:
            if follow is not None:
                context[0] = row
            return i, _flush(out, at, pending, held), low, rng, total
        for i in range(i, stop):
            x = stream[i]
            # The model's kind: a static model gives no tree, and numba compiles its encoder without the
            # adaptive branch (it prunes a test of an argument that is None).
            if tree is None:
                if totals is None:
                    r = rng >> shift
                    low += r * starts[x]
                    rng = r * sizes[x]
                else:
                    r = rng // totals[i]
                    low += r * starts[i]
                    rng = r * sizes[i]
            else:
                if follow is not None:
                    weights = row * symbols
                    node = row * (span + 1)
                    total = tree[node + span]
                start = 0
                j = x
                while j:
                    start += tree[node + j]
                    j &= j - 1
                size = sizes[weights + x]
                r = (rng & NONNEG) // (total & NONNEG)
                low += r * start
                rng = r * size
                sizes[weights + x] = size + step
                j = x + 1
                while j <= span:
                    tree[node + j] += step
                    j += j & -j
                total += step
                if total > limit:
                    total = halve(sizes, row, symbols, pseudo, step)
                    build(sizes, tree, row, symbols, span)
                if follow is not None:
                    row = follow[row] + x
                if held > 23:  # room for the up to 40 bits the symbol may move (T <= 2^40)
                    pos = _flush(out, at, pending, held)
                    at = pos >> 3
                    held = pos & 7
                    pending &= (1 << held) - 1
            # A carry out of low (low reaches 2^W) goes into pending without a branch: it comes with
            # one symbol in a few, at random.
            pending += low >> state_bits
            low &= full
            if pending >> held:  # the carry rolled every pending bit over
                pending = 0
                if carry(out, at << 3):
                    if follow is not None:
                        context[0] = row
                    return -1, _flush(out, at, pending, held), low, rng, total
            if branchless:
                # Most symbols move one digit or none: compiled, the first goes without a branch (which
                # would go either way at random), the rarer ones after it in the loop; interpreted, the
                # loop alone is faster.
                need = rng < bottom
                moved = digit_bits * need
                pending = (pending << moved) | ((low >> top) * need)
                held += moved
                low = (low & (full - need * (full - low_mask))) << moved
                rng <<= moved
            while rng < bottom:
                pending = (pending << digit_bits) | (low >> top)
                held += digit_bits
                low = (low & low_mask) << digit_bits
                rng <<= digit_bits
            if held >= 32:
                held -= 32
                word = pending >> held
                out[at] = word >> 24
                out[at + 1] = (word >> 16) & 255
                out[at + 2] = (word >> 8) & 255
                out[at + 3] = word & 255
                at += 4
                pending &= (1 << held) - 1
        i = stop
    if follow is not None:
        context[0] = row
    return n, _flush(out, at, pending, held), low, rng, total


@jit.kernel
def _flush(out, at: int, pending: int, held: int) -> int:
    """Write the ``held`` bits of ``pending`` at byte ``at`` of ``out``; returns the bits written in all."""
    while held >= 8:
        held -= 8
        out[at] = (pending >> held) & 255
        at += 1
    if held:
        out[at] = (pending << (8 - held)) & 255
    return (at << 3) + held


@jit.kernel
def decode(data, pos: int, end: int, out, count: int, diff: int, rng: int, state_bits: int, digit_bits: int,
           shift: int, starts, sizes, lookup, slot_shift: int, tree, total: int, step: int, limit: int,
           pseudo: int, branchless: bool, follow, context, table=None):
    """Decode up to ``count`` symbols into ``out[0 .. count - 1]``, reading digits from ``data`` at bit ``pos``.

    ``diff`` is the code value minus low, in [0, rng) for bits the encoder wrote. ``data`` holds the
    bits and zeros after them, at least W + 16 bits past ``end``, the most bits a decoder may consume.

    Returns (decoded, pos, diff, rng, total): the symbols decoded (fewer than ``count`` when a code
    value falls in the sliver range - r * total that belongs to no symbol, which no encoder writes, or
    when a symbol took the read position past ``end``: the bits ran out), the read position, the
    registers and the model's total. An adaptive model with contexts is followed as in :func:`encode`,
    and ``context[0]`` written back at every return.

    A static model with a row per context (per-context frequencies,
    :mod:`codesim.coders.context_frequencies`) is given as ``table`` = (symbol, scaled, place, nxt, ids,
    alphabet size, full, order, offsets, fallback). Its tables are flat, by entry row * size + x: ``starts``,
    ``sizes``, and ``symbol`` (x itself); ``lookup`` has S = 2^(shift - slot_shift) + 1 entries a row,
    the entries (not symbols) of the row's slots. The loop holds its row as row * S, starting at
    ``place[0]``, and follows the context after each symbol (through ``scaled``, the next row * S by
    entry, and :func:`.context.advance_scaled` with the rest), keeping (row * S, context id) in
    ``place``: a row below 0 (the symbol before led to a context the model rules out, which no encoder
    codes) stops the loop there, as a symbol the bits do not encode.
    """
    bottom = 1 << (state_bits - digit_bits)
    mask = (1 << digit_bits) - 1
    align = 16 - digit_bits
    row = 0 if follow is None else context[0]
    rows = 1 if follow is None else len(follow)
    span = 0 if tree is None else len(tree) // rows - 1
    symbols = 0 if tree is None else len(sizes) // rows
    weights = node = 0
    start = 0  # the row's first slot in lookup: 0 for an i.i.d. model
    if table is not None:
        symbol, scaled, place, nxt, ids, alphabet, full, order, offsets, fallback = table
        slots = (1 << (shift - slot_shift)) + 1
        shared = fallback * slots if fallback >= 0 else -1
        start = place[0]
        cid = place[1]
    for n in range(count):
        if tree is None:  # a static model: see encode()
            if start < 0:
                return n, pos, diff, rng, total
            r = rng >> shift
            target = (diff & NONNEG) // (r & NONNEG)
            if target >= total:
                return n, pos, diff, rng, total
            x = entry_of(lookup, starts, start + (target >> slot_shift), target)
            diff -= r * starts[x]
            rng = r * sizes[x]
        else:
            if follow is not None:
                weights = row * symbols
                node = row * (span + 1)
                total = tree[node + span]
            r = (rng & NONNEG) // (total & NONNEG)
            if diff >= r * total:
                if follow is not None:
                    context[0] = row
                return n, pos, diff, rng, total
            # The Fenwick descent (fenwick.find) in units of r, so that no second division finds the
            # target diff // r: a weight w lies below it when r * w <= diff. It starts below
            # tree[span], the total, which no target reaches. A node the symbol lies below covers it,
            # so the descent adds the symbol's growth there: those nodes and tree[span] are the ones
            # fenwick.add updates. x runs over the context's tree, from its row's first node.
            x = node
            probe = span >> 1
            if branchless:
                # Compiled, each step compares one node and already loads the weights of both its
                # children, one of which the next step compares; ``keep`` is -1 when the symbol lies
                # below the node, else 0. Measured, this form is the fastest compiled: a branch per
                # step (as below), a descent that loads one node a step, or the loop running the last
                # step too, decode Zipf-256 symbols 10 to 20% slower.
                part = r * tree[x + probe]
                while probe > 1:
                    half = probe >> 1
                    below = r * tree[x + half]
                    above = r * tree[x + probe + half]
                    keep = (diff - part) >> 63
                    tree[x + probe] += step & keep
                    x += probe & ~keep
                    diff -= part & ~keep
                    part = above + ((below - above) & keep)
                    probe = half
                keep = (diff - part) >> 63
                tree[x + 1] += step & keep
                x += 1 & ~keep
                diff -= part & ~keep
            else:  # interpreted, a branch costs less than the masks
                while probe:
                    part = r * tree[x + probe]
                    if part <= diff:
                        x += probe
                        diff -= part
                    else:
                        tree[x + probe] += step
                    probe >>= 1
            tree[node + span] += step
            x -= node
            size = sizes[weights + x]
            rng = r * size
            sizes[weights + x] = size + step
            total += step
            if total > limit:
                total = halve(sizes, row, symbols, pseudo, step)
                build(sizes, tree, row, symbols, span)
            if follow is not None:
                row = follow[row] + x
        if branchless:  # the first digit without a branch, as in encode()
            at = pos >> 3
            digit = ((data[at] * 256 + data[at + 1]) >> (align - (pos & 7))) & mask
            need = rng < bottom
            moved = digit_bits * need
            diff = (diff << moved) | (digit * need)
            pos += moved
            rng <<= moved
        while rng < bottom:
            at = pos >> 3
            digit = ((data[at] * 256 + data[at + 1]) >> (align - (pos & 7))) & mask  # int64 arithmetic
            diff = (diff << digit_bits) | digit
            pos += digit_bits
            rng <<= digit_bits
        if pos > end:
            if follow is not None:
                context[0] = row
            return n, pos, diff, rng, total
        if table is None:
            out[n] = x
        else:
            s = symbol[x]
            out[n] = s
            nb = scaled[x]
            if nb >= 0 and nb != shared:  # the common case, without a call
                start = nb
            else:
                start, cid = advance_scaled(start, slots, cid, s, nxt, ids, alphabet, full, order, offsets, fallback)
            place[0] = start
            place[1] = cid
    if follow is not None:
        context[0] = row
    return count, pos, diff, rng, total
