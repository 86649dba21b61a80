"""Lempel-Ziv coding, LZ78: a dictionary of the phrases seen so far, learnt from the message itself.

Scheme ``lz78`` needs no model q (see :mod:`.adaptive` for what the Coder contract means for a coder
that learns). It is the universal code of Ziv and Lempel, "Compression of individual sequences via
variable-rate coding" (IEEE Trans. IT 24(5), 1978): its bits per symbol tend to the entropy rate of
every stationary ergodic source, memory included, with no parameter. It is the Lempel-Ziv code here,
rather than LZ77, because its length is a closed function of its parse: LZ77's depends on an encoder's
choices (the match search, the window, the codes of offsets and lengths), LZ78's only on the message,
so a test can count it independently. And it converges slowly, which is what there is to see: on a
memoryless source its expected excess over the entropy is (A + delta(n)) / log n + O(log log n /
log^2 n) bits per symbol, A a constant of the source and delta a small fluctuation (Louchard and
Szpankowski, "On the average redundancy rate of the Lempel-Ziv code", IEEE Trans. IT 43(1), 1997); on
a Markov source O(1 / log n) (Savari, "Redundancy of the Lempel-Ziv incremental parsing rule", IEEE
Trans. IT 43(1), 1997); and the bound of the proofs for every individual sequence falls like log log n
/ log n (Cover and Thomas, Elements of Information Theory, 2nd ed., 13.5). Measured on the NASA
source (README, "Lempel-Ziv (lz78)"), the excess times log2 n stays at 5.2 from 10^3 to 10^6 symbols.

The code
--------
Over an alphabet of K symbols, the message is parsed into phrases, each the longest phrase already in
the dictionary followed by one more symbol. The dictionary starts with the empty phrase, index 0, and
phrase j (j = 1, 2, ...) becomes entry j once coded. Phrase j, coded while the dictionary holds j
entries, is the index of its prefix in ceil(log2 j) bits (0 bits for the first phrase), then its new
symbol in ceil(log2 K) bits (0 bits when K = 1): unsigned integers, most significant bit first, one
phrase after another. If the message ends inside a phrase already in the dictionary, its last phrase
is that phrase's index alone: the decoder knows the symbol count n, so it knows no symbol follows
(a phrase with a symbol would run past n). A message of m phrases thus takes

    sum_{j=1..m} ceil(log2 j) + (m or m - 1) ceil(log2 K)  bits,

and sum_{j=1..m} ceil(log2 j) = m c - 2^c + 1 with c = ceil(log2 m).

Example, "AABABBBABAABABBBABBABB" over {A, B} (A = 0, B = 1, a 1-bit symbol)::

    phrase  1    2    3     4     5     6      7     8      9
    text    A    AB   ABB   B     ABA   ABAB   BB    ABBA   BB (at the end: index alone)
    prefix  0    1    2     0     2     5      4     3      7
    bits    0    1|1  10|1  00|1  010|0 101|1  100|1 011|0  0111

29 bits for 22 symbols. The decoder rebuilds the dictionary as it reads, and refuses an index not yet
in it, a symbol >= K, a phrase already in the dictionary (the encoder would have read on), a phrase
that runs past n, and bits that end early or are left over: only the bits the encoder writes decode.

Coding
------
The encoder parses with a trie in :mod:`.kernels.trie`'s hash table (node p's child by x under the key
p K + x), grown as the dictionary grows, and packs each phrase's two fields as one codeword with
:class:`.lanes.WordPacker`; the decoder reads the fields and writes each phrase backwards through
parent pointers (:mod:`.kernels.lz78`), looking each phrase up in a trie of its own to refuse one
already known. Both are loops per symbol, compiled with the ``fast`` extra (speeds in the README,
"Lempel-Ziv (lz78)").
The dictionary is bounded by the message: the decoder allocates it for the most phrases the file's
bits can hold (:meth:`LZ78Coder.most_phrases`), never from a count the file claims.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import DecodeError
from ..measures import entropy
from ..sources.iid import index_dtype
from .adaptive import LARGE_ALPHABET, AdaptiveCoder, check_size
from .base import running_totals, trace_columns_with
from .kernels import lz78 as kernel
from .kernels import trie
from .lanes import WordPacker
from .rangecoder import symbol_count
from .registry import Scheme, register

#: The most symbols one lz78 message may hold over up to LARGE_ALPHABET symbols, and a quarter of that
#: over more (README, "Decode time"): without the ``fast`` extra the parse takes a Python step per
#: symbol and the decoder one per phrase, and a random stream makes the most phrases: 2^20 random
#: symbols over 256 (a phrase every 2.8 symbols) take 1.5 s to encode and 1.3 to decode here, 2^18
#: over 2^20 symbols (a phrase per symbol) 0.9 and 1.2.
MAX_LZ78_SYMBOLS = 1 << 20
#: The trie's first table: a dictionary of up to half this many phrases before it first grows.
FIRST_SLOTS = 1 << 12


def index_widths(m: int) -> np.ndarray:
    """ceil(log2 j) for j = 1 .. m: the bits of each phrase's index."""
    before = np.arange(m, dtype=np.float64)  # j - 1, exact in a double
    return np.frexp(before)[1].astype(np.int64)  # the bit length of j - 1


