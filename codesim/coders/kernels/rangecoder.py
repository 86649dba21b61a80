"""The range coder's loops: every arithmetic-coding scheme encodes and decodes through these two.

The coder keeps an interval [low, low + range) of W-bit registers (W = ``state_bits``) and codes a
symbol with the interval [start, start + size) out of ``total`` that its model gives it::

    r = range // total;   low += r * start;   range = r * size

then, while range < 2^(W - U), moves the top U bits of low out as one digit (U = ``digit_bits``).
A model whose total is 2^P passes ``shift`` = P and the division is the shift ``range >> P``; a
model with any other total passes ``shift`` = 0. Digits may exceed 2^U: a carry into the digit
before, which the caller settles (``_CarryOutput`` in :mod:`codesim.coders.rangecoder`).

Why Python ints: the registers are W = 96 bits for ``arithmetic`` and 128 for
``adaptive-arithmetic``, and r * start reaches 2^W. Those widths are part of the bitstream (they fix
every rounding), so the registers cannot be narrowed to 64 bits without changing every encoded file.
Python's integers have no fixed width and hold them exactly; a compiled version of these loops
would keep each register as W / 32 limbs of 32 bits in uint64 words (U = 32 makes a digit one limb,
and every limb product fits 64 bits). Everything else here (starts, sizes, totals, the Fenwick
tree) is below 2^63. A decoder reads its digits through ``take()``, which raises StopIteration when
the bits run out; compiled, that is an index into a uint64 array of digits.
"""

from __future__ import annotations

from bisect import bisect_right

from .fenwick import halve


def encode(starts, sizes, totals, shift: int, low: int, rng: int, state_bits: int, digit_bits: int,
           digits: list) -> tuple[int, int]:
    """Code the intervals (starts[i], sizes[i]) out of totals[i] in turn, from registers (low, rng).

    Appends the digits that leave the window to ``digits`` and returns the registers (low, rng).
    ``totals`` is read only when ``shift`` is 0.
    """
    top = state_bits - digit_bits
    bottom = 1 << top
    low_mask = bottom - 1
    for start, size, total in zip(starts, sizes, totals):
        r = rng >> shift if shift else rng // total
        low += r * start
        rng = r * size
        while rng < bottom:
            digits.append(low >> top)  # 2^U or more when low overflowed: a carry into the digit before
            low = (low & low_mask) << digit_bits
            rng <<= digit_bits
    return low, rng


def decode(out, count: int, take, diff: int, rng: int, state_bits: int, digit_bits: int, shift: int,
           starts, sizes, tree, total: int, step: int, limit: int, pseudo: int):
    """Decode up to ``count`` symbols into ``out[0 .. count - 1]``, the model learning as it goes.

    ``diff`` is the code value minus low, in [0, rng) for bits the encoder wrote. A static model
    (``step`` 0) gives its intervals as ``starts`` (sorted, the first 0) and ``sizes`` out of
    ``total``. An adaptive one gives its weights as ``sizes`` and their Fenwick tree as ``tree``
    (see :mod:`.fenwick`); after each symbol its weight grows by ``step``, and the counts are halved
    when the total passes ``limit``. A static model's total is 2^``shift``.

    Returns (decoded, diff, rng, steps, total): the symbols decoded (fewer than ``count`` when a code
    value falls in the sliver range - r * total that belongs to no symbol, which no encoder writes),
    the registers, the digits read, and the model's total.
    """
    bottom = 1 << (state_bits - digit_bits)
    span = len(tree) - 1
    first_probe = max(span, 0)  # a power of two (see .fenwick), or no tree for a static model
    steps = 0
    for n in range(count):
        # One test of the model's kind per symbol: the narrowing, the search and the update differ.
        if step:
            r = rng // total
            target = diff // r
            if target >= total:
                return n, diff, rng, steps, total
            # fenwick.find, then fenwick.add, written out: calls would cost a tenth of the decoder's time
            x, rest, probe = 0, target, first_probe
            while probe:
                j = x + probe
                if tree[j] <= rest:
                    x = j
                    rest -= tree[j]
                probe >>= 1
            diff -= r * (target - rest)
            rng = r * sizes[x]
            sizes[x] += step
            i = x + 1
            while i <= span:
                tree[i] += step
                i += i & -i
            total += step
            if total > limit:
                total = halve(sizes, tree, pseudo, step)
        else:
            r = rng >> shift
            target = diff // r
            if target >= total:
                return n, diff, rng, steps, total
            x = bisect_right(starts, target) - 1
            diff -= r * starts[x]
            rng = r * sizes[x]
        while rng < bottom:
            diff = (diff << digit_bits) | take()
            rng <<= digit_bits
            steps += 1
        out[n] = x
    return count, diff, rng, steps, total
