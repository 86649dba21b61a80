"""Decoding a per-context prefix code's stream, one lookup after another, following the context.

A context code has one canonical prefix code per context row (:mod:`codesim.coders.prefix_context`),
so the table that :mod:`.prefix` indexes by the next bits is here indexed by (row, next bits): entry
``e = row * 2^bits + peek``, ``peek`` the next ``bits`` bits. Where the first codeword fits in those
bits, the entry also follows the context: up to ROW codewords decode whole from them, each in the row
the symbol before it leads to, their symbols in ``symbols[e * ROW ...]``. ``step[e]`` packs what the
loop needs next into one integer: the bits the codewords take (its low 5 bits), how many they are (the
next 3) and, from bit 8, one more than the row after the last of them, or 0 where that row must be
found by :func:`codesim.coders.kernels.context.advance` from ``last_row[e]``, the row that codes the
last of them (leaving or entering the fallback row, whose context id is needed, or a context the model
rules out). A chain stops before a step of that kind, so within an entry only plain row-to-row steps
are taken. The first codeword's length alone is ``first_length[e]`` (0 when it is longer than
``bits``, or when the bits start no codeword of the row).

A longer codeword is found by canonical search among the row's own lengths longer than ``bits``
(entries ``bounds[row]`` to ``bounds[row + 1]`` of the ``search_*`` arrays, increasing), over a window
of WINDOW bits, as :mod:`.prefix` does for one code (by bisection: a row may have dozens of lengths): so a row's tables take 2^bits entries plus one per
distinct long length, and the caller chooses ``bits`` to keep rows x 2^bits within its budget.

Separate from :mod:`.prefix`, whose single table serves lanes and a 32-bit window: here the tables are
per row, the window is wider (codewords of up to WINDOW bits), and every step advances the context.
"""

from __future__ import annotations

from ... import jit
from .context import advance

#: Bits of the window a long codeword is read from: the longest codeword a context code has.
WINDOW = 48
#: The most bits the per-row lookup takes: read from two bytes at any bit offset.
MAX_BITS = 9
#: The most codewords one lookup entry holds.
ROW = 4
#: Bytes past the stream's end that :func:`decode` may read (zeros): a window from any position before
#: the end stays inside the data.
PADDING = 8
#: What :func:`decode` reports: every symbol decoded, a position that starts no codeword of its row, a
#: codeword that runs past the stream's end, or a symbol whose context the model rules out.
DONE, NO_CODEWORD, PAST_END, RULED_OUT = 0, 1, 2, 3


@jit.kernel
def decode(data, size: int, out, total: int, row: int, cid: int, bits: int, step, symbols, last_row,
           first_length, bounds, search_lengths, search_limit, search_first, search_start, order,
           nxt, ids, k: int, full: int, depth: int, offsets, fallback: int) -> tuple[int, int, int]:
    """Decode ``out[0:total]`` from the first ``size`` bits of ``data`` (bytes, most significant bit
    first, then PADDING bytes), starting in context ``row`` (id ``cid``); the tables as in the module
    notes, and the contexts' as :meth:`codesim.coders.context.Contexts.kernel_args` gives them (``k``
    symbols, ``depth`` the model's order).

    Returns (symbols decoded, bit position, status): DONE, or where another status stopped it. A whole
    entry is taken only where ROW more symbols are wanted and its codewords end by ``size``, so a
    stream stops at the same symbol and position as one decoded a codeword at a time.
    """
    span = 1 << bits
    shift = 16 - bits
    mask = span - 1
    n, pos = 0, 0
    while n < total:
        if row < 0:
            return n, pos, RULED_OUT
        if pos >= size:
            return n, pos, PAST_END
        at = pos >> 3
        peek = (((data[at] << 8) | data[at + 1]) >> (shift - (pos & 7))) & mask
        e = row * span + peek
        packed = step[e]
        if packed & 0xE0 and n + ROW <= total and pos + (packed & 31) <= size:
            base = e * ROW
            for j in range(ROW):  # the whole entry: what is past its count is overwritten next
                out[n + j] = symbols[base + j]
            n += (packed >> 5) & 7
            pos += packed & 31
            if packed >> 8:
                row = (packed >> 8) - 1
            else:
                row, cid = advance(last_row[e], cid, out[n - 1], nxt, ids, k, full, depth, offsets, fallback)
            continue
        length = first_length[e]
        if length:
            x = symbols[e * ROW]
        else:
            window = _window(data, pos)
            r, end = bounds[row], bounds[row + 1]
            top = end
            while r < top:  # the first length whose limit is above the window
                mid = (r + top) >> 1
                if window >= search_limit[mid]:
                    r = mid + 1
                else:
                    top = mid
            if r == end:
                return n, pos, NO_CODEWORD
            length = search_lengths[r]
            x = order[row * k + search_start[r] + (window >> (WINDOW - length)) - search_first[r]]
        pos += length
        if pos > size:
            return n, pos, PAST_END
        out[n] = x
        n += 1
        row, cid = advance(row, cid, x, nxt, ids, k, full, depth, offsets, fallback)
    return n, pos, DONE


@jit.kernel
def _window(data, pos: int) -> int:
    """The WINDOW bits of ``data`` from bit ``pos`` on, as an integer (from seven bytes: 56 bits hold
    48 from any bit offset)."""
    at = pos >> 3
    value = 0
    for j in range(7):
        value = (value << 8) | data[at + j]
    return (value >> (8 - (pos & 7))) & ((1 << WINDOW) - 1)
