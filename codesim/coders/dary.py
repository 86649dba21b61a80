"""D-ary prefix codes: Huffman's construction over D digits, and the code that packs the digits into bits.

Huffman's D-ary code (Huffman 1952) pads the k symbols with d = (1 - k) mod (D - 1) zero-weight dummies,
so that merging D nodes at a time ends in one root, and drops them afterwards: a padded code is
incomplete, its D-ary Kraft sum sum D^-l(x) = 1 - d D^-L with L the longest length (the dummies are
merged first, so they sit at the deepest level). The implied distribution is r(x) = D^-l(x) / c, and
E_p[l] log2 D = H(p) + D(p||r) + log2(1/c) exactly as for a binary code.

Codewords are canonical over D digits (shorter first, ties by symbol index, each codeword the previous
one plus one, extended by zero digits to the new length). Bitstream: the symbols' digits one after
another, packed g digits to a group of b bits (the group's value sum d_i D^(g-1-i), most significant
bit first), with (g, b) the pair of b from 1 to PACK_BITS and g = floor(b / log2 D) whose efficiency
g log2 D / b is highest (the smallest b on a tie): D a power of two packs log2 D bits per digit exactly,
D = 3 five trits in a byte (3^5 = 243 <= 256, efficiency 99.1%). The last group is padded with zero
digits; the decoder knows the symbol count n, decodes n symbols and requires the rest to be that
padding. A code's measured bits are the packed bits; the packing's own loss is their excess over
digits x log2 D.

Config: that of a binary prefix code (``{"scheme", "params", "lengths"}``, the lengths in digits) with
``params.radix`` = D; a binary code's config has no radix.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections import Counter
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray, decodetree

from ..errors import CodesimError, ConfigError, DecodeError
from ..sources.iid import index_dtype
from .base import Coder, table_columns_with
from .config import field

#: The largest radix: a digit is then one byte, and a D-ary table's work grows with D.
MAX_RADIX = 256
#: The widest group of bits the digits are packed into (D^g <= 2^16 stays exact in int64 arithmetic).
PACK_BITS = 16
#: The longest codeword, in bits once each digit is written in ceil(log2 D) bits: the tree bitarray's
#: decoder walks, as deep as a binary prefix code's (MAX_CODEWORD_BITS).
MAX_EXPANDED_BITS = 256
#: Digits converted between groups and bits at a time, so that the arrays of one step stay a few MB.
CHUNK_DIGITS = 1 << 18


def digit_bits(radix: int) -> int:
    """ceil(log2 D): the bits that hold one digit."""
    return (radix - 1).bit_length()


def max_digits(radix: int) -> int:
    """The longest codeword a D-ary code may have, in digits."""
    return MAX_EXPANDED_BITS // digit_bits(radix)


def packing(radix: int) -> tuple[int, int]:
    """(g, b): g digits in b bits, the pair of b <= PACK_BITS and the most digits D^g <= 2^b with the
    highest efficiency g log2 D / b, the smallest b on a tie.

    >>> packing(3), packing(4), packing(10)
    ((5, 8), (1, 2), (3, 10))
    """
    best = (0, 1)
    for b in range(1, PACK_BITS + 1):
        g = 0
        while radix ** (g + 1) <= 1 << b:
            g += 1
        if Fraction(g, b) > Fraction(*best):
            best = (g, b)
    return best


def packing_efficiency(radix: int) -> float:
    """g log2 D / b: the share of the packed bits the digits' information fills."""
    g, b = packing(radix)
    return g * math.log2(radix) / b


def dummies(k: int, radix: int) -> int:
    """How many zero-weight symbols D-ary Huffman adds to k so that (k + d - 1) mod (D - 1) = 0."""
    return (1 - k) % (radix - 1)


