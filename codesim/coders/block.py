"""Extension codes: a Huffman code over k-tuples of symbols (block-huffman).

A prefix code loses up to a bit per codeword to integer lengths. Coding k symbols at once spreads that
bit over k of them: Huffman over the product model q^k spends E[l_k] < H(q^k) + 1 = k H(q) + 1 bits per
tuple, so under p = q at most H(p) + 1/k bits per symbol (Cover & Thomas, 2nd ed., 5.4). The price is a
code table of K^k entries for an alphabet of K symbols. With a model that has memory the tuples' code is
Huffman over the model's stationary k-blocks, so on that source H(X^k)/k <= L_k/k < H(X^k)/k + 1/k.

Config: ``{"scheme", "params": {"k"}, "tuple_lengths", "leftover_lengths"}``: canonical code lengths
(:mod:`codesim.coders.prefix_code`) for the K^k tuples (a tuple's index is its k symbols read as base-K
digits, the first the most significant) and for the K symbols, both complete codes. Bitstream: the
codewords of the last n mod k symbols, then the tuples' stream of the tuple code.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from bitarray import bitarray, decodetree

from ..sources.iid import index_dtype
from ..errors import CodesimError, ConfigError, DecodeError, SchemeError
from ..measures import kl_divergence
from .base import Coder, running_totals, trace_columns_with
from .prefix import huffman_lengths
from .prefix_code import PrefixCode, check_kraft, check_lengths
from .registry import Param, Scheme, register

#: The most tuples a block code may have. Its Huffman code and codeword table are built in Python at
#: several microseconds and a few hundred bytes per tuple (2^20 tuples: seconds and ~400 MB), so the
#: limit keeps a build well under a second.
MAX_TUPLES = 1 << 16
#: Tuples whose indices are formed, or split into symbols, per step (bounds the int64 scratch).
TUPLE_STEP = 1 << 18
#: With at least two symbols, k cannot exceed this without passing MAX_TUPLES.
MAX_K = 16


def product_distribution(q: np.ndarray, k: int) -> np.ndarray:
    """q^k as a vector over tuples, the tuple's first symbol the most significant base-K digit."""
    q = np.asarray(q, dtype=np.float64)
    out = np.ones(1)
    for _ in range(k):
        out = np.outer(out, q).ravel()
    return out


def _check_tuple_count(size: int, k: int) -> None:
    """Refuse a tuple alphabet over MAX_TUPLES before anything of that size is allocated."""
    count = size**k
    if k == 1 or count <= MAX_TUPLES:
        return
    largest = 1
    while size ** (largest + 1) <= MAX_TUPLES:
        largest += 1
    raise SchemeError(
        f"scheme 'block-huffman': k={k} over {size} symbols makes {size}^{k} = {count} tuples, over the "
        f"limit of {MAX_TUPLES} (2^16) that keeps building the tuple code's table quick; "
        f"use k <= {largest}"
    )


