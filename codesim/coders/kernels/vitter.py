"""Vitter's algorithm Lambda: the update of the dynamic Huffman tree, and the coding loops over it.

The tree is kept in arrays indexed by *slot* (see :class:`codesim.coders.vitter._VitterTree` for the
layout): ``key`` (2 weight + 1 if internal, -1 for a slot not in use), ``node`` (a leaf's symbol, -1
for the 0-node, or an internal node's right child slot), ``parent``; ``leaf`` per symbol (-1 while
unseen); ``top`` per key, the highest slot of its block (-1 for a key no node has). A key is at most
2 n + 1 after n symbols, so ``top`` must hold 2 n + 3 entries before the n-th; the callers grow it
a chunk of symbols at a time. The unseen symbols are a Fenwick tree of 0/1 weights (``unseen``,
see :mod:`.fenwick`): a first occurrence's rank among them is the weight below it.
"""

from __future__ import annotations

from . import fenwick


def truncated_binary(count: int) -> tuple[int, int]:
    """(e, cut) of the truncated binary code for ``count`` values: value v < cut takes e bits, others
    e + 1 bits (of v + cut). Complete, and within a bit of log2(count)."""
    e = 0
    while 2 << e <= count:
        e += 1
    return e, (2 << e) - count


def update(x: int, remaining: int, zero: int, root: int, key, node, parent, leaf, top) -> int:
    """Count one more x; returns the 0-node's slot afterwards (-1 once every symbol has been seen).

    ``remaining``: how many symbols are still unseen, x no longer among them. Vitter's procedure
    Update: find the leaf; if it is new, split the 0-node; otherwise exchange the leaf with the
    leader of its block (two leaves of equal weight: only symbols move). Then
    :func:`slide_and_increment` from the leaf up to the root. A leaf that is the 0-node's sibling is
    incremented after its parent: sliding it first could move it past its own parent.
    """
    q = leaf[x]
    deferred = -1
    if q < 0:
        z = zero
        if remaining:
            # The 0-node's slot becomes an internal node of weight 0 over a new 0-node and x's leaf.
            key[z], node[z] = 1, z - 1
            key[z - 1], node[z - 1], parent[z - 1], leaf[x] = 0, x, z, z - 1
            key[z - 2], node[z - 2], parent[z - 2] = 0, -1, z
            zero = z - 2
            top[0], top[1] = z - 1, z
            deferred = z - 1
        else:
            node[z], leaf[x] = x, z  # the last unseen symbol takes over the 0-node
            zero = -1
        q = z
    else:
        lead = top[key[q]]
        if lead != q:
            other = node[lead]
            node[lead], leaf[x] = x, lead
            node[q], leaf[other] = other, q
            q = lead
        if zero >= 0 and q == zero + 1:
            deferred, q = q, parent[q]
    while q >= 0:
        q = slide_and_increment(q, root, key, node, parent, leaf, top)
    if deferred >= 0:
        slide_and_increment(deferred, root, key, node, parent, leaf, top)
    return zero


def slide_and_increment(p: int, root: int, key, node, parent, leaf, top) -> int:
    """Add 1 to the weight of p, the leader of its block; returns the next node to increment.

    Vitter's SlideAndIncrement. With key K = key[p], p's new key is K + 2, so it must move past
    the block of key K + 1 if there is one (internal nodes of p's weight when p is a leaf, leaves of
    weight one more when p is internal): the block's nodes each move down one slot, taking their
    subtrees and so changing the tree's shape, and p takes the block's top slot. Next to increment:
    p's new parent if p is a leaf, its old parent if it is internal (whose subtree gained the count
    through the node that slid into p's old slot).
    """
    K = key[p]
    if p < root and key[p + 1] == K + 1:
        r = top[K + 1]
        moved = node[p]
        old_parent = parent[p]
        node[p:r] = node[p + 1 : r + 1]
        node[r] = moved
        key[p] = K + 1  # slots p + 1 .. r - 1 keep key K + 1: the block moved down by one
        key[r] = K + 2
        if K & 1:  # p internal: the nodes that moved are leaves
            for s in range(p, r):
                leaf[node[s]] = s
            parent[moved] = parent[moved - 1] = r
            nxt = old_parent
        else:  # p a leaf: the nodes that moved are internal, their children follow them
            for s in range(p, r):
                c = node[s]
                parent[c] = parent[c - 1] = s
            leaf[moved] = r
            nxt = parent[r]
        top[K + 1] = r - 1
        landed = r
    else:
        key[p] = K + 2
        landed = p
        nxt = parent[p]
    top[K] = p - 1 if p and key[p - 1] == K else -1
    if landed == root or key[landed + 1] != K + 2:
        top[K + 2] = landed
    return nxt


def encode(stream, values, lengths, zero: int, remaining: int, root: int, key, node, parent, leaf, top,
           unseen) -> tuple[int, int]:
    """The codewords of ``stream`` in turn (value, read MSB first, and length, into ``values`` and
    ``lengths``), counting each symbol after its codeword. Returns (zero, remaining) afterwards.

    A first occurrence is the 0-node's codeword and then the symbol's rank among the ``remaining``
    unseen symbols in truncated binary.
    """
    for n, x in enumerate(stream):
        slot = leaf[x]
        rank = -1
        if slot < 0:
            slot = zero
            rank = fenwick.below(unseen, x)
        value = length = 0
        while slot != root:  # the path read upwards: the codeword's last bit first
            value |= ((root - slot) & 1) << length
            length += 1
            slot = parent[slot]
        if rank >= 0:
            e, cut = truncated_binary(remaining)
            if rank < cut:
                value, length = (value << e) | rank, length + e
            else:
                value, length = (value << (e + 1)) | (rank + cut), length + e + 1
            fenwick.add(unseen, x, -1)
            remaining -= 1
        values[n] = value
        lengths[n] = length
        zero = update(x, remaining, zero, root, key, node, parent, leaf, top)
    return zero, remaining


def decode(bits, pos: int, out, count: int, zero: int, remaining: int, root: int, key, node, parent, leaf,
           top, unseen) -> tuple[int, int, int, int]:
    """Decode up to ``count`` symbols into ``out`` from ``bits`` (one 0 or 1 per item), from ``pos``.

    Returns (decoded, pos, zero, remaining): fewer than ``count`` symbols when the bits ran out.
    """
    size = len(bits)
    for n in range(count):
        slot = root
        while key[slot] & 1:  # internal: go left (0) or right (1)
            if pos == size:
                return n, pos, zero, remaining
            slot = node[slot] - 1 + bits[pos]
            pos += 1
        x = node[slot]
        if x < 0:  # the 0-node: a first occurrence, its rank among the unseen follows
            e, cut = truncated_binary(remaining)
            if pos + e > size:
                return n, pos, zero, remaining
            rank = 0
            for _ in range(e):
                rank = (rank << 1) | bits[pos]
                pos += 1
            if rank >= cut:
                if pos == size:
                    return n, pos, zero, remaining
                rank = ((rank << 1) | bits[pos]) - cut
                pos += 1
            x = fenwick.find(unseen, rank)[0]
            fenwick.add(unseen, x, -1)
            remaining -= 1
        out[n] = x
        zero = update(x, remaining, zero, root, key, node, parent, leaf, top)
    return count, pos, zero, remaining
