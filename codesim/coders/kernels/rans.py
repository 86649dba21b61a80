"""The rANS loops of the version-2 ``rans`` bitstream: 64-bit states, 32-bit words, interleaved lanes.

:mod:`codesim.coders.rans` describes the format and proves its bounds; these two functions are its
per-symbol loops. A lane's state x stays in [2^31, 2^63) (int64, never negative), so every product
below stays under 2^63. Symbol i belongs to lane i mod L; the lanes are independent chains, so the
processor overlaps the L chains' divisions and table look-ups.

Both loops move words without a branch: whether a symbol moves one is random, so a branch on it is
mispredicted often (here a branch halved the speed of both loops, at 4 lanes). The encoder always stores
the state's low word below the words written so far and keeps it only if it moved (``free -= out``); the
decoder always loads the next word, and keeps it only if the state fell below 2^31. Both buffers
therefore hold one slot more than the words they can carry (the decoder's last slot is a 0 that a valid
stream never keeps).
"""

from __future__ import annotations

from ... import jit
from .context import advance_scaled, entry_of

#: The lower end of a lane's state interval, and every lane's state before encoding and after decoding.
STATE_LOW = 1 << 31
WORD_BITS = 32
WORD_MASK = (1 << WORD_BITS) - 1
#: From this precision on, x // f comes from a float reciprocal within one of the quotient (see
#: :func:`encode`); below it, from integer division.
RECIPROCAL_PRECISION = 12


@jit.kernel
def encode(symbols, lanes, precision, freq, start, bound, reciprocal, states, words):
    """Encode ``symbols`` (last first, as rANS does) into ``lanes`` lanes; returns the first word written.

    By symbol s: ``freq[s]``, ``start[s]`` (the cumulative frequency below s), ``bound[s]`` (a state at
    or above it moves its low word out first) and ``reciprocal[s]`` (1 / f as a float). ``states``
    (``lanes`` entries) ends with the final states; the words fill ``words`` (len(symbols) + 1 slots)
    from the back, in the order the decoder reads them, so they are ``words[first:]`` for the returned
    ``first`` (slot 0 only ever holds a word not kept).

    The coding step is x -> (x // f) * 2^P + x % f + start. At precision P >= 12 the quotient is
    q = floor(x * (1/f)) in float64, then corrected by one: x < f * 2^(63-P), so x / f < 2^(63-P), and
    the three roundings (of x, of 1/f, of the product) are each within 2^-53 of the value, which puts
    the float within 3 * 2^-53 * 2^51 < 1 of x / f; floor then lands within one of x // f, and the
    remainder's sign says which way. Below P = 12 that bound fails, and integer division is used.
    """
    n = len(symbols)
    free = len(words) - 1
    for j in range(lanes):
        states[j] = STATE_LOW
    use_reciprocal = precision >= RECIPROCAL_PRECISION
    lane = (n - 1) % lanes
    for i in range(n - 1, -1, -1):
        s = symbols[i]
        f = freq[s]
        x = states[lane]
        out = int(x >= bound[s])
        words[free] = x & WORD_MASK
        free -= out
        x >>= WORD_BITS * out
        if use_reciprocal:
            q = int(x * reciprocal[s])
            r = x - q * f
            if r < 0:
                q -= 1
                r += f
            elif r >= f:
                q += 1
                r -= f
        else:
            q = x // f
            r = x - q * f
        states[lane] = (q << precision) + r + start[s]
        lane -= 1
        if lane < 0:
            lane = lanes - 1
    return free + 1


@jit.kernel
def decode(words, count, states, out, precision, slot_symbol, slot_freq, slot_offset):
    """Decode ``len(out)`` symbols into ``out`` from the lanes' ``states`` (updated in place) and the
    first ``count`` entries of ``words`` (which has one more, a 0).

    By slot (the state's low P bits): ``slot_symbol``, its frequency ``slot_freq``, and the slot's
    offset within the symbol's range ``slot_offset``. Returns the words read, or -1 - i when symbol i
    needed a word past the last: the stream is too short. Whatever the words and states (each state
    in [2^31, 2^63) at the start), the states stay in that interval and nothing overflows.
    """
    mask = (1 << precision) - 1
    low, word_bits = STATE_LOW, WORD_BITS  # locals: the interpreter looks globals up by name
    lanes = len(states)
    read = 0
    lane = 0
    for i in range(len(out)):
        x = states[lane]
        slot = x & mask
        out[i] = slot_symbol[slot]
        x = slot_freq[slot] * (x >> precision) + slot_offset[slot]
        need = x < low
        x = (x << (word_bits * need)) | (words[read] * need)
        read += need
        if read > count:
            return -1 - i
        states[lane] = x
        lane += 1
        if lane == lanes:
            lane = 0
    return read


@jit.kernel
def decode_context(words, count, states, out, precision, starts, freqs, symbol, lookup, slot_bits, scaled, row,
                   cid, nxt, ids, size, full, order, offsets, fallback):
    """:func:`decode` for a context code over per-context frequencies: symbol i is decoded in ``row``
    (context id ``cid``), and the context then follows it (:func:`.context.advance`). The tables are
    flat, by entry row * ``size`` + x: ``starts``, ``freqs`` and ``symbol`` (x itself).

    A slot's entry is found through ``lookup``, S = 2^``slot_bits`` + 1 entries a row: entry s of a
    row the entry whose range holds slot s << (precision - slot_bits), so the entry of any slot lies
    between its look-up's and the next (a binary search among the row's starts, where they differ).
    The loop holds its row as row * S, and ``scaled`` is the next row * S by entry (see
    :func:`.context.advance_scaled`).

    Returns (decoded, read): decoded < len(out) when symbol ``decoded`` needed a word past the last
    (read > count: the stream is too short) or its row is IMPOSSIBLE (the symbol before led to a
    context the model rules out, which no encoder codes); else the words read.
    """
    mask = (1 << precision) - 1
    low, word_bits = STATE_LOW, WORD_BITS
    slot_shift = precision - slot_bits
    slots = (1 << slot_bits) + 1
    shared = fallback * slots if fallback >= 0 else -1
    lanes = len(states)
    read = 0
    lane = 0
    start = row * slots
    for i in range(len(out)):
        if start < 0:
            return i, read
        x = states[lane]
        slot = x & mask
        e = entry_of(lookup, starts, start + (slot >> slot_shift), slot)
        x = freqs[e] * (x >> precision) + slot - starts[e]
        need = x < low
        x = (x << (word_bits * need)) | (words[read] * need)
        read += need
        if read > count:
            return i, read
        states[lane] = x
        lane += 1
        if lane == lanes:
            lane = 0
        s = symbol[e]
        out[i] = s
        nb = scaled[e]
        if nb >= 0 and nb != shared:  # the common case, without a call
            start = nb
        else:
            start, cid = advance_scaled(start, slots, cid, s, nxt, ids, size, full, order, offsets, fallback)
    return len(out), read
