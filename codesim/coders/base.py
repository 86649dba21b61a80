"""The coder contract, and prefix codes as code lengths plus canonical codewords.

Every scheme builds a :class:`Coder` from an assumed distribution q. A coder encodes a stream of symbol
indices to a ``bitarray`` and decodes it back given the symbol count; it knows the distribution r it
implicitly assumes (its *implied* distribution) and its exact expected length under any p, and it
serialises to a JSON-able config from which the decoder rebuilds the identical code without q.

A :class:`PrefixCode` is fully described by its code lengths: codewords are assigned canonically
(shorter codes first, ties by symbol index, each codeword the previous one plus one, shifted left to the
new length), the convention of DEFLATE (RFC 1951, 3.2.2). Its implied distribution is
r(x) = 2^-l(x) / c with c = sum 2^-l, and then exactly E_p[l] = H(p) + D(p||r) + log2(1/c).

Bitstream of a prefix code
--------------------------
A stream of n symbols is the symbols' codewords one after another (first bit most significant), unless
the stream is long enough to be split into lanes: ``L = min(MAX_LANES, n // SYMBOLS_PER_LANE)``, used
when L >= MIN_LANES and no codeword is longer than LANE_CODEWORD_BITS (so from n = 2^21 symbols).
Lane j holds the next ``n // L`` symbols, one more for j < n mod L, and its bits are their codewords,
so the lanes one after another are exactly the single stream. As with zstd's four Huffman streams, a
jump table in front tells a decoder where each lane starts, and the lanes then decode in lock-step::

    w       6 bits      width of the deviations below
    m       6 bits      bit length of base
    base    m bits      the fewest bits any of lanes 0 .. L-2 takes
    d_j     w bits      lane j's bits minus base, for j = 0 .. L-2 (lane L-1 has what remains)

Every field is an unsigned big-endian integer. The table is minimal (w and m as small as they can be,
base the least lane), and a decoder accepts no other, so a stream decodes only if it is exactly what
the encoder writes. A lane of 2^14 symbols varies in length by a standard deviation of sqrt(2^14)
times the codeword lengths' (about 200 bits for the NASA code), so w is about 11 and the table costs
about 11 / 2^14 < 0.001 bits per symbol. A code whose codewords all have one length has no jump table:
every lane's length is its symbol count times that length.
"""

from __future__ import annotations

import itertools
import operator
from abc import ABC, abstractmethod
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray, decodetree
from bitarray.util import ba2int, int2ba

from ..sources.iid import index_dtype
from ..errors import CodesimError, DecodeError
from ..measures import cross_entropy, kl_divergence

#: The most symbols one message may hold, whatever its scheme (the .csim container's limit too).
#: ``codesim decode`` writes a label per symbol, about 0.3 microseconds a symbol as text here, and a
#: stream coder may spend a tiny fraction of a bit on a likely symbol, so a file of a few hundred bytes
#: can claim this many: 2^24 symbols decode and write in about 5 seconds (10^8 would take half a
#: minute). Schemes whose decoders are slower declare lower limits (:meth:`Coder.symbol_limit`).
MAX_SYMBOLS = 1 << 24
#: bitarray's C decoder walks a tree of at most this depth.
MAX_CODEWORD_BITS = 256
#: Codewords up to this many bits are packed with 64-bit word arithmetic; longer ones, which only
#: extremely skewed models produce, go through bitarray's C encoder instead.
PACKED_CODEWORD_BITS = 64
#: Symbols the word packer takes per step: its scratch, about 40 bytes per packed word of 2 to 64
#: symbols, stays within the CPU's caches.
PACK_CHUNK = 1 << 18

#: A stream gets one lane per this many symbols (part of the format, see the module notes).
SYMBOLS_PER_LANE = 1 << 14
#: Fewer lanes than this are not worth a jump table: a single stream is then written (format). With
#: fewer than about 100 lanes, a lock-step decoder is no faster than bitarray's sequential one (each
#: step costs a dozen numpy calls whatever the number of lanes), and streams of up to 2^21 symbols, such
#: as the simulation's blocks of 2^20, stay single streams without a jump table's bits.
MIN_LANES = 128
#: The most lanes a stream is split into (format): bounds the jump table a decoder reads.
MAX_LANES = 1 << 16
#: Codes with a longer codeword always write a single stream (format): the lane decoder reads codewords
#: from 64-bit windows that start at a 32-bit boundary, so 33 bits past any position are always there,
#: and it keeps a codeword's length in a 5-bit field.
LANE_CODEWORD_BITS = 31
#: Width of the jump table's two size fields, w and m.
JUMP_FIELD_BITS = 6
#: The lane decoder's lookup tables are indexed by this many bits (at most 33, what a window always
#: holds). An entry decodes the codewords that fit whole in them, up to 8 bytes of symbols: more bits
#: mean more codewords a step (for the Zipf source 2.2 at 17 bits, 2.0 at 16), and 2^17 entries of 16
#: bytes still mostly hit the CPU's caches, where 2^18 no longer pays.
LOOKUP_BITS = 17


