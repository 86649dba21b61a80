"""The lane format of long prefix-code streams: codewords packed with 64-bit word arithmetic, a jump
table in front, and a decoder that runs the lanes in numpy lock-step (a plain install's; compiled, the
lanes are decoded one after another by :func:`codesim.coders.kernels.prefix.decode_lanes`).

A stream of n symbols is the symbols' codewords one after another (first bit most significant), unless
the stream is long enough to be split into lanes: ``L = min(MAX_LANES, n // SYMBOLS_PER_LANE)``, used
when L >= MIN_LANES and no codeword is longer than LANE_CODEWORD_BITS (so from n = 2^21 symbols).
Lane j holds the next ``n // L`` symbols, one more for j < n mod L, and its bits are their codewords,
so the lanes one after another are exactly the single stream. As with zstd's four Huffman streams, a
jump table in front tells a decoder where each lane starts, and the lanes then decode independently::

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

:class:`~codesim.coders.prefix_code.PrefixCode` decides how many lanes a stream gets; this module
packs, writes and reads them.
"""

from __future__ import annotations

import numpy as np
from bitarray import bitarray
from bitarray.util import ba2int, int2ba

from ..errors import DecodeError
from ..sources.iid import index_dtype

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

# -- encoding: codewords packed into 64-bit words ---------------------------------------------------

_U64 = np.uint64


class WordPacker:
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


