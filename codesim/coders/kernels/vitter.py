"""Vitter's algorithm Lambda: the update of the dynamic Huffman tree, and the loops that code with it.

The tree is kept in arrays (see :class:`codesim.coders.vitter._VitterTree` for the layout). Indexed by
*slot*: ``key`` (2 weight + 1 if internal, -1 for a slot not in use), ``node`` (a leaf's symbol, -1 for
the 0-node, or an internal node's right child slot), ``parent``, and ``block``, the id of the slot's
block (the run of slots of one key). Indexed by block id: ``lead``, the block's highest slot (Vitter's
block leader). ``spare`` holds the ids no block has, ``spare[1 .. state[SPARES]]``; a tree of 2k - 1
slots never has more blocks than slots, so ids 0 .. 2k - 2 suffice. Per symbol: ``leaf`` (-1 while
unseen). ``state`` holds the 0-node's slot (-1 once every symbol is seen), how many symbols are unseen,
and how many ids are spare. The unseen symbols are a Fenwick tree of 0/1 weights (``unseen``, laid out
as :mod:`.fenwick` says): a first occurrence's rank among them is the weight below it. Its walks are
written out here, as in the range coder's decoder.

The bitstream is the codewords in turn, each read from the root down, bits packed most significant
first into bytes (as a big-endian bitarray holds them).
"""

from __future__ import annotations

from ... import jit

#: Where ``state`` keeps the 0-node's slot, the count of unseen symbols, and the count of spare ids.
ZERO, REMAINING, SPARES = 0, 1, 2


@jit.kernel
def truncated_binary(count: int) -> tuple[int, int]:
    """(e, cut) of the truncated binary code for ``count`` values: value v < cut takes e bits, others
    e + 1 bits (of v + cut). Complete, and within a bit of log2(count)."""
    e = 0
    while 2 << e <= count:
        e += 1
    return e, (2 << e) - count