class Coder(ABC):
    """A code for an alphabet of ``size`` symbols, built by a registered scheme from a model q."""

    scheme: str
    params: dict[str, Any]
    #: The most symbols one message of this scheme may hold (see :meth:`symbol_limit`).
    max_symbols: ClassVar[int] = MAX_SYMBOLS

    def symbol_limit(self) -> int:
        """The most symbols one message of this code may hold: a message within it, valid or hostile,
        decodes in a few seconds on one core (measured figures in the README, "Decode time"). Coders
        whose speed depends on their parameters or alphabet lower the class's ``max_symbols``."""
        return self.max_symbols

    def check_message_size(self, n: int) -> str | None:
        """Why a message of n symbols is over this code's limit, or None."""
        limit = self.symbol_limit()
        if n > limit:
            return (f"{n} symbols are over scheme {self.scheme!r}'s limit of {limit} symbols per message"
                    f"{self._limit_reason()}")
        return None

    def _limit_reason(self) -> str:
        """What the symbol limit depends on, for the message that refuses a size ("" if nothing)."""
        return ""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of symbols in the alphabet."""

    @abstractmethod
    def encode(self, stream: np.ndarray) -> bitarray:
        """The bits for a stream of symbol indices."""

    @abstractmethod
    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        """The n symbol indices that ``bits`` encodes; DecodeError if the bits are not exactly that."""

    @property
    @abstractmethod
    def implied(self) -> np.ndarray:
        """The distribution r this code is optimal for: it spends about -log2 r(x) bits on x."""

    def expected_length(self, p) -> float:
        """Expected bits per symbol when the source is p (excluding per-message overhead)."""
        return cross_entropy(p, self.implied)

    def prepare(self, n: int) -> None:
        """Build now any table that coding n symbols would build on first use (for timings that
        should measure coding alone); a coder without such tables does nothing."""

    def code_divergence(self, p) -> float:
        """D(p||r) per symbol: what the code's own model costs over H(p) (block codes override this)."""
        return kl_divergence(p, self.implied)

    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """A JSON-able dict with ``scheme``, ``params`` and the table the decoder needs."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> "Coder":
        """Rebuild the identical coder from :meth:`get_config`'s output."""

    def _check_stream(self, stream: np.ndarray) -> np.ndarray:
        stream = np.asarray(stream)
        if stream.ndim != 1:
            raise CodesimError("a stream is a 1-D array of symbol indices")
        if stream.size and stream.dtype.kind not in "ui":
            raise CodesimError(f"a stream holds integer indices, not {stream.dtype}")
        if stream.size and (stream.min() < 0 or stream.max() >= self.size):
            raise CodesimError(
                f"stream has index {int(stream.max()) if stream.max() >= self.size else int(stream.min())}"
                f" outside the alphabet 0..{self.size - 1}"
            )
        return stream


def canonical_codewords(lengths: np.ndarray) -> list[int]:
    """Canonical codeword values (as ints, read MSB first) for the given code lengths.

    In canonical order (by length, then index) codeword i is sum_{j<i} 2^(l_i - l_j): the Kraft partial
    sum scaled to l_i bits. Every term divides evenly because lengths never decrease along the order.
    """
    order = np.lexsort((np.arange(lengths.size), lengths))
    top = int(lengths.max())
    partial = itertools.accumulate((1 << (top - int(lengths[i])) for i in order), initial=0)
    codes = [0] * lengths.size
    for i, scaled in zip(order.tolist(), partial):
        codes[i] = scaled >> (top - int(lengths[i]))
    return codes


