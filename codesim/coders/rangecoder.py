"""The range coder, one for every model, and arithmetic coding over quantised frequencies.

:class:`RangeCoder` codes a stream with the intervals a model gives its symbols (:mod:`.models`):
here the static model of scheme ``arithmetic``, and in :mod:`.adaptive` the learning model of scheme
``adaptive-arithmetic``. Its loops are :mod:`.kernels.rangecoder`; this module holds what comes once
per message (the carries, the termination, the check of a decoded stream's ending).

Scheme ``arithmetic`` quantises q to integer frequencies f with sum 2^P (P = ``precision``, default 24,
every f >= 1, see :func:`~codesim.coders.frequencies.quantise`) and codes the whole stream as one number
in [0, 1), one symbol after the other, in a single stream (no interleaving).

Algorithm
---------
A range coder with carry (Martin 1979, "Range encoding: an algorithm for removing redundancy from a
digitised message"), the multiply-based integer arithmetic coder of Witten, Neal and Cleary (CACM 30(6),
1987) in the form analysed by Moffat, Neal and Witten ("Arithmetic coding revisited", ACM TOIS 16(3),
1998). The state is an interval [low, low + range) of W = 96-bit integers: a window onto the code
value just after the bits already emitted. Coding symbol x with start s(x) = sum of f below x::

    r = range >> P                      # range / 2^P, rounded down
    low += r * s(x);  range = r * f(x)

and while range < 2^(W - 32) the top 32 bits of low move to the output (one 32-bit *digit*) and both
registers shift left by 32. Where Witten, Neal and Cleary hold back "follow" bits until they know which
way the interval straddling 1/2 falls, this coder lets low overflow 2^W and adds the carry to the digits
already written; no carry can reach past the last digit that is not all ones, so everything before it is
final, and the all-ones digits after it are only counted. Python integers have no fixed width, so the
96-bit state costs nothing extra and makes the rounding loss negligible.

Termination: the coder ends with the shortest bit string b_1..b_t whose whole dyadic interval
[0.b_1..b_t, 0.b_1..b_t + 2^-t) lies inside the final interval, the lower one when two of that length
fit. So the code is prefix-free over streams of a given length, and the decoder (which reads missing
bits as zeros) accepts ``bits`` only if they are exactly what :meth:`ArithmeticCoder.encode` writes for
the symbols it decoded: a truncated stream, trailing bits or a changed ending raise DecodeError.

Bound
-----
With ideal = sum over the stream of -log2(f(x) / 2^P) and n symbols::

    ideal  <=  bits  <  ideal + 2 + n * eps,      eps = -log2(1 - 2^(P + 32 - 96)).

Why: the final interval has width w = prod_i r_i f(x_i) / range_i (in units of the whole [0, 1)), and
the termination spends fewer than -log2 w + 2 bits, because any interval of width >= 2^-(t-1) contains
a whole dyadic interval of width 2^-t (and never fewer than -log2 w, since that interval must fit). Each
symbol's integer division loses the factor r * 2^P / range > 1 - 2^P / range, and range >= 2^(W - 32)
before every symbol, which gives eps. For P = 24, eps < 1.4e-12 bits per symbol (P = 32: < 3.4e-10), so
in practice the bound is ideal + 2 bits; an empty stream and a one-symbol alphabet cost 0 bits.
"""

from __future__ import annotations

import math
import operator
from abc import abstractmethod
from itertools import chain
from typing import Any, Iterator

import numpy as np
from bitarray import bitarray
from bitarray.util import ba2int, int2ba

from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError
from .base import Coder, trace_columns_with
from .frequencies import FrequencyCoder, check_slots, quantise
from .kernels import rangecoder as kernel
from .models import StaticModel
from .registry import Param, Scheme, register

