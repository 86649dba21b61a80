"""Prefix codes built from a model q: fixed-length, Shannon and Huffman.

Each builder turns q into code lengths; :class:`~codesim.coders.base.PrefixCode` does the rest.
Every symbol gets a codeword, including those q gives probability 0: a code must be able to encode
whatever the source emits, and the cost of a model that ruled a symbol out then shows as a long codeword
rather than a failure.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from .base import PrefixCode
from .registry import Scheme, register

#: ceil(-log2 q) is taken after subtracting this, so that a q rescaled by rounding (0.25 stored as
#: 0.25000000000000006) still gets its exact dyadic length.
_LOG_SLACK = 1e-9


def fixed_lengths(q: np.ndarray) -> np.ndarray:
    """ceil(log2 k) bits for every symbol, whatever q says (1 bit for a one-symbol alphabet)."""
    return np.full(q.size, max(1, math.ceil(math.log2(q.size))), dtype=np.int64)


def shannon_lengths(q: np.ndarray) -> np.ndarray:
    """l(x) = ceil(-log2 q(x)): Shannon's code, within one bit of -log2 q(x) for every symbol.

    Symbols with q(x) = 0 share the room the positive lengths leave (their Kraft sum is at most 1, in
    units of 2^-L for the longest length L, so any room is at least 2^-L); when there is none (q dyadic)
    one longest codeword is made a bit longer to free half its share. A one-symbol alphabet gets one
    bit per symbol, as a prefix code cannot spend zero bits and still mark where a symbol ends.
    """
    positive = q > 0
    lengths = np.zeros(q.size, dtype=np.int64)
    lengths[positive] = np.maximum(1, np.ceil(-np.log2(q[positive]) - _LOG_SLACK)).astype(np.int64)
    zeros = np.flatnonzero(~positive)
    if zeros.size:
        top = int(lengths.max())
        used = sum(1 << (top - int(v)) for v in lengths[positive])
        if used == 1 << top:
            lengths[np.flatnonzero(lengths == top)[-1]] += 1
            top += 1
        lengths[zeros] = top + max(0, math.ceil(math.log2(zeros.size)))
    return lengths


def huffman_lengths(q: np.ndarray) -> np.ndarray:
    """Huffman's optimal code lengths for weights q.

    Ties are broken deterministically: the two lightest nodes are merged first, and among equal
    weights a leaf comes before a merged node and leaves come in symbol-index order, merged nodes in
    the order they were made. So the same q always gives the same code. A one-symbol alphabet gets a
    1-bit codeword (a prefix code cannot use zero bits and still mark where a symbol ends).
    """
    k = q.size
    if k == 1:
        return np.ones(1, dtype=np.int64)
    heap = [(float(w), i) for i, w in enumerate(q)]
    heapq.heapify(heap)
    parent = np.empty(2 * k - 1, dtype=np.int64)
    for node in range(k, 2 * k - 1):
        w1, a = heapq.heappop(heap)
        w2, b = heapq.heappop(heap)
        parent[a] = parent[b] = node
        heapq.heappush(heap, (w1 + w2, node))
    depth = np.zeros(2 * k - 1, dtype=np.int64)
    for node in range(2 * k - 3, -1, -1):  # parents are numbered after their children
        depth[node] = depth[parent[node]] + 1
    return depth[:k]


def _prefix_scheme(name: str, summary: str, lengths_of) -> Scheme:
    return register(
        Scheme(
            name=name,
            summary=summary,
            build=lambda q: PrefixCode(lengths_of(q), scheme=name),
            restore=PrefixCode.from_config,
        )
    )


FIXED = _prefix_scheme("fixed", "ceil(log2 k) bits per symbol, ignoring q (the D(p||uniform) baseline)", fixed_lengths)
SHANNON = _prefix_scheme("shannon", "lengths ceil(-log2 q(x)): within 1 bit of the model's ideal", shannon_lengths)
HUFFMAN = _prefix_scheme("huffman", "optimal prefix code for q (Huffman 1952)", huffman_lengths)