def index_bits(m: int) -> int:
    """sum_{j=1..m} ceil(log2 j): the index bits of m phrases."""
    if m <= 0:
        return 0
    c = (m - 1).bit_length()
    return m * c - (1 << c) + 1


class LZ78Coder(AdaptiveCoder):
    """The LZ78 code of Ziv and Lempel (1978) over K symbols, as the module notes specify it.

    >>> coder = LZ78Coder(2)
    >>> bits = coder.encode(np.array([0, 0, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1]))
    >>> bits.to01()
    '01110100101001011100101100111'
    >>> coder.decode(bits, 22).tolist()[:7]
    [0, 0, 1, 0, 1, 1, 1]
    """

    #: Its limit is the entropy rate of the source, with its memory: expected_length wants the source.
    reads_context = True

    def __init__(self, size: int, scheme: str = "lz78", params: dict[str, Any] | None = None):
        super().__init__(size, scheme, {} if params is None else params)
        #: ceil(log2 K): the bits of each phrase's new symbol.
        self.symbol_bits = (self._size - 1).bit_length()

    def expected_length(self, p) -> float:
        """The entropy rate of p: what the bits per symbol tend to, on any stationary ergodic source
        (Ziv and Lempel 1978); H(p) for an i.i.d. p."""
        if hasattr(p, "entropy_rate"):
            return float(p.entropy_rate())
        return entropy(np.asarray(p, dtype=np.float64))

    def symbol_limit(self) -> int:
        return MAX_LZ78_SYMBOLS if self._size <= LARGE_ALPHABET else MAX_LZ78_SYMBOLS // 4

    def _limit_reason(self) -> str:
        return f" over {self._size} symbols"

    def prepare(self, n: int) -> None:
        """Load the kernels (compiled, or from numba's cache), the trie's growth among them, by coding
        a few symbols and growing a small table: what a first message would do."""
        if n:
            stream = np.array([0, self._size - 1, 0], dtype=index_dtype(self._size))
            self.decode(self.encode(stream), stream.size)
            keys, values = map(jit.plain, trie.table(2))
            trie.rehash(keys, values, *map(jit.plain, trie.table(4)))

    # -- the parse --------------------------------------------------------------------------------
    def parse(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The phrases of ``stream``: each one's prefix index and new symbol (-1 for a last phrase
        coded by its index alone)."""
        stream = self._check_stream(stream)
        n = stream.size
        keys, values = map(jit.plain, trie.table(FIRST_SLOTS))
        prefixes, symbols = jit.scratch(n), jit.scratch(n)
        state = jit.scratch(4)
        state[kernel.NODES] = 1
        source = jit.plain(stream.astype(np.int64))
        while True:
            kernel.parse(source, self._size, keys, values, trie.capacity(keys), state, prefixes, symbols)
            if state[kernel.AT] == n:
                break
            grown = trie.table(2 * len(keys))
            new_keys, new_values = map(jit.plain, grown)
            trie.rehash(keys, values, new_keys, new_values)
            keys, values = new_keys, new_values
        m = int(state[kernel.PHRASES])
        return np.asarray(prefixes[:m], dtype=np.int64), np.asarray(symbols[:m], dtype=np.int64)

    def _fields(self, prefixes: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each phrase's codeword, its index then its symbol, as (value, bits)."""
        s = self.symbol_bits
        with_symbol = symbols >= 0
        widths = index_widths(prefixes.size) + np.where(with_symbol, s, 0)
        values = np.where(with_symbol, (prefixes << s) | np.maximum(symbols, 0), prefixes)
        return values, widths

    # -- coding -----------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        values, widths = self._fields(*self.parse(stream))
        if not widths.any():  # no bits at all (one symbol, one phrase): the packer wants a codeword
            return bitarray(endian="big")
        # Each phrase's codeword stands as its own entry of the packer's table.
        return WordPacker(values.astype(np.uint64), widths).pack(np.arange(values.size))[0]

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = symbol_count(bits, n)
        least = self.bit_bounds(n)[0]
        if len(bits) < least:  # before anything of size n is allocated
            raise DecodeError(f"the stream is too short: {n} symbols take at least {least} bits of this "
                              f"code, it has {len(bits)}")
        raw = (bits if bits.endian == "big" else bitarray(bits, endian="big")).tobytes()
        data = np.frombuffer(raw, dtype=np.uint8) if jit.enabled() else raw
        entries = self.most_phrases(len(bits), n) + 1  # the empty phrase, then at most these
        out = jit.scratch(n)
        parent, last, length = jit.scratch(entries), jit.scratch(entries), jit.scratch(entries)
        keys = jit.plain(trie.table(1 << (2 * entries - 1).bit_length())[0])
        state = jit.scratch(3)
        status = kernel.decode(data, len(bits), self._size, self.symbol_bits, out, parent, last, length, keys,
                               state)
        pos, j, written = (int(v) for v in state[:3])
        if status != kernel.DONE:
            at = f"phrase {j} at bit {pos}"
            raise DecodeError({
                kernel.PAST_END: f"the stream is too short: phrase {j} (symbol {written} of {n}) runs past its "
                                 f"{len(bits)} bits",
                kernel.BAD_INDEX: f"{at}: its prefix index is not below {j}, the phrases so far (corrupt stream)",
                kernel.BAD_SYMBOL: f"{at}: its symbol is not below the alphabet's {self._size} (corrupt stream)",
                kernel.KNOWN: f"{at}: its prefix and symbol make a phrase already in the dictionary, which the "
                              "encoder would have read on past (corrupt stream)",
                kernel.PAST_N: f"{at} runs past the {n} symbols of the message (corrupt stream or wrong symbol "
                               "count)",
            }[status])
        if pos != len(bits):
            raise DecodeError(f"trailing bits: {n} symbols end at bit {pos}, the stream has {len(bits)}")
        return np.asarray(out, dtype=index_dtype(self._size))

    def most_phrases(self, nbits: int, n: int) -> int:
        """The most phrases ``nbits`` bits can hold in a message of n symbols: the m with
        sum_{j<=m} ceil(log2 j) + (m - 1) ceil(log2 K) <= nbits, and at most n."""
        low, high = 0, min(n, nbits + 1)  # phrase j >= 2 takes a bit or more
        while low < high:
            mid = (low + high + 1) // 2
            if index_bits(mid) + (mid - 1) * self.symbol_bits <= nbits:
                low = mid
            else:
                high = mid - 1
        return low

    def bit_bounds(self, n: int) -> tuple[int, int]:
        """The fewest and the most bits n symbols take.

        Fewest: m phrases hold at most 1 + 2 + ... + m symbols (phrase j is at most j long), so a
        message takes at least the m = ceil((sqrt(8n + 1) - 1) / 2) phrases that hold n, each with
        a symbol but perhaps the last. Most: its phrases are distinct but perhaps the last, so at
        most as many as the distinct strings, shortest first (K of length 1, K^2 of length 2, ...),
        whose lengths sum to n or less, plus one; each with a symbol."""
        n = int(n)
        if n == 0:
            return 0, 0
        s, k = self.symbol_bits, self._size
        fewest = (math.isqrt(8 * n + 1) - 1) // 2
        if fewest * (fewest + 1) // 2 < n:
            fewest += 1
        distinct, left, length, count = 0, n, 1, k
        while left >= length:
            take = min(count, left // length)
            distinct, left = distinct + take, left - take * length
            length, count = length + 1, count * k
        most = min(n, distinct + 1)
        return index_bits(fewest) + (fewest - 1) * s, index_bits(most) + most * s

    def __repr__(self) -> str:
        return f"LZ78Coder(size={self._size})"

    # -- the coder contract: inspect --------------------------------------------------------------
    trace_note = ("a row per phrase: the symbols it codes, the index of the phrase it extends and the new "
                  "symbol, sent in ceil(log2 j) and ceil(log2 K) bits (phrase j; a last phrase already in the "
                  "dictionary is its index alone)")
    trace_columns = trace_columns_with(("phrase", "phrase"), ("prefix", "prefix"), ("new", "new symbol"),
                                       ("position", "bit pos"), ("bits", "bits"), symbol="symbols",
                                       total=("total_bits", "bits so far"))

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The first ``limit`` phrases, each with its symbols, its fields and the bit position where it
        starts. Phrase j is at most j symbols long, so they lie within the first limit (limit + 1) / 2
        symbols, which are parsed alone."""
        costs = self.ideal_costs(model)
        prefixes, symbols = self.parse(stream[: limit * (limit + 1) // 2])
        prefixes, symbols = prefixes[:limit], symbols[:limit]
        _, widths = self._fields(prefixes, symbols)
        lengths = [0]  # each phrase's length, by its number
        at = position = 0
        steps = []
        for j, (prefix, x, taken) in enumerate(zip(prefixes.tolist(), symbols.tolist(), widths.tolist()), 1):
            lengths.append(lengths[prefix] + (x >= 0))
            text = stream[at : at + lengths[j]]
            steps.append(({"index": at, "symbols": [alphabet[s] for s in text.tolist()], "phrase": j,
                           "prefix": prefix, "new": alphabet[x] if x >= 0 else "", "position": position,
                           "bits": taken}, taken, float(costs[text].sum())))
            at += lengths[j]
            position += taken
        return running_totals(steps, "total_bits")


LZ78 = register(
    Scheme(
        name="lz78",
        summary="Lempel-Ziv 1978: phrases parsed from the message itself, each a known phrase's index and "
                "a new symbol: no q needed, tends to the entropy rate of any stationary ergodic source",
        build=lambda q: LZ78Coder(len(q)),
        restore=LZ78Coder.from_config,
        learns=True,
        per_symbol_table=False,
        serves=lambda size: check_size("lz78", size),
        groups=("learners",),
    )
)
