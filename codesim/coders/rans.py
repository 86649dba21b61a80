"""Interleaved range asymmetric numeral systems (rANS): about -log2(f(x) / 2^precision) bits per symbol.

rANS (Duda 2013, "Asymmetric numeral systems") keeps the message in one integer state x. Coding symbol s
with frequency f and cumulative start c maps x to (x // f) * M + x % f + c, M = 2^precision, which grows
x by a factor of about M / f; decoding reads s back from the slot x % M. Here x is a 32-bit state kept in
[2^16, 2^32) by moving 16-bit words between state and stream, and because M <= 2^16 at most one word
moves per symbol, so a step is the same few vector operations for every lane.

Lanes (Giesen 2014, "Interleaved entropy coders"): symbol i goes to lane i mod L, and the L lanes are
independent rANS coders run in lock-step with numpy, one vector step per L symbols. Each lane ends with
a state that has to be written out, so a short stream uses fewer lanes: ``L = min(lanes, ceil(n / 4096))``
(:data:`SYMBOLS_PER_LANE`), which the decoder derives from n and the ``lanes`` parameter.

Bitstream (big-endian throughout, nothing else: no header, no length)::

    state of lane 0, 1, ..., L-1      32 bits each (the encoder's final states, the decoder's first)
    word, word, ...                   16 bits each, in the order the decoder reads them: symbol by
                                      symbol (lane order within a step), each symbol's word after it
                                      is decoded, when its lane's state fell below 2^16

The encoder starts every lane at state 2^16 and the decoder must end there; any other final state, a
state below 2^16 at the start, too few or too many bits raise :class:`~codesim.errors.DecodeError`.

Length bound: with I = sum over the stream of log2(M / f(x)) (the ideal length under the quantised
model), the encoded length is less than ``I + n * log2(1 + 2^(precision-16)) + 32 * L`` bits, and
``32 * L <= 32 + n / 128``. The middle term is a worst case (the rounding in x // f when a renormalised
state sits at its lowest, which grows the state by up to (1 + f/x) more than M/f). On average that
rounding costs far less: measured about 3e-4 bits per symbol at precision 14, about four times less per
bit of precision below that and four times more above. So the final states dominate the overhead: at
most 0.008 bits per symbol plus 32 bits, and about 0.006 in practice as a lane's final state holds
some of its information.

Precision is at most 16: a slot must fit the 16 bits a word brings in, and the decoder's slot table
(2^precision entries of symbol, frequency and offset, 0.6 MB at 16) should stay cache-sized.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError
from .base import running_totals, trace_columns_with
from .frequencies import FrequencyCoder, check_slots, quantise
from .registry import Param, Scheme, register

STATE_BITS = 32
WORD_BITS = 16
#: Lower end of a lane's state interval, and every lane's state before encoding / after decoding.
STATE_LOW = 1 << 16
MAX_PRECISION = 16
DEFAULT_PRECISION = 14
DEFAULT_LANES = 4096
MAX_LANES = 1 << 16
#: A stream gets one lane per this many symbols (at most ``lanes``): the 32-bit final state of a lane
#: then costs at most 32 / 4096 < 0.008 bits per symbol. Part of the format.
SYMBOLS_PER_LANE = 4096
#: The most decoding steps (rows of one symbol per lane) one message may take: a step is a dozen numpy
#: calls, 8 to 15 microseconds here with 1 to 64 lanes, so 2^18 steps take about 4 seconds. A stream
#: uses a lane per SYMBOLS_PER_LANE symbols up to ``lanes``, so only a small ``lanes`` brings a message
#: near this: from 64 lanes (the default is 4096) a message reaches the 2^24 symbols of any file.
MAX_ROWS = 1 << 18
#: Symbols per block of precomputed tables: keeps the scratch arrays in cache and memory bounded.
CHUNK_SYMBOLS = 1 << 15


def floor_reciprocals(freqs) -> np.ndarray:
    """Float64 r(f) with floor(x * r(f)) == x // f for every 0 <= x < 2^32 and 1 <= f <= 2^16.

    r is 1/f nudged up by 2^-50: the computed product then lies between x/f * (1 + 5 * 2^-53) and
    x/f * (1 + 11 * 2^-53), so never below x/f and, as x/f < 2^32, less than 2^-16 <= 1/f above it,
    which is closer than x/f ever gets to the next integer. A multiply is much cheaper than numpy's
    integer division.
    """
    return (1.0 / np.asarray(freqs, dtype=np.float64)) * (1.0 + 2.0**-50)


class RansCoder(FrequencyCoder):
    """Interleaved rANS over quantised frequencies ``freqs`` (summing to 2^precision).

    >>> coder = RansCoder(quantise(np.array([0.5, 0.3, 0.2]), 8), 8)
    >>> coder.decode(coder.encode(np.array([0, 2, 1, 0])), 4).tolist()
    [0, 2, 1, 0]
    """

    #: How many symbols earn a lane (see :data:`SYMBOLS_PER_LANE`); both sides must agree on it.
    symbols_per_lane: ClassVar[int] = SYMBOLS_PER_LANE

    def __init__(self, freqs, precision: int, scheme: str = "rans", params: dict[str, Any] | None = None):
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or not (
            1 <= precision <= MAX_PRECISION
        ):
            raise CodesimError(f"rans precision is {precision!r}: it must be an integer from 1 to {MAX_PRECISION}")
        if params is not None and not isinstance(params, dict):
            raise CodesimError(f"a coder's params are a table of name = value, got {params!r}")
        precision = int(precision)
        params = dict(params or {})
        lanes = params.get("lanes", DEFAULT_LANES)
        if isinstance(lanes, bool) or not isinstance(lanes, (int, np.integer)) or not 1 <= lanes <= MAX_LANES:
            raise CodesimError(f"rans lanes is {lanes!r}: it must be an integer from 1 to {MAX_LANES}")
        params.update(lanes=int(lanes), precision=precision)
        super().__init__(freqs, precision, scheme, params)
        self.lanes = int(lanes)
        f = self.freqs.astype(np.uint64)
        # Encoder tables, by symbol. A state at or above the bound f * 2^(32-precision) is renormalised
        # first. One symbol alone (f = 2^precision) would need 2^32; 2^32 - 1 does as well, as its
        # state never leaves 2^16.
        bound = np.minimum(f << np.uint64(STATE_BITS - precision), (1 << STATE_BITS) - 1)
        self._enc_bound = bound.astype(np.uint32)
        self._enc_rcp = floor_reciprocals(self.freqs)
        self._enc_grow = ((1 << precision) - f).astype(np.uint32)
        self._enc_start = self.starts.astype(np.uint32)
        # Decoder tables, by slot: the symbol, its frequency, and the slot's offset in the symbol's range.
        self._dec_symbol = np.repeat(np.arange(self.size), self.freqs).astype(index_dtype(self.size))
        self._dec_freq = self.freqs[self._dec_symbol].astype(np.uint32)
        self._dec_offset = (np.arange(1 << precision) - self.starts[self._dec_symbol]).astype(np.uint32)

    def symbol_limit(self) -> int:
        return min(self.max_symbols, self.lanes * MAX_ROWS)

    def _limit_reason(self) -> str:
        return f" with lanes={self.lanes} ({MAX_ROWS} decoding steps of one symbol per lane)"

    def lanes_for(self, n: int) -> int:
        """Lanes used for a stream of n symbols: one per ``symbols_per_lane``, at least 1, at most ``lanes``."""
        return max(1, min(self.lanes, -(-n // self.symbols_per_lane)))

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = ("each symbol's lane and the exact information -log2(f/2^P) it adds to that "
                                 "lane's state; rANS interleaves its lanes' words, so a symbol has no bits of its own")
    trace_columns = trace_columns_with(("lane", "lane"), ("cost_bits", "cost"))
    bench_peers: ClassVar[tuple[str, ...]] = ("constriction ans",)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's lane and its exact cost -log2(f / 2^P)."""
        costs = self.ideal_costs(model)
        label = alphabet.__getitem__
        lanes = self.lanes_for(stream.size)
        steps = []
        for i, s in enumerate(stream[:limit].tolist()):
            cost = self.precision - math.log2(int(self.freqs[s]))
            steps.append(({"index": i, "symbol": label(s), "lane": i % lanes, "cost_bits": cost}, cost,
                          float(costs[s])))
        return running_totals(steps, "total_cost")

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        out = bitarray(endian="big")
        n = int(stream.size)
        if n == 0:
            return out
        lanes = self.lanes_for(n)
        state = np.full(lanes, STATE_LOW, dtype=np.uint32)
        words = np.empty(n, dtype=np.uint16)  # at most one word per symbol
        free = n
        scratch = (np.empty(lanes, dtype=bool), np.empty(lanes), np.empty(lanes, dtype=np.uint32))
        if self.size > 1:
            rows, tail = divmod(n, lanes)
            if tail:  # the last, partial step is encoded first (rANS encodes backwards)
                free = self._encode_rows(state[:tail], stream[rows * lanes :], words, free,
                                         [s[:tail] for s in scratch])
            step_rows = max(1, CHUNK_SYMBOLS // lanes)
            for hi in range(rows, 0, -step_rows):
                lo = max(0, hi - step_rows)
                free = self._encode_rows(state, stream[lo * lanes : hi * lanes], words, free, scratch)
        out.frombytes(memoryview(state.astype(">u4")).cast("B"))
        out.frombytes(memoryview(words[free:].astype(">u2")).cast("B"))
        return out

    def _encode_rows(self, x: np.ndarray, symbols: np.ndarray, words: np.ndarray, free: int, scratch) -> int:
        """Encode ``symbols`` (whole steps of len(x) lanes) into the states x, last step first.

        Words fill ``words[:free]`` from the back, each step's block in lane order, so that reading the
        buffer forward gives the decoder's order. Returns the new start of the written words.
        """
        renorm, scaled, grow = scratch
        sym = symbols.astype(np.intp).reshape(-1, x.size)
        bound, rcp = self._enc_bound.take(sym), self._enc_rcp.take(sym)
        grows, starts = self._enc_grow.take(sym), self._enc_start.take(sym)
        for r in range(sym.shape[0] - 1, -1, -1):
            np.greater_equal(x, bound[r], out=renorm)
            # nonzero + fancy indexing rather than boolean masks: numpy compacts masks with a branch
            # per element, which mispredicts on random data and costs several times more.
            idx = renorm.nonzero()[0]
            if idx.size:
                low = x[idx]
                words[free - idx.size : free] = low  # the cast to uint16 keeps the low 16 bits
                free -= idx.size
                low >>= WORD_BITS
                x[idx] = low
            # x + (x // f) * (M - f) + c is (x // f) * M + x % f + c, with one multiply fewer.
            np.multiply(x, rcp[r], out=scaled)
            grow[...] = scaled
            grow *= grows[r]
            x += grow
            x += starts[r]
        return free

    # -- decoding -------------------------------------------------------------------------------
    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = int(n)
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        have = len(bits)
        if n == 0:
            if have:
                raise DecodeError(f"0 symbols use 0 bits, but the stream has {have} (trailing bits)")
            return np.empty(0, dtype=self._dec_symbol.dtype)
        lanes = self.lanes_for(n)
        head = lanes * STATE_BITS
        if have < head:
            raise DecodeError(
                f"truncated rans stream: {n} symbols in {lanes} lane(s) need at least {head} bits "
                f"for the final states, has {have}"
            )
        if have % WORD_BITS:
            raise DecodeError(
                f"the rans stream has {have} bits, not a whole number of {WORD_BITS}-bit words (trailing bits)"
            )
        if bits.endian != "big":
            bits = bitarray(bits, endian="big")
        raw = bits.tobytes()
        state = np.frombuffer(raw, dtype=">u4", count=lanes).astype(np.uint32)
        words = np.frombuffer(raw, dtype=">u2", offset=head // 8).astype(np.uint32)
        low = np.flatnonzero(state < STATE_LOW)
        if low.size:
            raise DecodeError(
                f"lane {low[0]} starts in state {state[low[0]]}, below 2^16: not a rans stream of this code"
            )
        try:
            out = np.empty(n, dtype=self._dec_symbol.dtype)
        except (MemoryError, ValueError):  # numpy's two ways of refusing an absurd size
            raise DecodeError(f"cannot hold {n} decoded symbols in memory") from None
        read = 0
        if self.size == 1:
            out.fill(0)  # nothing to read: every slot is symbol 0 and the state never changes
        else:
            rows, tail = divmod(n, lanes)
            step_rows = max(1, CHUNK_SYMBOLS // lanes)
            slots = np.empty((step_rows, lanes), dtype=np.intp)
            scratch = (np.empty(lanes, dtype=np.uint32), np.empty(lanes, dtype=np.uint32),
                       np.empty(lanes, dtype=bool))
            for lo in range(0, rows, step_rows):
                hi = min(rows, lo + step_rows)
                read = self._decode_rows(state, slots[: hi - lo], words, read, lo * lanes, have, n, scratch)
                self._dec_symbol.take(slots[: hi - lo].reshape(-1), out=out[lo * lanes : hi * lanes])
            if tail:
                part = slots[:1, :tail]
                read = self._decode_rows(state[:tail], part, words, read, rows * lanes, have, n,
                                         [s[:tail] for s in scratch])
                self._dec_symbol.take(part.reshape(-1), out=out[rows * lanes :])
        if read != words.size:
            used = head + read * WORD_BITS
            raise DecodeError(
                f"{n} symbols use {used} bits, but the rans stream has {have} (trailing bits, or corrupt)"
            )
        wrong = np.flatnonzero(state != STATE_LOW)
        if wrong.size:
            raise DecodeError(
                f"corrupt rans stream: lane {wrong[0]} ends in state {state[wrong[0]]}, not the initial "
                f"state {STATE_LOW} ({wrong.size} of {lanes} lanes wrong)"
            )
        return out

    def _decode_rows(self, x, slots, words, read, first, have, n, scratch) -> int:
        """Decode one row of slots per step into ``slots``, updating the states x; returns words read."""
        freq, offset, renorm = scratch
        mask = np.uint32((1 << self.precision) - 1)
        shift = np.uint32(self.precision)
        for r in range(slots.shape[0]):
            slot = slots[r]
            np.bitwise_and(x, mask, out=slot)
            self._dec_freq.take(slot, out=freq)
            np.right_shift(x, shift, out=x)
            x *= freq
            self._dec_offset.take(slot, out=offset)
            x += offset
            np.less(x, STATE_LOW, out=renorm)
            idx = renorm.nonzero()[0]
            if idx.size:
                if read + idx.size > words.size:
                    raise DecodeError(
                        f"rans stream too short (truncated or corrupt): decoding {n} symbols needs at least "
                        f"{have + (read + idx.size - words.size) * WORD_BITS} bits, has {have} "
                        f"(ran out at symbol {first + r * x.size + int(idx[0])})"
                    )
                low = x[idx]
                low <<= WORD_BITS
                low |= words[read : read + idx.size]
                x[idx] = low
                read += idx.size
        return read


def rans_coder(q: np.ndarray, lanes: int = DEFAULT_LANES, precision: int = DEFAULT_PRECISION) -> RansCoder:
    """The rans coder for model q: frequencies quantised to 2^precision, up to ``lanes`` lanes."""
    check_slots("rans", np.asarray(q).size, precision, MAX_PRECISION)
    return RansCoder(quantise(q, precision), precision, "rans", {"lanes": lanes, "precision": precision})


RANS = register(
    Scheme(
        name="rans",
        summary="interleaved rANS over quantised q: within about 0.01 bit per symbol of -log2 q(x)",
        build=rans_coder,
        restore=RansCoder.from_config,
        serves=lambda size, lanes, precision: check_slots("rans", size, precision, MAX_PRECISION),
        groups=("stream", "default"),
        params=(
            Param("lanes", int, DEFAULT_LANES,
                  f"most interleaved lanes; a stream uses one per {SYMBOLS_PER_LANE} symbols",
                  minimum=1, maximum=MAX_LANES),
            Param("precision", int, DEFAULT_PRECISION,
                  "frequency bits: q is quantised to counts summing to 2^precision",
                  minimum=1, maximum=MAX_PRECISION),
        ),
    )
)