DEFAULT_PRECISION = 24
MAX_PRECISION = 32
#: The most symbols one message may hold (README, "Decode time"): the decoder takes a Python step per
#: symbol, 0.6 to 4 million symbols a second here (slowest at precision 32 over 65536 symbols, every
#: symbol costing 32 bits), so 2^21 symbols decode within about 4 seconds.
MAX_SYMBOLS = 1 << 21
#: Symbols per step of the encoder and decoder: bounds the scratch lists whatever the stream length.
SYMBOL_CHUNK = 1 << 16
#: Digits unpacked per step when the decoder reads its input.
DIGIT_CHUNK = 1 << 14


def symbol_count(bits, n) -> int:
    """n as an int >= 0 and ``bits`` a bitarray, or a DecodeError saying which is wrong."""
    try:
        n = operator.index(n)
    except TypeError:
        raise DecodeError(f"the symbol count must be an integer, got {n!r}") from None
    if n < 0:
        raise DecodeError(f"cannot decode {n} symbols")
    if not isinstance(bits, bitarray):
        raise DecodeError(f"expected a bitarray of encoded bits, got {type(bits).__name__}")
    return n


class RangeCoder(Coder):
    """A range coder with carry over the intervals of a model (see the module notes).

    A subclass gives the model a message is coded with (:meth:`_model`, a fresh one per message for a
    model that learns), the register widths ``state_bits`` (W) and ``digit_bits`` (U), and
    :meth:`least_bits`, a lower bound on the bits of any stream of n symbols.
    """

    #: W: width of the low and range registers.
    state_bits = 96
    #: U: bits moved to the output per renormalisation step.
    digit_bits = 32

    @abstractmethod
    def _model(self):
        """The model the next message is coded with, in its initial state."""

    @abstractmethod
    def least_bits(self, n: int) -> float:
        """A lower bound on the bits of any encoding of n symbols."""

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self.size == 1:  # the only symbol's interval is all of [0, 1): nothing to say
            return bitarray(endian="big")
        W, U = self.state_bits, self.digit_bits
        model = self._model()
        low, rng = 0, 1 << W
        out = _CarryOutput(U)
        for first in range(0, stream.size, SYMBOL_CHUNK):
            starts, sizes, totals = model.intervals(stream[first : first + SYMBOL_CHUNK])
            digits: list[int] = []
            low, rng = kernel.encode(starts, sizes, totals, model.shift, low, rng, W, U, digits)
            out.extend(digits)
        tail, value = _termination(low, rng, W)
        bits = out.close(value >> tail)
        if tail:
            bits += int2ba(value & ((1 << tail) - 1), length=tail, endian="big")
        return bits

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        """The n symbols ``bits`` encodes; DecodeError unless the bits are exactly their encoding.

        The work is bounded by n and the bits' length; a count that not even the cheapest stream of
        n symbols fits in the bits is refused before decoding (:meth:`least_bits`).
        """
        n = symbol_count(bits, n)
        if bits.endian != "big":
            bits = bitarray(bits, endian="big")
        size = len(bits)
        dtype = index_dtype(self.size)
        if self.size == 1:
            if size:
                raise DecodeError(f"trailing bits: a one-symbol alphabet codes in 0 bits, the stream has "
                                  f"{size}")
            return np.zeros(n, dtype=dtype)
        least = self.least_bits(n)
        if size < least * (1 - 1e-9) - 1:
            raise DecodeError(f"the stream is too short: {n} symbols need at least {math.floor(least)} bits "
                              f"under this model, it has {size}")
        W, U = self.state_bits, self.digit_bits
        model = self._model()
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
                done, diff, rng, read, total = kernel.decode(
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
        check_ending(bits, steps * U, W, diff, rng, n)
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


class ArithmeticCoder(RangeCoder, FrequencyCoder):
    """The range coder over quantised frequencies (one stream, see the module notes).

    >>> coder = ArithmeticCoder([1, 2, 1], 2, "arithmetic", {"precision": 2})
    >>> bits = coder.encode(np.array([1, 1, 0, 2]))
    >>> coder.decode(bits, 4).tolist()
    [1, 1, 0, 2]
    """

    max_symbols = MAX_SYMBOLS

    def __init__(self, freqs, precision: int, scheme: str = "arithmetic",
                 params: dict[str, Any] | None = None):
        super().__init__(freqs, precision, scheme, {"precision": precision} if params is None else params)
        if not 1 <= self.digit_bits <= 64 or self.state_bits % self.digit_bits:
            raise CodesimError(f"digit width {self.digit_bits} must be 1 to 64 bits and divide the state "
                               f"width {self.state_bits} (the decoder fills its window with whole digits)")
        # range >= 2^(W - U) before a symbol, so r = range >> P >= 1 needs P <= W - U; above that the
        # range could reach 0 and never renormalise.
        limit = min(MAX_PRECISION, self.state_bits - self.digit_bits)
        if not 0 <= self.precision <= limit:
            raise CodesimError(f"arithmetic coder precision {self.precision} is outside 0..{limit}")
        self._static = StaticModel(self.freqs, self.starts, self.precision)

    def _model(self) -> StaticModel:
        return self._static

    # -- what the code costs --------------------------------------------------------------------
    @property
    def rounding_loss(self) -> float:
        """eps: the most bits per symbol the integer division ``range >> precision`` can lose.

        range / 2^P >= a = 2^(W - U - P), and floor(y) / y > 1 - 1/y but also >= 1/2 for y >= 1, so the
        loss is under -log2(1 - 1/a), and at most 1 bit when a = 1 (only narrow test states get there).
        """
        share = 2.0 ** (self.precision + self.digit_bits - self.state_bits)
        return 1.0 if share >= 0.5 else -math.log2(1.0 - share)

    def ideal_bits(self, stream: np.ndarray) -> float:
        """sum over the stream of -log2(f(x) / 2^precision): what a coder with exact arithmetic spends."""
        stream = self._check_stream(stream)
        counts = np.bincount(stream.astype(np.int64, copy=False), minlength=self.size)
        return float(np.dot(counts, self.precision - np.log2(self.freqs.astype(np.float64))))

    def max_bits(self, stream: np.ndarray) -> float:
        """The documented bound on ``len(encode(stream))``: ideal + 2 + n * eps."""
        stream = self._check_stream(stream)
        return self.ideal_bits(stream) + 2.0 + stream.size * self.rounding_loss

    def least_bits(self, n: int) -> float:
        """Each symbol narrows the interval by at least f_max / 2^P, and the output's dyadic interval
        must fit inside it: n (P - log2 f_max) bits."""
        return n * (self.precision - math.log2(int(self.freqs.max())))

    # -- looking inside -------------------------------------------------------------------------
    def trace(self, stream: np.ndarray, limit: int = 20) -> list[dict[str, Any]]:
        """The coding interval after each of the first ``limit`` symbols, for showing how coding works.

        Each entry has ``position`` and ``symbol``; ``low`` and ``high``, the interval [low, high) in
        the coder's W-bit window (``low`` may exceed 2^W while a carry is pending); ``bits``, how many
        bits have left the window, and ``emitted``, those bits as a string (a later carry can still
        change its trailing ones and last zero); ``low_float`` and ``high_float``, the interval in
        [0, 1), i.e. (emitted + low / 2^W) / 2^bits (floats stop resolving it after about 50 bits);
        ``interval_bits``, -log2 of its width; and ``ideal_bits``, the running sum of -log2(f / 2^P).
        """
        stream = self._check_stream(stream)[: max(0, int(limit))]
        W, U, P = self.state_bits, self.digit_bits, self.precision
        model = self._model()
        low, rng, prefix, pos, ideal = 0, 1 << W, 0, 0, 0.0
        steps = []
        for i, x in enumerate(stream.tolist()):
            start, size, total = model.interval(x)
            digits: list[int] = []
            low, rng = kernel.encode((start,), (size,), (total,), model.shift, low, rng, W, U, digits)
            for digit in digits:
                prefix = (prefix << U) + digit
                pos += U
            ideal += P - math.log2(size)
            scale = 1 << (pos + W)
            steps.append({
                "position": i,
                "symbol": x,
                "low": low,
                "high": low + rng,
                "bits": pos,
                "emitted": format(prefix, f"0{pos}b") if pos else "",
                "low_float": ((prefix << W) + low) / scale,
                "high_float": ((prefix << W) + low + rng) / scale,
                "interval_bits": pos + W - math.log2(rng),
                "ideal_bits": ideal,
            })
        return steps

    def __repr__(self) -> str:
        return f"ArithmeticCoder(size={self.size}, precision={self.precision})"

    # -- the coder contract: inspect and bench ----------------------------------------------------
    trace_note = ("the interval [low, high) after each symbol, and the bits emitted so far "
                  "(a later carry can still change their trailing ones)")
    # The width of the interval stands for the bits spent: the emitted bits lag behind it.
    trace_columns = trace_columns_with(("bits", "bits out"), ("low", "low", 10), ("high", "high", 10),
                                       ("emitted", "emitted"), total=("interval_bits", "-log2 width"))
    bench_peers = ("constriction range",)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The coding interval after each symbol (:meth:`trace`), and the interval's width in bits
        against the running ideal length."""
        costs = self.ideal_costs(model)
        rows: list[dict[str, Any]] = []
        ideal = 0.0
        for step in self.trace(stream, limit):
            s = step["symbol"]
            ideal += float(costs[s])
            rows.append({"index": step["position"], "symbol": alphabet[s], "low": step["low_float"],
                         "high": step["high_float"], "emitted": step["emitted"], "bits": step["bits"],
                         "interval_bits": step["interval_bits"], "ideal_bits": float(costs[s]),
                         "total_ideal": ideal, "excess": step["interval_bits"] - ideal})
        return rows


def check_ending(bits: bitarray, pos: int, width: int, diff: int, rng: int, n: int) -> None:
    """Accept a decoded stream only if its bits end exactly as the encoder's termination ends them.

    After the decoder has consumed ``pos`` bits, the window of the next ``width`` bits holds
    code = low + diff (mod 2^width); that gives the encoder's low, modulo 2^width, from which its
    termination (and so the stream's exact length and last bits) is recomputed. DecodeError otherwise.
    """
    size = len(bits)
    window = bits[pos : pos + width]
    code = ba2int(window + bitarray(width - len(window), endian="big"), signed=False)
    low = (code - diff) % (1 << width)
    tail, value = _termination(low, rng, width)
    need = pos + tail
    if need > size:
        raise DecodeError(f"the stream is too short: {n} symbols need {need} bits, it has {size}")
    if need < size:
        raise DecodeError(f"trailing bits: {n} symbols end after {need} bits, the stream has {size}")
    if (value << (width - tail)) - low != diff:
        raise DecodeError(f"the bits are not an encoding of {n} symbols under this model "
                          "(their ending differs from the encoder's)")


def _termination(low: int, rng: int, width: int) -> tuple[int, int]:
    """(t, v): the fewest bits t, then the lowest v, with [v, v + 1) * 2^(width - t) inside [low, low + rng).

    The block 2^(width - t) cannot exceed rng, so t starts where it just fits; there, or one bit
    later, the first aligned block at or above low fits (an interval of at least two blocks holds one).
    """
    tail = width - (rng.bit_length() - 1)
    while True:
        step = width - tail
        value = -(-low >> step)  # ceil(low / 2^step)
        if (value + 1) << step <= low + rng:
            return tail, value
        tail += 1


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


ARITHMETIC = register(
    Scheme(
        name="arithmetic",
        summary="arithmetic (range) coder, one stream: within 2 bits of sum -log2 r(x), r = q quantised",
        build=lambda q, precision: ArithmeticCoder(quantise(q, precision), precision, "arithmetic",
                                                   {"precision": precision}),
        restore=ArithmeticCoder.from_config,
        serves=lambda size, precision: check_slots("arithmetic", size, precision, MAX_PRECISION),
        groups=("stream", "default"),
        params=(
            Param("precision", int, DEFAULT_PRECISION,
                  "frequencies sum to 2^precision; needs 2^precision >= alphabet size", minimum=1,
                  maximum=MAX_PRECISION),
        ),
    )
)
