"""The range coder, one for every model, and arithmetic coding over quantised frequencies.

:class:`RangeCoder` codes a stream with the intervals a model gives its symbols (:mod:`.models`):
here the static model of scheme ``arithmetic``, its per-context frequencies for a model with memory
(:class:`ContextArithmeticCoder`, :mod:`.context_frequencies`), and in :mod:`.adaptive` the learning
model of scheme ``adaptive-arithmetic``. Its loops are the kernels of :mod:`.kernels.rangecoder`, compiled with the
``fast`` extra (:mod:`codesim.jit`); this module holds what comes once per message (the buffers, the
termination, the check of a decoded stream's ending).

Scheme ``arithmetic`` quantises q to integer frequencies f with sum 2^P (P = ``precision``, default 24,
every f >= 1, see :func:`~codesim.coders.frequencies.quantise`) and codes the whole stream as one number
in [0, 1), one symbol after the other, in a single stream (no interleaving). With a model with memory
it quantises each context's row the same way and codes each symbol with its context's row: the same
bitstream, termination and bound, ideal being the sum of -log2(f(x | context) / 2^P).

Algorithm
---------
A range coder with carry (Martin 1979, "Range encoding: an algorithm for removing redundancy from a
digitised message"), the multiply-based integer arithmetic coder of Witten, Neal and Cleary (CACM 30(6),
1987) in the form analysed by Moffat, Neal and Witten ("Arithmetic coding revisited", ACM TOIS 16(3),
1998). The state is an interval [low, low + range) of W = 62-bit integers: a window onto the code
value just after the bits already emitted. Coding symbol x with start s(x) = sum of f below x::

    r = range >> P                      # range / 2^P, rounded down
    low += r * s(x);  range = r * f(x)

and while range < 2^(W - 8) the top 8 bits of low move to the output (one byte-wide *digit*) and both
registers shift left by 8. Where Witten, Neal and Cleary hold back "follow" bits until they know which
way the interval straddling 1/2 falls, this coder lets low reach 2^W and adds the carry to the digits
already written; no carry can reach past the last digit that is not all ones, because the code value
stays below 1. low + range < 2^(W+1) = 2^63, so every register fits a signed 64-bit integer, and the
loops compile to machine code (see :mod:`.kernels.rangecoder`). The range stays at 2^54 or more, so
the rounding is negligible (below).

Termination: the coder ends with the shortest bit string b_1..b_t whose whole dyadic interval
[0.b_1..b_t, 0.b_1..b_t + 2^-t) lies inside the final interval, the lower one when two of that length
fit. So the code is prefix-free over streams of a given length, and the decoder (which reads missing
bits as zeros) accepts ``bits`` only if they are exactly what :meth:`ArithmeticCoder.encode` writes for
the symbols it decoded: a truncated stream, trailing bits or a changed ending raise DecodeError.

Bound
-----
With ideal = sum over the stream of -log2(f(x) / 2^P) and n symbols::

    ideal  <=  bits  <  ideal + 2 + n * eps,      eps = -log2(1 - 2^(P + 8 - 62)).

Why: the final interval has width w = prod_i r_i f(x_i) / range_i (in units of the whole [0, 1)), and
the termination spends fewer than -log2 w + 2 bits, because any interval of width >= 2^-(t-1) contains
a whole dyadic interval of width 2^-t (and never fewer than -log2 w, since that interval must fit). Each
symbol's integer division loses the factor r * 2^P / range > 1 - 2^P / range, and range >= 2^(W - 8)
before every symbol, which gives eps. For P = 24, eps < 1.4e-9 bits per symbol (P = 32: < 3.5e-7), so
in practice the bound is ideal + 2 bits; an empty stream and a one-symbol alphabet cost 0 bits.

Config versions
---------------
Version 2 (``"version": 2`` in the config) is the coder above.
A config without a version is version 1, the bitstream of the files written before: the same
algorithm over W = 96-bit registers and 32-bit digits (128-bit for ``adaptive-arithmetic``), which
fit no machine integer; :mod:`.rangecoder_v1` codes it, in plain Python, so that those files decode
and re-encode to the same bits.
"""

