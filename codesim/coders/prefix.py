"""Prefix codes built from a model q: fixed-length, Shannon, Fano, Shannon-Fano-Elias, Huffman and
length-limited Huffman.

Each builder turns q into code lengths; :class:`~codesim.coders.prefix_code.PrefixCode` does the rest
(and, for a model with memory, :class:`~codesim.coders.prefix_context.ContextPrefixCode` from every
context's row).
Every symbol gets a codeword, including those q gives probability 0: a code must be able to encode
whatever the source emits, and the cost of a model that ruled a symbol out then shows as a long codeword
rather than a failure.
"""

from __future__ import annotations

import heapq
import math
from fractions import Fraction

import numpy as np

from ..errors import ConfigError, SchemeError
from .dary import MAX_RADIX, DaryCode, check_dary_huffman, dary_huffman_lengths, dummies
from .prefix_code import MAX_CODEWORD_BITS, PrefixCode, complete_code
from .prefix_context import ContextPrefixCode, each_row
from .registry import Param, Scheme, register

#: ceil(-log2 q) is taken after subtracting this, so that a q rescaled by rounding (0.25 stored as
#: 0.25000000000000006) still gets its exact dyadic length.
_LOG_SLACK = 1e-9
#: huffman's radix: the digits a codeword is written in (2: bits). A config leaves it out at 2, so binary
#: configs are as they were before the parameter.
RADIX = Param("radix", int, 2, "distinct digits the codewords use (2: bits)", minimum=2, maximum=MAX_RADIX,
              optional=True)


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


def _prefix_scheme(name: str, summary: str, lengths_of, check=None, groups=("prefix",)) -> Scheme:
    return register(
        Scheme(
            name=name,
            summary=summary,
            build=lambda q: PrefixCode(lengths_of(q), scheme=name),
            restore=PrefixCode.from_config,
            check=each_row(check),
            groups=groups,
            context=lambda model: ContextPrefixCode.build(model, lengths_of, name),
            context_coder=ContextPrefixCode,
        )
    )


def _fixed_width(config: dict, params: dict) -> None:
    """A fixed-length code read from a file: every length ceil(log2 k) (1 bit for one symbol)."""
    size = len(config["lengths"])
    width = max(1, (size - 1).bit_length())
    if any(v != width for v in config["lengths"]):
        raise ConfigError(f"field 'coder.lengths' is not a fixed-length code: {size} symbols take {width} bits each")


FIXED = _prefix_scheme("fixed", "ceil(log2 k) bits per symbol, ignoring q (the D(p||uniform) baseline)",
                       fixed_lengths, _fixed_width, ("prefix", "default"))
SHANNON = _prefix_scheme("shannon", "lengths ceil(-log2 q(x)): within 1 bit of the model's ideal", shannon_lengths,
                         groups=("prefix", "default"))


def huffman_code(q: np.ndarray, radix: int = 2) -> PrefixCode | DaryCode:
    """Huffman's code for q over ``radix`` digits: a binary PrefixCode, or a DaryCode (whose config
    records the radix)."""
    if radix == 2:
        return PrefixCode(huffman_lengths(q), scheme="huffman")
    return DaryCode(dary_huffman_lengths(q, radix), radix, scheme="huffman")


def _huffman_check(config: dict, params: dict) -> None:
    """A Huffman code read from a file: complete in binary, complete but for its dummies in radix D."""
    radix = params.get("radix", 2)
    if radix == 2:
        complete_code(config, params)
    else:
        check_dary_huffman(config["lengths"], radix)


def _binary_context(scheme: str, radix: int) -> None:
    if radix != 2:
        raise SchemeError(f"scheme {scheme!r}: radix={radix} codes with i.i.d. models only (a context code's "
                          "rows are binary)")


def _huffman_context(model, radix: int = 2) -> ContextPrefixCode:
    _binary_context("huffman", radix)
    return ContextPrefixCode.build(model, huffman_lengths, "huffman")