@jit.kernel
def code(decoding: bool, symbols, bits, size: int, pos: int, lengths, state, key, node, parent, leaf, block,
         lead, spare, unseen) -> tuple[int, int]:
    """Encode ``symbols`` into ``bits``, or decode them from it; returns (symbols done, bit position).

    Each symbol's codeword is the path from the root to its leaf (a first occurrence: to the 0-node,
    then its rank among the unseen symbols in truncated binary), and then the tree counts the symbol
    (Vitter's procedures Update and SlideAndIncrement, below).

    Encoding, ``bits`` is zeroed bytes, ``size`` how many bits they hold, ``pos`` 0: the loop stops
    early, before a symbol, when ``bits`` has no room for its codeword, and the caller empties them
    and goes on from there. A codeword takes at most the tree's depth (below 2k) plus 21 bits, so a
    buffer of that many bits always takes one. If ``lengths`` is not empty, symbol i's codeword length
    goes to ``lengths[i]``.

    Decoding, ``symbols`` receives the symbols, from the first ``size`` bits of ``bits``, from bit
    ``pos`` on; fewer symbols than asked are done when the bits run out.
    """
    root = len(key) - 1
    span = len(unseen) - 1
    record = len(lengths) > 0
    for n in range(len(symbols)):
        if decoding:
            slot = root
            while key[slot] & 1:  # internal: go left (0) or right (1)
                if pos == size:
                    return n, pos
                slot = node[slot] - 1 + ((bits[pos >> 3] >> (7 - (pos & 7))) & 1)
                pos += 1
            x = node[slot]
            fresh = x < 0
            if fresh:  # the 0-node: a first occurrence, its rank among the unseen follows
                e, cut = truncated_binary(state[REMAINING])
                if pos + e > size:
                    return n, pos
                rank = 0
                for _ in range(e):
                    rank = (rank << 1) | ((bits[pos >> 3] >> (7 - (pos & 7))) & 1)
                    pos += 1
                if rank >= cut:
                    if pos == size:
                        return n, pos
                    rank = ((rank << 1) | ((bits[pos >> 3] >> (7 - (pos & 7))) & 1)) - cut
                    pos += 1
                x = 0
                probe = span
                while probe:  # the unseen symbol of that rank (fenwick.find)
                    j = x + probe
                    if unseen[j] <= rank:
                        x = j
                        rank -= unseen[j]
                    probe >>= 1
            symbols[n] = x
        else:
            x = symbols[n]
            slot = leaf[x]
            fresh = slot < 0
            rank = e = 0
            if fresh:
                slot = state[ZERO]
                i = x
                while i:  # the unseen symbols below x (fenwick.below)
                    rank += unseen[i]
                    i &= i - 1
                e, cut = truncated_binary(state[REMAINING])
                if rank >= cut:
                    rank += cut
                    e += 1
            depth = 0
            s = slot
            while s != root:
                depth += 1
                s = parent[s]
            if pos + depth + e > size:
                return n, pos
            at = pos + depth - 1  # the path read upwards: the codeword's last bit first
            s = slot
            while s != root:
                if (root - s) & 1:
                    bits[at >> 3] |= 128 >> (at & 7)
                at -= 1
                s = parent[s]
            pos += depth
            at = pos + e - 1
            while rank:
                if rank & 1:
                    bits[at >> 3] |= 128 >> (at & 7)
                rank >>= 1
                at -= 1
            pos += e
            if record:
                lengths[n] = depth + e
        if fresh:
            i = x + 1
            while i <= span:  # x is seen now (fenwick.add)
                unseen[i] -= 1
                i += i & -i
            state[REMAINING] -= 1

        # Update: find x's leaf; if x is new, split the 0-node; otherwise exchange the leaf with the
        # leader of its block (two leaves of equal weight: only symbols move). Then slide and
        # increment from the leaf up to the root. A leaf that is the 0-node's sibling is incremented
        # after its parent: sliding it first could move it past its own parent.
        zero = state[ZERO]
        q = leaf[x]
        deferred = -1
        if q < 0:
            z = zero
            if state[REMAINING]:
                # The 0-node's slot becomes an internal node of weight 0 over a new 0-node and x's
                # leaf; the 0-node's block (key 0, the 0-node alone) takes both leaves, the new
                # internal node starts a block.
                key[z], node[z] = 1, z - 1
                key[z - 1], node[z - 1], parent[z - 1], leaf[x] = 0, x, z, z - 1
                key[z - 2], node[z - 2], parent[z - 2] = 0, -1, z
                b = block[z]
                block[z - 1] = b
                block[z - 2] = b
                lead[b] = z - 1
                b = spare[state[SPARES]]
                state[SPARES] -= 1
                block[z] = b
                lead[b] = z
                state[ZERO] = z - 2
                deferred = z - 1
            else:
                node[z], leaf[x] = x, z  # the last unseen symbol takes over the 0-node
                state[ZERO] = -1
            q = z
        else:
            head = lead[block[q]]
            if head != q:
                other = node[head]
                node[head], leaf[x] = x, head
                node[q], leaf[other] = other, q
                q = head
            if zero >= 0 and q == zero + 1:
                deferred, q = q, parent[q]
        last = False
        while q >= 0:
            # SlideAndIncrement: add 1 to the weight of q, the leader of its block. Its key K
            # becomes K + 2, so it must move past the block of key K + 1 if there is one (internal
            # nodes of q's weight when q is a leaf, leaves of weight one more when q is internal):
            # the block's nodes each move down one slot, taking their subtrees and so changing the
            # tree's shape, and q takes the block's top slot. Next to increment: q's new parent if
            # q is a leaf, its old parent if it is internal (whose subtree gained the count through
            # the node that slid into q's old slot).
            K = key[q]
            b = block[q]
            alone = q == 0 or key[q - 1] != K
            if q < root and key[q + 1] == K + 1:
                c = block[q + 1]
                r = lead[c]
                moved = node[q]
                node[q:r] = node[q + 1 : r + 1]
                node[r] = moved
                if K & 1:  # q internal: the nodes that moved down are leaves
                    for s in range(q, r):
                        leaf[node[s]] = s
                    parent[moved] = r
                    parent[moved - 1] = r
                    nxt = parent[q]
                else:  # q a leaf: the nodes that moved down are internal, their children follow them
                    for s in range(q, r):
                        y = node[s]
                        parent[y] = s
                        parent[y - 1] = s
                    leaf[moved] = r
                    nxt = parent[r]
                key[q] = K + 1  # slots q + 1 .. r - 1 keep key K + 1: the block moved down by one
                key[r] = K + 2
                block[q] = c
                lead[c] = r - 1
                landed = r
            else:
                key[q] = K + 2
                landed = q
                nxt = parent[q]
            # Blocks belong to slots, so only q's slot and the landing slot change block: q's slot
            # leaves block K (which ends if q was all of it) for block K + 1 (when that slid down),
            # and the landing slot joins block K + 2 if the slot above is in it, else starts a block
            # (with K's id if K ended).
            if not alone:
                lead[b] = q - 1
            if landed < root and key[landed + 1] == K + 2:
                block[landed] = block[landed + 1]
                if alone:
                    state[SPARES] += 1
                    spare[state[SPARES]] = b
            else:
                if not alone:
                    b = spare[state[SPARES]]
                    state[SPARES] -= 1
                block[landed] = b
                lead[b] = landed
            if last:
                break
            q = nxt
            if q < 0 and deferred >= 0:
                q, last = deferred, True
    return len(symbols), pos
