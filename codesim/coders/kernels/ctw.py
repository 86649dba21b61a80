"""Context-tree weighting's loops: the weighted probability of each binary decision, and its update.

A symbol of a K-symbol alphabet is b = ceil(log2 K) binary decisions, its bits from the most
significant; decision node u (1 <= u < 2^b, u = 1 then 2u + bit, as in a heap) has a context tree of
its own, whose root is node u - 1. A node at depth d is a context of d symbols: the child of node s
by symbol y (the symbol d + 1 places back) is stored in the trie of :mod:`.trie` under s * K + y.
Each node holds the counts of the zeros and ones coded in its context (``counts[2s]``,
``counts[2s + 1]``) and ``beta[s]`` = Pe(s) / prod over its children Pw(child), the ratio of its two
hypotheses (memoryless here; split by one more symbol of context), kept as a float.

For a decision in a context of depth D, the path runs from the root to the depth-D node; the leaf's
weighted probability of a one is the KT estimate (ones + 1/2) / (zeros + ones + 1), and each node
above mixes its own estimate with its child's::

    Pw(s, 1) = (beta(s) Pe(s, 1) + Pw(child, 1)) / (beta(s) + 1)

which is Pw(s) = 1/2 Pe(s) + 1/2 prod Pw(children), conditioned on the past, because the children
off the path are unchanged by the decision. After the bit is known, beta(s) is multiplied by Pe(s,
bit) / Pw(child, bit) and every count on the path grows. beta is kept within [2^-BETA_BITS,
2^BETA_BITS], so that it neither overflows nor underflows; there the other hypothesis weighs less
than 2^-64 and the clamp moves the mixture by less than that.

When the node budget (``nodes[1]``) is spent, a path stops at its deepest existing node, which
codes that decision as a leaf (its own estimate) and keeps its beta; encoder and decoder stop at the
same node, so the code stays decodable. The range coder codes each decision with the weighted
probability of a one quantised to ``one`` out of 2^P (:func:`quantised`), never 0 or 2^P.

Floats: every operation is an IEEE double addition, multiplication or division in a fixed order, so
numba's machine code and the interpreter compute the same bits (numba does not contract a * b + c
into a fused multiply-add without fast-math, which these kernels do not ask for).
"""

from __future__ import annotations

from ... import jit
from .rangecoder import decode as decode_interval
from .trie import FREE, slot_of

#: beta stays within [2^-BETA_BITS, 2^BETA_BITS].
BETA_BITS = 64
BETA_HIGH = 2.0**BETA_BITS
BETA_LOW = 2.0**-BETA_BITS


@jit.kernel
def context_of(stream, t: int, past, depth: int, context) -> None:
    """context[d] = the symbol d places before position t (d = 1 .. depth), from ``past`` (the depth
    symbols before the message, oldest first) before the message's start."""
    for d in range(1, depth + 1):
        context[d] = stream[t - d] if t >= d else past[depth + t - d]


@jit.kernel
def walk(root: int, context, depth: int, size: int, keys, values, counts, beta, nodes, path) -> int:
    """path[0 .. L] = the nodes from ``root`` down the context; returns L, the depth reached: ``depth``,
    or less when the node budget is spent (nodes[0] nodes in use of nodes[1]). A new node starts with no
    counts and beta 1 (both hypotheses give the empty sequence probability 1)."""
    node = root
    path[0] = node
    for d in range(1, depth + 1):
        key = node * size + context[d]
        slot = slot_of(keys, key)
        if keys[slot] == FREE:
            if nodes[0] >= nodes[1]:
                return d - 1
            keys[slot] = key
            values[slot] = nodes[0]
            counts[2 * nodes[0]] = 0
            counts[2 * nodes[0] + 1] = 0
            beta[nodes[0]] = 1.0
            nodes[0] += 1
        node = values[slot]
        path[d] = node
    return depth


@jit.kernel
def mix(deepest: int, counts, beta, path, probs) -> float:
    """The weighted probability of a one at the root, for the path's nodes 0 .. ``deepest``; probs[4d ..
    4d + 3] keep node d's Pe(0), Pe(1), Pw(0), Pw(1) for :func:`learn`."""
    for d in range(deepest, -1, -1):
        s = path[d]
        zeros = counts[2 * s]
        ones = counts[2 * s + 1]
        seen = zeros + ones + 1.0
        e0 = (zeros + 0.5) / seen
        e1 = (ones + 0.5) / seen
        if d == deepest:
            w0 = e0
            w1 = e1
        else:
            b = beta[s]
            w0 = (b * e0 + probs[4 * d + 6]) / (b + 1.0)
            w1 = (b * e1 + probs[4 * d + 7]) / (b + 1.0)
        probs[4 * d] = e0
        probs[4 * d + 1] = e1
        probs[4 * d + 2] = w0
        probs[4 * d + 3] = w1
    return probs[3]