def dary_huffman_lengths(q: np.ndarray, radix: int) -> np.ndarray:
    """Huffman's optimal D-ary code lengths (in digits) for weights q.

    The dummies come first among equal weights, then the leaves in symbol-index order, then merged nodes
    in the order they were made, and the D lightest nodes are merged each time: the same q always gives
    the same code, and the dummies are all in the first (deepest) merge. A one-symbol alphabet gets a
    one-digit codeword.
    """
    k = q.size
    if k == 1:
        return np.ones(1, dtype=np.int64)
    d = dummies(k, radix)
    leaves = k + d
    heap = [(0.0, i) for i in range(d)] + [(float(w), d + i) for i, w in enumerate(q)]
    heapq.heapify(heap)
    merges = (leaves - 1) // (radix - 1)
    parent = np.empty(leaves + merges, dtype=np.int64)
    for node in range(leaves, leaves + merges):
        total = 0.0
        for _ in range(radix):
            w, child = heapq.heappop(heap)
            parent[child] = node
            total += w
        heapq.heappush(heap, (total, node))
    depth = np.zeros(leaves + merges, dtype=np.int64)
    for node in range(leaves + merges - 2, -1, -1):  # parents are numbered after their children
        depth[node] = depth[parent[node]] + 1
    return depth[d:leaves]


def dary_kraft_sum(lengths, radix: int) -> Fraction:
    """sum D^-l over the code lengths, exactly."""
    counts = Counter(map(int, lengths))
    top = max(counts)
    return Fraction(sum(count * radix ** (top - v) for v, count in counts.items()), radix**top)


def _show(kraft: Fraction) -> str:
    return str(kraft) if len(str(kraft)) <= 24 else f"about {float(kraft):.12g}"


def check_dary_table(lengths: list[int], radix: int, key: str = "lengths") -> None:
    """A D-ary code's lengths read from a file (already integers from 1 to MAX_CODEWORD_BITS): no
    codeword longer than :func:`max_digits`, and D-ary Kraft sum at most 1."""
    longest = max_digits(radix)
    for i, v in enumerate(lengths):
        if v > longest:
            raise ConfigError(f"{field(key)} entry {i + 1} is {v}: a radix-{radix} code's lengths are from 1 "
                              f"to {longest} digits", corrupt=True)
    kraft = dary_kraft_sum(lengths, radix)
    if kraft > 1:
        raise ConfigError(f"{field(key)} is not a radix-{radix} prefix code: its lengths are over-subscribed "
                          f"(Kraft sum {_show(kraft)} > 1 in radix {radix})")


def check_dary_huffman(lengths: list[int], radix: int, key: str = "lengths") -> None:
    """What a D-ary Huffman code always is: complete but for its d dummies at the deepest level, so its
    Kraft sum is 1 - d D^-L."""
    d = dummies(len(lengths), radix) if len(lengths) > 1 else radix - 1
    kraft = dary_kraft_sum(lengths, radix)
    want = 1 - Fraction(d, radix ** max(lengths))
    if kraft != want:
        raise ConfigError(f"{field(key)} is not a radix-{radix} Huffman code: its Kraft sum is {_show(kraft)} "
                          f"in radix {radix}, but {len(lengths)} symbols and {d} dummies at the deepest level "
                          f"give {_show(want)}")


def canonical_digits(lengths: np.ndarray, radix: int) -> list[int]:
    """Canonical codeword values (ints whose base-D digits, most significant first, are the codeword):
    in canonical order codeword i is sum_{j<i} D^(l_i - l_j)."""
    order = np.lexsort((np.arange(lengths.size), lengths))
    top = int(lengths.max())
    codes = [0] * lengths.size
    scaled = 0
    for i in order.tolist():
        li = int(lengths[i])
        codes[i] = scaled // radix ** (top - li)
        scaled += radix ** (top - li)
    return codes


