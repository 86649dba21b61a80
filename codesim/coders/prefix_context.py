"""Per-context prefix codes: one canonical prefix code per context of a model with memory.

The context code of a prefix scheme (``fixed``, ``shannon``, ``huffman``, ...) has one code per context
row of the model (see :mod:`codesim.coders.context`): the code the scheme builds for an i.i.d. model
whose probabilities are the row's, by the same length builder, so a model of one context would give
the scheme's i.i.d. code. Symbol x in context c costs l(x | c) bits, and the code's implied rows are
2^-l(x | c): on a stationary source its expected length is sum_c pi(c) sum_x p(x | c) l(x | c).

Config: ``{"scheme", "params", "order", "contexts", "fallback", "lengths"}``: the contexts as
:meth:`~codesim.coders.context.Contexts.to_config` writes them, and ``lengths``, one list of K code
lengths (1 to MAX_CONTEXT_CODEWORD_BITS) per context row in row order, each row's codewords assigned
canonically (:func:`~codesim.coders.prefix_code.canonical_codewords`) and each row satisfying Kraft's
inequality (with equality where the scheme only builds complete codes).

Bitstream: the symbols' codewords one after another (first bit most significant), each from the code
of its context; a message starts in the empty context. There are no lanes: a lane's first context is
where the lane before it ends, so lanes could not be decoded apart.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
from functools import cached_property
from typing import Any, Callable, ClassVar

import numpy as np
from bitarray import bitarray

from .. import jit
from ..errors import CodesimError, ConfigError, DecodeError, json_kind, show_json
from ..sources.iid import index_dtype
from .base import Coder, running_totals, trace_columns_with
from .config import field
from .context import ContextCode, Contexts, check_rows, context_table_columns
from .kernels import prefix_context as kernel
from .lanes import WordPacker

#: The longest codeword of a context code: the window the compiled decoder reads a long codeword from
#: (the i.i.d. codes' 256 bits are only reached by probabilities below 2^-48 = 3.6e-15, which a
#: length-limited code serves).
MAX_CONTEXT_CODEWORD_BITS = kernel.WINDOW
#: The lookup tables' entries for all rows together (2^bits per row, about 30 bytes each): 16 MB.
MAX_LOOKUP_ENTRIES = 1 << 19
#: Bits the per-row lookup takes at most (kernel.MAX_BITS at most): a row's 2^8 entries take a few kB,
#: and hold up to ROW codewords of a code averaging 2 bits; 9 bits ran no faster, 10 and 12 slower for
#: an order-2 chain over 8 symbols (73 rows).
LOOKUP_BITS = 8
#: Symbols whose rows the encoder finds per step (bounds its int64 scratch).
ENCODE_STEP = 1 << 20
#: The encoder finds the codewords of m symbols at once from the (order + m)-gram they end, when there
#: are at most this many grams (9 bytes each in its table: the table stays in the CPU's second cache),
#: rather than from each symbol's context's id and row.
MAX_GRAMS = 1 << 16
#: The most symbols the encoder's packer takes as one.
MAX_TUPLE = 8
#: The most symbols one message may hold (README, "Decode time"): the interpreted decoder takes a
#: Python step per symbol, a bisection among up to WINDOW lengths for a long codeword and one among the
#: stored contexts after the fallback row: 2^20 symbols of 47 bits, every row with 47 lengths, took 4 to
#: 5 s here, the machine shared (0.05 s compiled), 2^20 symbols in and out of a fallback row 3.5 s.
MAX_SYMBOLS = 1 << 20


def canonical_rows(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For code lengths (rows x K, each at most WINDOW bits), every row's canonical codewords (as
    :func:`~codesim.coders.prefix_code.canonical_codewords` assigns them), its canonical order (by
    length, then symbol) and the Kraft partial sums along that order, in units of 2^-WINDOW (each
    codeword's end, left-aligned to WINDOW bits)."""
    order = np.argsort(lengths, axis=1, kind="stable")  # ties keep symbol order
    sorted_lengths = np.take_along_axis(lengths, order, axis=1)
    ends = np.cumsum(np.left_shift(1, kernel.WINDOW - sorted_lengths), axis=1)
    starts = ends - np.left_shift(1, kernel.WINDOW - sorted_lengths)
    codes = np.empty_like(lengths)
    np.put_along_axis(codes, order, starts >> (kernel.WINDOW - sorted_lengths), axis=1)
    return codes, order, ends


