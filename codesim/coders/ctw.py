"""Context-tree weighting: scheme ``ctw``, the universal coder for sources with memory up to a depth D.

Willems, Shtarkov and Tjalkens ("The context-tree weighting method: basic properties", IEEE Trans. IT
41(3), 1995) weigh every tree model of depth at most D at once: each node s of the context tree holds
a Krichevsky-Trofimov (KT) estimate Pe(s) of the symbols that followed context s, and a weighted
probability Pw(s) = 1/2 Pe(s) + 1/2 prod over its children Pw(child) (Pw = Pe at depth D). Pw at the
root is a probability of the whole message, computed sequentially, and the range coder
(:mod:`.rangecoder`) codes with it. It takes no model: like ``adaptive-arithmetic`` it learns, and
over any tree source it pays the cost of learning the tree's parameters and of describing the tree,
no more (below).

Alphabets: a binary decomposition
---------------------------------
A symbol of K > 2 symbols is coded as its b = ceil(log2 K) bits, most significant first, each a
binary decision with a context tree of its own (one per node u of the binary tree of the symbols'
prefixes, K - 1 of them in use) whose contexts are the D symbols before it (a node has up to K
children). A decision that has one outcome only (no symbol below K starts with the prefix and a 1) is
not coded. Why binary rather than a K-ary KT estimator in each node: a node then holds two counts and
one ratio whatever K is (a K-ary node K counts, which for 256 symbols at depth 4 would be gigabytes),
each decision keeps the binary KT estimator and the binary method's bound, and the kernels are those of
the binary method (Tjalkens, Volf and Willems, "A context-tree weighting method for text generating
sources", DCC 1997, decompose symbols the same way). The nodes live in the hash-table trie of
:mod:`.kernels.trie`, created when a context first occurs.

The bound
---------
For a binary source and a tree source S of depth <= D with |S| leaves (Willems, Shtarkov and Tjalkens,
Theorem 2), given the D symbols before the message, for every sequence of n bits::

    -log2 Pw(x) <= -log2 Pa(x) + Gamma_D(S) + sum over leaves s of gamma(n_s)

with Pa the probability under any parameters of S (so in particular the leaves' best fit, n_s times
the binary entropy of the leaf's empirical frequency), Gamma_D(S) = 2|S| - 1 - |{s in S: l(s) = D}|
the bits that describe the tree, and gamma(n_s) = 1/2 log2 n_s + 1 (0 when n_s = 0) the KT estimator's
regret on the n_s bits coded in leaf s. Summing over leaves by the concavity of gamma gives the paper's
|S| gamma(n / |S|). With K-ary contexts the same argument holds with Gamma_D(S) = (number of internal
nodes) + (leaves at depth < D), a full K-ary tree having (|S| - 1) / (K - 1) internal nodes; the
decomposition adds one such bound per decision node u, each over the decisions coded there
(:meth:`CtwCoder.redundancy_bound`). The range coder adds fewer than 2 bits plus 3.4e-7 bits a
decision (its rounding), and quantising each decision's probability to 32 bits a little more
(:meth:`CtwCoder.max_bits` uses the quantised probabilities themselves).

The start of a message: the paper assumes the D symbols before the message are known; here they are
symbol 0 repeated (``past``), which the decoder knows too, so the bound holds as stated with that past.

Memory and limits
-----------------
Each message starts with an empty tree and creates at most b D nodes a symbol; a node takes 56 bytes
(two counts, its ratio beta, two trie slots). The trie starts small and doubles as the message needs,
up to :data:`MAX_NODES` nodes (112 MB; as Python lists, without the ``fast`` extra, several times
that); past that, a path stops at its deepest node that exists, which then codes as a leaf
(decodable, since encoder and decoder stop at the same node; the bound no longer holds). A message holds at most :meth:`CtwCoder.symbol_limit` symbols, so that it decodes within
seconds without the ``fast`` extra (README, "Decode time").
"""