HUFFMAN = register(
    Scheme(
        name="huffman",
        summary="optimal prefix code for q (Huffman 1952), binary or over radix digits",
        build=huffman_code,
        restore=PrefixCode.from_config,
        check=each_row(_huffman_check),
        groups=("prefix", "default"),
        context=_huffman_context,
        context_coder=ContextPrefixCode,
        params=(RADIX,),
    )
)


# -- Fano, Shannon-Fano-Elias and length-limited Huffman ----------------------------------------------

#: Fano splits whose imbalances differ by less than this fraction of the group's sum count as ties, so
#: that float rounding in the partial sums cannot decide between two equally good splits.
_FANO_TIE = 1e-9
#: The longest codeword huffman-limited allows unless told otherwise: DEFLATE's limit (RFC 1951), the
#: same format whose canonical codeword rule PrefixCode follows.
DEFAULT_MAX_LENGTH = 15


def _fano_split(weights: np.ndarray) -> int:
    """Where Fano cuts a group (sorted by decreasing weight): the size of the first part.

    The cut makes the two sums as equal as possible; among equally good cuts the earliest wins, so
    the heavier symbols at the front end up in the smaller first part with the shorter codewords. A
    group of zero-probability symbols is cut in half by count, which keeps their codewords
    ceil(log2 n) bits deep instead of a chain one bit longer per symbol.
    """
    partial = np.cumsum(weights)
    total = partial[-1]
    if total <= 0:
        return weights.size // 2
    imbalance = np.abs(2.0 * partial[:-1] - total)
    return int(np.flatnonzero(imbalance <= imbalance.min() + _FANO_TIE * total)[0]) + 1


def shannon_fano_lengths(q: np.ndarray) -> np.ndarray:
    """Fano's code lengths (Fano 1949): sort by decreasing q, cut into two near-equal halves, recurse.

    Symbols are sorted by decreasing q with ties by index; each group is cut where its two parts'
    sums are closest (the earliest such cut on a tie, see :func:`_fano_split`), the first part's
    codewords continuing with 0 and the second's with 1, until every group is one symbol. Only the
    lengths are kept: PrefixCode then assigns canonical codewords, which have the same lengths and so
    the same cost as Fano's own. Zero-probability symbols sort last and get codewords like the rest.
    """
    k = q.size
    if k == 1:
        return np.ones(1, dtype=np.int64)
    order = np.argsort(-q, kind="stable")
    weights = q[order]
    depth = np.zeros(k, dtype=np.int64)
    groups = [(0, k)]  # an explicit stack: a geometric q nests k groups deep
    while groups:
        lo, hi = groups.pop()
        if hi - lo < 2:
            continue
        depth[lo:hi] += 1
        cut = lo + _fano_split(weights[lo:hi])
        groups += [(lo, cut), (cut, hi)]
    lengths = np.empty(k, dtype=np.int64)
    lengths[order] = depth
    return lengths


def shannon_fano_elias_lengths(q: np.ndarray) -> np.ndarray:
    """l(x) = ceil(log2 1/q(x)) + 1: the Shannon-Fano-Elias code (Cover & Thomas, 2nd ed., 5.9).

    SFE's codeword for x is the first l(x) bits of Fbar(x) = F(x-1) + q(x)/2 (see
    :func:`shannon_fano_elias_codewords`); PrefixCode assigns canonical codewords with the same
    lengths instead, which are equally prefix-free and cost exactly the same under any p. The extra
    bit keeps the positive symbols' Kraft sum at most 1/2, so E_q[l] < H(q) + 2. Zero-probability
    symbols get the longest positive length plus ceil(log2 z) for z of them, as in Shannon's code:
    their Kraft sum is then at most that of one longest codeword, which the spare half always holds.
    """
    positive = q > 0
    lengths = np.zeros(q.size, dtype=np.int64)
    lengths[positive] = np.maximum(0, np.ceil(-np.log2(q[positive]) - _LOG_SLACK)).astype(np.int64) + 1
    zeros = np.flatnonzero(~positive)
    if zeros.size:
        lengths[zeros] = int(lengths.max()) + max(0, math.ceil(math.log2(zeros.size)))
    return lengths