def lane_sizes(n: int, lanes: int) -> np.ndarray:
    """Symbols per lane: n // lanes each, one more for the first n mod lanes."""
    sizes = np.full(lanes, n // lanes, dtype=np.int64)
    sizes[: n % lanes] += 1
    return sizes


def write_jump_table(lane_bits: np.ndarray) -> bitarray:
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


def jump_table_fields(bits: bitarray, n: int, lanes: int) -> tuple[int, int]:
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
    width, base_bits = jump_table_fields(bits, n, lanes)
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


def lane_layout(bits: bitarray, n: int, lanes: int, shortest: int, longest: int
                ) -> tuple[int, np.ndarray, np.ndarray]:
    """Where an n-symbol stream's lanes lie, for a code with codewords of ``shortest`` to ``longest``
    bits: the jump table's length, each lane's bits and symbols. DecodeError unless the jump table is
    the encoder's and gives each lane bits its symbols can take."""
    sizes = lane_sizes(n, lanes)
    if shortest == longest:
        if len(bits) != n * longest:
            raise DecodeError(f"{n} symbols of {longest} bits each take {n * longest} bits, "
                              f"but the stream has {len(bits)}")
        return 0, sizes * longest, sizes
    head, lane_bits = _read_jump_table(bits, n, lanes)
    low, high = sizes * shortest, sizes * longest
    wrong = np.flatnonzero((lane_bits < low) | (lane_bits > high))
    if wrong.size:
        j = int(wrong[0])
        raise DecodeError(
            f"corrupt jump table: lane {j} of {lanes} gives {int(lane_bits[j])} bits to {int(sizes[j])} "
            f"symbols, which take {int(low[j])} to {int(high[j])} bits under this code"
        )
    return head, lane_bits, sizes


# -- decoding: lanes in lock-step -------------------------------------------------------------------

#: A lookup entry is two uint64 words. The first holds the decoded symbols as they lie in memory in the
#: output array. The second: in its low 5 bits the bits all of them take; from bit 5, every 5 bits,
#: the bits taken by the first k of them, k = 0 .. per_word (all of them for k past their count); their
#: count in the top 4 bits.
_FIELD_BITS, _COUNT_SHIFT = 5, 60


def first_codewords(codes: np.ndarray, lengths: np.ndarray, order: np.ndarray, bits: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For every ``bits``-bit pattern, the symbol and length of the codeword it starts with, when that
    codeword has at most ``bits`` bits (length 0 otherwise).

    ``codes`` are the canonical codewords, ``order`` the canonical order (by length, then symbol).
    Left-aligned, canonical codewords start at 0 and increase along the canonical order, so a
    pattern's candidate is the last one starting at or below it.
    """
    pattern = np.arange(1 << bits, dtype=np.int64)
    symbol, length = np.zeros_like(pattern), np.zeros_like(pattern)
    short = order[lengths[order] <= bits]
    if short.size:
        first = codes[short] << (bits - lengths[short])
        which = short[np.searchsorted(first, pattern, side="right") - 1]
        inside = pattern < (codes[which] + 1) << (bits - lengths[which])
        symbol[inside], length[inside] = which[inside], lengths[which[inside]]
    return symbol, length


def whole_codewords(symbol: np.ndarray, length: np.ndarray, bits: int, most: int, dtype
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every ``bits``-bit pattern, the up to ``most`` codewords that fit whole in it, one after
    another, from the first codeword of every pattern (:func:`first_codewords`): their symbols (a row
    per pattern), how many they are, and the bits the first 1, 2, .. ``most`` of them take (a row per
    count, repeating the last where fewer fit)."""
    pattern = np.arange(1 << bits, dtype=np.int64)
    symbols = np.zeros((1 << bits, most), dtype=dtype)
    used = np.zeros((most, 1 << bits), dtype=np.int64)
    count = np.zeros(1 << bits, dtype=np.int64)
    alive = np.ones(1 << bits, dtype=bool)
    taken = np.zeros(1 << bits, dtype=np.int64)
    mask = (1 << bits) - 1
    for k in range(most):
        rest = (pattern << taken) & mask
        size = length[rest]
        alive &= (size > 0) & (taken + size <= bits)
        symbols[alive, k] = symbol[rest][alive]
        taken[alive] += size[alive]
        count += alive
        used[k] = taken
    return symbols, count, used


def canonical_search(codes: np.ndarray, lengths: np.ndarray, order: np.ndarray, width: int) -> tuple:
    """(lengths, first, limit, start) per distinct codeword length, increasing: the first codeword of
    that length, the bound below which every codeword of at most that length lies when left-aligned
    to ``width`` bits, and its first position in the canonical ``order``."""
    distinct, start = np.unique(lengths[order], return_index=True)
    counts = np.diff(np.append(start, lengths.size))
    first = codes[order[start]]
    return distinct, first, (first + counts) << (width - distinct), start


class LaneDecoder:
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

    def __init__(self, codes: list[int], lengths: np.ndarray):
        """For the code whose symbol i has the canonical codeword ``codes[i]`` of ``lengths[i]`` bits."""
        size = lengths.size
        self.dtype = index_dtype(size)
        self.per_word = 8 // self.dtype.itemsize
        self.shortest, self.longest = int(lengths.min()), int(lengths.max())
        bits = self.bits = LOOKUP_BITS
        codes = np.array(codes, dtype=np.int64)
        order = np.lexsort((np.arange(size), lengths))

        symbols, count, used = whole_codewords(*first_codewords(codes, lengths, order, bits), bits,
                                               self.per_word, self.dtype)
        steps = np.zeros(1 << bits, dtype=_U64)
        for k in range(self.per_word):  # field k + 2: the bits of the first k + 1 codewords
            steps |= used[k].astype(_U64) << _U64(_FIELD_BITS * (k + 2))
        used = used[-1]
        self.symbols = symbols.view(_U64)[:, 0]
        self.steps = steps | used.astype(_U64) | (count.astype(_U64) << _U64(_COUNT_SHIFT))
        self.has_gaps = bool((count == 0).any())

        # Canonical search for the rest, over codewords left-aligned to the 33 bits a window always has.
        self.search_lengths, self.search_first, limit, self.search_start = canonical_search(codes, lengths,
                                                                                            order, 33)
        self.search_limit = limit.astype(_U64)
        self.order = order

    def decode(self, bits: bitarray, n: int, lanes: int) -> np.ndarray:
        return _LockStep(self, bits, *lane_layout(bits, n, lanes, self.shortest, self.longest)).run()

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
    """One lock-step decoding of a stream's lanes (the state that :class:`LaneDecoder` steps)."""

    def __init__(self, decoder: LaneDecoder, bits: bitarray, head: int, lane_bits, sizes):
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