from __future__ import annotations

import math
import weakref
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import CodesimError
from ..measures import entropy
from ..sources.markov import transition_rows
from .adaptive import AdaptiveCoder, check_size
from .base import running_totals, trace_columns_with
from .kernels import ctw as kernel
from .kernels import trie
from .rangecoder import DyadicModel, RangeCoder, refuse, kernel_dtype
from .registry import Param, Scheme, register

DEFAULT_DEPTH = 4
MAX_DEPTH = 32
#: Each decision's probability of a one is coded as a frequency out of 2^PRECISION.
PRECISION = 32
#: The most context-tree nodes a message holds, its roots included (see the module notes); a power of two.
MAX_NODES = 1 << 21
#: The trie's first size, in nodes beyond the roots.
FIRST_NODES = 1 << 12
#: Symbols whose decisions the encoder works out at once, between calls of the range coder.
CHUNK = 1 << 16
#: Decision-levels (coded decisions x (depth + 1)) one message may take: without the ``fast`` extra 2 to
#: 6 microseconds each here (Python calls per decision and level; a node created costs the most), so
#: the worst messages found decode in 2 to 7 seconds; compiled, in 0.02 to 0.23 (README, "Decode time").
MAX_WORK = 1 << 20
#: The expected cost of a message's first symbols (:meth:`CtwCoder._start_cost`), by source and count.
_START_COSTS: "weakref.WeakKeyDictionary[Any, dict[int, float]]" = weakref.WeakKeyDictionary()