class DaryCode(Coder):
    """A prefix code over D > 2 digits given by its lengths in digits (canonical codewords), its digits
    packed into bits as the module says.

    >>> code = DaryCode([1, 1, 2, 2], radix=3)
    >>> [code.codeword(i) for i in range(4)]
    ['0', '1', '20', '21']
    >>> code.decode(code.encode(np.array([3, 0, 2])), 3).tolist()
    [3, 0, 2]
    """

    #: A message's digits are converted by numpy, some 20 ns each, and up to 128 a symbol (radix 3):
    #: measured in the README, "Decode time".
    max_symbols: ClassVar[int] = 1 << 20

    def __init__(self, lengths, radix: int, scheme: str = "huffman", params: dict[str, Any] | None = None):
        if isinstance(radix, bool) or not isinstance(radix, (int, np.integer)) or not 3 <= radix <= MAX_RADIX:
            raise CodesimError(f"radix {radix!r}: a D-ary code has a radix from 3 to {MAX_RADIX}")
        self.radix = int(radix)
        raw = list(lengths)
        if not raw:
            raise CodesimError("a prefix code needs at least one code length")
        longest = max_digits(self.radix)
        for i, v in enumerate(raw):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise CodesimError(f"code length {i + 1} is {v!r}: lengths are integers >= 1")
            if v > longest:
                raise CodesimError(f"code length {i + 1} is {v} digits, over the decoder's limit of {longest} "
                                   f"radix-{self.radix} digits (a model with probabilities below 2^-256)")
        self.lengths = np.array(raw, dtype=np.int64)
        self.lengths.setflags(write=False)
        self.scheme = scheme
        self.params = {"radix": self.radix, **(params or {})}
        self.kraft_sum = dary_kraft_sum(raw, self.radix)
        if self.kraft_sum > 1:
            raise CodesimError(f"code lengths are over-subscribed: radix-{self.radix} Kraft sum "
                               f"{float(self.kraft_sum):.6g} > 1, so no prefix code has them")
        self._codes = canonical_digits(self.lengths, self.radix)
        self.group_digits, self.group_bits = packing(self.radix)
        self._width = digit_bits(self.radix)
        self._shortest = int(self.lengths.min())

    # -- facts about the code -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return int(self.lengths.size)

    @property
    def is_complete(self) -> bool:
        """D-ary Kraft sum exactly 1: no digit pattern is wasted."""
        return self.kraft_sum == 1

    def digits(self, i: int) -> list[int]:
        """Symbol i's codeword as its digits, most significant first."""
        value, out = self._codes[i], []
        for _ in range(int(self.lengths[i])):
            value, digit = divmod(value, self.radix)
            out.append(digit)
        return out[::-1]

    def codeword(self, i: int) -> str:
        """Symbol i's codeword: one character per digit (0-9, a-z) up to radix 36, else digits in decimal
        separated by dots."""
        digits = self.digits(i)
        if self.radix <= 36:
            return "".join(np.base_repr(v, 36).lower() for v in digits)
        return ".".join(map(str, digits))

    @property
    def implied(self) -> np.ndarray:
        r = np.power(float(self.radix), -self.lengths.astype(np.float64))
        return r / r.sum()

    def expected_digits(self, p) -> float:
        """sum_x p(x) l(x): expected digits per symbol."""
        return float(np.dot(np.asarray(getattr(p, "probs", p), dtype=np.float64), self.lengths))

    def expected_length(self, p) -> float:
        """Expected digits x log2 D: the bits the digits carry, before packing."""
        return self.expected_digits(p) * math.log2(self.radix)

    def digit_count(self, counts: np.ndarray) -> int:
        """The digits a stream with these symbol counts is coded in."""
        return int(np.dot(np.asarray(counts, dtype=np.int64), self.lengths))

    def packed_bits(self, digits: int) -> int:
        """The bits of a stream of that many digits: whole groups."""
        return -(-digits // self.group_digits) * self.group_bits

    def bit_bounds(self, n: int) -> tuple[int, int]:
        return self.packed_bits(int(n) * self._shortest), self.packed_bits(int(n) * int(self.lengths.max()))

    def note(self) -> str:
        g, b = self.group_digits, self.group_bits
        return (f"radix {self.radix}: {g} digit{'s' * (g > 1)} packed in {b} bits "
                f"({packing_efficiency(self.radix):.1%} efficient)")

    # -- coding ---------------------------------------------------------------------------------
    @cached_property
    def _table(self) -> dict[int, bitarray]:
        """Each symbol's digits written in ceil(log2 D) bits each: a binary prefix code."""
        w = self._width
        return {i: bitarray("".join(format(v, f"0{w}b") for v in self.digits(i)), endian="big")
                for i in range(self.size)}

    @cached_property
    def _tree(self) -> decodetree:
        return decodetree(self._table)

    def _powers(self) -> np.ndarray:
        return self.radix ** np.arange(self.group_digits - 1, -1, -1, dtype=np.int64)

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        wide = bitarray(endian="big")
        wide.encode(self._table, stream.tolist())
        if self.radix == 1 << self._width:  # a power of two: the digits' bits are the packing
            return wide
        g, b, w = self.group_digits, self.group_bits, self._width
        wide.extend([0] * (-(len(wide) // w) % g * w))  # the last group's padding: zero digits
        out = bitarray(endian="big")
        step = CHUNK_DIGITS // g * g * w
        for lo in range(0, len(wide), step):
            digits = _bits_to_ints(wide[lo : lo + step], w)
            out += _ints_to_bits(digits.reshape(-1, g) @ self._powers(), b)
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = operator.index(n)
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        g, b = self.group_digits, self.group_bits
        if len(bits) % b:
            raise DecodeError(f"the stream has {len(bits)} bits, not whole groups of {b}")
        groups = len(bits) // b
        if n * self._shortest > groups * g:  # before anything of size n is allocated
            raise DecodeError(f"{n} symbols of this code take at least {n * self._shortest} digits, but the "
                              f"stream holds {groups * g} (truncated, or the wrong symbol count)")
        wide = bits if self.radix == 1 << self._width else self._unpack(bits)
        try:
            out = np.fromiter(wide.decode(self._tree), dtype=index_dtype(self.size), count=n)
        except ValueError as exc:  # bitarray: no codeword matches, or the bits ran out
            raise DecodeError(f"the digits do not decode to {n} symbols of this code ({exc})") from None
        used = int(self.lengths.take(out).sum())
        if -(-used // g) != groups:
            raise DecodeError(f"{n} symbols use {used} digits, {-(-used // g)} groups of {g}, but the stream "
                              f"has {groups}")
        if wide[used * self._width :].any():
            raise DecodeError(f"the last group's padding after digit {used} is not zero digits")
        return out

    def _unpack(self, bits: bitarray) -> bitarray:
        """The packed groups' digits, each written in ceil(log2 D) bits; DecodeError for a group whose
        value no g digits reach."""
        g, b = self.group_digits, self.group_bits
        wide = bitarray(endian="big")
        step = CHUNK_DIGITS // g * b
        for lo in range(0, len(bits), step):
            values = _bits_to_ints(bits[lo : lo + step], b)
            bad = np.flatnonzero(values >= self.radix**g)
            if bad.size:
                raise DecodeError(f"group {lo // b + int(bad[0])} of the stream holds {int(values[bad[0]])}, over "
                                  f"the {self.radix ** g - 1} that {g} radix-{self.radix} digits reach")
            wide += _ints_to_bits((values[:, None] // self._powers() % self.radix).ravel(), self._width)
        return wide

    def prepare(self, n: int) -> None:
        self._tree  # built here, so that it is not built while a decode is timed

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "lengths": self.lengths.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "DaryCode":
        params = dict(config["params"])
        return cls(config["lengths"], params.pop("radix"), scheme=config["scheme"], params=params)

    config_fields: ClassVar[tuple[str, ...]] = ("lengths",)

    # -- looking inside ---------------------------------------------------------------------------
    table_columns = table_columns_with(("codeword", "codeword"), ("length", "digits"))

    def table_entry(self, i: int) -> dict[str, Any]:
        return {"codeword": self.codeword(i), "length": int(self.lengths[i])}

    def __repr__(self) -> str:
        return f"DaryCode(scheme={self.scheme!r}, radix={self.radix}, size={self.size}, kraft_sum={self.kraft_sum})"


def _bits_to_ints(bits: bitarray, width: int) -> np.ndarray:
    """The bits read as consecutive unsigned integers of ``width`` bits each, most significant first."""
    big = bits if bits.endian == "big" else bitarray(bits, endian="big")
    flat = np.unpackbits(np.frombuffer(big.tobytes(), dtype=np.uint8), count=len(big))
    return flat.reshape(-1, width).astype(np.int64) @ (1 << np.arange(width - 1, -1, -1, dtype=np.int64))


def _ints_to_bits(values: np.ndarray, width: int) -> bitarray:
    """Non-negative integers below 2^width written in ``width`` bits each, most significant first."""
    flat = ((values[:, None] >> np.arange(width - 1, -1, -1, dtype=np.int64)) & 1).astype(np.uint8).ravel()
    out = bitarray(endian="big")
    out.frombytes(np.packbits(flat).tobytes())
    del out[flat.size:]
    return out