def shannon_fano_elias_codewords(q: np.ndarray) -> list[str | None]:
    """The textbook SFE codewords: the first l(x) bits of Fbar(x), in symbol order.

    Computed in exact rational arithmetic on the float q. Symbols with q(x) = 0 have an empty interval
    and no textbook codeword (None). The scheme itself codes with canonical codewords of the same
    lengths; this function shows the construction and lets tests check it.
    """
    q = np.asarray(q, dtype=np.float64)
    lengths = shannon_fano_elias_lengths(q)
    below = Fraction(0)
    words: list[str | None] = []
    for qx, lx in zip(q.tolist(), lengths.tolist()):
        exact = Fraction(qx)
        if exact > 0:
            bar = below + exact / 2
            words.append(format(int(bar * (1 << lx)), f"0{lx}b"))
        else:
            words.append(None)
        below += exact
    return words


def check_max_length(k: int, max_length: int, radix: int = 2) -> None:
    """Refuse a length limit that leaves k symbols too few codewords of D = radix digits."""
    shortest = 1
    while radix**shortest < k:  # ceil(log_D k): D^L codewords of L digits at most
        shortest += 1
    if max_length < shortest:
        unit = "bit" if radix == 2 else f"digit radix-{radix}"
        raise SchemeError(
            f"scheme 'huffman-limited': max_length={max_length} cannot give {k} symbols distinct "
            f"codewords ({max_length}-{unit} codewords number {radix**max_length}); use max_length >= {shortest}"
        )


