"""The coder contract, and prefix codes as code lengths plus canonical codewords.

Every scheme builds a :class:`Coder` from an assumed distribution q. A coder encodes a stream of symbol
indices to a ``bitarray`` and decodes it back given the symbol count; it knows the distribution r it
implicitly assumes (its *implied* distribution) and its exact expected length under any p, and it
serialises to a JSON-able config from which the decoder rebuilds the identical code without q.

A :class:`PrefixCode` is fully described by its code lengths: codewords are assigned canonically
(shorter codes first, ties by symbol index, each codeword the previous one plus one, shifted left to the
new length), the convention of DEFLATE (RFC 1951, 3.2.2). Its implied distribution is
r(x) = 2^-l(x) / c with c = sum 2^-l, and then exactly E_p[l] = H(p) + D(p||r) + log2(1/c).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray, decodetree

from ..distributions import index_dtype
from ..errors import CodesimError, DecodeError
from ..measures import cross_entropy, kl_divergence

#: bitarray's C decoder walks a tree of at most this depth.
MAX_CODEWORD_BITS = 256
#: Codewords up to this many bits are packed with 64-bit word arithmetic; longer ones, which only
#: extremely skewed models produce, go through bitarray's C encoder instead.
PACKED_CODEWORD_BITS = 64
#: Symbols packed per step: bounds the encoder's scratch memory (about 64 bytes per symbol).
ENCODE_CHUNK = 1 << 20


class Coder(ABC):
    """A code for an alphabet of ``size`` symbols, built by a registered scheme from a model q."""

    scheme: str
    params: dict[str, Any]

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
        if top <= PACKED_CODEWORD_BITS:
            self._words = np.array(self._codes, dtype=np.uint64)

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

    # -- coding ---------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        out = bitarray(endian="big")
        if not hasattr(self, "_words"):
            out.encode(self._table, stream.tolist())
            return out
        for lo in range(0, stream.size, ENCODE_CHUNK):
            out += _pack_codewords(self._words, self.lengths, stream[lo : lo + ENCODE_CHUNK])
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        try:
            out = np.fromiter(bits.decode(self._tree), dtype=index_dtype(self.size), count=n)
        except ValueError as exc:  # bitarray: no codeword matches, or the bits ran out
            raise DecodeError(f"the bits do not decode to {n} symbols of this code ({exc})") from None
        used = int(self.lengths[out].sum())
        if used != len(bits):
            raise DecodeError(f"{n} symbols use {used} bits, but the stream has {len(bits)}")
        return out

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "lengths": self.lengths.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "PrefixCode":
        return cls(config["lengths"], scheme=config["scheme"], params=config.get("params"))

    def __repr__(self) -> str:
        return f"PrefixCode(scheme={self.scheme!r}, size={self.size}, kraft_sum={self.kraft_sum})"


def _pack_codewords(words: np.ndarray, lengths: np.ndarray, stream: np.ndarray) -> bitarray:
    """Concatenate codewords of at most 64 bits into one bitarray, without a loop over symbols.

    Each codeword lands in the 64-bit output word where it starts, and spills its low bits into the
    next word when it crosses a word boundary. Codewords inside one word occupy disjoint bits, and the
    word index never decreases along the stream, so one ``bitwise_or.reduceat`` over runs of equal
    word index assembles every word.
    """
    out = bitarray(endian="big")
    if stream.size == 0:
        return out
    length = lengths[stream].astype(np.uint64)
    value = words[stream]
    end = np.cumsum(length)
    total = int(end[-1])
    start = end - length
    word = start >> np.uint64(6)
    stop = (start & np.uint64(63)) + length  # end of the codeword, counted from its word's first bit
    fits = stop <= 64
    left = np.where(fits, np.uint64(64) - stop, np.uint64(0))
    right = np.where(fits, np.uint64(0), stop - np.uint64(64))
    head = (value >> right) << left
    packed = np.zeros((total + 63) // 64, dtype=np.uint64)
    runs = np.flatnonzero(np.r_[True, word[1:] != word[:-1]])
    packed[word[runs]] = np.bitwise_or.reduceat(head, runs)
    spills = np.flatnonzero(~fits)
    packed[word[spills] + np.uint64(1)] |= value[spills] << (np.uint64(128) - stop[spills])
    out.frombytes(packed.astype(">u8").tobytes())
    del out[total:]
    return out