@jit.kernel
def learn(deepest: int, bit: int, counts, beta, path, probs) -> None:
    """After ``bit``: each node above the deepest weighs its hypotheses by how each predicted it, and
    every node on the path counts it."""
    for d in range(deepest):
        s = path[d]
        b = beta[s] * probs[4 * d + bit] / probs[4 * d + 6 + bit]
        beta[s] = BETA_HIGH if b > BETA_HIGH else BETA_LOW if b < BETA_LOW else b
    for d in range(deepest + 1):
        counts[2 * path[d] + bit] += 1


@jit.kernel
def quantised(one: float, precision: int) -> int:
    """The probability of a one as a frequency out of 2^precision, rounded, from 1 to 2^precision - 1."""
    total = 1 << precision
    f = int(one * total + 0.5)
    return 1 if f < 1 else total - 1 if f > total - 1 else f


@jit.kernel
def forced(prefix: int, level: int, bits: int, size: int) -> bool:
    """Whether the decision after the ``level`` bits ``prefix`` must be 0: no symbol below ``size``
    starts with prefix, 1."""
    return ((2 * prefix + 1) << (bits - 1 - level)) >= size


@jit.kernel
def predict(stream, first: int, past, depth: int, size: int, bits: int, precision: int, keys, values, counts,
            beta, nodes, context, path, probs, starts, sizes) -> tuple:
    """The intervals the range coder codes symbols ``first`` .. of ``stream`` with: each decision that is
    not forced gets (start, size) out of 2^precision in starts[i], sizes[i], i = 0, 1, ...

    Stops before a symbol when ``starts`` may lack room for its decisions, or when the trie may lack
    room for its nodes while it may still grow (nodes[0] + bits * depth > nodes[2]). Returns (next
    symbol, decisions written)."""
    total = 1 << precision
    written = 0
    n = len(stream)
    t = first
    while t < n:
        if written + bits > len(starts) or nodes[0] + bits * depth > nodes[2]:
            return t, written
        context_of(stream, t, past, depth, context)
        x = stream[t]
        prefix = 0
        for level in range(bits):
            bit = (x >> (bits - 1 - level)) & 1
            if not forced(prefix, level, bits, size):
                deepest = walk((1 << level) + prefix - 1, context, depth, size, keys, values, counts, beta, nodes,
                               path)
                one = quantised(mix(deepest, counts, beta, path, probs), precision)
                starts[written] = 0 if bit == 0 else total - one
                sizes[written] = total - one if bit == 0 else one
                written += 1
                learn(deepest, bit, counts, beta, path, probs)
            prefix = 2 * prefix + bit
        t += 1
    return n, written


@jit.kernel
def decode(data, pos: int, end: int, out, first: int, diff: int, rng: int, state_bits: int, digit_bits: int,
           past, depth: int, size: int, bits: int, precision: int, keys, values, counts, beta, nodes, context,
           path, probs, interval, branchless: bool) -> tuple:
    """Decode symbols ``first`` .. into ``out``, each decision through the range coder's decoder
    (:func:`.rangecoder.decode`, one binary symbol at a time, with the two-entry tables ``interval`` =
    (starts, sizes, lookup, decoded)).

    Stops before a symbol when the trie may lack room for its nodes while it may still grow, as
    :func:`predict` does, and where the range decoder stops (the bits ran out, or a code value no
    encoder writes). Returns (next symbol, pos, diff, rng, status): status 0 when it stopped to grow
    or finished, 1 when the range decoder stopped."""
    starts, sizes, lookup, decoded = interval
    total = 1 << precision
    n = len(out)
    t = first
    while t < n:
        if nodes[0] + bits * depth > nodes[2]:
            return t, pos, diff, rng, 0
        context_of(out, t, past, depth, context)
        prefix = 0
        for level in range(bits):
            if forced(prefix, level, bits, size):
                b = 0
            else:
                deepest = walk((1 << level) + prefix - 1, context, depth, size, keys, values, counts, beta, nodes,
                               path)
                one = quantised(mix(deepest, counts, beta, path, probs), precision)
                starts[1] = total - one
                sizes[0] = total - one
                sizes[1] = one
                done, pos, diff, rng, _ = decode_interval(data, pos, end, decoded, 1, diff, rng, state_bits, digit_bits,
                                                          precision, starts, sizes, lookup, precision, None, total,
                                                          0, 0, 0, branchless, None, None, None)
                if done == 0:
                    return t, pos, diff, rng, 1
                b = decoded[0]
                learn(deepest, b, counts, beta, path, probs)
            prefix = 2 * prefix + b
        out[t] = prefix  # below ``size``: a decision is free only where a symbol below it starts with 1
        t += 1
    return n, pos, diff, rng, 0
