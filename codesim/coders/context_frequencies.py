"""Per-context quantised frequencies: the table of the context codes of ``arithmetic`` and ``rans``.

A model with memory (order k > 0) gives a distribution of the next symbol in every stored context
(:mod:`.context`). Its context code quantises each row exactly as the scheme quantises an i.i.d. q
(:func:`~codesim.coders.frequencies.quantise`: integers >= 1 summing to 2^P), and codes symbol x in
context c with its row's interval [s(x | c), s(x | c) + f(x | c)) out of 2^P. The coder so spends about
-log2 r(x | c) on it, r = f / 2^P, and a one-row table is the i.i.d. coder's own.

The coding loops see the table flat, entry ``row * K + x``: the encoder knows every position's row up
front (:meth:`Contexts.rows_of`) and so hands its kernel the flat entries of the stream, through which
it runs as it runs through the symbols of an i.i.d. table; the decoder follows the context from symbol
to symbol, and finds the symbol of a target among its row's starts through a coarse slot table per
row (:func:`row_lookup`).

Config: ``{"scheme", "params", "version", "order", "contexts", "fallback", "precision", "freqs"}``,
the contexts as :meth:`Contexts.to_config` writes them and ``freqs`` one list of K integers per row.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import numpy as np

from .. import jit
from ..errors import CodesimError, ConfigError, show_json
from ..sources.iid import index_dtype
from .base import Coder
from .config import check_version, field, strict_int
from .context import Contexts, ContextCode, check_rows, context_table_columns
from .frequencies import check_frequencies, quantise
from .kernels import context as kernel

#: The most symbols one message of a context code may hold (see the README, "Decode time"). Without
#: the ``fast`` extra the decoders take a Python step per symbol, and following the context costs
#: more than an i.i.d. coder's step. The slowest messages found (tools/stream_context_worst.py: tables
#: of 2^22 entries, 2048 or 65536 symbols, every symbol but one of frequency 1, so binary searches of
#: 11 to 16 steps and, for arithmetic at precision 32, four digits a symbol; with a fallback row, the
#: next context searched for among the stored ids at every symbol) decode 2^18 symbols in 1.0 to 2.7
#: s here on a machine shared with other work, up to 4.7 s when it was busiest; compiled, in 0.1 to
#: 0.7 s (tables that large miss the caches).
MAX_SYMBOLS = 1 << 18
#: A row's slot table has at most 2^SLOT_BITS slots (as the i.i.d. range coder's), and all rows'
#: tables together at most LOOKUP_ENTRIES entries (1 MB of int32): a table of a few rows finds
#: nearly every symbol in one look-up, one of thousands of rows keeps a slot or two a row and
#: finds the symbol by a binary search among the row's starts.
SLOT_BITS = 12
LOOKUP_ENTRIES = 1 << 18


def quantise_rows(rows: np.ndarray, precision: int) -> np.ndarray:
    """Every row of conditional probabilities quantised as :func:`quantise` quantises an i.i.d. q
    (rows x K int64, each row's sum 2^precision).

    A table at the limit has 2^21 rows, too many to quantise one by one (seconds); the rows whose
    rounding already sums to 2^precision and that no move of one count improves, :func:`quantise`'s
    answer, are found all at once, and only the others go through it."""
    rows = np.asarray(rows, dtype=np.float64)
    total = 1 << precision
    with np.errstate(divide="ignore", invalid="ignore"):
        q = rows / rows.sum(axis=1, keepdims=True)
        f = np.maximum(1, np.rint(q * total)).astype(np.int64)
        gain = np.where(q > 0, q * np.log2((f + 1) / f), -np.inf)
        loss = np.where(f > 1, q * np.log2(f / np.maximum(f - 1, 1)), np.inf)
    at = np.arange(len(rows))
    i, j = gain.argmax(axis=1), loss.argmin(axis=1)  # ties to the lower symbol, as quantise's
    done = (f.sum(axis=1) == total) & ((loss[at, j] == np.inf) | (i == j) | (gain[at, i] <= loss[at, j]))
    for r in np.flatnonzero(~done).tolist():
        f[r] = quantise(rows[r], precision)
    return f


def row_lookup(starts: np.ndarray, rows: int, size: int, precision: int) -> tuple[np.ndarray, int]:
    """(lookup, slot_bits): for each row 2^L + 1 entries (L = ``slot_bits``), entry s of row c the
    flat entry c * K + x of the symbol x whose interval in c holds target s << (P - L) (entry 2^L:
    the row's last symbol), so that the symbol of any target in slot s lies between entries s and
    s + 1 of its row.

    L is the largest up to min(P, SLOT_BITS) that keeps rows x 2^L within LOOKUP_ENTRIES, and 0 past
    that (each row's two entries then bound a search of the whole row)."""
    bits = min(precision, SLOT_BITS)
    while bits and rows << bits > LOOKUP_ENTRIES:
        bits -= 1
    total = 1 << precision
    offset = np.arange(rows, dtype=np.int64) * total
    # Every row's starts lifted by row * 2^P are increasing across rows: one search finds them all.
    lifted = (starts.reshape(rows, size) + offset[:, None]).ravel()
    firsts = (np.arange((1 << bits) + 1, dtype=np.int64) << (precision - bits))[None, :] + offset[:, None]
    found = np.searchsorted(lifted, firsts.ravel(), side="right").reshape(rows, -1) - 1
    last = np.arange(1, rows + 1, dtype=np.int64)[:, None] * size - 1
    return np.minimum(found, last).astype(np.int32).ravel(), bits


class ContextFrequencyCoder(ContextCode, Coder):
    """Base of the context codes over per-context frequencies ``freqs`` (rows x K, each row summing to
    2^precision) in the rows of ``contexts``. Subclasses set ``max_precision`` and ``versions`` and
    implement ``encode`` and ``decode``."""

    max_precision: ClassVar[int] = 32
    max_symbols: ClassVar[int] = MAX_SYMBOLS
    config_fields: ClassVar[tuple[str, ...]] = ("version", *Contexts.config_fields, "precision", "freqs")
    table_columns = context_table_columns(("frequency", "frequency"))

    def __init__(self, contexts: Contexts, freqs, precision: int, scheme: str, params: dict[str, Any]):
        if isinstance(precision, bool) or not isinstance(precision, (int, np.integer)) or not (
            1 <= precision <= self.max_precision
        ):
            raise CodesimError(f"precision must be an integer from 1 to {self.max_precision}, got {precision!r}")
        if not isinstance(contexts, Contexts):
            raise CodesimError(f"a context code needs the model's Contexts, got {type(contexts).__name__}")
        self.contexts = contexts
        self.precision = int(precision)
        freqs = np.asarray(freqs)
        if freqs.shape != (contexts.rows, contexts.size):
            raise CodesimError(f"a context code's frequencies are {contexts.rows} rows of {contexts.size}, "
                               f"got shape {freqs.shape}")
        try:
            for i, row in enumerate(freqs):
                check_frequencies(row, self.precision)
        except CodesimError as exc:
            raise CodesimError(f"row {i + 1} of the frequencies: {exc}") from None
        self.freqs = freqs.astype(np.int64)
        self.freqs.setflags(write=False)
        #: Flat tables, entry row * K + x: x's frequency and start in that row.
        self.flat_freqs = self.freqs.ravel()
        self.flat_starts = (np.cumsum(self.freqs, axis=1) - self.freqs).ravel()
        self.scheme = scheme
        self.params = dict(params)

    @classmethod
    def from_model(cls, model, precision: int, scheme: str, params: dict[str, Any], **options) -> "ContextFrequencyCoder":
        """The context code of a model with memory: its rows quantised (:func:`quantise_rows`)."""
        contexts, rows = model.context_table()
        rows = check_rows(rows, contexts, "the model's context table")
        return cls(contexts, quantise_rows(rows, precision), precision, scheme, params, **options)

    @property
    def size(self) -> int:
        return self.contexts.size

    def implied_rows(self) -> np.ndarray:
        return self.freqs / float(1 << self.precision)

    def scaled(self, scale: int) -> np.ndarray:
        """By flat entry row * K + x: the next row * ``scale``, or the negative entry of ``nxt`` (see
        :func:`~codesim.coders.kernels.context.advance_scaled`)."""
        nxt = self.contexts.nxt
        return np.where(nxt >= 0, nxt * scale, nxt).astype(np.int64)

    @cached_property
    def _scaled_by_size(self) -> np.ndarray:
        return self.scaled(self.size)

    @cached_property
    def _decode_tables(self) -> tuple:
        lookup, bits = row_lookup(self.flat_starts, self.contexts.rows, self.size, self.precision)
        symbol = np.tile(np.arange(self.size, dtype=np.int32), self.contexts.rows)
        return symbol, lookup, bits, self.scaled((1 << bits) + 1)

    def entry_tables(self) -> tuple:
        """(starts, freqs): the flat tables as the kernels take them (:func:`~codesim.jit.plain`)."""
        return jit.plain(self.flat_starts), jit.plain(self.flat_freqs)

    def follow_args(self) -> tuple:
        """What :func:`~codesim.coders.kernels.context.advance` takes after (row, id, x), as the kernels
        take it."""
        return tuple(jit.plain(a) if isinstance(a, np.ndarray) else a for a in self.contexts.kernel_args())

    def decode_args(self) -> tuple:
        """The decoding kernels' arguments from the flat tables on: starts, sizes, then symbol (each
        entry's x), lookup and slot_bits (the rows' slot tables, :func:`row_lookup`) and scaled (the
        next row * S by entry, S = 2^slot_bits + 1 entries of ``lookup`` a row), the first row and id,
        then :meth:`follow_args`."""
        symbol, lookup, bits, scaled = self._decode_tables
        contexts = self.contexts
        return (*self.entry_tables(), jit.plain(symbol), jit.plain(lookup), bits, jit.plain(scaled),
                contexts.start_row, contexts.start_id, *self.follow_args())

    def flat_symbols(self, stream: np.ndarray) -> np.ndarray:
        """Every position's flat table entry, row * K + x, for a stream checked already (uint16 where
        every entry fits, else int32: less for the coding loop to read); a CodesimError naming the
        first symbol the model rules out (one leading into a context the model neither stores nor
        backs off from)."""
        contexts, size = self.contexts, self.size
        dtype = np.uint16 if self.flat_freqs.size <= 1 << 16 else np.int32
        out = jit.scratch(stream.size, dtype)
        # The kernel takes the stream in its own integer type, except uint64 (see rans.encode).
        symbols = stream.astype(np.int64) if stream.dtype == np.uint64 else stream
        done = kernel.entries(jit.plain(symbols), out, contexts.start_row, contexts.start_id,
                              jit.plain(self._scaled_by_size), *self.follow_args())
        if done < stream.size:
            if done == 0:
                raise CodesimError("the model stores no row for a message's first symbol: it can code no message")
            cid = int(contexts.ids_of(stream[:done])[-1])
            raise CodesimError(f"symbol {int(stream[done - 1])} at position {done - 1} (after context "
                               f"{contexts.describe(cid, range(size))}) has probability 0 under the model: it "
                               "leads to a context the model does not store, so this code cannot code the stream")
        return np.asarray(out, dtype=dtype)

    def ideal_bits(self, stream: np.ndarray) -> float:
        """sum over the stream of -log2 r(x | context): what a coder with exact arithmetic spends."""
        flat = self.flat_symbols(self._check_stream(stream))
        return float(np.sum(self.precision - np.log2(self.flat_freqs[flat].astype(np.float64))))

    def prepare(self, n: int) -> None:
        """Build the tables and load the kernels by coding a message of one symbol (a message's first
        symbol never leads out of the model's contexts)."""
        if n and self.contexts.start_row >= 0:
            self.decode(self.encode(np.zeros(1, dtype=index_dtype(self.size))), 1)

    # -- configs -----------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"scheme": self.scheme, "params": dict(self.params), "version": self.version,
                **self.contexts.to_config(), "precision": self.precision, "freqs": self.freqs.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ContextFrequencyCoder":
        try:
            freqs, precision, scheme = config["freqs"], config["precision"], config["scheme"]
        except (KeyError, TypeError):
            raise CodesimError(f"a {cls.__name__} config needs scheme, precision and freqs") from None
        version = check_version(config, cls.versions, str(scheme))
        size = len(freqs[0]) if isinstance(freqs, list) and freqs and isinstance(freqs[0], list) else 0
        contexts = Contexts.from_config(config, size)
        return cls(contexts, np.asarray(freqs), precision, scheme, config.get("params", {}), version)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """The contexts (:meth:`Contexts.from_config`), the precision within the class's and equal to the
        parameter, and ``freqs`` a row per context row of ``size`` integers >= 1 summing to 2^precision,
        checked one entry at a time (before any array is made of them)."""
        contexts = Contexts.from_config(config, size)
        precision = strict_int(config["precision"], "precision", 1, cls.max_precision)
        if params.get("precision", precision) != precision:
            raise ConfigError(f"{field('precision')} is {precision} but 'coder.params.precision' is "
                              f"{params['precision']}", corrupt=True)
        freqs = config["freqs"]
        if not isinstance(freqs, list) or len(freqs) != contexts.rows:
            got = f"has {len(freqs)} rows" if isinstance(freqs, list) else f"is {show_json(freqs)}"
            raise ConfigError(f"{field('freqs')} {got}, not a list of {contexts.rows} rows (one per context"
                              f"{' and the fallback' if contexts.fallback else ''})", corrupt=True)
        total = 1 << precision
        for r, row in enumerate(freqs, 1):
            if not isinstance(row, list) or len(row) != size:
                raise ConfigError(f"{field('freqs')} row {r} is {show_json(row)}: a list of {size} frequencies, "
                                  "one per label of the alphabet", corrupt=True)
            for i, f in enumerate(row, 1):
                if type(f) is not int:
                    raise ConfigError(f"{field('freqs')} row {r} entry {i} is {show_json(f)}, not an integer",
                                      corrupt=True)
                if f < 1:
                    raise ConfigError(f"{field('freqs')} row {r} entry {i} is {f}: every symbol needs a frequency "
                                      ">= 1 (zeros make symbols uncodable)")
            if sum(row) != total:
                raise ConfigError(f"{field('freqs')} row {r} adds up to {sum(row)}, not 2^{precision} = {total}")

    # -- looking inside ----------------------------------------------------------------------------
    def context_entry(self, row: int, x: int) -> dict[str, Any]:
        """The code table's own column for symbol x in a context row: its frequency."""
        return {"frequency": int(self.freqs[row, x])}
