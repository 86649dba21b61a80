"""Prefix codes given by their code lengths: canonical codewords, Kraft's inequality, and the code.

A :class:`PrefixCode` is fully described by its code lengths: codewords are assigned canonically
(shorter codes first, ties by symbol index, each codeword the previous one plus one, shifted left to the
new length), the convention of DEFLATE (RFC 1951, 3.2.2). Its implied distribution is
r(x) = 2^-l(x) / c with c = sum 2^-l, and then exactly E_p[l] = H(p) + D(p||r) + log2(1/c).

Config: ``{"scheme", "params", "lengths"}``, one codeword length (1 to MAX_CODEWORD_BITS) per symbol,
whose Kraft sum is at most 1 (exactly 1 for the schemes whose codes are always complete: their
``Scheme.check`` is :func:`complete_code`).

Bitstream: the symbols' codewords one after another (first bit most significant); a long stream is
split into lanes behind a jump table, as :mod:`codesim.coders.lanes` specifies.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray, decodetree

from .. import jit
from ..errors import CodesimError, ConfigError, DecodeError
from ..sources.iid import index_dtype
from .base import Coder, running_totals, table_columns_with, trace_columns_with
from .config import check_count, field, int_list
from .dary import DaryCode, check_dary_table
from .kernels import prefix as stream_kernel
from .lanes import (
    JUMP_FIELD_BITS, LANE_CODEWORD_BITS, MAX_LANES, MIN_LANES, PACKED_CODEWORD_BITS, SYMBOLS_PER_LANE,
    LaneDecoder, WordPacker, canonical_search, first_codewords, jump_table_fields, lane_layout, lane_sizes,
    whole_codewords, write_jump_table,
)

#: bitarray's C decoder walks a tree of at most this depth.
MAX_CODEWORD_BITS = 256
#: The compiled single-stream decoder's table is indexed by this many bits, a row of up to 4 codewords
#: each: 2^10 rows stay in the CPU's first cache and hold 4 codewords of the NASA code (2.4 bits on
#: average); 12 or 14 bits were slower for both bench sources, and so were rows of 8.
STREAM_LOOKUP_BITS = 10


def kraft_sum(lengths) -> Fraction:
    """sum 2^-l over the code lengths, exactly (in integers scaled to the longest length)."""
    counts = Counter(map(int, lengths))
    top = max(counts)
    return Fraction(sum(count << (top - v) for v, count in counts.items()), 1 << top)


def check_lengths(values: Any, key: str, size: int, why: str = "") -> list[int]:
    """A config's code lengths: ``size`` JSON integers from 1 to MAX_CODEWORD_BITS (``why`` there
    are ``size`` of them, when not one per label)."""
    lengths = int_list(values, key, "code lengths")
    check_count(len(lengths), size, key, why)
    for i, v in enumerate(lengths):
        if not 1 <= v <= MAX_CODEWORD_BITS:
            raise ConfigError(f"{field(key)} entry {i + 1} is {v}: code lengths are from 1 to "
                              f"{MAX_CODEWORD_BITS} bits", corrupt=True)
    return lengths


def check_kraft(lengths: list[int], key: str, complete_for: str | None = None) -> None:
    """Kraft's inequality in exact integers: sum 2^-l <= 1, so that a prefix code has these lengths;
    and = 1 when ``complete_for`` names a scheme that only builds complete codes (one symbol's single
    1-bit codeword counts as complete)."""
    kraft = kraft_sum(lengths)
    text = str(kraft) if len(str(kraft)) <= 24 else f"about {float(kraft):.12g}"
    if kraft > 1:
        raise ConfigError(f"{field(key)} is not a prefix code: its lengths are over-subscribed "
                          f"(Kraft sum {text} > 1)")
    if complete_for is not None and kraft < 1 and lengths != [1]:
        raise ConfigError(f"{field(key)} is an incomplete prefix code (Kraft sum {text} < 1), but scheme "
                          f"{complete_for!r} only builds complete ones")


def complete_code(config: dict[str, Any], params: dict[str, Any]) -> None:
    """``Scheme.check`` of the schemes whose codes are always complete (Kraft sum 1): every internal
    node of a Huffman or Fano tree has two children."""
    check_kraft(config["lengths"], "lengths", complete_for=config["scheme"])


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

    #: One lane per this many symbols, and no lanes below ``min_lanes`` of them (see :mod:`.lanes`).
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
        self.kraft_sum = kraft_sum(raw)
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
        return np.concatenate(([0], np.cumsum(lane_sizes(int(n), lanes))[:-1]))

    def jump_table_bits(self, bits: bitarray, n: int) -> int:
        """How many leading bits of an n-symbol stream are its jump table (0 for a single stream).

        The bits after them are the symbols' codewords one after another, exactly as bitarray's
        ``encode`` with this code's codewords writes them. DecodeError if the stream is too short for
        the table it announces.
        """
        lanes = self.lanes_for(n)
        if lanes == 1 or self._shortest == self._longest:
            return 0
        width, base_bits = jump_table_fields(bits, n, lanes)
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
        out = write_jump_table(lane_bits)
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
            if jit.enabled():
                return self._decode_lanes(bits, n, lanes)
            return self._lane_decoder.decode(bits, n, lanes)
        if jit.enabled() and self._longest <= stream_kernel.WINDOW:
            return self._decode_stream(bits, n)
        # Without the fast extra, bitarray's C decoder (the kernel as Python would be far slower).
        try:
            out = np.fromiter(bits.decode(self._tree), dtype=index_dtype(self.size), count=n)
        except ValueError as exc:  # bitarray: no codeword matches, or the bits ran out
            raise DecodeError(f"the bits do not decode to {n} symbols of this code ({exc})") from None
        used = int(self._lengths16.take(out).sum(dtype=np.uint64))
        if used != len(bits):
            raise DecodeError(f"{n} symbols use {used} bits, but the stream has {len(bits)}")
        return out

    def _decode_stream(self, bits: bitarray, n: int) -> np.ndarray:
        """A single stream decoded by the compiled table decoder (:mod:`.kernels.prefix`)."""
        out = np.empty(n, dtype=index_dtype(self.size))
        done, pos, status = stream_kernel.decode(_kernel_bytes(bits), 0, len(bits), out, 0, n,
                                                 *self._stream_tables)
        if status == stream_kernel.NO_CODEWORD:
            raise DecodeError(f"the bits do not decode to {n} symbols of this code (symbol {done}: the bits "
                              f"at position {pos} start no codeword)")
        if status == stream_kernel.PAST_END:
            raise DecodeError(f"the bits do not decode to {n} symbols of this code (symbol {done} ends at bit "
                              f"{pos}, past the stream's {len(bits)})")
        if pos != len(bits):
            raise DecodeError(f"{n} symbols use {pos} bits, but the stream has {len(bits)}")
        return out

    def _decode_lanes(self, bits: bitarray, n: int, lanes: int) -> np.ndarray:
        """A stream in lanes decoded lane after lane by the compiled table decoder: the same symbols as
        the lock-step decoder, and a DecodeError for the same streams."""
        head, lane_bits, sizes = lane_layout(bits, n, lanes, self._shortest, self._longest)
        stops, ends = head + np.cumsum(lane_bits), np.cumsum(sizes)
        out = np.empty(n, dtype=index_dtype(self.size))
        group = np.zeros(stream_kernel.GROUP, dtype=np.int64)
        lane, done, pos, status = stream_kernel.decode_lanes(_kernel_bytes(bits), head, stops, ends, out, group,
                                                             group.copy(), *self._stream_tables)
        if lane == lanes:
            return out
        stop, first = int(stops[lane]), int(ends[lane - 1]) if lane else 0
        if status == stream_kernel.NO_CODEWORD:
            raise DecodeError(f"lane {lane} of {lanes}: the bits at position {pos} start no codeword of this "
                              "code (corrupt stream)")
        if status == stream_kernel.PAST_END:
            raise DecodeError(f"lane {lane} of {lanes}: symbol {done - first} ends at bit {pos}, past the "
                              f"lane's end at bit {stop} (corrupt stream or jump table)")
        raise DecodeError(f"lane {lane} of {lanes}: its {int(sizes[lane])} symbols end at bit {pos}, but the "
                          f"jump table ends the lane at bit {stop} (corrupt stream or jump table)")

    @cached_property
    def _stream_tables(self) -> tuple:
        """The arguments of :func:`.kernels.prefix.decode` after ``out``: the lookup table's width, its
        rows of whole codewords, and the canonical search over the longer codewords."""
        codes = np.array(self._codes, dtype=np.int64)
        order = np.lexsort((np.arange(self.size), self.lengths))
        bits = STREAM_LOOKUP_BITS
        symbol, length = first_codewords(codes, self.lengths, order, bits)
        symbols, count, used = whole_codewords(symbol, length, bits, stream_kernel.ROW, np.int64)
        lengths, first, limit, start = canonical_search(codes, self.lengths, order, stream_kernel.WINDOW)
        longer = lengths > bits
        return (bits, symbols.ravel(), count, used[-1], length, lengths[longer], first[longer], limit[longer],
                start[longer], order)

    @cached_property
    def _packer(self) -> WordPacker:
        return WordPacker(self._codes, self.lengths)

    @cached_property
    def _lane_decoder(self) -> LaneDecoder:
        return LaneDecoder(self._codes, self.lengths)

    def prepare(self, n: int) -> None:
        one = self.encode(np.zeros(1, dtype=np.uint8))  # the encoder's lookup tables
        if self.lanes_for(n) == 1:
            self.decode(one, 1)  # the decoder's tables, and its kernel loaded or compiled
        elif jit.enabled():  # one lane of one symbol: the lane kernel loaded or compiled
            out = np.empty(1, dtype=index_dtype(self.size))
            group = np.zeros(stream_kernel.GROUP, dtype=np.int64)
            stream_kernel.decode_lanes(_kernel_bytes(one), 0, np.array([len(one)]), np.ones(1, dtype=np.int64),
                                       out, group, group.copy(), *self._stream_tables)
        else:
            self._lane_decoder  # built here, so that it is not built while a decode is timed

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "lengths": self.lengths.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "PrefixCode | DaryCode":
        """The code of a config: a DaryCode when its params name a radix."""
        if "radix" in (config.get("params") or {}):
            return DaryCode.from_config(config)
        return cls(config["lengths"], scheme=config["scheme"], params=config.get("params"))

    config_fields: ClassVar[tuple[str, ...]] = ("lengths",)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        lengths = check_lengths(config["lengths"], "lengths", size)
        if "radix" in params:
            check_dary_table(lengths, params["radix"])
        else:
            check_kraft(lengths, "lengths")

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = "each symbol's codeword, at the bit position where it starts"
    table_columns = table_columns_with(("codeword", "codeword"), ("length", "length"))
    trace_columns = trace_columns_with(("position", "bit pos"), ("codeword", "codeword"), ("bits", "bits"),
                                       total=("total_bits", "bits so far"))

    def table_entry(self, i: int) -> dict[str, Any]:
        return {"codeword": self.codeword(i), "length": int(self.lengths[i])}

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's codeword at the bit position where it starts (after a long stream's jump table)."""
        costs = self.ideal_costs(model)
        label = alphabet.__getitem__
        position = self.jump_table_bits(bits, stream.size)
        steps = []
        for i, s in enumerate(stream[:limit].tolist()):
            word = self.codeword(s)
            steps.append(({"index": i, "symbol": label(s), "position": position, "codeword": word,
                           "bits": len(word)}, len(word), float(costs[s])))
            position += len(word)
        return running_totals(steps, "total_bits")

    bench_peers: ClassVar[tuple[str, ...]] = ("bitarray",)

    def __repr__(self) -> str:
        return f"PrefixCode(scheme={self.scheme!r}, size={self.size}, kraft_sum={self.kraft_sum})"


def _kernel_bytes(bits: bitarray) -> np.ndarray:
    """The bits as :mod:`.kernels.prefix` reads them: bytes, most significant bit first, and a window's
    worth of padding."""
    big = bits if bits.endian == "big" else bitarray(bits, endian="big")
    return np.frombuffer(big.tobytes() + bytes(stream_kernel.WINDOW // 8), dtype=np.uint8)