class PrefixCode(Coder):
    """A prefix code given by its code lengths (canonical codewords).

    >>> code = PrefixCode([1, 2, 2])
    >>> code.codeword(0), code.codeword(1), code.codeword(2)
    ('0', '10', '11')
    >>> code.decode(code.encode(np.array([2, 0, 1])), 3).tolist()
    [2, 0, 1]
    """

    kind: ClassVar[str] = "prefix"
    #: One lane per this many symbols, and no lanes below ``min_lanes`` of them (see the module notes).
    #: Both sides must agree; tests shrink them on an instance to split short streams into many lanes.
    symbols_per_lane: ClassVar[int] = SYMBOLS_PER_LANE
    min_lanes: ClassVar[int] = MIN_LANES

    def __init__(self, lengths, scheme: str = "prefix", params: dict[str, Any] | None = None):
        raw = list(lengths)
        if not raw:
            raise CodesimError("a prefix code needs at least one code length")
        for i, v in enumerate(raw):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CodesimError(f"code length {i + 1} is {v!r}: lengths are integers >= 1")
            if v > MAX_CODEWORD_BITS:
                raise CodesimError(
                    f"code length {i + 1} is {v} bits, over the decoder's limit of {MAX_CODEWORD_BITS}"
                    " (a model with probabilities below 2^-256; use a length-limited code)"
                )
        self.lengths = np.array(raw, dtype=np.int64)
        self.lengths.setflags(write=False)
        self.scheme = scheme
        self.params = dict(params or {})
        top = int(self.lengths.max())
        kraft_scaled = sum(1 << (top - int(v)) for v in raw)
        self.kraft_sum = Fraction(kraft_scaled, 1 << top)
        if self.kraft_sum > 1:
            raise CodesimError(
                f"code lengths are over-subscribed: Kraft sum {float(self.kraft_sum):.6g} > 1, "
                "so no prefix code has them"
            )
        self._codes = canonical_codewords(self.lengths)
        self._table = {i: bitarray(self.codeword(i), endian="big") for i in range(self.size)}
        self._tree = decodetree(self._table)
        self._shortest, self._longest = int(self.lengths.min()), top
        self._lengths16 = self.lengths.astype(np.uint16)  # a cheaper gather than int64 for the check

    # -- facts about the code -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return int(self.lengths.size)

    @property
    def is_complete(self) -> bool:
        """Kraft sum exactly 1: no bit pattern is wasted."""
        return self.kraft_sum == 1

    def codeword(self, i: int) -> str:
        """Symbol i's codeword as a string of 0s and 1s."""
        return format(self._codes[i], f"0{int(self.lengths[i])}b")

    @property
    def implied(self) -> np.ndarray:
        r = np.exp2(-self.lengths.astype(np.float64))
        return r / r.sum()

    def expected_length(self, p) -> float:
        """sum_x p(x) l(x), exactly (no model of the code involved)."""
        return float(np.dot(np.asarray(getattr(p, "probs", p), dtype=np.float64), self.lengths))

    # -- lanes ----------------------------------------------------------------------------------
    def lanes_for(self, n: int) -> int:
        """Lanes a stream of n symbols is split into (1: a single stream, no jump table)."""
        if self._longest > LANE_CODEWORD_BITS or index_dtype(self.size).itemsize > 4:
            return 1
        lanes = min(MAX_LANES, int(n) // self.symbols_per_lane)
        return lanes if lanes >= max(2, self.min_lanes) else 1

    def lane_starts(self, n: int) -> np.ndarray:
        """Index of each lane's first symbol in a stream of n symbols (lanes are runs of consecutive
        symbols, not interleaved as rans lanes are)."""
        lanes = self.lanes_for(n)
        return np.concatenate(([0], np.cumsum(_lane_sizes(int(n), lanes))[:-1]))

    def jump_table_bits(self, bits: bitarray, n: int) -> int:
        """How many leading bits of an n-symbol stream are its jump table (0 for a single stream).

        The bits after them are the symbols' codewords one after another, exactly as bitarray's
        ``encode`` with this code's codewords writes them. DecodeError if the stream is too short for
        the table it announces.
        """
        lanes = self.lanes_for(n)
        if lanes == 1 or self._shortest == self._longest:
            return 0
        width, base_bits = _jump_table_fields(bits, n, lanes)
        return 2 * JUMP_FIELD_BITS + base_bits + (lanes - 1) * width

    def bit_bounds(self, n: int) -> tuple[int, int]:
        """The fewest and the most bits any stream of n symbols takes, the jump table included."""
        n = int(n)
        least, most = n * self._shortest, n * self._longest
        lanes = self.lanes_for(n)
        if lanes > 1 and self._shortest != self._longest:
            small, big = n // lanes * self._shortest, -(-n // lanes) * self._longest
            least += 2 * JUMP_FIELD_BITS + small.bit_length()
            most += 2 * JUMP_FIELD_BITS + big.bit_length() + (lanes - 1) * (big - small).bit_length()
        return least, most

    # -- coding ---------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self._longest > PACKED_CODEWORD_BITS:
            out = bitarray(endian="big")
            out.encode(self._table, stream.tolist())
            return out
        lanes = self.lanes_for(stream.size)
        if lanes == 1 or self._shortest == self._longest:  # no jump table (for one length: implied)
            return self._packer.pack(stream)[0]
        payload, offsets = self._packer.pack(stream, self.lane_starts(stream.size)[1:])
        lane_bits = np.diff(offsets, prepend=0, append=len(payload))
        out = _write_jump_table(lane_bits)
        out += payload
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = operator.index(n)
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        if n * self._shortest > len(bits):  # before anything of size n is allocated
            raise DecodeError(
                f"{n} symbols of this code take at least {n * self._shortest} bits, but the stream has "
                f"{len(bits)} (truncated, or the wrong symbol count)"
            )
        lanes = self.lanes_for(n)
        if lanes > 1:
            if bits.endian != "big":  # the jump table's fields are read as big-endian integers
                bits = bitarray(bits, endian="big")
            return self._lane_decoder.decode(bits, n, lanes)
        try:
            out = np.fromiter(bits.decode(self._tree), dtype=index_dtype(self.size), count=n)
        except ValueError as exc:  # bitarray: no codeword matches, or the bits ran out
            raise DecodeError(f"the bits do not decode to {n} symbols of this code ({exc})") from None
        used = int(self._lengths16.take(out).sum(dtype=np.uint64))
        if used != len(bits):
            raise DecodeError(f"{n} symbols use {used} bits, but the stream has {len(bits)}")
        return out

    @cached_property
    def _packer(self) -> "_WordPacker":
        return _WordPacker(self._codes, self.lengths)

    @cached_property
    def _lane_decoder(self) -> "_LaneDecoder":
        return _LaneDecoder(self)

    def prepare(self, n: int) -> None:
        self.encode(np.zeros(1, dtype=np.uint8))  # the encoder's lookup tables
        if self.lanes_for(n) > 1:
            self._lane_decoder  # built here, so that it is not built while a decode is timed

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "lengths": self.lengths.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "PrefixCode":
        return cls(config["lengths"], scheme=config["scheme"], params=config.get("params"))

    def __repr__(self) -> str:
        return f"PrefixCode(scheme={self.scheme!r}, size={self.size}, kraft_sum={self.kraft_sum})"


# -- encoding: codewords packed into 64-bit words ---------------------------------------------------

_U64 = np.uint64


class _WordPacker:
    """Concatenates codewords of at most 64 bits with 64-bit word arithmetic, without a loop per symbol.

    Codewords are kept left-aligned in a 64-bit word (first bit in bit 63), so that two of them join
    with one shift and one or. Symbols are first joined into groups of ``group`` consecutive ones, as
    many as always fit in 64 bits (8 for codewords of at most 8 bits): a table over all pairs of byte
    symbols gives a pair's bits in one lookup when the alphabet has at most 256 symbols, and neighbouring
    groups are then joined arithmetically. The groups are packed into the output words (:meth:`_put`);
    fewer, longer items make that cheaper per symbol.
    """

    def __init__(self, codes: list[int], lengths: np.ndarray):
        wide = lengths.astype(_U64)
        self.lengths = lengths.astype(np.uint8)
        self.aligned = np.array(codes, dtype=_U64) << (_U64(64) - wide)
        longest = int(lengths.max())
        self.group = 1
        while 2 * self.group * longest <= 64:
            self.group *= 2
        self.pair_words = self.pair_lengths = None
        if lengths.size <= 256 and self.group >= 2:
            # Indexed by a byte pair read as a little-endian 16-bit number: first symbol in the low byte.
            index = np.arange(1 << 16)
            first = np.minimum(index & 0xFF, lengths.size - 1)
            second = np.minimum(index >> 8, lengths.size - 1)
            self.pair_words = self.aligned[first] | (self.aligned[second] >> wide[first])
            self.pair_lengths = self.lengths[first] + self.lengths[second]

    def pack(self, stream: np.ndarray, marks=()) -> tuple[bitarray, np.ndarray]:
        """The stream's codewords, and the bit offsets where the symbols at indices ``marks`` (sorted)
        begin."""
        marks = np.asarray(marks, dtype=np.int64)
        state = _PackState(bitarray(endian="big"), np.zeros(marks.size, dtype=np.int64))
        n, group = stream.size, self.group
        whole = n - n % group
        step = max(group, PACK_CHUNK - PACK_CHUNK % group)  # whole groups per step
        for lo in range(0, whole, step):
            hi = min(lo + step, whole)
            words, lengths = self._groups(stream[lo:hi])
            self._put(state, words, lengths, stream, lo, group, marks)
        if whole < n:  # the last n mod group symbols, one item each
            tail = stream[whole:]
            self._put(state, self.aligned[tail], self.lengths[tail], stream, whole, 1, marks)
        out = state.out
        if state.bits:
            out.frombytes(np.array([state.carry], dtype=">u8").tobytes())
            del out[len(out) - 64 + state.bits :]
        return out, state.offsets

    def _groups(self, chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Left-aligned bits and lengths of the chunk's groups of ``group`` symbols."""
        if self.pair_words is not None:
            if chunk.dtype != np.uint8 or not chunk.flags.c_contiguous:
                chunk = chunk.astype(np.uint8)  # indices are checked to be < size <= 256
            pairs = chunk.view("<u2")
            words, lengths, width = self.pair_words.take(pairs), self.pair_lengths.take(pairs), 2
        else:
            words, lengths, width = self.aligned.take(chunk), self.lengths.take(chunk), 1
        while width < self.group:
            joined = words[1::2] >> lengths[0::2]
            joined |= words[0::2]
            lengths = lengths[0::2] + lengths[1::2]
            words, width = joined, 2 * width
        return words, lengths

    def _put(self, state: "_PackState", words, lengths, stream, lo: int, group: int, marks) -> None:
        """Append items (left-aligned ``words`` of ``lengths`` bits, each ``group`` symbols from
        ``stream[lo:]``) to the output, behind the partial word the last call left.

        Each item lands in the 64-bit word where it starts and spills its low bits into the next word
        when it crosses a boundary. Items start at most 64 bits apart, so some item starts in every word
        and the items starting in word k are a run; the word is the sum of their (disjoint) bits, which
        a running sum over all items, wrapping modulo 2^64, gives as a difference at the runs' ends.
        ``words`` is overwritten.
        """
        end = np.cumsum(lengths, dtype=_U64)
        if state.bits:
            end += _U64(state.bits)
        start = end - lengths
        if marks.size:
            self._record_marks(state, start, stream, lo, group, marks)
        word = start >> _U64(6)
        offset = np.bitwise_and(start, _U64(63), out=start)
        head = words >> offset
        words <<= _U64(1)  # shifting by 64 - offset in two steps keeps each shift under 64
        words <<= np.subtract(_U64(63), offset, out=offset)
        last = np.flatnonzero(word[1:] != word[:-1])
        last = np.append(last, head.size - 1)
        np.cumsum(head, out=head)
        packed = np.zeros(last.size + 1, dtype=_U64)
        packed[: last.size] = np.diff(head[last], prepend=_U64(0))
        packed[1:] |= words[last]
        packed[0] |= _U64(state.carry)
        total = int(end[-1])
        full = total >> 6
        state.out.frombytes(packed[:full].astype(">u8").tobytes())
        state.carry, state.bits, state.written = int(packed[full]), total & 63, state.written + 64 * full

    def _record_marks(self, state: "_PackState", start, stream, lo: int, group: int, marks) -> None:
        """Bit offsets of the marked symbols among these items (``start``: where each item begins,
        counted from the first word not yet written out)."""
        first, stop = np.searchsorted(marks, [lo, lo + start.size * group])
        if first == stop:
            return
        item, inside = np.divmod(marks[first:stop] - lo, group)
        offset = start[item].astype(np.int64) + state.written
        if group > 1:  # add the codewords of the symbols before the mark within its item
            members = stream[(lo + item * group)[:, None] + np.arange(group)]
            before = np.arange(group) < inside[:, None]
            offset += np.where(before, self.lengths[members], 0).sum(axis=1, dtype=np.int64)
        state.offsets[first:stop] = offset


class _PackState:
    """The packer's output so far, its partial last word, and the offsets of the marks found so far."""

    def __init__(self, out: bitarray, offsets: np.ndarray):
        self.out, self.offsets = out, offsets
        self.carry = self.bits = self.written = 0


# -- lanes: sizes and the jump table ------------------------------------------------------------------


def _lane_sizes(n: int, lanes: int) -> np.ndarray:
    """Symbols per lane: n // lanes each, one more for the first n mod lanes."""
    sizes = np.full(lanes, n // lanes, dtype=np.int64)
    sizes[: n % lanes] += 1
    return sizes


def _write_jump_table(lane_bits: np.ndarray) -> bitarray:
    """The jump table for lanes of these lengths in bits (see the module notes)."""
    stored = lane_bits[:-1].astype(_U64)
    base = int(stored.min())
    deviations = stored - _U64(base)
    width = int(deviations.max()).bit_length()
    out = int2ba(width, JUMP_FIELD_BITS, endian="big")
    out += int2ba(base.bit_length(), JUMP_FIELD_BITS, endian="big")
    if base:
        out += int2ba(base, endian="big")
    if width:
        shifts = np.arange(width - 1, -1, -1, dtype=_U64)
        digits = ((deviations[:, None] >> shifts) & _U64(1)).astype(np.uint8).ravel()
        fields = bitarray(endian="big")
        fields.frombytes(np.packbits(digits).tobytes())
        del fields[digits.size :]
        out += fields
    return out


def _jump_table_fields(bits: bitarray, n: int, lanes: int) -> tuple[int, int]:
    """The jump table's w and m, checked against the stream's length."""
    head = 2 * JUMP_FIELD_BITS
    if len(bits) < head:
        raise DecodeError(
            f"{n} symbols make {lanes} lanes, whose jump table takes at least {head} bits, but the stream "
            f"has {len(bits)} (truncated, or not a stream of this code)"
        )
    width, base_bits = ba2int(bits[:JUMP_FIELD_BITS]), ba2int(bits[JUMP_FIELD_BITS:head])
    size = head + base_bits + (lanes - 1) * width
    if size > len(bits):
        raise DecodeError(
            f"the jump table of {lanes} lanes says it takes {size} bits ({lanes - 1} deviations of "
            f"{width} bits), but the stream has {len(bits)} (truncated, or corrupt)"
        )
    return width, base_bits


def _read_jump_table(bits: bitarray, n: int, lanes: int) -> tuple[int, np.ndarray]:
    """The jump table's size in bits and the lanes' lengths in bits, checked for consistency."""
    width, base_bits = _jump_table_fields(bits, n, lanes)
    at = 2 * JUMP_FIELD_BITS
    base = ba2int(bits[at : at + base_bits]) if base_bits else 0
    at += base_bits
    if base.bit_length() != base_bits:
        raise DecodeError(f"corrupt jump table: its base {base} is written in {base_bits} bits, not the "
                          f"{base.bit_length()} the encoder uses")
    count = lanes - 1
    deviations = np.zeros(count, dtype=_U64)
    if width:
        raw = bits[at : at + count * width].tobytes()  # bits is big-endian (the caller sees to it)
        digits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=count * width)
        for column in digits.reshape(count, width).T:  # a loop over the w <= 63 bits of a field
            deviations <<= _U64(1)
            deviations |= column
        at += count * width
    if int(deviations.min()) != 0 or int(deviations.max()).bit_length() != width:
        raise DecodeError(f"corrupt jump table: its deviations are not the minimal {width}-bit fields "
                          "from the shortest lane that the encoder writes")
    payload = len(bits) - at
    if base > payload or int(deviations.max()) > payload:
        raise DecodeError(f"corrupt jump table: a lane of more than the payload's {payload} bits")
    lane_bits = np.empty(lanes, dtype=np.int64)
    lane_bits[:count] = deviations.astype(np.int64) + base  # each at most 2 * payload: no overflow
    lane_bits[count] = payload - int(lane_bits[:count].sum())
    if lane_bits[count] < 0:
        raise DecodeError(
            f"corrupt jump table: lanes 0..{count - 1} add up to {int(lane_bits[:count].sum())} bits, "
            f"more than the payload's {payload}"
        )
    return at, lane_bits


# -- decoding: lanes in lock-step -------------------------------------------------------------------

#: A lookup entry is two uint64 words. The first holds the decoded symbols as they lie in memory in the
#: output array. The second: in its low 5 bits the bits all of them take; from bit 5, every 5 bits,
#: the bits taken by the first k of them, k = 0 .. per_word (all of them for k past their count); their
#: count in the top 4 bits.
_FIELD_BITS, _COUNT_SHIFT = 5, 60


class _LaneDecoder:
    """Decodes the lanes of a stream in numpy lock-step, several codewords per lookup.

    Each step reads, for every lane, the 64 bits that start at the 32-bit word holding the lane's
    position, shifts them so the position comes first, and looks the next LOOKUP_BITS bits up in two
    tables. An entry holds the up to ``per_word`` codewords (8 bytes' worth of symbols) that fit whole
    in those bits: their symbols, written to the lane's output with one 8-byte store, and how many bits
    and symbols they take. A pattern that starts with a longer codeword (or with no codeword, in an
    incomplete code) has a count of 0; such lanes are decoded one codeword at a time by canonical
    search (:meth:`_long`).

    A lane's store writes 8 bytes even when it decoded fewer: the extra ones are overwritten by the
    lane's next step, and past its last symbol they land in a gap left after every lane, squeezed out
    at the end. Steps run in batches during which no lane can reach its end; the last few symbols of
    each lane are then decoded with counts capped by what the lane has left.
    """

    def __init__(self, code: PrefixCode):
        lengths = code.lengths
        self.dtype = index_dtype(code.size)
        self.per_word = 8 // self.dtype.itemsize
        self.shortest, self.longest = int(lengths.min()), int(lengths.max())
        bits = self.bits = LOOKUP_BITS
        codes = np.array(code._codes, dtype=np.int64)
        order = np.lexsort((np.arange(code.size), lengths))

        # The first codeword of every bits-bit pattern, when it has at most that many bits (else length
        # 0). Left-aligned, canonical codewords start at 0 and increase along the canonical order, so a
        # pattern's candidate is the last one starting at or below it.
        pattern = np.arange(1 << bits, dtype=np.int64)
        one_symbol, one_length = np.zeros_like(pattern), np.zeros_like(pattern)
        short = order[lengths[order] <= bits]
        if short.size:
            first = codes[short] << (bits - lengths[short])
            which = short[np.searchsorted(first, pattern, side="right") - 1]
            inside = pattern < (codes[which] + 1) << (bits - lengths[which])
            one_symbol[inside], one_length[inside] = which[inside], lengths[which[inside]]

        # Then as many more as fit whole, up to per_word.
        symbols = np.zeros((1 << bits, self.per_word), dtype=self.dtype)
        used = np.zeros(1 << bits, dtype=np.int64)
        count = np.zeros(1 << bits, dtype=np.int64)
        alive = np.ones(1 << bits, dtype=bool)
        steps = np.zeros(1 << bits, dtype=_U64)
        mask = (1 << bits) - 1
        for k in range(self.per_word):
            rest = (pattern << used) & mask
            length = one_length[rest]
            alive &= (length > 0) & (used + length <= bits)
            symbols[alive, k] = one_symbol[rest][alive]
            used[alive] += length[alive]
            count += alive
            steps |= used.astype(_U64) << _U64(_FIELD_BITS * (k + 2))
        self.symbols = symbols.view(_U64)[:, 0]
        self.steps = steps | used.astype(_U64) | (count.astype(_U64) << _U64(_COUNT_SHIFT))
        self.has_gaps = bool((count == 0).any())

        # Canonical search for the rest: all codewords of at most l bits, left-aligned to 33 bits, are
        # exactly the values below limit[l].
        sorted_lengths = lengths[order]
        self.search_lengths, starts = np.unique(sorted_lengths, return_index=True)
        counts = np.diff(np.append(starts, code.size))
        self.search_first = codes[order[starts]]
        self.search_limit = ((self.search_first + counts) << (33 - self.search_lengths)).astype(_U64)
        self.search_start = starts
        self.order = order

    def decode(self, bits: bitarray, n: int, lanes: int) -> np.ndarray:
        sizes = _lane_sizes(n, lanes)
        if self.shortest == self.longest:
            if len(bits) != n * self.longest:
                raise DecodeError(f"{n} symbols of {self.longest} bits each take {n * self.longest} bits, "
                                  f"but the stream has {len(bits)}")
            return _LockStep(self, bits, 0, sizes * self.longest, sizes).run()
        head, lane_bits = _read_jump_table(bits, n, lanes)
        low, high = sizes * self.shortest, sizes * self.longest
        wrong = np.flatnonzero((lane_bits < low) | (lane_bits > high))
        if wrong.size:
            j = int(wrong[0])
            raise DecodeError(
                f"corrupt jump table: lane {j} of {lanes} gives {int(lane_bits[j])} bits to {int(sizes[j])} "
                f"symbols, which take {int(low[j])} to {int(high[j])} bits under this code"
            )
        return _LockStep(self, bits, head, lane_bits, sizes).run()

    def _long(self, windows, lanes, where) -> tuple[np.ndarray, np.ndarray]:
        """Entries (symbols and steps words) for lanes whose next codeword the tables do not hold;
        ``windows`` hold the 64 bits from each lane's position, at least 33 of them real."""
        top = windows >> _U64(31)
        rank = np.searchsorted(self.search_limit, top, side="right")
        bad = np.flatnonzero(rank >= self.search_limit.size)
        if bad.size:
            j = int(bad[0])
            raise DecodeError(f"lane {int(lanes[j])}: the bits at position {int(where[j])} start no "
                              "codeword of this code (corrupt stream)")
        length = self.search_lengths[rank]
        index = (top >> (33 - length).astype(_U64)).astype(np.int64) - self.search_first[rank]
        symbols = np.zeros((lanes.size, self.per_word), dtype=self.dtype)
        symbols[:, 0] = self.order[self.search_start[rank] + index]
        length = length.astype(_U64)
        steps = length | (_U64(1) << _U64(_COUNT_SHIFT))
        for k in range(1, self.per_word + 1):
            steps |= length << _U64(_FIELD_BITS * (k + 1))
        return symbols.view(_U64)[:, 0], steps


class _LockStep:
    """One lock-step decoding of a stream's lanes (the state that :class:`_LaneDecoder` steps)."""

    def __init__(self, decoder: _LaneDecoder, bits: bitarray, head: int, lane_bits, sizes):
        self.decoder, self.sizes = decoder, sizes
        lanes, per_word = sizes.size, decoder.per_word
        raw = np.frombuffer(bits, dtype=np.uint8)  # big-endian (the caller sees to it); pad bits unread
        # X[i] = the 64 bits from bit 32 i: one aligned read gives at least 33 bits past any position.
        # Two zero words after the end keep every read of a position inside the stream in range.
        words = np.zeros(-(-raw.size // 4) + 2, dtype=">u4")
        words.view(np.uint8)[: raw.size] = raw
        del raw  # a bitarray cannot be resized while its buffer is exported
        self.windows = words[:-1].astype(_U64)
        self.windows <<= _U64(32)
        self.windows |= words[1:]
        self.position = head + np.concatenate(([0], np.cumsum(lane_bits)[:-1]))
        self.stop = self.position + lane_bits
        # Lane j's symbols go to out[first[j] + j * gap:], leaving a gap of one 8-byte store after it.
        self.gap = gap = per_word
        first = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        self.first = first
        self.cursor = first + np.arange(lanes) * gap
        self.end = self.cursor + sizes
        self.out = np.empty(int(sizes.sum()) + lanes * gap, dtype=decoder.dtype)
        self.store = np.ndarray((self.out.size - gap + 1,), dtype=_U64, buffer=self.out,
                                strides=(decoder.dtype.itemsize,))

    def run(self) -> np.ndarray:
        per_word = self.decoder.per_word
        while True:  # batches in which no lane can reach its end, even decoding per_word a step
            steps = int(np.min(self.end - self.cursor)) // per_word
            if steps == 0:
                break
            self._steps(steps, capped=False)
        while True:
            left = int(np.max(self.end - self.cursor))
            if left == 0:
                break
            self._steps(-(-left // per_word), capped=True)
        wrong = np.flatnonzero(self.position != self.stop)
        if wrong.size:
            j = int(wrong[0])
            raise DecodeError(
                f"lane {j} of {self.sizes.size}: its {int(self.sizes[j])} symbols end at bit "
                f"{int(self.position[j])}, but the jump table ends the lane at bit {int(self.stop[j])} "
                f"({wrong.size} lane(s) wrong; corrupt stream or jump table)"
            )
        out, first, sizes, gap = self.out, self.first, self.sizes, self.gap
        for j in range(1, sizes.size):  # squeeze out the gaps, lane by lane (a loop over lanes)
            at = int(first[j])
            out[at : at + sizes[j]] = out[at + j * gap : at + j * gap + sizes[j]]
        return out[: int(sizes.sum())]

    def _steps(self, steps: int, capped: bool) -> None:
        """``steps`` lock-step lookups; ``capped``: no lane decodes past its end (else none can)."""
        decoder = self.decoder
        lanes, per_word = self.sizes.size, decoder.per_word
        windows, symbol_table, step_table, store = self.windows, decoder.symbols, decoder.steps, self.store
        position, cursor = self.position, self.cursor
        position_u, cursor_u = position.view(_U64), cursor.view(_U64)
        index = np.empty(lanes, dtype=np.int64)
        window = np.empty(lanes, dtype=_U64)
        offset = np.empty(lanes, dtype=_U64)
        symbols = np.empty(lanes, dtype=_U64)
        step = np.empty(lanes, dtype=_U64)
        count = np.empty(lanes, dtype=_U64)
        taken = np.empty(lanes, dtype=_U64)
        # Constants as 0-d arrays: numpy converts a Python scalar on every call, which costs more
        # than the operation itself on a few hundred lanes.
        five, low5 = np.array(5, dtype=np.int64), np.array(31, dtype=_U64)
        to_index = np.array(64 - decoder.bits, dtype=_U64)
        count_shift = np.array(_COUNT_SHIFT, dtype=_U64)
        field = np.array(_FIELD_BITS, dtype=_U64)
        most = np.array(per_word, dtype=_U64)
        left = (self.end - cursor).view(_U64) if capped else None
        window_index = window.view(np.int64)
        shift_right, shift_left, bit_and, add = np.right_shift, np.left_shift, np.bitwise_and, np.add
        for _ in range(steps):
            shift_right(position, five, index)
            windows.take(index, None, window, "clip")
            bit_and(position_u, low5, offset)
            shift_left(window, offset, window)
            if decoder.has_gaps:
                long_windows = window.copy()
            shift_right(window, to_index, window)
            symbol_table.take(window_index, None, symbols, "clip")
            step_table.take(window_index, None, step, "clip")
            shift_right(step, count_shift, count)
            if decoder.has_gaps and not count.all():
                self._patch(symbols, step, count, long_windows, left)
            store[cursor] = symbols
            if capped:  # the bits of the first min(left, per_word) codewords: field k + 1
                np.minimum(count, left, out=count)
                np.minimum(left, most, out=offset)
                offset += 1
                np.multiply(offset, field, offset)
                shift_right(step, offset, taken)
                bit_and(taken, low5, taken)
                left -= count
            else:
                bit_and(step, low5, taken)
            add(position_u, taken, position_u)
            add(cursor_u, count, cursor_u)

    def _patch(self, symbols, step, count, windows, left) -> None:
        """Decode the lanes whose lookup found no whole codeword (long, or no codeword at all)."""
        lanes = np.flatnonzero(count == 0)
        if left is not None:
            lanes = lanes[left[lanes] > 0]  # finished lanes read past their end: nothing to decode
        if lanes.size:
            symbols[lanes], step[lanes] = self.decoder._long(windows[lanes], lanes, self.position[lanes])
            count[lanes] = 1