from __future__ import annotations

import math
import operator
from abc import abstractmethod
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray
from bitarray.util import ba2int, int2ba

from .. import jit
from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError
from . import rangecoder_v1
from .base import Coder, trace_columns_with
from .config import versioned
from .context_frequencies import ContextFrequencyCoder
from .frequencies import FrequencyCoder, check_slots, quantise
from .kernels import rangecoder as kernel
from .models import StaticModel
from .registry import Param, Scheme, register

DEFAULT_PRECISION = 24
MAX_PRECISION = 32
#: The most symbols one message may hold (README, "Decode time"). Without the ``fast`` extra the
#: decoder takes a Python step per symbol and one per byte-wide digit: 0.35 to 3 microseconds a symbol
#: here, the slowest at precision 32 over 65536 symbols on a stream of the symbols of frequency 1 (32
#: bits each, and a binary search among 65535 symbols in one slot of the lookup table), so 2^20 symbols
#: decode in about 3 seconds alone on a core; compiled, 2^20 such symbols take 0.15 seconds.
MAX_SYMBOLS = 1 << 20
#: Symbols whose adaptive intervals the interpreted encoder counts at once (bounds its scratch lists).
INTERVAL_CHUNK = 1 << 16
#: Symbols decoded per call of the decoding kernel: bounds the output held before the symbols are
#: known to be there (a symbol count is only loosely bounded by the bits).
DECODE_CHUNK = 1 << 20


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
    model that learns), the register widths of each config version (:attr:`registers`), and
    :meth:`least_bits`, a lower bound on the bits of any stream of n symbols. It calls
    :meth:`_use_version` when it is built.
    """

    versions: ClassVar[tuple[int, ...]] = (1, 2)
    #: (W, U) of each config version: the width of the low and range registers, and the bits moved to
    #: the output per renormalisation step. Version 2's must have W <= 62 and U <= 8 (the kernels'
    #: int64 registers and digits within two bytes).
    registers: ClassVar[dict[int, tuple[int, int]]] = {1: (96, 32), 2: (62, 8)}

    version: int
    state_bits: int
    digit_bits: int

    def _use_version(self, version: int) -> None:
        """Code with the bitstream of config version ``version`` (one of :attr:`versions`)."""
        if version not in self.versions or version not in self.registers:
            raise CodesimError(f"scheme {self.scheme!r} has no config version {version!r} "
                               f"(versions: {', '.join(map(str, self.versions))})")
        W, U = self.registers[version]
        # Version 1's decoder fills its window with whole digits; version 2's kernels hold the registers
        # in int64 (low + range < 2^(W+1)) and read a digit from two bytes.
        fits = 1 <= U <= 64 and W % U == 0 if version == 1 else U in (1, 2, 4, 8) and U < W <= 62
        if not fits:
            raise CodesimError(f"{W}-bit registers with {U}-bit digits do not fit config version {version}")
        self.version, self.state_bits, self.digit_bits = version, W, U

    @abstractmethod
    def _model(self):
        """The model the next message is coded with, in its initial state."""

    @abstractmethod
    def least_bits(self, n: int) -> float:
        """A lower bound on the bits of any encoding of n symbols."""

    def get_config(self) -> dict[str, Any]:
        return versioned(super().get_config(), self.version)

    def prepare(self, n: int) -> None:
        """Load the kernels for this alphabet's streams (compiled, or from numba's cache) and build the
        model's tables, by coding two symbols: what a first message would do before its first symbol."""
        if self.version > 1 and self.size > 1 and n:
            stream = np.array([0, self.size - 1], dtype=index_dtype(self.size))
            self.decode(self.encode(stream), stream.size)

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self.size == 1:  # the only symbol's interval is all of [0, 1): nothing to say
            return bitarray(endian="big")
        W = self.state_bits
        model = self._model()
        if self.version == 1:
            out, low, rng = rangecoder_v1.encode(model, stream, W, self.digit_bits)
            tail, value = termination(low, rng, W)
            bits = out.close(value >> tail)
        else:
            buffer, pos, low, rng = self._encode_digits(model, stream)
            tail, value = termination(low, rng, W)
            if value >> tail and kernel.carry(buffer, pos):
                raise AssertionError("a carry ran past the first digit")
            bits = bitarray(endian="big")
            bits.frombytes(bytes(buffer[: (pos + 7) >> 3]))
            del bits[pos:]
        if tail:
            bits += int2ba(value & ((1 << tail) - 1), length=tail, endian="big")
        return bits

    def _encode_digits(self, model, stream: np.ndarray):
        """(buffer, bits, low, range): the digits of ``stream`` in a byte buffer, and the registers."""
        W = self.state_bits
        # Room for the bits the model expects, grown by doubling when a stream costs more.
        buffer = jit.scratch(int(stream.size * self._expected_bits(model) / 8 * 1.05) + W // 4 + 64, np.uint8)
        state = (buffer, 0, 0, 1 << W, model.total)
        if model.step and not jit.enabled():
            # Interpreted, an adaptive model's intervals are counted with numpy a chunk at a time, not
            # stepped through its tree symbol by symbol: 2 to 4 times faster, and the same intervals.
            for first in range(0, stream.size, INTERVAL_CHUNK):
                chunk = stream[first : first + INTERVAL_CHUNK]
                starts, sizes, totals = model.intervals(chunk)
                state = self._encode_with(model, chunk.tolist(), state, starts, sizes, list(totals), None)
        else:
            starts, sizes, _, _, tree = model.tables()
            symbols = jit.plain(stream.astype(kernel_dtype(self.size), copy=False))
            state = self._encode_with(model, symbols, state, starts, sizes, None, tree)
        return state[:4]

    def _encode_with(self, model, symbols, state, starts, sizes, totals, tree):
        """Run the encoding kernel over ``symbols`` from ``state`` (buffer, bits, low, range, total),
        growing the buffer as it asks; returns the state after them."""
        buffer, pos, low, rng, total = state
        first = 0
        while True:
            first, pos, low, rng, total = kernel.encode(
                symbols, first, buffer, pos, low, rng, self.state_bits, self.digit_bits, model.shift, starts,
                sizes, totals, tree, total, model.step, model.limit, model.pseudo, jit.enabled(), model.follow,
                model.context)
            if first == len(symbols):
                return buffer, pos, low, rng, total
            if first < 0:
                raise AssertionError("a carry ran past the first digit")
            buffer = _doubled(buffer)

    def _expected_bits(self, model) -> float:
        """Bits per symbol to make room for at first: log2 of the alphabet, unless a subclass knows better."""
        return math.log2(self.size)

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
        W = self.state_bits
        model = self._model()
        if self.version == 1:
            symbols, pos, diff, rng = rangecoder_v1.decode(model, bits, n, W, self.digit_bits, dtype)
        else:
            symbols, pos, diff, rng = self._decode_digits(model, bits, n, dtype)
        check_ending(bits, pos, W, diff, rng, n)
        return symbols

    def _decode_digits(self, model, bits: bitarray, n: int, dtype):
        """(symbols, bits read after the first window, diff, range), or DecodeError where the bits run
        out or hold no symbol."""
        W, U = self.state_bits, self.digit_bits
        size = len(bits)
        data, end, diff = self._window(bits)
        rng, pos, total = 1 << W, W, model.total
        starts, sizes, lookup, slot_shift, tree = model.tables()
        parts: list[np.ndarray] = []
        for first in range(0, n, DECODE_CHUNK):
            m = min(DECODE_CHUNK, n - first)
            part = jit.scratch(m, kernel_dtype(self.size))
            done, pos, diff, rng, total = kernel.decode(
                data, pos, end, part, m, diff, rng, W, U, model.shift, starts, sizes, lookup, slot_shift,
                tree, total, model.step, model.limit, model.pseudo, jit.enabled(), model.follow, model.context)
            if done < m:
                refuse(n, size, first + done, pos > end)
            parts.append(np.asarray(part).astype(dtype, copy=False))
        return _joined(parts, dtype), pos - W, diff, rng

    def _window(self, bits: bitarray) -> tuple[np.ndarray, int, int]:
        """(data, end, diff) for the decoding kernels: the bits' bytes with room to read past them, the
        read position past which the bits have run out, and the first window of W bits."""
        W, U = self.state_bits, self.digit_bits
        # A valid stream ends at or after the encoder's last digit, so a decoder that reads past this
        # many bits has run out of them; it may read up to W bits further before it knows.
        end = W + len(bits) // U * U
        raw = np.frombuffer(bits.tobytes(), dtype=np.uint8)
        data = np.zeros((end + W) // 8 + 3, dtype=np.uint8)
        data[: raw.size] = raw
        head = (W + 7) // 8
        diff = int.from_bytes(data[:head].tobytes(), "big") >> (8 * head - W)
        return jit.plain(data), end, diff


def refuse(n: int, size: int, at: int, ran_out: bool, ruled_out: bool = False):
    """The DecodeError of a decoding kernel that stopped at symbol ``at`` of n, in a stream of ``size`` bits."""
    if ran_out:
        raise DecodeError(f"the stream is too short: decoding {n} symbols needs more than its {size} bits")
    if ruled_out:
        raise DecodeError(f"the bits decode to a symbol the model rules out before position {at}")
    raise DecodeError(f"the bits do not encode a symbol at position {at}")


def _joined(parts: list[np.ndarray], dtype) -> np.ndarray:
    """The decoded chunks as one array."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def kernel_dtype(size: int) -> np.dtype:
    """The dtype the kernels take symbols of a ``size``-symbol alphabet in: bytes up to 256 symbols, else
    int32 (one compiled kernel for every larger alphabet)."""
    return np.dtype(np.uint8 if size <= 256 else np.int32)


def _doubled(buffer):
    """A kernel's byte buffer (an array, or a list on the interpreted path) twice as long, zeros added."""
    if isinstance(buffer, list):
        return buffer + [0] * len(buffer)
    return np.concatenate((buffer, np.zeros(buffer.size, dtype=buffer.dtype)))


class ArithmeticCoder(RangeCoder, FrequencyCoder):
    """The range coder over quantised frequencies (one stream, see the module notes).

    >>> coder = ArithmeticCoder([1, 2, 1], 2, "arithmetic", {"precision": 2})
    >>> bits = coder.encode(np.array([1, 1, 0, 2]))
    >>> coder.decode(bits, 4).tolist()
    [1, 1, 0, 2]
    """

    max_symbols = MAX_SYMBOLS

    def __init__(self, freqs, precision: int, scheme: str = "arithmetic",
                 params: dict[str, Any] | None = None, version: int = 2):
        super().__init__(freqs, precision, scheme, {"precision": precision} if params is None else params)
        self._use_version(version)
        self._check_precision()
        self._static = StaticModel(self.freqs, self.starts, self.precision)

    def _check_precision(self) -> None:
        """range >= 2^(W - U) before a symbol, so r = range >> P >= 1 needs P <= W - U; above that the
        range could reach 0 and never renormalise."""
        limit = min(MAX_PRECISION, self.state_bits - self.digit_bits)
        if not 0 <= self.precision <= limit:
            raise CodesimError(f"arithmetic coder precision {self.precision} is outside 0..{limit}")


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
        the coder's W-bit window (in version 1, ``low`` may exceed 2^W while a carry is pending);
        ``bits``, how many bits have left the window, and ``emitted``, those bits as a string (a later
        carry can still change its trailing ones and last zero); ``low_float`` and ``high_float``, the
        interval in [0, 1), i.e. (emitted + low / 2^W) / 2^bits (floats stop resolving it after about
        50 bits); ``interval_bits``, -log2 of its width; and ``ideal_bits``, the running sum of
        -log2(f / 2^P).
        """
        stream = self._check_stream(stream)[: max(0, int(limit))]
        W, U, P = self.state_bits, self.digit_bits, self.precision
        model = self._model()
        low, rng, prefix, pos, ideal = 0, 1 << W, 0, 0, 0.0
        steps = []
        if self.version > 1:
            symbols = jit.plain(stream.astype(kernel_dtype(self.size), copy=False))
            starts, sizes, _, _, tree = model.tables()
            buffer = jit.scratch((stream.size * (W - U) + W) // 8 + 64, np.uint8)
        for i, x in enumerate(stream.tolist()):
            if self.version == 1:
                start, size, total = model.interval(x)
                digits: list[int] = []
                low, rng = rangecoder_v1.encode_loop((start,), (size,), (total,), model.shift, low, rng, W, U,
                                                     digits)
                for digit in digits:
                    prefix = (prefix << U) + digit
                    pos += U
            else:
                _, pos, low, rng, _ = kernel.encode(symbols[: i + 1], i, buffer, pos, low, rng, W, U, model.shift,
                                                    starts, sizes, None, tree, model.total, 0, 0, 0,
                                                    jit.enabled(), None, None)
                prefix = int.from_bytes(bytes(buffer[: (pos + 7) >> 3]), "big") >> (-pos % 8)
            ideal += P - math.log2(int(self.freqs[x]))
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

    def _expected_bits(self, model) -> float:
        """The entropy of the quantised model: what a stream from it costs a symbol."""
        f = self.freqs.astype(np.float64)
        return float(np.dot(f, self.precision - np.log2(f))) / (1 << self.precision) + 1.0

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


class ContextArithmeticCoder(ContextFrequencyCoder, RangeCoder):
    """The range coder over per-context frequencies (:mod:`.context_frequencies`): symbol x in context c
    gets its row's interval, and the stream, its termination and its bound are the i.i.d. coder's
    (version 2), with ideal = sum of -log2(f(x | c) / 2^P).

    >>> from codesim.sources.markov import MarkovChain
    >>> chain = MarkovChain.from_transitions([[0.9, 0.1], [0.2, 0.8]], alphabet=["calm", "storm"])
    >>> coder = ContextArithmeticCoder.from_model(chain, 12, "arithmetic", {"precision": 12})
    >>> coder.get_config()["freqs"]  # after calm, after storm, at a message's start (stationary)
    [[3686, 410], [819, 3277], [2731, 1365]]
    >>> coder.decode(coder.encode(np.array([0, 0, 1, 1, 0])), 5).tolist()
    [0, 0, 1, 1, 0]

    It lives here, not in a module of its own, because the scheme registered below names it.
    """

    versions: ClassVar[tuple[int, ...]] = (2,)
    max_precision: ClassVar[int] = MAX_PRECISION

    def __init__(self, contexts, freqs, precision: int, scheme: str = "arithmetic",
                 params: dict[str, Any] | None = None, version: int = 2):
        super().__init__(contexts, freqs, precision, scheme, {"precision": precision} if params is None else params)
        self._use_version(version)
        self._check_precision()

    _check_precision = ArithmeticCoder._check_precision
    rounding_loss = ArithmeticCoder.rounding_loss
    max_bits = ArithmeticCoder.max_bits

    def least_bits(self, n: int) -> float:
        """Each symbol costs at least P - log2 of the largest frequency in any row."""
        return n * (self.precision - math.log2(int(self.freqs.max())))

    def _expected_bits(self, model=None) -> float:
        """The mean entropy of the rows, a bit added: room a stream is likely to need a symbol."""
        f = self.freqs.astype(np.float64)
        return float(np.mean(np.sum(f * (self.precision - np.log2(f)), axis=1))) / (1 << self.precision) + 1.0

    def _model(self) -> "DyadicModel":
        return DyadicModel(self.precision)

    def _encode_digits(self, model, stream: np.ndarray):
        """The i.i.d. encoder's kernel run through the stream's flat entries row * K + x, whose
        intervals are the flat tables' entries."""
        W = self.state_bits
        flat = jit.plain(self.flat_symbols(stream))
        buffer = jit.scratch(int(stream.size * self._expected_bits() / 8 * 1.05) + W // 4 + 64, np.uint8)
        state = (buffer, 0, 0, 1 << W, model.total)
        state = self._encode_with(model, flat, state, *self.entry_tables(), None, None)
        return state[:4]

    def _decode_digits(self, model, bits: bitarray, n: int, dtype):
        """As the i.i.d. decoder's, with the context followed from symbol to symbol in the kernel."""
        W, U = self.state_bits, self.digit_bits
        size = len(bits)
        data, end, diff = self._window(bits)
        rng, pos = 1 << W, W
        starts, sizes, symbol, lookup, slot_bits, scaled, row, cid, *follow = self.decode_args()
        place = jit.plain(np.array([row * ((1 << slot_bits) + 1), cid], dtype=np.int64))
        table = (symbol, scaled, place, *follow)
        total = 1 << self.precision
        parts: list[np.ndarray] = []
        for first in range(0, n, DECODE_CHUNK):
            m = min(DECODE_CHUNK, n - first)
            part = jit.scratch(m, kernel_dtype(self.size))
            done, pos, diff, rng, _ = kernel.decode(
                data, pos, end, part, m, diff, rng, W, U, self.precision, starts, sizes, lookup,
                self.precision - slot_bits, None, total, 0, 0, 0, jit.enabled(), None, None, table)
            if done < m:
                refuse(n, size, first + done, pos > end, place[0] < 0)
            parts.append(np.asarray(part).astype(dtype, copy=False))
        return _joined(parts, dtype), pos - W, diff, rng

    def __repr__(self) -> str:
        return (f"ContextArithmeticCoder(size={self.size}, order={self.contexts.order}, "
                f"rows={self.contexts.rows}, precision={self.precision})")


class DyadicModel:
    """What the range coder's loop asks of a model whose totals are all 2^P and that learns nothing."""

    step = limit = pseudo = 0
    follow = context = None

    def __init__(self, precision: int):
        self.shift, self.total = precision, 1 << precision


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
    tail, value = termination(low, rng, width)
    need = pos + tail
    if need > size:
        raise DecodeError(f"the stream is too short: {n} symbols need {need} bits, it has {size}")
    if need < size:
        raise DecodeError(f"trailing bits: {n} symbols end after {need} bits, the stream has {size}")
    if (value << (width - tail)) - low != diff:
        raise DecodeError(f"the bits are not an encoding of {n} symbols under this model "
                          "(their ending differs from the encoder's)")


def termination(low: int, rng: int, width: int) -> tuple[int, int]:
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


ARITHMETIC = register(
    Scheme(
        name="arithmetic",
        summary="arithmetic (range) coder, one stream: within 2 bits of sum -log2 r(x), r = q quantised",
        build=lambda q, precision: ArithmeticCoder(quantise(q, precision), precision, "arithmetic",
                                                   {"precision": precision}),
        restore=ArithmeticCoder.from_config,
        context=lambda model, precision: ContextArithmeticCoder.from_model(model, precision, "arithmetic",
                                                                           {"precision": precision}),
        context_coder=ContextArithmeticCoder,
        serves=lambda size, precision: check_slots("arithmetic", size, precision, MAX_PRECISION),
        groups=("stream", "default"),
        params=(
            Param("precision", int, DEFAULT_PRECISION,
                  "frequencies sum to 2^precision; needs 2^precision >= alphabet size", minimum=1,
                  maximum=MAX_PRECISION),
        ),
    )
)
