"""The range coder of config version 1: the bitstream of every arithmetic file written before version 2.

A config without ``"version"`` (see :mod:`codesim.coders.base`, "Config versions") is coded here, so
that such files decode, and encode again, to the same bits. The algorithm, the termination and the
bound are those of :mod:`codesim.coders.rangecoder`, with wider registers and digits: W = 96 bits for
``arithmetic`` and 128 for ``adaptive-arithmetic``, U = 32-bit digits, and the adaptive model's total
up to 2^62. r * start reaches 2^W, past 64 bits, so the loops run as plain Python over Python ints
(1 to 5 million symbols a second here), and a carry is settled as the digits leave the loop
(:class:`_CarryOutput`) rather than in place. They read the model's tables as lists (:mod:`.models`).
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import chain
from typing import Iterator

import numpy as np
from bitarray import bitarray

from ..errors import DecodeError
from .kernels.fenwick import build, halve

#: Symbols per step of the encoder and decoder: bounds the scratch lists whatever the stream length.
SYMBOL_CHUNK = 1 << 16
#: Digits unpacked per step when the decoder reads its input.
DIGIT_CHUNK = 1 << 14


def encode(model, stream: np.ndarray, state_bits: int, digit_bits: int) -> tuple[_CarryOutput, int, int]:
    """Code ``stream`` under ``model`` as version 1 does: (output, low, range), which the caller's
    termination (:func:`codesim.coders.rangecoder.termination`) ends, its carry added by ``close``."""
    W, U = state_bits, digit_bits
    low, rng = 0, 1 << W
    out = _CarryOutput(U)
    for first in range(0, stream.size, SYMBOL_CHUNK):
        starts, sizes, totals = model.intervals(stream[first : first + SYMBOL_CHUNK])
        digits: list[int] = []
        low, rng = encode_loop(starts, sizes, totals, model.shift, low, rng, W, U, digits)
        out.extend(digits)
    return out, low, rng


def decode(model, bits: bitarray, n: int, state_bits: int, digit_bits: int, dtype) -> tuple[np.ndarray, int, int, int]:
    """(symbols, bits read, diff, range): the n symbols of ``bits`` (big-endian) under ``model``, and
    the state the caller's check of the ending needs; DecodeError where the bits run out or hold no
    symbol."""
    W, U = state_bits, digit_bits
    size = len(bits)
    starts, sizes, tree, total = model.starts, model.sizes, model.tree, model.total
    # A valid stream ends at or after the encoder's last digit, so reading more digits than this
    # means the bits ran out: next() then raises StopIteration.
    take = _read_digits(bits, U, W // U + size // U).__next__
    diff = 0  # code - low, in the window: always in [0, range) for bits the encoder wrote
    for _ in range(W // U):
        diff = (diff << U) | take()
    rng = 1 << W
    steps = 0
    parts: list[np.ndarray] = []  # not one array of n: n is only loosely bounded by the bits
    try:
        for first in range(0, n, SYMBOL_CHUNK):
            m = min(SYMBOL_CHUNK, n - first)
            part = [0] * m
            done, diff, rng, read, total = decode_loop(
                part, m, take, diff, rng, W, U, model.shift, starts, sizes, tree, total, model.step,
                model.limit, model.pseudo)
            steps += read
            if done < m:
                raise DecodeError(f"the bits do not encode a symbol at position {first + done}")
            parts.append(np.array(part, dtype=dtype))
    except StopIteration:
        raise DecodeError(
            f"the stream is too short: decoding {n} symbols needs more than its {size} bits"
        ) from None
    symbols = np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)
    return symbols, steps * U, diff, rng


def encode_loop(starts, sizes, totals, shift: int, low: int, rng: int, state_bits: int, digit_bits: int,
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


def decode_loop(out, count: int, take, diff: int, rng: int, state_bits: int, digit_bits: int, shift: int,
                starts, sizes, tree, total: int, step: int, limit: int, pseudo: int):
    """Decode up to ``count`` symbols into ``out[0 .. count - 1]``, the model learning as it goes.

    ``diff`` is the code value minus low, in [0, rng) for bits the encoder wrote. A static model
    (``step`` 0) gives its intervals as ``starts`` (sorted, the first 0) and ``sizes`` out of
    ``total``. An adaptive one gives its weights as ``sizes`` and their Fenwick tree as ``tree``
    (see :mod:`.kernels.fenwick`); after each symbol its weight grows by ``step``, and the counts are
    halved when the total passes ``limit``. A static model's total is 2^``shift``.

    Returns (decoded, diff, rng, steps, total): the symbols decoded (fewer than ``count`` when a code
    value falls in the sliver range - r * total that belongs to no symbol, which no encoder writes),
    the registers, the digits read, and the model's total.
    """
    bottom = 1 << (state_bits - digit_bits)
    span = len(tree) - 1
    first_probe = max(span, 0)  # a power of two (see .kernels.fenwick), or no tree for a static model
    steps = 0
    for n in range(count):
        # One test of the model's kind per symbol: the narrowing, the search and the update differ.
        if step:
            r = rng // total
            target = diff // r
            if target >= total:
                return n, diff, rng, steps, total
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
                total = halve.py_func(sizes, 0, len(sizes), pseudo, step)
                build.py_func(sizes, tree, 0, len(sizes), span)
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


class _CarryOutput:
    """The encoder's output while carries can still arrive.

    The code value can still grow by at most one unit of the last digit written (low + range <
    2^(W+1)), so a carry runs back through trailing all-ones digits and stops at the last digit that is
    not all ones. So the output is: settled bits, then that ``head`` digit, then a count of all-ones
    digits, which a carry would turn to zeros. Counting them rather than storing them is the digit-wide
    form of Witten, Neal and Cleary's "bits to follow" (LZMA's range encoder keeps the same cache and
    count), and keeps memory bounded even when the output is one long run of ones.
    """

    def __init__(self, width: int):
        self.width = width
        self.mask = (1 << width) - 1
        self.bits = bitarray(endian="big")
        self.head: int | None = None
        self.ones = 0

    def extend(self, digits: list[int]) -> None:
        """Append digits, each possibly 2^width or more: a carry into the digit before it."""
        if not digits:
            return
        width, mask = self.width, self.mask
        carry = 0
        if max(digits) > mask:  # carries are rare: most chunks have none to pass on
            for i in range(len(digits) - 1, -1, -1):
                digit = digits[i] + carry
                digits[i] = digit & mask
                carry = digit >> width
        rolled = self._carry(carry)
        last = len(digits) - 1
        while last >= 0 and digits[last] == mask:
            last -= 1
        if last >= 0:
            self._flush(rolled)
            self.bits += _pack(digits[:last], width)
            self.head, self.ones = digits[last], len(digits) - 1 - last
        elif rolled and self.ones:
            # the run turned to zeros: its last digit is now where a later carry would stop
            self.ones -= 1
            self._flush(True)
            self.head, self.ones = 0, len(digits)
        else:
            self.ones += len(digits)

    def close(self, carry: int) -> bitarray:
        """All the settled bits, after adding the last carry (the termination's)."""
        self._flush(self._carry(carry))
        self.head, self.ones = None, 0
        return self.bits

    def _carry(self, carry: int) -> bool:
        """Add a carry out of the newest digits to the head; True if the run of ones rolled to zeros."""
        if not carry:
            return False
        # The head is not all ones and exists: the bound on the code value guarantees both, so a carry
        # never reaches bits already settled.
        assert self.head is not None and self.head < self.mask and carry == 1, "carry past settled output"
        self.head += 1
        return True

    def _flush(self, rolled: bool) -> None:
        """Settle the head and the run after it (zeros if a carry rolled it over)."""
        if self.head is not None:
            self.bits += _pack([self.head], self.width)
        run = bitarray(self.ones * self.width, endian="big")
        if not rolled:
            run.setall(1)
        self.bits += run


def _pack(digits: list[int], width: int) -> bitarray:
    """Digits of ``width`` <= 64 bits each, most significant bit first, as one bitarray."""
    out = bitarray(endian="big")
    if digits:
        words = np.array(digits, dtype=np.uint64).astype(">u8")
        rows = np.unpackbits(words.view(np.uint8).reshape(-1, 8), axis=1)
        out.pack(rows[:, 64 - width :].tobytes())
    return out


def _read_digits(bits: bitarray, width: int, count: int) -> Iterator[int]:
    """The first ``count`` digits of ``width`` bits in ``bits``, reading zeros past its end.

    An iterator over lists of DIGIT_CHUNK digits, chained in C: a digit costs the decoder no
    generator step."""
    return chain.from_iterable(_digit_chunks(bits, width, count))


def _digit_chunks(bits: bitarray, width: int, count: int) -> Iterator[list[int]]:
    for first in range(0, count, DIGIT_CHUNK):
        m = min(DIGIT_CHUNK, count - first)
        piece = bits[first * width : (first + m) * width]
        piece = piece + bitarray(m * width - len(piece), endian="big")  # bits may be frozen
        rows = np.zeros((m, 64), dtype=np.uint8)
        rows[:, 64 - width :] = np.frombuffer(piece.unpack(), dtype=np.uint8).reshape(m, width)
        yield np.packbits(rows, axis=1).view(">u8").ravel().tolist()