class BlockCode(Coder):
    """Huffman over k-tuples, plus a plain Huffman code for the n mod k symbols left at the end.

    A stream of n symbols becomes floor(n/k) tuples, tuple index = the k symbols read as a base-K
    number (first symbol most significant). The bits hold the leftover tail's codewords first, then
    the tuples': the decoder knows n, so it reads those few codewords and hands the rest to the tuple
    code's own decode, which checks every remaining bit is used.

    >>> code = block_huffman(np.array([0.9, 0.1]), 2)
    >>> code.tuple_code.lengths.tolist(), code.leftover_code.lengths.tolist()
    ([1, 3, 2, 3], [1, 1])
    >>> code.decode(code.encode(np.array([0, 0, 1, 0, 1])), 5).tolist()
    [0, 0, 1, 0, 1]
    """

    def __init__(self, tuple_lengths, leftover_lengths, k: int):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise CodesimError(f"a block code's tuple size k is an integer >= 1, got {k!r}")
        self.k = int(k)
        self.scheme = "block-huffman"
        self.params = {"k": self.k}
        self.leftover_code = PrefixCode(leftover_lengths, scheme="huffman")
        size = self.leftover_code.size
        _check_tuple_count(size, self.k)
        if self.k == 1 and list(tuple_lengths) == self.leftover_code.lengths.tolist():
            self.tuple_code = self.leftover_code  # k = 1 is plain Huffman: one table, not two
        else:
            self.tuple_code = PrefixCode(tuple_lengths, scheme="huffman")
        if self.tuple_code.size != size**self.k:
            raise CodesimError(
                f"a block code with k={self.k} over {size} symbols needs {size**self.k} tuple code "
                f"lengths, got {self.tuple_code.size}"
            )
        self._powers = size ** np.arange(self.k - 1, -1, -1, dtype=np.int64)

    @property
    def size(self) -> int:
        return self.leftover_code.size

    @property
    def implied(self) -> np.ndarray:
        """The tuple code's implied distribution r_k reduced to one symbol, for display.

        The mean of r_k's k positional marginals; r_k need not be a product, so the exact costs come
        from :meth:`expected_length` and :meth:`code_divergence`, not from this vector.
        """
        tuples = self.tuple_code.implied.reshape((self.size,) * self.k)
        axes = range(self.k)
        return sum(tuples.sum(axis=tuple(a for a in axes if a != j)) for j in axes) / self.k

    reads_context = True

    def _tuple_probs(self, p) -> np.ndarray:
        if getattr(p, "order", 0) > 0:  # a source with memory: its stationary k-tuples
            return np.asarray(p.block_probs(self.k), dtype=np.float64)
        pv = np.asarray(getattr(p, "probs", p), dtype=np.float64)
        if pv.shape != (self.size,):
            raise CodesimError(f"p has {pv.size} entries but the code's alphabet has {self.size}")
        return product_distribution(pv, self.k)

    def expected_length(self, p) -> float:
        """E_{p^k}[l_k] / k: bits per original symbol in the tuples (the short tail left out)."""
        return float(np.dot(self._tuple_probs(p), self.tuple_code.lengths)) / self.k

    def code_divergence(self, p) -> float:
        """D(p^k || r_k) / k per original symbol, r_k the tuple code's implied distribution (p^k the
        stationary k-tuples of a source with memory)."""
        return kl_divergence(self._tuple_probs(p), self.tuple_code.implied) / self.k

    # -- coding ---------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        whole = stream.size - stream.size % self.k
        out = self.leftover_code.encode(stream[whole:])
        # The tuples go to the tuple code in one call (a long stream has one jump table for all its
        # lanes); their indices are formed in steps so the int64 scratch stays small.
        tuples = np.empty(whole // self.k, dtype=index_dtype(self.tuple_code.size))
        step = TUPLE_STEP
        for lo in range(0, tuples.size, step):
            hi = min(lo + step, tuples.size)
            tuples[lo:hi] = stream[lo * self.k : hi * self.k].reshape(-1, self.k).astype(np.int64) @ self._powers
        out += self.tuple_code.encode(tuples)
        return out

    @cached_property
    def _leftover_tree(self) -> decodetree:
        return decodetree({i: bitarray(self.leftover_code.codeword(i)) for i in range(self.size)})

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        tuples, left = divmod(n, self.k)
        dtype = index_dtype(self.size)
        tail = np.empty(0, dtype=dtype)
        used = 0
        if left:
            try:
                tail = np.fromiter(bits.decode(self._leftover_tree), dtype=dtype, count=left)
            except ValueError as exc:  # no codeword matches, or the bits ran out
                raise DecodeError(f"the bits do not start with {left} leftover symbols ({exc})") from None
            used = int(self.leftover_code.lengths[tail].sum())
        index = self.tuple_code.decode(bits[used:], tuples)
        out = np.empty(n, dtype=dtype)
        # The tuples' digits in steps: whole, the int64 scratch would take 24 bytes per symbol.
        for lo in range(0, tuples, TUPLE_STEP):
            hi = min(lo + TUPLE_STEP, tuples)
            digits = index[lo:hi, None].astype(np.int64) // self._powers % self.size
            out[lo * self.k : hi * self.k] = digits.ravel()
        out[tuples * self.k :] = tail
        return out

    # -- serialisation --------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "params": dict(self.params),
            "tuple_lengths": self.tuple_code.lengths.tolist(),
            "leftover_lengths": self.leftover_code.lengths.tolist(),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "BlockCode":
        try:
            k = config["params"]["k"]
            tuple_lengths, leftover_lengths = config["tuple_lengths"], config["leftover_lengths"]
        except (KeyError, TypeError):
            raise SchemeError(
                "a block-huffman config needs params.k, tuple_lengths and leftover_lengths"
            ) from None
        return cls(tuple_lengths, leftover_lengths, k)

    config_fields: ClassVar[tuple[str, ...]] = ("tuple_lengths", "leftover_lengths")

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """Both tables of the right size and complete, as Huffman codes are; the tuple count within
        MAX_TUPLES before a table of that size is looked at."""
        leftover = check_lengths(config["leftover_lengths"], "leftover_lengths", size)
        k = params["k"]
        if k > 1 and size**k > MAX_TUPLES:
            raise ConfigError(f"field 'coder.params.k' is {k}: {size}^{k} tuples are over the limit of "
                              f"{MAX_TUPLES} tuples")
        tuples = check_lengths(config["tuple_lengths"], "tuple_lengths", size**k,
                               f"k={k} over {size} symbols makes {size**k} tuples")
        check_kraft(leftover, "leftover_lengths", complete_for=config["scheme"])
        check_kraft(tuples, "tuple_lengths", complete_for=config["scheme"])

    def bit_bounds(self, n: int) -> tuple[int, int]:
        """The tuple code's bounds for the n // k tuples, plus the leftover symbols' codewords."""
        tuples, left = divmod(int(n), self.k)
        lengths = self.leftover_code.lengths
        least, most = self.tuple_code.bit_bounds(tuples)
        return least + left * int(lengths.min()), most + left * int(lengths.max())

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = "each k-tuple's codeword; the n mod k leftover symbols are coded first"
    table_columns = PrefixCode.table_columns  # the leftover code's entries
    trace_columns = trace_columns_with(("position", "bit pos"), ("codeword", "codeword"), ("bits", "bits"),
                                       symbol="symbols", total=("total_bits", "bits so far"))

    def table_entry(self, i: int) -> dict[str, Any]:
        """Symbol i's codeword when it comes alone, among the leftover symbols."""
        return self.leftover_code.table_entry(i)

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each coded unit in the order of the bits: the leftover symbols, then the tuples, each with
        its codeword and the bit position where it starts."""
        costs = self.ideal_costs(model)
        label = alphabet.__getitem__
        k, n = self.k, stream.size
        whole = n - n % k
        groups = [(i, i + 1, self.leftover_code) for i in range(whole, n)]
        groups += [(i, i + k, self.tuple_code) for i in range(0, whole, k)]
        leftover_bits = int(self.leftover_code.lengths[stream[whole:]].sum())
        position = 0
        steps = []
        for lo, hi, code in groups[:limit]:
            if code is self.tuple_code and lo == 0:
                position = leftover_bits + self.tuple_code.jump_table_bits(bits[leftover_bits:], whole // k)
            symbols = stream[lo:hi]
            shape = (self.size,) * (hi - lo)  # a tuple's index reads its symbols as base-K digits
            word = code.codeword(int(np.ravel_multi_index(tuple(symbols.tolist()), shape)))
            steps.append(({"index": lo, "symbols": [label(s) for s in symbols.tolist()], "position": position,
                           "codeword": word, "bits": len(word)}, len(word), float(costs[symbols].sum())))
            position += len(word)
        return running_totals(steps, "total_bits")

    def __repr__(self) -> str:
        return f"BlockCode(k={self.k}, size={self.size}, tuples={self.tuple_code.size})"


def block_huffman(q: np.ndarray, k: int) -> BlockCode:
    """Huffman over q^k for the tuples and Huffman over q for the leftover tail."""
    q = np.asarray(q, dtype=np.float64)
    _check_tuple_count(q.size, k)
    return BlockCode(huffman_lengths(product_distribution(q, k)), huffman_lengths(q), k)


def block_huffman_chain(model, k: int) -> BlockCode:
    """Huffman over the stationary distribution of a model's k-tuples (``model.block_probs(k)``, a
    model with memory) for the tuples, and over its marginal for the leftover tail. The code keeps no
    context between tuples, so its config is an i.i.d. block code's."""
    size = len(model.alphabet)
    _check_tuple_count(size, k)
    return BlockCode(huffman_lengths(np.asarray(model.block_probs(k), dtype=np.float64)),
                     huffman_lengths(np.asarray(model.block_probs(1), dtype=np.float64)), k)


BLOCK_HUFFMAN = register(
    Scheme(
        name="block-huffman",
        summary="Huffman over k-tuples (extension code): within 1/k bit of H(q) per symbol",
        build=lambda q, k: block_huffman(q, k),
        restore=BlockCode.from_config,
        context=block_huffman_chain,
        serves=lambda size, k: _check_tuple_count(size, k),
        unit=lambda k: k,
        groups=("prefix",),
        params=(Param("k", int, 2, "symbols per tuple", minimum=1, maximum=MAX_K),),
    )
)
