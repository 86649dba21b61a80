"""The coder contract: what a scheme's coder does, and what the rest of codesim asks of it.

Every scheme builds a :class:`Coder` from an assumed distribution q. A coder encodes a stream of symbol
indices to a ``bitarray`` and decodes it back given the symbol count; it knows the distribution r it
implicitly assumes (its *implied* distribution) and its exact expected length under any p, and it
serialises to a JSON-able config from which the decoder rebuilds the identical code without q.

A coder also answers everything else about itself, so that the file container, ``codesim inspect`` and
``codesim bench`` ask it instead of knowing it:

- :meth:`Coder.check_config` refuses, before anything is built, a config read from a file that no
  coder of its scheme writes (a field missing, an over-subscribed prefix code, frequencies that do not
  sum to 2^P), with a :class:`~codesim.errors.ConfigError` naming the field;
- :meth:`Coder.bit_bounds` gives the fewest and the most bits n symbols can take, where the code has
  such bounds, so that a file's symbol count is checked against its payload before decoding;
- :meth:`Coder.table_rows` and :meth:`Coder.trace_rows` are the code table and the annotated symbols
  that ``codesim inspect`` shows, :attr:`Coder.table_columns` and :attr:`Coder.trace_columns` which of
  their columns it shows and under what headings, and :attr:`Coder.trace_note` what the annotation means;
- :attr:`Coder.bench_peers` names the other libraries' coders that ``codesim bench`` sets beside it, and
  :meth:`Coder.codeword` and :meth:`Coder.jump_table_bits` give a prefix code's peer what it needs.

A new coder family is one module: its Coder subclass and the :class:`~codesim.coders.registry.Scheme`
entries that register it.

Config versions
---------------
A config holds ``scheme``, ``params`` and the fields of the coder's table (:attr:`Coder.config_fields`),
and may hold ``version``. A coder class whose bitstream or table changes in a way its old decoder cannot
read adds a version to :attr:`Coder.versions`: it writes ``"version": v`` into the configs it makes, and
decodes every version it lists. A config without ``version`` is version 1, so the configs written
before a coder changed keep their meaning, and the container's own version byte stays 1 as long as
the framing does. :meth:`Coder.check_config` refuses a version the class does not list (a file from a
newer codesim), and an explicit ``"version": 1``: version 1 is written by leaving the field out, so
that every code has exactly one config.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterable

import numpy as np
from bitarray import bitarray

from ..errors import CodesimError, ConfigError, SchemeError, json_key
from ..measures import cross_entropy, kl_divergence
from .config import check_version, field

#: The most symbols one message may hold, whatever its scheme (the .csim container's limit too).
#: ``codesim decode`` writes a label per symbol, about 0.3 microseconds a symbol as text here, and a
#: stream coder may spend a tiny fraction of a bit on a likely symbol, so a file of a few hundred bytes
#: can claim this many: 2^24 symbols decode and write in about 5 seconds (10^8 would take half a
#: minute). Schemes whose decoders are slower declare lower limits (:meth:`Coder.symbol_limit`).
MAX_SYMBOLS = 1 << 24


#: Columns of an inspect view, in the order shown: (key of a row, heading), or (key, heading, decimals)
#: for a number shown to other than four decimals.
Columns = tuple[tuple[str, str] | tuple[str, str, int], ...]


def table_columns_with(*own: tuple) -> Columns:
    """The code table's columns: the symbol, p and q, the code's ``own`` columns, the ideal length."""
    return ("symbol", "symbol"), ("p", "p"), ("q", "q"), *own, ("ideal_bits", "-log2 q")


def trace_columns_with(*own: tuple, symbol: str = "symbol",
                       total: tuple[str, str] = ("total_cost", "cost so far")) -> Columns:
    """The annotated view's columns: the index, the ``symbol`` column, the code's ``own`` columns, the
    ideal length, the running ``total`` (see :func:`running_totals`), the running ideal and the excess."""
    return (("index", "index"), (symbol, symbol), *own, ("ideal_bits", "-log2 q"), total,
            ("total_ideal", "ideal so far"), ("excess", "excess"))


class Coder(ABC):
    """A code for an alphabet of ``size`` symbols, built by a registered scheme from a model q."""

    scheme: str
    params: dict[str, Any]
    #: The most symbols one message of this scheme may hold (see :meth:`symbol_limit`).
    max_symbols: ClassVar[int] = MAX_SYMBOLS
    #: Whether the code's cost depends on more than one symbol at a time (a block code's tuples, a
    #: context code's contexts): then :meth:`expected_length` is given the source itself, with its memory,
    #: rather than its marginal.
    reads_context: ClassVar[bool] = False

    def symbol_limit(self) -> int:
        """The most symbols one message of this code may hold: a message within it, valid or hostile,
        decodes in a few seconds on one core (measured figures in the README, "Decode time"). Coders
        whose speed depends on their parameters or alphabet lower the class's ``max_symbols``."""
        return self.max_symbols

    def check_message_size(self, n: int) -> str | None:
        """Why a message of n symbols is over this code's limit, or None."""
        limit = self.symbol_limit()
        if n > limit:
            return (f"{n} symbols are over scheme {self.scheme!r}'s limit of {limit} symbols per message"
                    f"{self._limit_reason()}")
        return None

    def _limit_reason(self) -> str:
        """What the symbol limit depends on, for the message that refuses a size ("" if nothing)."""
        return ""

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of symbols in the alphabet."""

    @abstractmethod
    def encode(self, stream: np.ndarray) -> bitarray:
        """The bits for a stream of symbol indices."""

    @abstractmethod
    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        """The n symbol indices that ``bits`` encodes; DecodeError if the bits are not exactly that."""

    @property
    @abstractmethod
    def implied(self) -> np.ndarray:
        """The distribution r this code is optimal for: it spends about -log2 r(x) bits on x."""

    def expected_length(self, p) -> float:
        """Expected bits per symbol when the source is p (excluding per-message overhead)."""
        return cross_entropy(p, self.implied)

    def expected_bits_bound(self, p, n: int) -> float | None:
        """An upper bound on the expected bits of one message of n symbols from the stationary source p,
        where the code has one worth drawing (a universal code's redundancy bound); None here."""
        return None

    def note(self) -> str | None:
        """A phrase the results say beside this coder's bits when how it codes needs saying (a
        general-purpose compressor's packing of symbols into bytes, its format's headers); None here."""
        return None

    def prepare(self, n: int) -> None:
        """Build now any table that coding n symbols would build on first use (for timings that
        should measure coding alone); a coder without such tables does nothing."""

    def code_divergence(self, p) -> float:
        """D(p||r) per symbol: what the code's own model costs over H(p) (block codes override this)."""
        return kl_divergence(p, self.implied)

    @abstractmethod
    def get_config(self) -> dict[str, Any]:
        """A JSON-able dict with ``scheme``, ``params`` and the table the decoder needs."""

    @classmethod
    @abstractmethod
    def from_config(cls, config: dict[str, Any]) -> "Coder":
        """Rebuild the identical coder from :meth:`get_config`'s output."""

    def _check_stream(self, stream: np.ndarray) -> np.ndarray:
        stream = np.asarray(stream)
        if stream.ndim != 1:
            raise CodesimError("a stream is a 1-D array of symbol indices")
        if stream.size and stream.dtype.kind not in "ui":
            raise CodesimError(f"a stream holds integer indices, not {stream.dtype}")
        if stream.size and (stream.min() < 0 or stream.max() >= self.size):
            raise CodesimError(
                f"stream has index {int(stream.max()) if stream.max() >= self.size else int(stream.min())}"
                f" outside the alphabet 0..{self.size - 1}"
            )
        return stream
    # -- configs read from files ----------------------------------------------------------------
    #: The config's fields besides ``scheme``, ``params`` and ``version``: the table the decoder
    #: rebuilds the code from. :meth:`check_config` requires exactly these.
    config_fields: ClassVar[tuple[str, ...]] = ()
    #: The config versions this class decodes, oldest first; it writes the last (see the module notes).
    versions: ClassVar[tuple[int, ...]] = (1,)

    @classmethod
    def check_config(cls, config: dict[str, Any], size: int) -> None:
        """Refuse a config of this class's scheme, read from a file for an alphabet of ``size``
        symbols, that no coder of the scheme writes: a ConfigError naming the field, raised before
        anything is built from it.

        Checks the fields (exactly ``scheme``, ``params``, :attr:`config_fields` and perhaps
        ``version``), the version, the parameters (JSON types and bounds, strictly), then the table
        (:meth:`check_table`) and what the scheme's codes always are (``Scheme.check``).
        """
        from .registry import get  # the registry imports this module

        scheme = get(config["scheme"])
        expected = {"scheme", "params", *cls.config_fields}
        for key in sorted(expected - config.keys()):
            raise ConfigError(f"{field(key)} is missing", corrupt=True)
        for key in sorted(config.keys() - expected - {"version"}):
            raise ConfigError(f"field 'coder.{json_key(key)}' is not part of a {scheme.name!r} config",
                              corrupt=True)
        check_version(config, cls.versions, scheme.name)
        params = scheme.check_params(config["params"])
        cls.check_table(config, params, size)
        if scheme.check is not None:
            scheme.check(config, params)

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        """Refuse table fields (:attr:`config_fields`) that describe no code of this class over
        ``size`` symbols; ``params`` are checked already. A class without a table checks nothing."""

    def bit_bounds(self, n: int) -> tuple[int, int] | None:
        """The fewest and the most bits any stream of n symbols takes, or None where the code has no
        such bound worth checking (a stream coder may spend almost nothing on a likely symbol; its
        decoder checks what it reads)."""
        return None

    # -- looking inside (codesim inspect) --------------------------------------------------------
    #: What :meth:`trace_rows` shows, as a phrase.
    trace_note: ClassVar[str] = "each symbol's cost under the code's implied distribution"
    #: The columns of the code table (:meth:`table_rows`) that ``codesim inspect`` shows, in order
    #: (:data:`Columns`); a row without p or q (not recorded in the file) leaves that column out.
    table_columns: ClassVar[Columns] = table_columns_with()
    #: The columns of the annotated view (:meth:`trace_rows`) that ``codesim inspect`` shows, in order.
    trace_columns: ClassVar[Columns] = trace_columns_with(("cost_bits", "cost"))

    def table_entry(self, i: int) -> dict[str, Any]:
        """The code's own columns for symbol i in the code table (a codeword, a frequency): none here."""
        return {}

    def table_rows(self, alphabet, model, source) -> list[dict[str, Any]]:
        """One row per symbol: its label, q and p where recorded (``model``, ``source``: vectors or
        None), the code's entry for it (:meth:`table_entry`), and its ideal length -log2 q(x), or
        -log2 r(x) of the implied r where q is not recorded."""
        probs = model if model is not None else self.implied
        rows = []
        for i, label in enumerate(alphabet):
            row: dict[str, Any] = {"symbol": label}
            if model is not None:
                row["q"] = float(model[i])
            if source is not None:
                row["p"] = float(source[i])
            row.update(self.table_entry(i))
            prob = float(probs[i])
            row["ideal_bits"] = -math.log2(prob) if prob > 0 else math.inf
            rows.append(row)
        return rows

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits: bitarray) -> list[dict[str, Any]]:
        """The annotated view of the first ``limit`` symbols of ``stream``, whose encoding is ``bits``:
        a row per symbol (or per group of symbols the code spends bits on), with the code's own columns
        (:attr:`trace_note` says which) and the running totals of its bits against the ideal length
        sum -log2 q(x) (:func:`running_totals`). Here: each symbol's cost -log2 r(x) under the
        implied r."""
        costs = self.ideal_costs(model)
        own = self.ideal_costs(None)
        label = alphabet.__getitem__
        return running_totals(
            (({"index": i, "symbol": label(s), "cost_bits": float(own[s])}, float(own[s]), float(costs[s]))
             for i, s in enumerate(stream[:limit].tolist())),
            "total_cost",
        )

    def ideal_costs(self, model) -> np.ndarray:
        """-log2 q(x) for every symbol, from the recorded model q, or from the implied r when q is None."""
        with np.errstate(divide="ignore"):
            return -np.log2(np.asarray(model if model is not None else self.implied, dtype=np.float64))

    # -- benchmarks (codesim bench) --------------------------------------------------------------
    #: The peers of :mod:`codesim.simulation.bench` that do this coder's job, by name: ``"bitarray"``
    #: (its C prefix coder, given this code's :meth:`codeword` for every symbol, its output compared
    #: with ours after :meth:`jump_table_bits`), ``"constriction ans"`` and ``"constriction range"``
    #: (constriction's stack and queue coders over a categorical model of q).
    bench_peers: ClassVar[tuple[str, ...]] = ()

    def codeword(self, i: int) -> str:
        """Symbol i's codeword as a string of 0s and 1s, for a code that gives every symbol one
        (the ``"bitarray"`` peer needs it); a SchemeError for a code that has none (a stream coder)."""
        raise SchemeError(f"scheme {self.scheme!r} gives no symbol a codeword of its own")

    def jump_table_bits(self, bits: bitarray, n: int) -> int:
        """How many leading bits of the encoding ``bits`` of n symbols come before the symbols'
        codewords, one after another (a table for decoding in lanes): none here."""
        return 0


def running_totals(steps: Iterable[tuple[dict[str, Any], float, float]], total: str) -> list[dict[str, Any]]:
    """Trace rows from (row, bits, ideal) steps: each row gets ``ideal_bits``, the running total of
    the bits spent (under the key ``total``), ``total_ideal`` and their difference, ``excess``."""
    rows = []
    spent = ideal = 0.0
    for row, cost, own_ideal in steps:
        spent += cost
        ideal += own_ideal
        row.update({"ideal_bits": own_ideal, total: spent, "total_ideal": ideal, "excess": spent - ideal})
        rows.append(row)
    return rows
