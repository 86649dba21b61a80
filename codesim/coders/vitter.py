"""Adaptive Huffman coding: Vitter's algorithm Lambda, a Huffman tree that learns as it codes.

Scheme ``adaptive-huffman`` needs no model q (see :mod:`.adaptive` for what the Coder contract means
for a coder that learns): encoder and decoder start from the same empty tree and update it after
every symbol in the same way. Encoding and decoding are one loop over the tree's arrays,
:func:`.kernels.vitter.code`, which the ``fast`` extra compiles: 15 to 40 million symbols a second
where plain Python codes under one million.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

import numpy as np
from bitarray import bitarray

from .. import jit
from ..sources.iid import index_dtype
from ..errors import DecodeError
from .adaptive import AdaptiveCoder, check_size
from .base import running_totals, trace_columns_with
from .kernels import fenwick, vitter
from .prefix import huffman_lengths
from .rangecoder import symbol_count
from .registry import Scheme, register

#: adaptive-huffman's limits: its tree update slides a node past a block of nodes of equal weight, which
#: can hold nearly every symbol seen, so a step costs about 1 microsecond plus 10 to 70 ns per distinct
#: symbol seen in plain Python (a few ns compiled: the limits hold for a plain install). So at most
#: MAX_HUFFMAN_SYMBOLS for alphabets up to SMALL_ALPHABET symbols, and beyond that HUFFMAN_WORK / k,
#: but never fewer than MIN_HUFFMAN_SYMBOLS (n symbols see at most n distinct).
MAX_HUFFMAN_SYMBOLS = 1 << 20
SMALL_ALPHABET = 64
HUFFMAN_WORK = 1 << 26
MIN_HUFFMAN_SYMBOLS = 1 << 13
#: Symbols per call of the coding kernels: bounds the scratch lists whatever the stream length.
SYMBOL_CHUNK = 1 << 16
#: Bytes of the encoder's output buffer, beyond the longest codeword it must always take.
OUT_BYTES = 1 << 15


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
    pair is; ``block``, the id of its block, whose highest slot (Vitter's block leader) is
    ``lead[id]``. Per symbol: ``leaf`` slot (-1 while unseen). ``unseen``, the symbols not yet seen, as
    a Fenwick tree of 0/1 weights; ``state``, the 0-node's slot, how many symbols are unseen and how
    many block ids are ``spare``. The arrays are what :mod:`.kernels.vitter` updates (as lists on the
    interpreted path); this class holds them for one message. Every table has about 2k entries,
    whatever the message's length.
    """

    __slots__ = ("root", "state", "key", "node", "parent", "leaf", "block", "lead", "spare", "unseen")

    def __init__(self, k: int):
        self.root = root = 2 * k - 2
        key, node, parent = (np.full(root + 1, -1, dtype=np.int64) for _ in range(3))
        leaf = np.full(k, -1, dtype=np.int64)
        key[root] = 0
        block = np.zeros(root + 1, dtype=np.int64)  # the root's block has id 0
        lead = np.zeros(root + 1, dtype=np.int64)
        lead[0] = root
        spare = np.arange(root + 1, dtype=np.int64)  # ids 1 .. root are spare
        if k == 1:  # one symbol, known before any is sent: the root is its leaf
            node[root], leaf[0] = 0, root
            state = [-1, 0, root]
        else:
            state = [root, k, root]
        # A Fenwick tree of weight 1 on symbols 0 .. k - 1: entry i sums those in (i - (i & -i), i].
        at = np.arange(fenwick.tree_span(k) + 1, dtype=np.int64)
        unseen = np.clip(np.minimum(at, k) - (at - (at & -at)), 0, None)
        self.state = jit.plain(np.array(state, dtype=np.int64))
        self.key, self.node, self.parent, self.leaf, self.block, self.lead, self.spare, self.unseen = map(
            jit.plain, (key, node, parent, leaf, block, lead, spare, unseen))

    @property
    def zero(self) -> int:
        """The 0-node's slot, -1 once every symbol has been seen."""
        return int(self.state[vitter.ZERO])

    @property
    def remaining(self) -> int:
        """How many symbols are still unseen."""
        return int(self.state[vitter.REMAINING])

    def tables(self) -> tuple:
        """The arrays the coding kernels take, in their order."""
        return (self.state, self.key, self.node, self.parent, self.leaf, self.block, self.lead, self.spare,
                self.unseen)

    def rank(self, x: int) -> int:
        """x's index among the symbols not yet seen, in order (for an unseen x)."""
        return int(fenwick.below(self.unseen, x))

    def update(self, x: int) -> None:
        """Count one more x: code it (:func:`.kernels.vitter.code`), the bits left unread."""
        bits = jit.scratch(self.root // 8 + 4, np.uint8)
        vitter.code(False, jit.plain(np.array([x], dtype=np.int64)), bits, 8 * len(bits), 0, jit.scratch(0),
                    *self.tables())

    def codeword(self, slot: int) -> tuple[int, int]:
        """(value, length) of the path from the root to ``slot``, the first step the top bit."""
        root, parent = self.root, self.parent
        value = length = 0
        while slot != root:
            value |= ((root - slot) & 1) << length
            length += 1
            slot = int(parent[slot])
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
        return self._encode(stream, False)[0]

    def codeword_lengths(self, stream: np.ndarray) -> np.ndarray:
        """The bits each symbol's codeword takes, in the tree as it stands when the symbol comes."""
        return self._encode(stream, True)[1]

    def _encode(self, stream: np.ndarray, record: bool) -> tuple[bitarray, np.ndarray]:
        """The bits of the stream, and the length of each codeword if ``record`` (else no lengths)."""
        stream = self._check_stream(stream)
        out = bitarray(endian="big")
        recorded = []
        if self._size == 1 or stream.size == 0:
            return out, np.zeros(stream.size if record else 0, dtype=np.int64)
        tree = _VitterTree(self._size)
        # Past OUT_BYTES, room for the longest codeword: depth below 2k, and at most 21 bits of rank.
        buffer = jit.scratch(OUT_BYTES + tree.root // 8 + 4, np.uint8)
        first = 0
        while first < stream.size:
            part = jit.plain(stream[first : first + SYMBOL_CHUNK].astype(np.int64))
            lengths = jit.scratch(len(part) if record else 0)
            done, nbits = vitter.code(False, part, buffer, 8 * len(buffer), 0, lengths, *tree.tables())
            used = (nbits + 7) >> 3
            out.frombytes(bytes(buffer[:used]))
            del out[len(out) - (8 * used - nbits):]
            buffer[:used] = jit.scratch(used, np.uint8)
            recorded.append(np.asarray(lengths, dtype=np.int64)[:done])
            first += done
        return out, np.concatenate(recorded)

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
        raw = (bits if bits.endian == "big" else bitarray(bits, endian="big")).tobytes()
        # Writable like the encoder's buffer, so both directions run one compiled loop; a plain bytes
        # object indexes as ints, as the interpreted loop wants.
        data = np.frombuffer(raw, dtype=np.uint8).copy() if jit.enabled() else raw
        pos = 0
        parts: list[np.ndarray] = []
        for first in range(0, n, SYMBOL_CHUNK):
            part = jit.scratch(min(SYMBOL_CHUNK, n - first))
            done, pos = vitter.code(True, part, data, len(bits), pos, jit.scratch(0), *tree.tables())
            if done < len(part):
                raise DecodeError(f"the stream is too short: decoding {n} symbols needs more than its "
                                  f"{len(bits)} bits")
            parts.append(np.asarray(part, dtype=dtype))
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