class ContextPrefixCode(ContextCode, Coder):
    """One canonical prefix code per context row (see the module notes).

    >>> contexts = Contexts(3, 1, np.array([0, 1, 2, 3]), False)  # after 0, 1 or 2; at the start
    >>> code = ContextPrefixCode(contexts, [[2, 1, 2], [2, 2, 1], [1, 2, 2], [2, 2, 1]])
    >>> bits = code.encode(np.array([0, 0, 2, 1]))  # codewords 10, 10, 11, 10
    >>> bits.to01(), code.decode(bits, 4).tolist()
    ('10101110', [0, 0, 2, 1])
    """

    max_symbols: ClassVar[int] = MAX_SYMBOLS

    def __init__(self, contexts: Contexts, lengths, scheme: str = "prefix", params: dict[str, Any] | None = None):
        try:
            lengths = np.array(lengths, dtype=np.int64)
        except (TypeError, ValueError):
            raise CodesimError("a context prefix code's lengths are rows of integers, one row per context") from None
        if lengths.shape != (contexts.rows, contexts.size):
            raise CodesimError(f"a context prefix code over {contexts.size} symbols in {contexts.rows} contexts "
                               f"needs {contexts.rows} x {contexts.size} code lengths, got {lengths.shape}")
        if lengths.size and (lengths.min() < 1 or lengths.max() > MAX_CONTEXT_CODEWORD_BITS):
            row, x = np.argwhere((lengths < 1) | (lengths > MAX_CONTEXT_CODEWORD_BITS))[0]
            raise CodesimError(
                f"context row {row + 1}: code length {x + 1} is {lengths[row, x]} bits, but a context code's "
                f"codewords have 1 to {MAX_CONTEXT_CODEWORD_BITS} bits (a model with probabilities below "
                f"2^-{MAX_CONTEXT_CODEWORD_BITS}; use a length-limited code)")
        over = _kraft_units(lengths) > 1 << kernel.WINDOW
        if over.any():
            raise CodesimError(f"context row {int(np.argmax(over)) + 1}: code lengths are over-subscribed "
                               "(Kraft sum > 1), so no prefix code has them")
        lengths.setflags(write=False)
        self.contexts, self.lengths = contexts, lengths
        self.scheme, self.params = scheme, dict(params or {})
        self._codes = canonical_rows(lengths)[0]

    @classmethod
    def build(cls, model, lengths_of: Callable[[np.ndarray], np.ndarray], scheme: str,
              params: dict[str, Any] | None = None) -> "ContextPrefixCode":
        """The context code of ``model`` (order > 0): ``lengths_of`` (the scheme's i.i.d. length
        builder) applied to every context's row of probabilities, once per distinct row."""
        contexts, rows = model.context_table()
        rows = check_rows(rows, contexts, "the model's context table")
        distinct, which = np.unique(rows, axis=0, return_inverse=True)
        built = np.array([lengths_of(row) for row in distinct], dtype=np.int64)
        return cls(contexts, built[which.ravel()], scheme, params)

    # -- facts about the code -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.contexts.size

    def implied_rows(self) -> np.ndarray:
        """2^-l(x | c): the code spends exactly -log2 of it on x in context c (rows of an incomplete
        code sum to less than 1)."""
        return np.exp2(-self.lengths.astype(np.float64))

    def codeword_in(self, row: int, x: int) -> str:
        """The codeword of symbol x in context row ``row``, as 0s and 1s."""
        return format(int(self._codes[row, x]), f"0{int(self.lengths[row, x])}b")

    def bit_bounds(self, n: int) -> tuple[int, int]:
        """n times the shortest and the longest codeword of any context."""
        n = int(n)
        return n * int(self.lengths.min()), n * int(self.lengths.max())

    # -- coding ---------------------------------------------------------------------------------
    def encode(self, stream: np.ndarray) -> bitarray:
        return self._packer.pack(self._packed_symbols(self._check_stream(stream)))[0]

    def _packed_symbols(self, stream: np.ndarray) -> np.ndarray:
        """The stream as the packer's symbols (see :attr:`_packer`); a CodesimError at the first symbol
        whose context the model rules out."""
        k, order, n, m = self.size, self.contexts.order, stream.size, self._tuple
        head = min(order, n)
        whole = (n - head) // m if m else 0  # m-tuples after the head
        rest = n - head - whole * m
        entries = k ** (order + m) if m else 0  # where the rows' entries start among the packer's symbols
        out = np.empty(head + whole + rest, dtype=index_dtype(entries + self.lengths.size))
        step = ENCODE_STEP // max(m, 1)
        for lo in range(0, whole, step):
            hi = min(lo + step, whole)
            out[head + lo : head + hi] = part = self._gram_indices(stream, head + lo * m, hi - lo, m)
            if self._ruled_out.size and self._ruled_out.take(part).any():
                first = head + lo * m
                _refuse_ruled_out(self.contexts.rows_of(stream[first - order : head + hi * m])[order:] < 0, first)
        # The first symbols (in partial contexts) and those after the last whole tuple (all of them
        # when there are no tuples) by their contexts' rows.
        pieces = [(0, head)] + [(lo, min(lo + ENCODE_STEP, n)) for lo in range(n - rest, n, ENCODE_STEP)]
        for lo, hi in pieces:
            back = min(lo, order)
            rows = self.contexts.rows_of(stream[lo - back : hi])[back:]
            _refuse_ruled_out(rows < 0, lo)
            at = lo if lo < head else lo - whole * (m - 1)
            out[at : at + hi - lo] = entries + np.maximum(rows, 0) * k + stream[lo:hi]
        return out

    def _gram_indices(self, stream: np.ndarray, start: int, count: int, m: int) -> np.ndarray:
        """The indices (base-K, oldest digit first) of ``count`` consecutive (order + m)-grams whose
        coded m symbols begin at ``start`` (at least ``order`` symbols into the stream)."""
        order, k = self.contexts.order, self.size
        gram = np.zeros(count, dtype=index_dtype(k ** (order + m)))
        first = start - order
        for j in range(order + m):
            gram *= k
            np.add(gram, stream[first + j : first + j + count * m : m], out=gram, casting="unsafe")
        return gram

    @cached_property
    def _tuple(self) -> int:
        """m: the packer takes m symbols in full contexts as one, by the (order + m)-gram they end,
        the most whose grams number at most MAX_GRAMS and whose codewords fit 64 bits together, up to
        MAX_TUPLE; 0 when even single symbols have too many grams."""
        k, order, longest = self.size, self.contexts.order, int(self.lengths.max())
        m = 0
        while m < MAX_TUPLE and k ** (order + m + 1) <= MAX_GRAMS and (m + 1) * longest <= 64:
            m += 1
        return m

    @cached_property
    def _ruled_out(self) -> np.ndarray:
        """For each of the packer's (order + m)-grams, whether the model rules out the context of any of
        its m coded symbols (empty when the model rules out no full context)."""
        k, order, m = self.size, self.contexts.order, self._tuple
        if not m:  # (and K^order may then be too many ids to list)
            return np.zeros(0, dtype=bool)
        stored = self.contexts.rows_of_ids(np.arange(self.contexts.full)) >= 0
        if stored.all():
            return np.zeros(0, dtype=bool)
        gram = np.arange(k ** (order + m), dtype=np.int64)
        bad = np.zeros(gram.size, dtype=bool)
        for j in range(m):
            bad |= ~stored[(gram // k ** (m - j)) % k**order]
        return bad

    @cached_property
    def _packer(self) -> WordPacker:
        """Packs the codewords of the symbols as :meth:`_packed_symbols` numbers them: first the
        (order + m)-grams, each the m codewords of its last m symbols, each in the context of the
        ``order`` symbols before it (see :attr:`_tuple`); then every row's entries, row * K + x, for the
        symbols in partial contexts and those after the last whole tuple (every symbol when m is 0)."""
        codes, lengths = self._codes.ravel().astype(np.uint64), self.lengths.ravel()
        k, order, m = self.size, self.contexts.order, self._tuple
        if not m:
            return WordPacker(codes, lengths)
        gram = np.arange(k ** (order + m), dtype=np.int64)
        word = np.zeros(gram.size, dtype=np.uint64)
        size = np.zeros(gram.size, dtype=np.int64)
        for j in range(m):  # symbol j of the tuple, in the context of the `order` symbols before it
            context = (gram // k ** (m - j)) % k**order
            entry = np.maximum(self.contexts.rows_of_ids(context), 0) * k + (gram // k ** (m - 1 - j)) % k
            word = (word << lengths[entry].astype(np.uint64)) | codes[entry]
            size += lengths[entry]
        return WordPacker(np.concatenate([word, codes]), np.concatenate([size, lengths]))

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        n = operator.index(n)
        if n < 0:
            raise DecodeError(f"cannot decode {n} symbols")
        least = n * int(self.lengths.min())
        if least > len(bits):  # before anything of size n is allocated
            raise DecodeError(f"{n} symbols of this code take at least {least} bits, but the stream has "
                              f"{len(bits)} (truncated, or the wrong symbol count)")
        out = np.empty(n, dtype=index_dtype(self.size))
        compiled = jit.enabled()
        target = out if compiled else [0] * n
        big = bits if bits.endian == "big" else bitarray(bits, endian="big")
        data = np.frombuffer(big.tobytes() + bytes(kernel.PADDING), dtype=np.uint8)
        done, pos, status = kernel.decode(jit.plain(data), len(bits), target, n, self.contexts.start_row,
                                          self.contexts.start_id, *self._tables(compiled))
        if status == kernel.NO_CODEWORD:
            raise DecodeError(f"the bits do not decode to {n} symbols of this code (symbol {done}: the bits at "
                              f"position {pos} start no codeword of its context's code)")
        if status == kernel.PAST_END:
            raise DecodeError(f"the bits do not decode to {n} symbols of this code (symbol {done} ends past "
                              f"the stream's {len(bits)} bits)")
        if status == kernel.RULED_OUT:
            raise DecodeError(f"the bits do not decode to {n} symbols of this code (symbol {done}: the symbols "
                              "before it lead to a context the model rules out)")
        if pos != len(bits):
            raise DecodeError(f"{n} symbols use {pos} bits, but the stream has {len(bits)}")
        if not compiled:
            out[:] = target
        return out

    def prepare(self, n: int) -> None:
        if self.contexts.start_row >= 0:  # builds the tables, and loads or compiles the kernel
            one = np.zeros(1, dtype=index_dtype(self.size))
            self.decode(self.encode(one), 1)

    def _tables(self, compiled: bool) -> tuple:
        """The decoding kernel's arguments after (data, size, out, total, row, cid), as arrays when
        ``compiled``, else as lists."""
        return self._lookup if compiled else self._lookup_lists

    @cached_property
    def _lookup_lists(self) -> tuple:
        return tuple(a.tolist() if isinstance(a, np.ndarray) else a for a in self._lookup)

    @cached_property
    def _lookup(self) -> tuple:
        """The tables of :func:`.kernels.prefix_context.decode` (see its module notes), then the
        contexts' kernel arguments."""
        lengths, (codes, order, ends) = self.lengths, canonical_rows(self.lengths)
        rows, k = lengths.shape
        room = max(0, (MAX_LOOKUP_ENTRIES // rows).bit_length() - 1)
        bits = max(1, min(LOOKUP_BITS, kernel.MAX_BITS, kernel.ROW * int(lengths.max()), room))
        span = 1 << bits
        # Each row's codewords of at most `bits` bits cover its first patterns, in canonical order.
        sorted_lengths = np.take_along_axis(lengths, order, axis=1)
        cover = np.where(sorted_lengths <= bits, np.left_shift(1, bits - np.minimum(sorted_lengths, bits)), 0)
        starts = (np.arange(rows) * span)[:, None] + np.cumsum(cover, axis=1) - cover
        total = int(cover.sum())
        flat_cover = cover.ravel()
        offsets = np.arange(total) - np.repeat(np.cumsum(flat_cover) - flat_cover, flat_cover)
        at = np.repeat(starts.ravel(), flat_cover) + offsets
        symbol = np.zeros(rows * span, dtype=np.int64)
        length = np.zeros(rows * span, dtype=np.int64)
        symbol[at] = np.repeat(order.ravel(), flat_cover)
        length[at] = np.repeat(sorted_lengths.ravel(), flat_cover)
        step, symbols, last_row = self._chains(symbol, length, bits)
        # Canonical search over each row's lengths above `bits`: one entry per distinct length.
        first = np.ones(sorted_lengths.shape, dtype=bool)
        first[:, 1:] = sorted_lengths[:, 1:] != sorted_lengths[:, :-1]
        last = np.ones(sorted_lengths.shape, dtype=bool)
        last[:, :-1] = first[:, 1:]
        groups = first & (sorted_lengths > bits)
        group_rows, group_starts = np.nonzero(groups)
        ends_rows, ends_at = np.nonzero(last & (sorted_lengths > bits))
        search_lengths = sorted_lengths[group_rows, group_starts]
        search_first = np.take_along_axis(codes, order, axis=1)[group_rows, group_starts]
        search_limit = ends[ends_rows, ends_at]
        bounds = np.concatenate(([0], np.cumsum(np.bincount(group_rows, minlength=rows))))
        contexts = self.contexts.kernel_args()
        return (bits, step, symbols, last_row, length, bounds, search_lengths, search_limit, search_first,
                group_starts.astype(np.int64), order.ravel().astype(np.int64), *contexts)

    def _chains(self, symbol: np.ndarray, length: np.ndarray, bits: int) -> tuple:
        """From each entry's first codeword (``symbol``, ``length``; rows x 2^bits flat), the up to ROW
        codewords that decode whole from its bits, each in the row the one before leads to: ``step``
        (their bits, their count and the row after them, packed as the kernel's notes say), their
        symbols (ROW per entry) and the row coding the last."""
        entries = symbol.size
        span, mask = 1 << bits, (1 << bits) - 1
        nxt, fallback = self.contexts.nxt, self.contexts.fallback_row
        row = np.arange(entries, dtype=np.int64) >> bits
        pattern = np.arange(entries, dtype=np.int64) & mask
        symbols = np.zeros((entries, kernel.ROW), dtype=index_dtype(self.size))
        count = np.zeros(entries, dtype=np.int64)
        taken = np.zeros(entries, dtype=np.int64)
        last_row = row.copy()
        after = np.full(entries, -1, dtype=np.int64)  # the row after the chain, -1: for advance to find
        alive = np.ones(entries, dtype=bool)
        for j in range(kernel.ROW):
            at = row * span + ((pattern << taken) & mask)
            s, size = symbol[at], length[at]
            alive &= (size > 0) & (taken + size <= bits)
            symbols[alive, j] = s[alive]
            taken[alive] += size[alive]
            count += alive
            last_row[alive] = row[alive]
            following = nxt[row * self.size + s]
            plain = (following >= 0) & (following != fallback)
            after[alive] = np.where(plain, following, -1)[alive]
            alive &= plain
            row = np.where(alive, following, row)
        # In int32: rows x K <= 2^22 entries leave fewer than 2^21 rows.
        step = ((after + 1) << 8) | (count << 5) | taken
        return step.astype(np.int32), symbols.ravel(), last_row.astype(np.int32)

    # -- serialisation --------------------------------------------------------------------------
    config_fields: ClassVar[tuple[str, ...]] = (*Contexts.config_fields, "lengths")

    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), **self.contexts.to_config(),
                "lengths": self.lengths.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ContextPrefixCode":
        lengths = config["lengths"]
        size = len(lengths[0]) if isinstance(lengths, list) and lengths and isinstance(lengths[0], list) else 0
        return cls(Contexts.from_config(config, size), lengths, scheme=config["scheme"], params=config.get("params"))

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The contexts (:meth:`Contexts.from_config`), then one row of ``size`` code lengths per
        context row, each from 1 to MAX_CONTEXT_CODEWORD_BITS, and Kraft's inequality in every row."""
        contexts = Contexts.from_config(config, size)
        rows = config["lengths"]
        if not isinstance(rows, list):
            raise ConfigError(f"{field('lengths')} is {json_kind(rows)}, not a list of code lengths per context",
                              corrupt=True)
        if len(rows) != contexts.rows:
            raise ConfigError(f"{field('lengths')} has {len(rows)} rows, but the code has {contexts.rows} contexts "
                              "(one list of code lengths each)", corrupt=True)
        for i, row in enumerate(rows):
            if not isinstance(row, list):
                raise ConfigError(f"{field('lengths')} row {i + 1} is {json_kind(row)}, not a list of {size} "
                                  "code lengths", corrupt=True)
            if len(row) != size:
                raise ConfigError(f"{field('lengths')} row {i + 1} has {len(row)} entries, but the alphabet has "
                                  f"{size} labels", corrupt=True)
        table = None
        if all(type(v) is int for v in itertools.chain.from_iterable(rows)):
            with contextlib.suppress(OverflowError):
                table = np.array(rows, dtype=np.int64)
        if table is None or table.min() < 1 or table.max() > MAX_CONTEXT_CODEWORD_BITS:
            i, j, v = next((i, j, v) for i, row in enumerate(rows) for j, v in enumerate(row)
                           if type(v) is not int or not 1 <= v <= MAX_CONTEXT_CODEWORD_BITS)
            raise ConfigError(f"{field('lengths')} row {i + 1} entry {j + 1} is {show_json(v)}: a context code's "
                              f"lengths are integers from 1 to {MAX_CONTEXT_CODEWORD_BITS}", corrupt=True)
        over = _kraft_units(table) > 1 << kernel.WINDOW
        if over.any():
            raise ConfigError(f"{field('lengths')} row {int(np.argmax(over)) + 1} is not a prefix code: its "
                              "lengths are over-subscribed (Kraft sum > 1)")

    # -- looking inside ---------------------------------------------------------------------------
    trace_note: ClassVar[str] = ("each symbol's context and its codeword in that context's code, at the bit "
                                 "position where it starts")
    table_columns = context_table_columns(("codeword", "codeword"), ("length", "length"))
    trace_columns = trace_columns_with(("context", "context"), ("position", "bit pos"), ("codeword", "codeword"),
                                       ("bits", "bits"), total=("total_bits", "bits so far"))

    def context_entry(self, row: int, x: int) -> dict[str, Any]:
        return {"codeword": self.codeword_in(row, x), "length": int(self.lengths[row, x])}

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """Each symbol's context, and its codeword there at the bit position where it starts."""
        position = 0

        def codeword(row: int, x: int) -> dict[str, Any]:
            nonlocal position
            word = self.codeword_in(row, x)
            position += len(word)
            return {"position": position - len(word), "codeword": word, "bits": len(word)}

        return running_totals(self.context_steps(stream[:limit], alphabet, model, codeword), "total_bits")

    def __repr__(self) -> str:
        return (f"ContextPrefixCode(scheme={self.scheme!r}, size={self.size}, order={self.contexts.order}, "
                f"contexts={self.contexts.rows})")


def _refuse_ruled_out(ruled_out: np.ndarray, first: int) -> None:
    """A CodesimError at the first symbol (``first`` the index of the first one checked) whose context
    the model rules out."""
    if ruled_out.any():
        raise CodesimError(f"symbol {first + int(np.argmax(ruled_out))} of the stream comes after symbols the "
                           "model rules out: its context has probability 0, so no context code can code it")


def each_row(check: Callable[[dict, dict], None] | None) -> Callable[[dict, dict], None] | None:
    """A prefix scheme's ``Scheme.check`` (what its codes always are: complete, of one length, ...)
    that checks a context code's config too, row by row of its ``lengths`` (each distinct row once)."""
    if check is None:
        return None

    def checked(config: dict[str, Any], params: dict[str, Any]) -> None:
        if "order" not in config:
            return check(config, params)
        first: dict[tuple, int] = {}
        for i, row in enumerate(config["lengths"]):
            first.setdefault(tuple(row), i)
        for row, i in first.items():
            try:
                check({**config, "lengths": list(row)}, params)
            except ConfigError as exc:
                raise ConfigError(f"{exc} (context row {i + 1})", corrupt=exc.corrupt) from None

    return checked


def _kraft_units(lengths: np.ndarray) -> np.ndarray:
    """Every row's Kraft sum in units of 2^-WINDOW, exactly (lengths from 1 to WINDOW: at most 2^16
    terms of at most 2^47 each stay below 2^64)."""
    return np.left_shift(np.uint64(1), (kernel.WINDOW - lengths).astype(np.uint64)).sum(axis=1, dtype=np.uint64)
