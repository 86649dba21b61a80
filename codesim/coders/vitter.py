"""Adaptive Huffman coding: Vitter's algorithm Lambda, a Huffman tree that learns as it codes.

Scheme ``adaptive-huffman`` needs no model q (see :mod:`.adaptive` for what the Coder contract means
for a coder that learns): encoder and decoder start from the same empty tree and update it after
every symbol in the same way. The tree's update is :mod:`.kernels.vitter`.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import numpy as np
from bitarray import bitarray
from bitarray.util import int2ba

from ..sources.iid import index_dtype
from ..errors import DecodeError
from .adaptive import AdaptiveCoder, check_size
from .base import running_totals, trace_columns_with
from .kernels import fenwick, vitter
from .prefix import huffman_lengths
from .rangecoder import symbol_count
from .registry import Scheme, register

#: adaptive-huffman's limits: its tree update slides a node past a block of nodes of equal weight, which
#: can hold nearly every symbol seen, so a step costs about 1 microsecond plus 20 to 70 ns per distinct
#: symbol seen. So at most MAX_HUFFMAN_SYMBOLS for alphabets up to SMALL_ALPHABET symbols, and beyond
#: that HUFFMAN_WORK / k, but never fewer than MIN_HUFFMAN_SYMBOLS (n symbols see at most n distinct).
MAX_HUFFMAN_SYMBOLS = 1 << 20
SMALL_ALPHABET = 64
HUFFMAN_WORK = 1 << 26
MIN_HUFFMAN_SYMBOLS = 1 << 13
#: Symbols per step of the loops: bounds the scratch lists whatever the stream length.
SYMBOL_CHUNK = 1 << 16


class _VitterTree:
    """The dynamic Huffman tree of Vitter's algorithm Lambda, as encoder and decoder both keep it.

    Vitter, "Design and analysis of dynamic Huffman codes", JACM 34(4), 1987. The tree always has the
    *sibling property* (Gallager 1978: listing the nodes by non-decreasing weight puts siblings next to
    each other, which makes it a Huffman tree of its leaves' weights), with Vitter's extra invariant:
    among nodes of equal weight the leaves come before the internal nodes. Those orderings are kept by
    numbering the nodes in *slots*: slot R = 2k - 2 is the root, its children are slots R - 1 (right,
    bit 1) and R - 2 (left, bit 0), and in general the slots pair up from the top, (R - 2j - 1 right,
    R - 2j - 2 left). A node's ``key`` is 2 * weight + (1 if internal): Lambda's order is then simply
    that keys never decrease from slot to slot, and a *block* (Vitter's term: nodes of equal weight
    and kind) is a run of equal keys.

    Unseen symbols all sit in one leaf of weight 0, the *0-node*, always in the lowest slot in use.
    The first occurrence of a symbol is sent as the 0-node's codeword followed by the symbol's rank
    among the unseen symbols in a truncated binary code (floor or ceil of log2 of their number bits).
    The 0-node then splits into a new 0-node (left) and the symbol's leaf (right); when only one
    symbol is left unseen, the 0-node becomes that symbol's leaf instead (its rank takes 0 bits), as
    in Vitter's algorithm when k = n - 1.

    Per slot: ``key``; ``node``, a leaf's symbol (-1 for the 0-node) or an internal node's right child
    slot (its left child is the slot below); ``parent``, the slot of the node whose children the slot's
    pair is. Per symbol: ``leaf`` slot (-1 while unseen). Per key: ``top``, the highest slot of its
    block (Vitter's block leader), -1 for a key no node has; ``unseen``, the symbols not yet seen, as a
    Fenwick tree of 0/1 weights, and ``remaining``, how many they are. The update of these arrays is
    :mod:`.kernels.vitter`; this class holds them for one message.
    """

    __slots__ = ("root", "key", "node", "parent", "leaf", "top", "zero", "remaining", "unseen")

    def __init__(self, k: int):
        self.root = root = 2 * k - 2
        self.key = [-1] * (root + 1)  # -1: slot not in use (below the lowest slot)
        self.node = [-1] * (root + 1)
        self.parent = [-1] * (root + 1)
        self.leaf = [-1] * k
        self.key[root] = 0
        self.top = [root, -1, -1]
        self.unseen = [0] * (fenwick.tree_span(k) + 1)
        if k == 1:  # one symbol, known before any is sent: the root is its leaf
            self.node[root], self.leaf[0] = 0, root
            self.zero, self.remaining = -1, 0
        else:
            self.zero, self.remaining = root, k
            fenwick.build.py_func([1] * k, self.unseen)  # lists: the plain function

    def reserve(self, n: int) -> None:
        """Make room in ``top`` for the keys of n more symbols (a key is at most 2 weight + 1)."""
        need = self.key[self.root] + 2 * n + 3
        if need > len(self.top):
            self.top += [-1] * (need - len(self.top))

    def rank(self, x: int) -> int:
        """x's index among the symbols not yet seen, in order (for an unseen x)."""
        return fenwick.below(self.unseen, x)

    def update(self, x: int) -> None:
        """Count one more x (see :func:`.kernels.vitter.update`)."""
        if self.leaf[x] < 0:
            fenwick.add(self.unseen, x, -1)
            self.remaining -= 1
        self.reserve(1)
        self.zero = vitter.update(x, self.remaining, self.zero, self.root, self.key, self.node, self.parent,
                                  self.leaf, self.top)

    def codeword(self, slot: int) -> tuple[int, int]:
        """(value, length) of the path from the root to ``slot``, the first step the top bit."""
        root, parent = self.root, self.parent
        value = length = 0
        while slot != root:
            value |= ((root - slot) & 1) << length
            length += 1
            slot = parent[slot]
        return value, length


class AdaptiveHuffmanCoder(AdaptiveCoder):
    """One-pass dynamic Huffman coding, Vitter's algorithm Lambda (see :class:`_VitterTree`).

    Each symbol is coded with the Huffman tree of the counts of the symbols before it; first
    occurrences go through the 0-node escape plus the symbol's rank among those not yet seen. Vitter
    (1987) proves that Lambda encodes a message of t letters in fewer than t bits more than the
    conventional two-pass Huffman code of the message's own counts, S = sum_x c(x) l(x), whatever the
    alphabet size, and that no one-pass Huffman method does better in the worst case; his analysis of
    the FGK algorithm (Faller 1973, Gallager 1978, Knuth 1985) gives 2 S + t. Here the comparison
    counts the codewords (the 0-node's included) and leaves out the ranks of first occurrences
    (:meth:`escape_bits`, at most ceil(log2 k) bits for each of at most k symbols), which stand for the
    code table a two-pass code must send: the tests check codeword bits <= S + t - 1 on random streams,
    and that a stream always sending a symbol with the longest codeword reaches it exactly. A
    one-symbol alphabet costs 0 bits.

    The code is complete (every bit string is a prefix of some encoding), so the decoder detects only
    streams that end early or have bits left over; each symbol takes at least one bit once k >= 2.

    >>> coder = AdaptiveHuffmanCoder(4)
    >>> bits = coder.encode(np.array([2, 2, 1, 2, 3, 2]))
    >>> coder.decode(bits, 6).tolist()
    [2, 2, 1, 2, 3, 2]
    """

    def __init__(self, size: int, scheme: str = "adaptive-huffman", params: dict[str, Any] | None = None):
        super().__init__(size, scheme, {} if params is None else params)

    def expected_length(self, p) -> float:
        """The bits per symbol the code tends to on a source p: the expected length of a Huffman code
        for p's positive probabilities, plus the 0-node as a leaf of weight 0 while a symbol with
        p(x) = 0 stays unseen (so p = (1, 0) costs 1 bit, as the tree then has two leaves).

        Every Huffman tree of the same weights has the same expected length, so ties do not matter.
        """
        p = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        weights = p[p > 0]
        if weights.size < self._size:
            weights = np.append(weights, 0.0)
        if weights.size < 2:
            return 0.0
        return float(np.dot(weights, huffman_lengths(weights)))

    def symbol_limit(self) -> int:
        if self.size <= SMALL_ALPHABET:
            return MAX_HUFFMAN_SYMBOLS
        return max(MIN_HUFFMAN_SYMBOLS, HUFFMAN_WORK // self.size)

    def _limit_reason(self) -> str:
        return f" over {self.size} symbols"

    def escape_bits(self, stream: np.ndarray) -> int:
        """The bits spent on ranks of first occurrences in ``encode(stream)`` (the rest are codewords)."""
        stream = self._check_stream(stream)
        if self._size == 1 or stream.size == 0:
            return 0
        # Symbols in order of first occurrence, each ranked among those still unseen at that point.
        firsts = np.sort(np.unique(stream, return_index=True)[1])
        unseen = list(range(self._size))
        total = 0
        for x in stream[firsts].tolist():
            rank = bisect_left(unseen, x)
            e, cut = vitter.truncated_binary(len(unseen))
            total += e if rank < cut else e + 1
            del unseen[rank]
        return total

    def encode(self, stream: np.ndarray) -> bitarray:
        out = bitarray(endian="big")
        for values, lengths in self._codewords(stream):
            out += _pack_bits(values, lengths)
        return out

    def codeword_lengths(self, stream: np.ndarray) -> np.ndarray:
        """The bits each symbol's codeword takes, in the tree as it stands when the symbol comes."""
        chunks = [np.array(lengths, dtype=np.int64) for _, lengths in self._codewords(stream)]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)

    def _codewords(self, stream: np.ndarray):
        """The codewords (values read MSB first, and lengths) of the stream, a chunk at a time."""
        stream = self._check_stream(stream)
        if self._size == 1:
            return
        tree = _VitterTree(self._size)
        for first in range(0, stream.size, SYMBOL_CHUNK):
            part = stream[first : first + SYMBOL_CHUNK].tolist()
            values, lengths = [0] * len(part), [0] * len(part)
            tree.reserve(len(part))
            tree.zero, tree.remaining = vitter.encode(
                part, values, lengths, tree.zero, tree.remaining, tree.root, tree.key, tree.node, tree.parent,
                tree.leaf, tree.top, tree.unseen)
            yield values, lengths

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = symbol_count(bits, n)
        dtype = index_dtype(self._size)
        if self._size == 1:
            if len(bits):
                raise DecodeError(f"trailing bits: a one-symbol alphabet codes in 0 bits, the stream has "
                                  f"{len(bits)}")
            return np.zeros(n, dtype=dtype)
        if n > len(bits):  # every symbol takes a bit or more: refuse before any work
            raise DecodeError(f"the stream is too short: {n} symbols need at least {n} bits, it has "
                              f"{len(bits)}")
        tree = _VitterTree(self._size)
        data = bitarray(bits, endian="big").unpack()  # one byte, 0 or 1, per bit
        pos = 0
        parts: list[np.ndarray] = []
        for first in range(0, n, SYMBOL_CHUNK):
            m = min(SYMBOL_CHUNK, n - first)
            part = [0] * m
            tree.reserve(m)
            done, pos, tree.zero, tree.remaining = vitter.decode(
                data, pos, part, m, tree.zero, tree.remaining, tree.root, tree.key, tree.node, tree.parent,
                tree.leaf, tree.top, tree.unseen)
            if done < m:
                raise DecodeError(f"the stream is too short: decoding {n} symbols needs more than its "
                                  f"{len(bits)} bits")
            parts.append(np.array(part, dtype=dtype))
        if pos < len(bits):
            raise DecodeError(f"trailing bits: {n} symbols end before the last of the stream's {len(bits)} "
                              "bits")
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    def __repr__(self) -> str:
        return f"AdaptiveHuffmanCoder(size={self._size})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("the bits each symbol's codeword took in the code as it stood when the symbol came "
                  "(the tree changes after every symbol)")
    trace_columns = trace_columns_with(("position", "bit pos"), ("bits", "bits"), total=("total_bits", "bits so far"))

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The bits each symbol's codeword took, at the bit position where it starts."""
        costs = self.ideal_costs(model)
        head = stream[:limit]
        # One symbol takes no bits: the coder then writes no codewords at all.
        lengths = self.codeword_lengths(head) if self._size > 1 else np.zeros(head.size, dtype=np.int64)
        position, steps = 0, []
        for i, (s, taken) in enumerate(zip(head.tolist(), lengths.tolist())):
            steps.append(({"index": i, "symbol": alphabet[s], "position": position, "bits": taken}, taken,
                          float(costs[s])))
            position += taken
        return running_totals(steps, "total_bits")


def _pack_bits(values: list[int], lengths: list[int]) -> bitarray:
    """Codewords given as (value, length), most significant bit first, concatenated.

    Vectorised for codewords of up to 63 bits (every bit of every codeword computed at once); a longer
    one, which only a tree deeper than any stream codesim codes can have, goes through Python ints.
    """
    out = bitarray(endian="big")
    if not values:
        return out
    if max(lengths) > 63:
        for value, length in zip(values, lengths):
            if length:
                out += int2ba(value, length=length, endian="big")
        return out
    size = np.array(lengths, dtype=np.int64)
    owner = np.repeat(np.arange(size.size), size)  # the codeword each output bit belongs to
    ends = np.cumsum(size)
    shift = ends[owner] - 1 - np.arange(int(ends[-1]))  # how far the bit sits from its codeword's end
    word = np.array(values, dtype=np.uint64)[owner]
    out.pack(((word >> shift.astype(np.uint64)) & np.uint64(1)).astype(np.uint8).tobytes())
    return out


ADAPTIVE_HUFFMAN = register(
    Scheme(
        name="adaptive-huffman",
        summary="dynamic Huffman code (Vitter's algorithm Lambda) updated after every symbol: no q needed",
        build=lambda q: AdaptiveHuffmanCoder(len(q)),
        restore=AdaptiveHuffmanCoder.from_config,
        learns=True,
        serves=lambda size: check_size("adaptive-huffman", size),
        groups=("learners",),
    )
)
