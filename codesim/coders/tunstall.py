"""Tunstall codes: variable-to-fixed, scheme ``tunstall`` (parameter ``bits``, default 8).

Where a prefix code maps each symbol to a codeword of its own length, Tunstall's code (B. P. Tunstall,
"Synthesis of noiseless compression codes", PhD thesis, Georgia Tech, 1967) maps *words* of varying
length to codewords of one length: ``bits`` bits each. The dictionary is built on q: start from the K
one-symbol words, and while a word can be split into its K one-symbol extensions without passing 2^bits
words, split the most probable word (under q; ties to the word made first). The words are the leaves
of a complete K-ary tree, so every stream parses into words: from the root, follow the stream's symbols
to a leaf, send the leaf's index in ``bits`` bits (leaves numbered by their parent's creation order,
then symbol), and start again.

Cost on the true source p, per symbol: ``bits / E_p[L]``, L the length of the word a parse takes, and
E_p[L] = the sum over the tree's internal nodes v of p(v), the probability under p of v's word
(:meth:`TunstallCode.expected_length`). The identity of a prefix code holds per word: with W the word
a parse takes (distributed P_W under p, of entropy H(W) = E_p[L] H(p) for i.i.d. p) and c =
(words) / 2^bits the Kraft sum of the words' codewords,

    bits = H(W) + D(P_W || uniform over the words) + log2(1/c)

so bits per symbol = H(p) + [D(P_W || uniform) + log2(1/c)] / E_p[L]: the divergence is per word,
divided by the expected parse length (:meth:`TunstallCode.code_divergence` gives the first part).

The end of a stream: if it stops inside a word (at an internal node v), the code sends the leaf reached
from v by symbol 0 repeated, and the decoder, which knows n, drops the symbols past n; it accepts that
word only as the one the encoder sends, so every bit string decodes to one stream at most. A one-symbol
alphabet costs 0 bits.

The code's implied distribution (``implied``): a fixed-length code assumes every word equally likely;
the symbols' frequencies in the dictionary's words under that assumption are its implied r.
"""

from __future__ import annotations

import heapq
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import CodesimError, ConfigError, DecodeError, SchemeError
from ..measures import kl_divergence
from ..sources.iid import index_dtype
from .base import Coder, running_totals, trace_columns_with
from .config import strict_int
from .kernels import tunstall as kernel
from .registry import Param, Scheme, register

DEFAULT_BITS = 8
MAX_BITS = 16
#: The most symbols one message may hold (README, "Decode time"): parsing and writing words back are
#: a Python step per symbol without the ``fast`` extra: 2^22 symbols parsed in 0.4 to 0.7 s and written
#: back in 0.4 to 0.9 s here (long words over 2 symbols, or 256 symbols at 8 bits); compiled 0.02 to 0.34 s.
MAX_SYMBOLS = 1 << 22


def check_alphabet(size: int, bits: int) -> None:
    """A dictionary of at most 2^bits words holds the K one-symbol words only if K <= 2^bits."""
    if size > 1 << bits:
        raise SchemeError(f"scheme 'tunstall' with bits = {bits} has {1 << bits} words, fewer than the "
                          f"{size} symbols of the alphabet: use bits >= {(size - 1).bit_length()}")


