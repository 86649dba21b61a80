"""The version-1 ``rans`` bitstream (a config without ``version``): 32-bit states in numpy lanes.

Files written before the version-2 bitstream (:mod:`codesim.coders.rans`) still decode, and re-encode
to the same bytes, through :class:`LegacyLanes`; no coder writes this version any more.

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

import numpy as np
from bitarray import bitarray

from ..errors import DecodeError

STATE_BITS = 32
WORD_BITS = 16
#: Lower end of a lane's state interval, and every lane's state before encoding / after decoding.
STATE_LOW = 1 << 16
#: A stream gets one lane per this many symbols (at most ``lanes``): the 32-bit final state of a lane
#: then costs at most 32 / 4096 < 0.008 bits per symbol. Part of the format.
SYMBOLS_PER_LANE = 4096
#: The most decoding steps (rows of one symbol per lane) one message may take: a step is a dozen numpy
#: calls, 8 to 15 microseconds here with 1 to 64 lanes, so 2^18 steps take about 4 seconds. A stream
#: uses a lane per SYMBOLS_PER_LANE symbols up to ``lanes``, so only a small ``lanes`` brings a message
#: near this: from 64 lanes a message reaches the 2^24 symbols of any file.
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


class LegacyLanes:
    """The version-1 coder's tables and loops, for frequencies ``freqs`` with cumulative ``starts``
    (summing to 2^precision, precision <= 16); ``symbol_dtype`` is the decoded symbols' dtype."""

    def __init__(self, freqs: np.ndarray, starts: np.ndarray, precision: int, symbol_dtype):
        self.precision = precision
        self.size = int(freqs.size)
        f = freqs.astype(np.uint64)
        # Encoder tables, by symbol. A state at or above the bound f * 2^(32-precision) is renormalised
        # first. One symbol alone (f = 2^precision) would need 2^32; 2^32 - 1 does as well, as its
        # state never leaves 2^16.
        bound = np.minimum(f << np.uint64(STATE_BITS - precision), (1 << STATE_BITS) - 1)
        self._enc_bound = bound.astype(np.uint32)
        self._enc_rcp = floor_reciprocals(freqs)
        self._enc_grow = ((1 << precision) - f).astype(np.uint32)
        self._enc_start = starts.astype(np.uint32)
        # Decoder tables, by slot: the symbol, its frequency, and the slot's offset in the symbol's range.
        self._dec_symbol = np.repeat(np.arange(self.size), freqs).astype(symbol_dtype)
        self._dec_freq = freqs[self._dec_symbol].astype(np.uint32)
        self._dec_offset = (np.arange(1 << precision) - starts[self._dec_symbol]).astype(np.uint32)

    # -- encoding -------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray, lanes: int) -> bitarray:
        """The version-1 bits of a checked ``stream`` in ``lanes`` lanes."""
        out = bitarray(endian="big")
        n = int(stream.size)
        if n == 0:
            return out
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
    def decode(self, bits: bitarray, n: int, lanes: int) -> np.ndarray:
        """The n >= 1 symbols that the version-1 ``bits`` in ``lanes`` lanes hold."""
        have = len(bits)
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


