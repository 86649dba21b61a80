"""The universal integer codes' decoder: one loop over the codewords, a branch per code.

The bits are bytes, most significant bit first. Every codeword is read within ``longest`` bits of
where it starts (no codeword of the alphabet is longer), so a run of ones that never ends, or an Elias
omega length chain that grows, stops there; every field read is at most :data:`MAX_FIELD` bits, so
every value stays below 2^62.
"""

from __future__ import annotations

from ... import jit

UNARY, GOLOMB, EXP_GOLOMB, GAMMA, DELTA, OMEGA, FIBONACCI = range(7)
#: Statuses: every codeword read; the bits ran out inside a codeword; a codeword longer than any of
#: the alphabet's; a value that is no label of the alphabet.
OK, PAST_END, TOO_LONG, NOT_IN_ALPHABET = range(4)
#: The widest field a codeword's reader takes in one piece.
MAX_FIELD = 62


@jit.kernel
def run_end(data, pos, end, bit):
    """Where the run of ``bit`` starting at ``pos`` ends (at most ``end``): whole bytes skipped at once."""
    full = 255 * bit
    while pos < end:
        if pos & 7 == 0 and pos + 8 <= end and data[pos >> 3] == full:
            pos += 8
        elif (data[pos >> 3] >> (7 - (pos & 7))) & 1 == bit:
            pos += 1
        else:
            return pos
    return pos


@jit.kernel
def field(data, pos, width):
    """The ``width`` bits at ``pos`` as an integer, first bit most significant."""
    x = 0
    for p in range(pos, pos + width):
        x = (x << 1) | ((data[p >> 3] >> (7 - (p & 7))) & 1)
    return x


@jit.kernel
def decode(data, nbits, n, kind, param, longest, fib, values, order, out):
    """Decode n codewords of code ``kind`` (``param``: Golomb's m, exp-Golomb's k) from the first
    ``nbits`` bits into the symbol indices ``out``: ``values`` the alphabet's values sorted and
    ``order`` their symbol indices; ``fib`` the Fibonacci numbers 1, 2, 3, 5, ... Returns (symbols
    decoded, bit position, status)."""
    pos = 0
    for i in range(n):
        end = pos + longest
        cut = TOO_LONG
        if end >= nbits:
            end = nbits
            cut = PAST_END
        v = -1
        if kind == UNARY:
            p = run_end(data, pos, end, 1)
            if p >= end:
                return i, p, cut
            v = p - pos
            pos = p + 1
        elif kind == GOLOMB:
            p = run_end(data, pos, end, 1)
            if p >= end:
                return i, p, cut
            q = p - pos
            p += 1
            b = 0
            while (1 << b) < param:
                b += 1
            x = 0
            if b > 0:
                cutoff = (1 << b) - param
                if p + b - 1 > end:
                    return i, end, cut
                x = field(data, p, b - 1)
                p += b - 1
                if x >= cutoff:
                    if p + 1 > end:
                        return i, end, cut
                    x = ((x << 1) | field(data, p, 1)) - cutoff
                    p += 1
            v = q * param + x
            pos = p
        elif kind == EXP_GOLOMB or kind == GAMMA or kind == DELTA:
            p = run_end(data, pos, end, 0)
            if p >= end:
                return i, p, cut
            width = p - pos + 1
            if kind == EXP_GOLOMB:
                width += param
            if width > MAX_FIELD:
                return i, p, TOO_LONG
            if p + width > end:
                return i, end, cut
            x = field(data, p, width)
            p += width
            if kind == DELTA:
                low = x - 1
                if low > MAX_FIELD:
                    return i, p, TOO_LONG
                if p + low > end:
                    return i, end, cut
                x = (1 << low) | field(data, p, low)
                p += low
            v = x - (1 << param) if kind == EXP_GOLOMB else x - 1
            pos = p
        elif kind == OMEGA:
            x = 1
            p = pos
            while True:
                if p >= end:
                    return i, p, cut
                if field(data, p, 1) == 0:
                    p += 1
                    break
                if x + 1 > MAX_FIELD:  # the group after x holds x + 1 bits
                    return i, p, TOO_LONG
                if p + x + 1 > end:
                    return i, end, cut
                group = x + 1
                x = field(data, p, group)
                p += group
            v = x - 1
            pos = p
        else:  # FIBONACCI
            x = 0
            p = pos
            previous = 0
            while True:
                if p >= end:
                    return i, p, cut
                bit = field(data, p, 1)
                p += 1
                if bit == 1 and previous == 1:
                    break
                if bit == 1:
                    if p - pos - 1 >= len(fib):
                        return i, p, TOO_LONG
                    x += fib[p - pos - 1]
                previous = bit
            v = x - 1
            pos = p
        lo = 0
        hi = len(values)
        while lo < hi:
            mid = (lo + hi) >> 1
            if values[mid] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo == len(values) or values[lo] != v:
            return i, pos, NOT_IN_ALPHABET
        out[i] = order[lo]
    return n, pos, OK