class TunstallCode(Coder):
    """A Tunstall dictionary (a complete K-ary tree, given by its internal nodes) and its fixed codewords.

    >>> code = TunstallCode.build(np.array([0.7, 0.2, 0.1]), 3)
    >>> code.words()  # 7 words of 3 bits each: the root's leaves, then those of 0, then of 0 0
    [(1,), (2,), (0, 1), (0, 2), (0, 0, 0), (0, 0, 1), (0, 0, 2)]
    >>> code.decode(code.encode(np.array([0, 0, 0, 1, 2, 0])), 6).tolist()
    [0, 0, 0, 1, 2, 0]
    """

    scheme = "tunstall"
    max_symbols = MAX_SYMBOLS

    def __init__(self, size: int, bits: int, internal):
        """``internal``: the internal nodes after the root, in creation order, each (parent, symbol) with
        parent an earlier internal node (0 the root)."""
        self._size, self.bits = int(size), int(bits)
        self.params = {"bits": self.bits}
        check_alphabet(self._size, self.bits)
        nodes = np.asarray(internal, dtype=np.int64).reshape(-1, 2)
        count = 1 + len(nodes)
        if self._size > 1 and count * (self._size - 1) + 1 > 1 << self.bits:
            raise CodesimError(f"a Tunstall tree of {count} internal nodes over {self._size} symbols has more "
                               f"than 2^{self.bits} words")
        self.parent = np.concatenate(([0], nodes[:, 0]))
        self.symbol = np.concatenate(([0], nodes[:, 1]))
        K = max(self._size, 1)
        child = np.zeros(count * K, dtype=np.int64)
        child[self.parent[1:] * K + self.symbol[1:]] = np.arange(1, count)
        self.depth = np.zeros(count, dtype=np.int64)
        for v in range(1, count):  # parents come first
            self.depth[v] = self.depth[self.parent[v]] + 1
        leaves = np.flatnonzero(child == 0)
        self.leaf_parent, self.leaf_symbol = leaves // K, leaves % K
        child[leaves] = -1 - np.arange(leaves.size)
        self.child = child
        #: The leaf a stream ending at each internal node is completed to: follow symbol 0 to a leaf.
        self.tail = np.empty(count, dtype=np.int64)
        for v in range(count - 1, -1, -1):
            c = child[v * K]
            self.tail[v] = -1 - c if c < 0 else self.tail[c]

    @classmethod
    def build(cls, q: np.ndarray, bits: int) -> "TunstallCode":
        """Tunstall's dictionary for q: split the most probable word while the words fit 2^bits."""
        q = np.asarray(q, dtype=np.float64)
        K = q.size
        check_alphabet(K, bits)
        internal: list[tuple[int, int]] = []
        if K > 1:
            heap = [(-float(q[x]), x, 0, x) for x in range(K)]  # (-prob, creation, parent, symbol)
            heapq.heapify(heap)
            made, leaves = K, K
            while leaves + K - 1 <= 1 << bits:
                prob, _, parent, x = heapq.heappop(heap)
                internal.append((parent, x))
                node = len(internal)
                for y in range(K):
                    heapq.heappush(heap, (prob * float(q[y]), made, node, y))
                    made += 1
                leaves += K - 1
        return cls(K, bits, internal)

    @property
    def size(self) -> int:
        return self._size

    def words(self) -> list[tuple[int, ...]]:
        """Every word of the dictionary, by index (for showing; a deep tree's words are long)."""
        def word(v: int) -> tuple[int, ...]:
            out = []
            while v > 0:
                out.append(int(self.symbol[v]))
                v = int(self.parent[v])
            return tuple(reversed(out))
        return [word(int(v)) + (int(x),) for v, x in zip(self.leaf_parent, self.leaf_symbol)]

    # -- coding -----------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        if self._size == 1 or stream.size == 0:
            return bitarray(endian="big")
        out = jit.scratch(stream.size + 1)
        m, node = kernel.parse(jit.plain(stream.astype(np.int64, copy=False)), jit.plain(self.child), self._size,
                               out)
        words = np.asarray(out[:m], dtype=np.int64)
        if node:
            words = np.append(words, self.tail[node])
        return self._pack(words)

    def _pack(self, words: np.ndarray) -> bitarray:
        """Each word's index in ``bits`` bits, most significant first."""
        shifts = np.arange(self.bits - 1, -1, -1, dtype=np.int64)
        digits = ((words[:, None] >> shifts) & 1).astype(np.uint8).ravel()
        bits = bitarray(endian="big")
        bits.pack(digits.tobytes())
        return bits

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        if not isinstance(bits, bitarray):
            raise DecodeError(f"expected a bitarray of encoded bits, got {type(bits).__name__}")
        n = int(n)
        dtype = index_dtype(self._size)
        if self._size == 1 or n == 0:
            if len(bits):
                raise DecodeError(f"trailing bits: {n} symbols here code in 0 bits, the stream has {len(bits)}")
            return np.zeros(n, dtype=dtype)
        if not len(bits):
            raise DecodeError(f"the stream is too short: {n} symbols need at least one word, it has no bits")
        if len(bits) % self.bits:
            raise DecodeError(f"the stream's {len(bits)} bits are not a whole number of {self.bits}-bit words")
        if len(bits) // self.bits > n:
            raise DecodeError(f"{len(bits) // self.bits} words are more than {n} symbols can take")
        digits = np.frombuffer(bits.unpack(), dtype=np.uint8).reshape(-1, self.bits).astype(np.int64)
        words = digits @ (1 << np.arange(self.bits - 1, -1, -1, dtype=np.int64))
        if np.any(words >= self.leaf_parent.size):
            raise DecodeError(f"a word index {int(words.max())} is past the dictionary's "
                              f"{self.leaf_parent.size} words")
        lengths = self.depth[self.leaf_parent[words]] + 1
        ends = np.cumsum(lengths)
        if ends[-1] < n:
            raise DecodeError(f"the stream is too short: its words hold {int(ends[-1])} symbols, not {n}")
        if ends.size > 1 and ends[-2] >= n:
            raise DecodeError(f"trailing bits: {n} symbols end before the last word")
        out = jit.scratch(n, np.int64)
        kernel.expand(jit.plain(words), n, *(jit.plain(a) for a in (self.leaf_parent, self.leaf_symbol,
                                                                     self.parent, self.symbol, self.depth)), out)
        out = np.asarray(out, dtype=dtype)
        if ends[-1] > n and self.encode(out[-(n - (int(ends[-2]) if ends.size > 1 else 0)):])[-self.bits:] \
                != bits[-self.bits:]:
            raise DecodeError("the last word is not the one a stream ending there is completed to")
        return out

    def bit_bounds(self, n: int) -> tuple[int, int]:
        """At most one word per symbol; at least one per longest word's symbols."""
        if self._size == 1 or n == 0:
            return 0, 0
        longest = int(self.depth.max()) + 1
        return -(-n // longest) * self.bits, n * self.bits

    # -- what the code costs ----------------------------------------------------------------------
    def _reach(self, p: np.ndarray) -> np.ndarray:
        """p(v) for every internal node v: the product of p over its word's symbols."""
        reach = np.ones(self.parent.size)
        for v in range(1, self.parent.size):
            reach[v] = reach[self.parent[v]] * p[self.symbol[v]]
        return reach

    def expected_parse_length(self, p) -> float:
        """E_p[L] = sum over internal nodes of p(v)."""
        return float(self._reach(np.asarray(getattr(p, "probs", p), dtype=np.float64)).sum())

    def expected_length(self, p) -> float:
        """bits / E_p[L]: the bits per symbol on a long stream from the i.i.d. source p."""
        return self.bits / self.expected_parse_length(p) if self._size > 1 else 0.0

    def word_probs(self, p) -> np.ndarray:
        """P_W: each word's probability under p."""
        p = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        return self._reach(p)[self.leaf_parent] * p[self.leaf_symbol]

    def code_divergence(self, p) -> float:
        """D(P_W || uniform over the words) / E_p[L]: the divergence per word of the module notes, per
        symbol. The rest of the excess over H(p) is the Kraft slack log2(2^bits / words) / E_p[L]."""
        if self._size == 1:
            return 0.0
        words = self.leaf_parent.size
        return kl_divergence(self.word_probs(p), np.full(words, 1.0 / words)) / self.expected_parse_length(p)

    @property
    def implied(self) -> np.ndarray:
        """The symbols' frequencies in the words when every word is taken equally often (module notes)."""
        counts = np.zeros(self._size)
        lengths = self.depth[self.leaf_parent] + 1
        np.add.at(counts, self.leaf_symbol, 1.0)
        for v in range(1, self.parent.size):  # each internal node's symbol is in every word below it
            counts[self.symbol[v]] += self._leaves_below[v]
        return counts / lengths.sum()

    @property
    def _leaves_below(self) -> np.ndarray:
        below = np.zeros(self.parent.size, dtype=np.int64)
        np.add.at(below, self.leaf_parent, 1)
        for v in range(self.parent.size - 1, 0, -1):  # children were made after their parents
            below[self.parent[v]] += below[v]
        return below

    # -- configs ----------------------------------------------------------------------------------
    config_fields: ClassVar[tuple[str, ...]] = ("size", "internal")

    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "size": self._size,
                "internal": np.stack([self.parent[1:], self.symbol[1:]], axis=1).tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TunstallCode":
        return cls(config["size"], config["params"]["bits"], config["internal"])

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The size is the alphabet's; ``internal`` a list of [parent, symbol] pairs, each parent an
        earlier node, each pair once, and no more than the words 2^bits allows."""
        value = strict_int(config["size"], "size", 1, 1 << 16)
        if value != size:
            raise ConfigError(f"field 'coder.size' is {value}, but the alphabet has {size} labels")
        bits = params["bits"]
        try:
            check_alphabet(size, bits)
        except SchemeError as exc:
            raise ConfigError(f"field 'coder.params.bits': {exc}", corrupt=True) from None
        internal = config["internal"]
        most = ((1 << bits) - 1) // (size - 1) - 1 if size > 1 else 0
        if not isinstance(internal, list) or len(internal) > most:
            raise ConfigError(f"field 'coder.internal' is not a list of at most {most} [parent, symbol] pairs",
                              corrupt=True)
        seen = set()
        for i, pair in enumerate(internal, 1):
            if (not isinstance(pair, list) or len(pair) != 2 or any(type(v) is not int for v in pair)
                    or not 0 <= pair[0] < i or not 0 <= pair[1] < size or tuple(pair) in seen):
                raise ConfigError(f"field 'coder.internal' entry {i - 1} is {str(pair)[:40]}: not a [parent, symbol] "
                                  f"pair with an earlier parent, a symbol below {size}, and not given before",
                                  corrupt=True)
            seen.add(tuple(pair))

    # -- looking inside ---------------------------------------------------------------------------
    trace_note = ("a row per word of the parse: the symbols it covers, its index in the dictionary and its "
                  "fixed-length codeword (a last word cut short is completed by symbol 0 and cut back)")
    trace_columns = trace_columns_with(("word", "word"), ("codeword", "codeword"), ("bits", "bits"),
                                       symbol="symbols", total=("total_bits", "bits so far"))

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The first ``limit`` words the stream parses into, each read back from ``bits``."""
        costs = self.ideal_costs(model)
        steps, at = [], 0
        for i in range(min(max(0, int(limit)), len(bits) // self.bits if self.bits else 0)):
            j = int(bits[i * self.bits : (i + 1) * self.bits].to01(), 2)
            covered = stream[at : at + int(self.depth[self.leaf_parent[j]]) + 1]
            steps.append(({"index": at, "symbols": [alphabet[s] for s in covered.tolist()], "word": j,
                           "codeword": format(j, f"0{self.bits}b"), "bits": self.bits},
                          self.bits, float(costs[covered].sum())))
            at += covered.size
        return running_totals(steps, "total_bits")

    def __repr__(self) -> str:
        return f"TunstallCode(size={self._size}, bits={self.bits}, words={self.leaf_parent.size})"


TUNSTALL = register(
    Scheme(
        name="tunstall",
        summary="Tunstall's variable-to-fixed code: words of q's most probable extensions, each sent in "
                "`bits` bits",
        build=lambda q, bits: TunstallCode.build(q, bits),
        restore=TunstallCode.from_config,
        serves=lambda size, bits: check_alphabet(size, bits),
        params=(Param("bits", int, DEFAULT_BITS, "the codeword length; 2^bits words, at least the alphabet's "
                      "size", minimum=1, maximum=MAX_BITS),),
    )
)