def limited_huffman_lengths(q: np.ndarray, max_length: int, radix: int = 2) -> np.ndarray:
    """Optimal code lengths for weights q with no length over ``max_length``: package-merge.

    Larmore & Hirschberg (1990): each symbol x has one coin per depth d = 1..L, of value 2^-d and
    weight q(x). Lengths l are the coins of depths 1..l(x) for every x, worth k - 1 in total exactly
    when sum 2^-l(x) = 1, so the cheapest such set is the optimal code. It is found level by level
    from the deepest up, pairing the current list into packages and merging them with the symbols'
    coins, then taking the 2k - 2 lightest items at the top. On equal weights a symbol's coin sorts
    before a package and symbols keep index order, so the result is deterministic.

    Over D = radix digits the coins are worth (D - 1) D^-d, the k symbols are padded with the
    d = (1 - k) mod (D - 1) zero-weight dummies of D-ary Huffman (:func:`.dary.dummies`) to k', packages
    are of D items, and the D (k' - 1) / (D - 1) lightest are taken at the top: sum D^-l = 1 over the k'
    symbols. The dummies, lightest of all, have a coin at every level anything is taken, so they end at
    the deepest level, as in D-ary Huffman, and are dropped.

    Symbols with q(x) = 0 get weight 2^-32 / k times the smallest positive weight: lighter than every
    real symbol, so they take the longest codewords the limit allows, yet small enough only to break
    ties among codes optimal for q (in favour of shorter codewords for them). A one-symbol alphabet
    gets one bit.
    """
    real = q.size
    check_max_length(real, max_length, radix)
    if real == 1:
        return np.ones(1, dtype=np.int64)
    weights = np.asarray(q, dtype=np.float64).copy()
    positive = weights > 0
    if not positive.all():
        smallest = weights[positive].min() if positive.any() else 1.0
        weights[~positive] = smallest * 2.0**-32 / real
    pad = dummies(real, radix)
    weights = np.concatenate((np.zeros(pad), weights))
    k = weights.size
    depth = min(max_length, (k - 1) // (radix - 1))  # an optimal code needs no more: the merges' count
    order = np.argsort(weights, kind="stable")
    leaves = weights[order]
    items = leaves
    # Per level, deepest first, which list entries are symbols: bit-packed, as a long limit on a large
    # alphabet keeps hundreds of levels of about 2k entries each.
    is_leaf = [np.packbits(np.ones(k, dtype=bool))]
    for _ in range(depth - 1):
        whole = items.size // radix * radix
        packages = items[:whole].reshape(-1, radix).sum(axis=1)  # non-decreasing, as items is sorted
        at_leaf = np.arange(k) + np.searchsorted(packages, leaves, side="left")
        at_package = np.arange(packages.size) + np.searchsorted(leaves, packages, side="right")
        items = np.empty(k + packages.size)
        items[at_leaf] = leaves
        items[at_package] = packages
        level = np.zeros(items.size, dtype=bool)
        level[at_leaf] = True
        is_leaf.append(np.packbits(level))
    # Walk back down: the first `take` items of a level are chosen; the packages among them account
    # for the first D * packages items of the level below. A level's chosen symbols are its lightest.
    take = radix * (k - 1) // (radix - 1)
    chosen = np.empty(depth, dtype=np.int64)
    for j, level in enumerate(reversed(is_leaf)):
        chosen[j] = np.count_nonzero(np.unpackbits(level, count=take))
        take = radix * (take - int(chosen[j]))
    # The symbol of rank r (0 = lightest) has one coin at each level that chose more than r symbols.
    at_most = np.cumsum(np.bincount(chosen, minlength=k + 1))[:k]
    lengths = np.empty(k, dtype=np.int64)
    lengths[order] = depth - at_most
    return lengths[pad:]


def _within_max_length(config: dict, params: dict) -> None:
    """A length-limited Huffman code read from a file: complete (in radix D: but for its dummies, as
    Huffman's), and no codeword over max_length digits."""
    _huffman_check(config, params)
    longest = max(config["lengths"])
    if longest > params["max_length"]:
        unit = "bit" if params.get("radix", 2) == 2 else "digit"
        raise ConfigError(f"field 'coder.lengths' has a {longest}-{unit} codeword, over "
                          f"max_length={params['max_length']}")


def limited_huffman_code(q: np.ndarray, max_length: int, radix: int = 2) -> PrefixCode | DaryCode:
    """The length-limited Huffman code for q over ``radix`` digits (a DaryCode beyond 2)."""
    lengths = limited_huffman_lengths(q, max_length, radix)
    if radix == 2:
        return PrefixCode(lengths, scheme="huffman-limited", params={"max_length": max_length})
    return DaryCode(lengths, radix, scheme="huffman-limited", params={"max_length": max_length})


def _limited_context(model, max_length: int, radix: int = 2) -> ContextPrefixCode:
    _binary_context("huffman-limited", radix)
    return ContextPrefixCode.build(model, lambda q: limited_huffman_lengths(q, max_length), "huffman-limited",
                                   {"max_length": max_length})


SHANNON_FANO = _prefix_scheme(
    "shannon-fano",
    "Fano's recursive halving by probability (Fano 1949): within 1 bit of H(q), not always optimal",
    shannon_fano_lengths,
    complete_code,
)
SHANNON_FANO_ELIAS = _prefix_scheme(
    "shannon-fano-elias",
    "lengths ceil(-log2 q(x)) + 1 of the cumulative-distribution code: within 2 bits of H(q)",
    shannon_fano_elias_lengths,
)
HUFFMAN_LIMITED = register(
    Scheme(
        name="huffman-limited",
        summary="optimal prefix code for q with codewords of at most max_length bits or digits (package-merge)",
        build=limited_huffman_code,
        restore=PrefixCode.from_config,
        serves=check_max_length,
        check=each_row(_within_max_length),
        context=_limited_context,
        context_coder=ContextPrefixCode,
        groups=("prefix",),
        params=(
            Param(
                "max_length", int, DEFAULT_MAX_LENGTH, "longest codeword in bits (digits)",
                minimum=1, maximum=MAX_CODEWORD_BITS,
            ),
            RADIX,
        ),
    )
)