class CtwCoder(RangeCoder, AdaptiveCoder):
    """Context-tree weighting over binary decisions, coded by the range coder (see the module notes).

    >>> coder = CtwCoder(2, depth=2)
    >>> stream = np.array([0, 1] * 20)
    >>> bits = coder.encode(stream)
    >>> len(bits) < 20, coder.decode(bits, stream.size).tolist() == stream.tolist()
    (True, True)
    """

    versions: ClassVar[tuple[int, ...]] = (2,)
    reads_context: ClassVar[bool] = True

    def __init__(self, size: int, depth: int = DEFAULT_DEPTH, version: int = 2):
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or not 0 <= depth <= MAX_DEPTH:
            raise CodesimError(f"scheme 'ctw': parameter depth must be an integer from 0 to {MAX_DEPTH}, "
                               f"got {depth!r}")
        super().__init__(size, "ctw", {"depth": int(depth)})
        check_size("ctw", self._size)
        self._use_version(version)
        self.depth = int(depth)
        #: b: the binary decisions a symbol is coded as (0 for a one-symbol alphabet).
        self.bits = (self._size - 1).bit_length()

    @classmethod
    def _restore(cls, size: int, params: dict[str, Any], version: int) -> "CtwCoder":
        return cls(size, **params, version=version)

    def symbol_limit(self) -> int:
        """MAX_WORK decision-levels: fewer symbols over larger alphabets and deeper trees."""
        return max(1, MAX_WORK // (max(self.bits, 1) * (self.depth + 1)))

    def _limit_reason(self) -> str:
        return f" at depth {self.depth} over {self._size} symbols"

    def __repr__(self) -> str:
        return f"CtwCoder(size={self._size}, depth={self.depth})"

    # -- the context trees ------------------------------------------------------------------------
    def _trees(self, past=None) -> "_Trees":
        return _Trees(self._size, self.bits, self.depth, past)

    def _model(self) -> DyadicModel:
        return DyadicModel(PRECISION)

    def _encode_digits(self, model, stream: np.ndarray):
        """The decisions' intervals a chunk at a time (:func:`.kernels.ctw.predict`), each chunk coded
        by the range coder's kernel with one interval per decision."""
        W = self.state_bits
        trees = self._trees()
        symbols = jit.plain(stream.astype(kernel_dtype(self._size), copy=False))
        starts, sizes = jit.scratch(CHUNK * max(self.bits, 1)), jit.scratch(CHUNK * max(self.bits, 1))
        order = jit.plain(np.arange(len(starts), dtype=np.int64))
        buffer = jit.scratch(int(stream.size * self._expected_bits(model) / 8 * 1.05) + W // 4 + 64, np.uint8)
        state = (buffer, 0, 0, 1 << W, model.total)
        t = 0
        while t < stream.size:
            t, written = trees.predict(symbols, t, starts, sizes)
            state = self._encode_with(model, order[:written], state, starts, sizes, None, None)
        return state[:4]

    def _decode_digits(self, model, bits: bitarray, n: int, dtype):
        """Each decision decoded by the range coder's decoder as it is met (:func:`.kernels.ctw.decode`)."""
        W, U = self.state_bits, self.digit_bits
        data, end, diff = self._window(bits)
        rng, pos = 1 << W, W
        out = jit.scratch(n, kernel_dtype(self._size))
        trees = self._trees()
        interval = (jit.scratch(2), jit.scratch(2), jit.plain(np.array([0, 1], dtype=np.int64)), jit.scratch(1, np.uint8))
        t = 0
        while t < n:
            t, pos, diff, rng, status = kernel.decode(
                data, pos, end, out, t, diff, rng, W, U, trees.past, self.depth, self._size, self.bits, PRECISION,
                *trees.tables(), interval, jit.enabled())
            if status:
                refuse(n, len(bits), t, pos > end)
            trees.grow()
        return np.asarray(out).astype(dtype, copy=False), pos - W, diff, rng

    def least_bits(self, n: int) -> float:
        """Every coded decision's probability is at most 1 - 2^-32, and a symbol over K >= 2 symbols
        takes at least one decision: n times -log2(1 - 2^-32), practically nothing (a learner can
        code a long run of one symbol in a few bits)."""
        return 0.0 if self._size == 1 else -n * math.log2(1.0 - 2.0**-PRECISION)

    def _expected_bits(self, model) -> float:
        return math.log2(self._size) + 1.0

    # -- what the code costs ----------------------------------------------------------------------
    def decision_sizes(self, stream: np.ndarray, past=None) -> np.ndarray:
        """The frequency out of 2^32 with which each coded decision of ``stream`` is coded, in order,
        after the given ``past`` (the depth symbols before the message, oldest first; default symbol 0
        repeated, as :meth:`encode` assumes)."""
        stream = self._check_stream(stream)
        trees = self._trees(past)
        symbols = jit.plain(stream.astype(kernel_dtype(self._size), copy=False))
        starts, sizes = jit.scratch(CHUNK * max(self.bits, 1)), jit.scratch(CHUNK * max(self.bits, 1))
        parts, t = [], 0
        while t < stream.size:
            t, written = trees.predict(symbols, t, starts, sizes)
            parts.append(np.array(sizes[:written], dtype=np.int64))  # a copy: the next chunk reuses sizes
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def coded_decisions(self, stream: np.ndarray) -> np.ndarray:
        """How many decisions each symbol of ``stream`` is coded with: its b decisions but those it
        forces (no symbol below the alphabet's size starts with the prefix so far and a one)."""
        x = np.asarray(stream, dtype=np.int64)
        coded = np.zeros(x.size, dtype=np.int64)
        for level in range(self.bits):
            prefix = x >> (self.bits - level)
            coded += ((2 * prefix + 1) << (self.bits - 1 - level)) < self._size
        return coded

    def ideal_bits(self, stream: np.ndarray, past=None) -> float:
        """-log2 of the probability the coder gives ``stream``: the sum over its coded decisions of
        -log2(f / 2^32), f the quantised weighted probability of the decision's outcome."""
        f = self.decision_sizes(stream, past).astype(np.float64)
        return float(np.sum(PRECISION - np.log2(f)))

    @property
    def rounding_loss(self) -> float:
        """eps: what the range coder's division range >> 32 can lose on a decision (range >= 2^54)."""
        return -math.log2(1.0 - 2.0 ** (PRECISION + self.digit_bits - self.state_bits))

    def max_bits(self, stream: np.ndarray) -> float:
        """The range coder's bound on ``len(encode(stream))``: ideal + 2 + (coded decisions) eps."""
        decisions = self.decision_sizes(stream).size
        return self.ideal_bits(stream) + 2.0 + decisions * self.rounding_loss

    def redundancy_bound(self, stream: np.ndarray, leaves, past=None) -> float:
        """The bound of the module notes on -log2 Pw(stream) - (the best fit of the tree source with
        ``leaves``), for the tree of contexts ``leaves`` (tuples of symbols, most recent first; a full
        K-ary tree of depth <= depth): summed over the decision nodes that code a decision, Gamma_D(S)
        plus each leaf's KT regret 1/2 log2 n_s + 1 on the n_s decisions coded in it there.

        Returns (bound, best fit) in bits: the best fit is the sum over decision nodes and leaves of
        n_s h(ones / n_s), the bits the leaves' own empirical frequencies would code the decisions in."""
        return tree_source_bound(self._check_stream(stream), leaves, self._size, self.depth, past)

    def expected_length(self, p) -> float | None:
        """The bits per symbol the code tends to on the stationary source p: the entropy of a symbol given
        the depth symbols before it (the entropy rate when p's order is at most the depth; H(p) for an
        i.i.d. p); None where that needs more than 2^22 block probabilities."""
        if not hasattr(p, "block_probs"):
            return entropy(np.asarray(getattr(p, "probs", p), dtype=np.float64))
        if p.order <= self.depth:
            return p.entropy_rate()
        if self._size ** (self.depth + 1) > 1 << 22:
            return None
        return entropy(p.block_probs(self.depth + 1)) - entropy(p.block_probs(self.depth))

    def expected_bits_bound(self, p, n: int) -> float | None:
        """The bound of the module notes in expectation, for a message of n symbols from p, a stationary
        chain of order k <= depth (or an i.i.d. source, k = 0), whose tree S is every context of k
        symbols (|S| = K^k leaves): for each of the K - 1 decision nodes, Gamma_D(S) + |S| gamma(n / |S|)
        (gamma(z) = 1/2 log2 z + 1 for z >= 1, z below; it is concave and grows, so this bounds the sum
        of the leaves' regrets over any counts of at most n decisions); plus the expected cost of the
        symbols under the chain itself, (n - k) H for the symbols after the first k and, for those, their
        cost in the contexts the message's past of zeros makes; plus the range coder's 2 bits, its
        rounding and the quantisation of each decision (a decision's probability is at least 1 / (2 (n +
        1)), so rounding it to 2^-32 loses at most -log2(1 - (n + 1) 2^-32) bits). None for a chain of
        order above the depth, or one that rules out a symbol after the past of zeros."""
        order = getattr(p, "order", 0)
        K = self._size
        if order > self.depth or n <= 0 or K == 1:
            return None if order > self.depth else 0.0
        leaves = K**order
        describe = (leaves - 1) // (K - 1) + (leaves if order < self.depth else 0)
        z = n / leaves
        gamma = 0.5 * math.log2(z) + 1.0 if z >= 1 else z
        start = min(order, n)
        cost = (n - start) * p.entropy_rate() + self._start_cost(p, start)
        if not math.isfinite(cost):
            return None
        decisions = n * self.bits
        rounding = decisions * (self.rounding_loss - math.log2(1.0 - (n + 1) * 2.0**-PRECISION))
        return cost + (K - 1) * (describe + leaves * gamma) + 2.0 + rounding

    def _start_cost(self, p, count: int) -> float:
        """The expected cost under the chain p of a message's first ``count`` symbols, each in the context
        its past of zeros and the symbols before it make: sum over t < count of E[-log2 P(x_t | 0..0
        x_0 .. x_{t-1})], x_0 .. x_t drawn from the stationary (t + 1)-blocks. The context 0..0 x_0 ..
        x_{t-1} of p.order symbols has the id of x_0 .. x_{t-1} (base-K digits, oldest first): its row of
        :func:`~codesim.sources.markov.transition_rows` is the prefix's own index."""
        if count == 0:
            return 0.0
        known = _START_COSTS.setdefault(p, {})  # converge asks for every length and block of one source
        if count in known:
            return known[count]
        K, total = self._size, 0.0
        rows = transition_rows(p, p.order)
        for t in range(count):
            joint = p.block_probs(t + 1).reshape(-1, K)  # rows: x_0 .. x_{t-1}; columns: x_t
            seen = joint > 0
            row = rows[: K**t][seen]
            if np.any(row == 0):
                total = math.inf
                break
            total -= float(np.dot(joint[seen], np.log2(row)))
        known[count] = total
        return total

    # -- looking inside ---------------------------------------------------------------------------
    trace_note = ("the probability the weighted context trees gave each symbol when it was coded (the "
                  "product of its binary decisions'), and its cost -log2 of that")
    trace_columns = trace_columns_with(("model_prob", "CTW P(x)"), ("cost_bits", "cost"))

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        head = self._check_stream(stream)[: max(0, int(limit))]
        costs = self.ideal_costs(model)
        # One pass over the head: each coded decision's cost, summed over the symbol it belongs to.
        decisions = PRECISION - np.log2(self.decision_sizes(head).astype(np.float64))
        owner = np.repeat(np.arange(head.size), self.coded_decisions(head))
        own = np.bincount(owner, weights=decisions, minlength=head.size)
        return running_totals(
            (({"index": i, "symbol": alphabet[s], "model_prob": 2.0 ** -float(c), "cost_bits": float(c)},
              float(c), float(costs[s]))
             for i, (s, c) in enumerate(zip(head.tolist(), own.tolist()))),
            "total_cost",
        )


class _Trees:
    """One message's context trees: the trie, the nodes' counts and ratios, and the kernels' scratch."""

    def __init__(self, size: int, bits: int, depth: int, past=None):
        self.size, self.bits, self.depth = size, bits, depth
        roots = (1 << bits) - 1 if bits else 1
        if past is None:
            past = np.zeros(depth, dtype=np.int64)
        past = np.asarray(past, dtype=np.int64)
        if past.shape != (depth,) or (past.size and (past.min() < 0 or past.max() >= size)):
            raise CodesimError(f"the past is {depth} symbols of the alphabet, got {past.tolist()!r}")
        self.past = jit.plain(past)
        self.limit = MAX_NODES
        slots = 2
        while slots // 2 < min(roots + FIRST_NODES, self.limit):
            slots *= 2
        keys, values = trie.table(slots)
        nodes = trie.capacity(keys)
        counts, beta = np.zeros(2 * nodes, dtype=np.int64), np.ones(nodes, dtype=np.float64)
        self.keys, self.values, self.counts, self.beta = (jit.plain(a) for a in (keys, values, counts, beta))
        self.nodes = jit.plain(np.array([roots, self.limit, 0], dtype=np.int64))
        self._set_growth()
        self.context = jit.scratch(depth + 1)
        self.path = jit.scratch(depth + 1)
        self.probs = jit.scratch(4 * (depth + 2), np.float64)

    def _set_growth(self) -> None:
        """nodes[2]: the nodes the trie holds now, while it may still grow; past the limit, more than
        any message reaches (so the kernels never stop to grow it)."""
        capacity = trie.capacity(self.keys)
        self.nodes[2] = capacity if capacity < self.limit else self.limit + self.bits * self.depth + 1
        self.nodes[1] = min(self.limit, capacity)

    def tables(self) -> tuple:
        return self.keys, self.values, self.counts, self.beta, self.nodes, self.context, self.path, self.probs

    def predict(self, symbols, t: int, starts, sizes) -> tuple[int, int]:
        """The intervals of the decisions of symbols t .. (as many as fit), growing the trie as needed."""
        t, written = kernel.predict(symbols, t, self.past, self.depth, self.size, self.bits, PRECISION,
                                    *self.tables()[:7], self.probs, starts, sizes)
        self.grow()
        return t, written

    def grow(self) -> None:
        """Double the trie (and the nodes' tables) when the next symbol may not fit it and it may grow."""
        if self.nodes[0] + self.bits * self.depth <= self.nodes[2]:
            return
        keys, values = trie.table(2 * len(self.keys))
        old_keys, old_values = np.asarray(self.keys), np.asarray(self.values)
        trie.rehash(old_keys, old_values, keys, values)
        nodes = trie.capacity(keys)
        counts = np.zeros(2 * nodes, dtype=np.int64)
        beta = np.ones(nodes, dtype=np.float64)
        counts[: len(self.counts)] = self.counts
        beta[: len(self.beta)] = self.beta
        self.keys, self.values, self.counts, self.beta = (jit.plain(a) for a in (keys, values, counts, beta))
        self._set_growth()


def tree_source_bound(stream: np.ndarray, leaves, size: int, depth: int, past=None) -> tuple[float, float]:
    """(bound, best fit) of :meth:`CtwCoder.redundancy_bound`, computed from the stream's counts per
    decision node and leaf, independently of the coder's trees."""
    leaves = [tuple(int(y) for y in leaf) for leaf in leaves]
    longest = max(map(len, leaves), default=0)
    if longest > depth:
        raise CodesimError(f"a leaf {max(leaves, key=len)} is deeper than the depth {depth}")
    deep = sum(len(leaf) == depth for leaf in leaves)
    internal = (len(leaves) - 1) // (size - 1) if size > 1 else 0
    describe = internal + len(leaves) - deep  # Gamma_D(S)
    by_context = {leaf: i for i, leaf in enumerate(leaves)}
    bits = (size - 1).bit_length()
    padded = np.concatenate((np.zeros(depth, dtype=np.int64) if past is None else np.asarray(past, dtype=np.int64),
                             np.asarray(stream, dtype=np.int64)))
    counts: dict[tuple[int, int], list[int]] = {}
    for t in range(depth, padded.size):
        recent = tuple(int(y) for y in padded[t - 1 : t - 1 - depth if t - 1 - depth >= 0 else None : -1])
        leaf = next((by_context[recent[:j]] for j in range(longest + 1) if recent[:j] in by_context), None)
        if leaf is None:
            raise CodesimError(f"the context {recent} has no leaf in the tree")
        x, prefix = int(padded[t]), 0
        for level in range(bits):
            if ((2 * prefix + 1) << (bits - 1 - level)) < size:
                bit = (x >> (bits - 1 - level)) & 1
                counts.setdefault(((1 << level) + prefix, leaf), [0, 0])[bit] += 1
            prefix = 2 * prefix + ((x >> (bits - 1 - level)) & 1)
    used = {u for u, _ in counts}
    bound = len(used) * describe + sum(0.5 * math.log2(a + b) + 1.0 for a, b in counts.values())
    fit = sum(-(a * math.log2(a / (a + b)) if a else 0.0) - (b * math.log2(b / (a + b)) if b else 0.0)
              for a, b in counts.values())
    return bound, fit


CTW = register(
    Scheme(
        name="ctw",
        summary="context-tree weighting (Willems, Shtarkov, Tjalkens 1995): weighs every tree model up to "
                "`depth` symbols of context, learning as it codes: no q needed",
        build=lambda q, depth: CtwCoder(len(q), depth),
        restore=CtwCoder.from_config,
        learns=True,
        per_symbol_table=False,
        serves=lambda size, depth: check_size("ctw", size),
        groups=("learners",),
        params=(
            Param("depth", int, DEFAULT_DEPTH, "the most symbols of context the weighted trees look at",
                  minimum=0, maximum=MAX_DEPTH),
        ),
    )
)
