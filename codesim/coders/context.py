"""Contexts of a model with memory, as a context code sees them: one table row per stored context.

A model of order k gives the next symbol's probabilities given the k symbols before it, its *context*.
A context code (per-context prefix codes, per-context frequencies for ``arithmetic`` and ``rans``) has
one code per context, and codes every message afresh: the message's first k symbols, which have fewer
than k symbols before them, are coded in *partial* contexts (the j symbols so far, j < k), with the
model's lower-order conditionals. Every context has an integer id:

- a full context, the last k symbols x_1..x_k (oldest first) as the base-K number x_1 K^(k-1) + ... +
  x_k, below ``full`` = K^k;
- a partial context of j < k symbols with value v (the same rule over j digits),
  ``full + offsets[j] + v``, where offsets[j] = K^0 + ... + K^(j-1) (so the empty context, position 0
  of a message, is ``full``).

Tables are sparse: only the contexts a model stores have rows (a chain's contexts of positive
probability, an estimate's contexts seen in training), in increasing order of id. A model may have a
*fallback* row, the last, coding every context it does not store (an estimate backs off to its order-0
counts there). Without one, a context that is not stored has probability 0 under the model, and so
does any symbol that leads into it.

The table of a context code has rows x K entries; :data:`MAX_CONTEXT_ENTRIES` bounds that product
(in a scenario's model and in a .csim file alike), and an order whose ids would not fit in 62 bits is
refused with it.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from ..errors import CodesimError, ConfigError, show_json
from .base import running_totals, trace_columns_with
from .config import field as config_field
from .kernels.context import IMPOSSIBLE, LOOKUP

#: The most entries (contexts x symbols) a context code's tables may have: 2^22, about 100 MB of the
#: codes' tables at the ~25 bytes an entry costs across a code's arrays; the chain's own rows take 32
#: MB more as float64.
MAX_CONTEXT_ENTRIES = 1 << 22
#: The largest order a model may have (and then only where K^order fits MAX_ID_BITS).
MAX_ORDER = 32
MAX_ID_BITS = 62
#: The most rows of a context code's table that ``codesim inspect`` shows (whole contexts, at least one).
MAX_TABLE_ROWS = 256
#: Ids up to this many are mapped to rows through a dense array rather than a binary search.
_DENSE_IDS = 1 << 22


def id_space(size: int, order: int) -> tuple[int, list[int]]:
    """(full, offsets): K^order, and offsets[j] = K^0 + ... + K^(j-1) for j = 0..order (see the
    module notes); a CodesimError when the ids would not fit in MAX_ID_BITS bits."""
    if not 0 <= order <= MAX_ORDER:
        raise CodesimError(f"order {order} is out of range: a model looks at 0 to {MAX_ORDER} symbols")
    full = size ** order
    offsets = [0]
    for j in range(order):
        offsets.append(offsets[-1] + size ** j)
    if (full + offsets[-1]) * size >= 1 << MAX_ID_BITS:
        raise CodesimError(f"order {order} over {size} symbols gives {size}^{order} contexts: their ids "
                           f"do not fit in {MAX_ID_BITS} bits (use a lower order)")
    return full, offsets


def symbols_label(value: int, count: int, alphabet) -> str:
    """``count`` symbols given as a base-K number (the oldest most significant) as their labels."""
    digits = []
    for _ in range(count):
        value, d = divmod(value, len(alphabet))
        digits.append(str(alphabet[d]))
    return " ".join(reversed(digits))


def check_entries(rows: int, size: int, what: str) -> None:
    """Refuse a context table of ``rows`` rows over ``size`` symbols past MAX_CONTEXT_ENTRIES."""
    if rows * size > MAX_CONTEXT_ENTRIES:
        raise CodesimError(
            f"{what} has {rows} contexts x {size} symbols = {rows * size} table entries, over the limit "
            f"of {MAX_CONTEXT_ENTRIES} (2^22): use a lower order or a smaller alphabet")


@dataclass(frozen=True, eq=False)
class Contexts:
    """The stored contexts of a model of ``order`` k over ``size`` K symbols, and how a message moves
    between them. ``ids`` are the stored contexts' ids, strictly increasing; row i is ``ids[i]``, and
    row ``len(ids)`` the fallback when ``fallback`` is set."""

    size: int
    order: int
    ids: np.ndarray
    fallback: bool
    full: int = field(init=False)
    offsets: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        full, offsets = id_space(self.size, self.order)
        ids = np.ascontiguousarray(self.ids, dtype=np.int64)
        check_entries(len(ids) + self.fallback, self.size, f"a model of order {self.order}")
        if ids.size and (np.any(np.diff(ids) <= 0) or ids[0] < 0 or ids[-1] >= full + offsets[-1]):
            raise CodesimError("context ids must be increasing and within the id space")
        ids.setflags(write=False)
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "full", full)
        object.__setattr__(self, "offsets", np.array(offsets, dtype=np.int64))

    # -- rows ------------------------------------------------------------------------------------
    @property
    def rows(self) -> int:
        """How many rows the context code's tables have (the fallback included)."""
        return len(self.ids) + self.fallback

    @property
    def fallback_row(self) -> int:
        """The fallback's row, or IMPOSSIBLE when the model has none."""
        return len(self.ids) if self.fallback else IMPOSSIBLE

    @property
    def start_id(self) -> int:
        """The context of a message's first symbol: the empty one (the only one, at order 0)."""
        return self.full if self.order else 0

    @property
    def start_row(self) -> int:
        """The row that codes a message's first symbol."""
        return int(self.rows_of_ids(np.array([self.start_id]))[0])

    def rows_of_ids(self, cids: np.ndarray) -> np.ndarray:
        """The row of every context id (int64 array): its own, else the fallback, else IMPOSSIBLE."""
        cids = np.asarray(cids, dtype=np.int64)
        if self._dense is not None:
            return self._dense[cids]
        at = np.searchsorted(self.ids, cids).clip(max=max(len(self.ids) - 1, 0))
        found = self.ids[at] == cids if len(self.ids) else np.zeros(cids.shape, dtype=bool)
        return np.where(found, at, self.fallback_row).astype(np.int64)

    @cached_property
    def _dense(self) -> np.ndarray | None:
        span = self.full + int(self.offsets[-1])
        if span > _DENSE_IDS:
            return None
        dense = np.full(span, self.fallback_row, dtype=np.int64)
        dense[self.ids] = np.arange(len(self.ids))
        return dense

    def ids_of(self, stream: np.ndarray) -> np.ndarray:
        """The context id of every position of a message (int64), its first ``order`` partial."""
        x = np.asarray(stream, dtype=np.int64)
        n, k, size = x.size, self.order, self.size
        cids = np.zeros(n, dtype=np.int64)
        if k == 0 or n == 0:
            return cids
        for j in range(k):  # full contexts: x[i-k] .. x[i-1] as base-K digits, oldest first
            cids[k:] = cids[k:] * size + x[j : n - k + j]
        prefix = 0
        for j in range(min(k, n)):
            cids[j] = self.full + int(self.offsets[j]) + prefix
            prefix = prefix * size + int(x[j])
        return cids

    def rows_of(self, stream: np.ndarray) -> np.ndarray:
        """The row coding every position of a message (IMPOSSIBLE where the model rules the context out)."""
        return self.rows_of_ids(self.ids_of(stream))

    @cached_property
    def nxt(self) -> np.ndarray:
        """Flat table, row * size + x: the row after symbol x in that row (see the kernel's
        :func:`~codesim.coders.kernels.context.advance`): the fallback's entries are LOOKUP."""
        size, n = self.size, len(self.ids)
        x = np.arange(size, dtype=np.int64)
        ids = self.ids[:, None]
        nxt_ids = np.empty((n, size), dtype=np.int64)
        is_full = self.ids < self.full
        nxt_ids[is_full] = (ids[is_full] * size + x) % self.full
        if not is_full.all():
            rest = self.ids[~is_full] - self.full
            j = np.searchsorted(self.offsets, rest, side="right") - 1
            value = (rest - self.offsets[j])[:, None] * size + x
            partial = np.where((j + 1 < self.order)[:, None],
                               self.full + self.offsets[np.minimum(j + 1, self.order)][:, None] + value, value)
            nxt_ids[~is_full] = partial
        table = self.rows_of_ids(nxt_ids.ravel())
        if self.fallback:
            table = np.concatenate([table, np.full(size, LOOKUP, dtype=np.int64)])
        table.setflags(write=False)
        return table

    def kernel_args(self) -> tuple:
        """What :func:`~codesim.coders.kernels.context.advance` takes after (row, id, x): nxt, ids,
        size, full, order, offsets, fallback row."""
        return (self.nxt, self.ids, self.size, self.full, self.order, self.offsets, self.fallback_row)

    # -- for people --------------------------------------------------------------------------------
    def describe(self, cid: int, alphabet) -> str:
        """A context id as its symbols' labels, oldest first ("(start)" for the empty context)."""
        cid = int(cid)
        if cid < self.full:
            j, value = self.order, cid
        else:
            rest = cid - self.full
            j = int(np.searchsorted(self.offsets, rest, side="right")) - 1
            value = rest - int(self.offsets[j])
        return symbols_label(value, j, alphabet) or "(start)"

    # -- in a .csim file ---------------------------------------------------------------------------
    #: The config fields a context code adds to its scheme's: ``order``, ``contexts`` (the ids) and
    #: ``fallback``.
    config_fields = ("order", "contexts", "fallback")

    def to_config(self) -> dict[str, Any]:
        return {"order": self.order, "contexts": self.ids.tolist(), "fallback": self.fallback}

    @classmethod
    def from_config(cls, config: dict[str, Any], size: int) -> "Contexts":
        """The contexts a config read from a file describes, checked field by field (ConfigError naming
        the field) before anything is allocated for them."""
        order = config.get("order")
        if type(order) is not int or not 1 <= order <= MAX_ORDER:
            raise ConfigError(f"{config_field('order')} is {show_json(order)}: an integer from 1 to {MAX_ORDER}",
                              corrupt=True)
        try:
            full, offsets = id_space(size, order)
        except CodesimError as exc:
            raise ConfigError(f"{config_field('order')}: {exc}", corrupt=True) from None
        fallback = config.get("fallback")
        if type(fallback) is not bool:
            raise ConfigError(f"{config_field('fallback')} is {show_json(fallback)}, not true or false",
                              corrupt=True)
        ids = config.get("contexts")
        if not isinstance(ids, list) or not ids:
            raise ConfigError(f"{config_field('contexts')} is {show_json(ids)}, not a non-empty list of "
                              "context ids", corrupt=True)
        if (len(ids) + fallback) * size > MAX_CONTEXT_ENTRIES:
            raise ConfigError(f"{config_field('contexts')} has {len(ids)} contexts x {size} symbols, over "
                              f"the limit of {MAX_CONTEXT_ENTRIES} table entries", corrupt=True)
        span = full + offsets[-1]
        last = -1
        for i, v in enumerate(ids):
            if type(v) is not int or not last < v < span:
                raise ConfigError(f"{config_field('contexts')} entry {i + 1} is {show_json(v)}: context ids are "
                                  f"integers increasing from 0 to {span - 1}", corrupt=True)
            last = v
        return cls(size, order, np.array(ids, dtype=np.int64), fallback)


def check_rows(rows: np.ndarray, contexts: Contexts, what: str) -> np.ndarray:
    """A model's conditional probabilities, one row per context row, as float64 (rows x size)."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.shape != (contexts.rows, contexts.size):
        raise CodesimError(f"{what} has {rows.shape} rows, not {contexts.rows} x {contexts.size}")
    return rows


def context_table_columns(*own: tuple) -> tuple:
    """A context code's table columns: the context, the symbol, q(x | c), the code's ``own`` columns
    and the ideal length."""
    return (("context", "context"), ("symbol", "symbol"), ("q", "q(x|c)"), *own, ("ideal_bits", "-log2 q(x|c)"))


class ContextCode:
    """What every context code shares; a mixin for a :class:`~codesim.coders.base.Coder` subclass that
    sets ``contexts`` and gives :meth:`implied_rows`, the distribution each context's code is optimal
    for (2^-length for a prefix code, the quantised frequencies for a stream coder)."""

    contexts: Contexts
    reads_context = True
    trace_note = "each symbol's context and its cost under that context's code"

    @abstractmethod
    def implied_rows(self) -> np.ndarray:
        """rows x size: the implied distribution r(. | context) of every row."""

    @property
    def implied(self) -> np.ndarray:
        """The implied distribution of a message's first symbol (the empty context's row)."""
        return self.implied_rows()[self.contexts.start_row]

    def cost_rows(self) -> np.ndarray:
        """rows x size: -log2 r(x | context), the bits the code spends on x there (inf where r is 0)."""
        with np.errstate(divide="ignore"):
            return -np.log2(self.implied_rows())

    def expected_length(self, p) -> float:
        """Expected bits per symbol on the stationary source p (a chain or an i.i.d. distribution), in
        full contexts (a message's start is per-message overhead)."""
        from ..sources.markov import expected_cost  # sources sit above coders

        return expected_cost(p, self.contexts, self.cost_rows())

    def code_divergence(self, p) -> float:
        """The code's divergence rate: its expected length on p over p's entropy rate."""
        return max(0.0, self.expected_length(p) - p.entropy_rate())

    def symbol_costs(self, stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(context id, cost in bits) of every symbol of a message."""
        cids = self.contexts.ids_of(stream)
        rows = self.contexts.rows_of_ids(cids)
        costs = np.full(stream.size, np.inf)
        ok = rows >= 0
        costs[ok] = self.cost_rows()[rows[ok], np.asarray(stream)[ok]]
        return cids, costs

    # -- looking inside (codesim inspect) --------------------------------------------------------
    #: The code table's columns (see :attr:`~codesim.coders.base.Coder.table_columns`): a row per
    #: context and symbol.
    table_columns = context_table_columns()
    #: The annotated view's columns: each symbol's context and cost there.
    trace_columns = trace_columns_with(("context", "context"), ("cost_bits", "cost"), total=("total_cost", "cost so far"))

    def context_entry(self, row: int, x: int) -> dict[str, Any]:
        """The code's own columns for symbol x in context row ``row`` (a codeword, a frequency): none here."""
        return {}

    def context_label(self, row: int, alphabet) -> str:
        """A context row as its symbols' labels, oldest first; "(other)" for the fallback row."""
        if row == len(self.contexts.ids):
            return "(other)"
        return self.contexts.describe(int(self.contexts.ids[row]), alphabet)

    def table_rows(self, alphabet, model, source) -> list[dict[str, Any]]:
        """A row per context and symbol, contexts in row order, as many whole contexts as
        MAX_TABLE_ROWS rows hold: the context, the symbol, q(x | c) where ``model`` gives one row per
        context, the code's entry (:meth:`context_entry`) and the ideal length -log2 q(x | c) (of the
        code's implied r where the model is not given so)."""
        given = self._conditionals(model)
        probs = self.implied_rows() if given is None else given
        shown = max(1, MAX_TABLE_ROWS // self.contexts.size)
        rows = []
        for row in range(min(self.contexts.rows, shown)):
            context = self.context_label(row, alphabet)
            for x, label in enumerate(alphabet):
                entry: dict[str, Any] = {"context": context, "symbol": label}
                if given is not None:
                    entry["q"] = float(given[row, x])
                entry.update(self.context_entry(row, x))
                prob = float(probs[row, x])
                entry["ideal_bits"] = -math.log2(prob) if prob > 0 else math.inf
                rows.append(entry)
        return rows

    def trace_rows(self, stream: np.ndarray, alphabet, model, limit: int, bits) -> list[dict[str, Any]]:
        """Each of the first ``limit`` symbols' context (its symbols, oldest first) and its cost
        -log2 r(x | c) there, against the ideal -log2 q(x | c) (of the code's implied r where ``model``
        does not give one row per context)."""
        return running_totals(self.context_steps(stream[:limit], alphabet, model), "total_cost")

    def context_steps(self, stream: np.ndarray, alphabet, model, own: Callable[[int, int], dict] | None = None
                      ) -> list[tuple[dict[str, Any], float, float]]:
        """(row, cost, ideal) per symbol, for :func:`~codesim.coders.base.running_totals`: the row holds
        the symbol's index, label, context and cost in bits, and what ``own(context row, symbol)`` adds
        (called symbol after symbol)."""
        cids, costs = self.symbol_costs(stream)
        rows = self.contexts.rows_of_ids(cids)
        probs = self._conditionals(model)
        with np.errstate(divide="ignore"):
            ideal = costs if probs is None else -np.log2(probs[np.maximum(rows, 0), stream])
        ideal = np.where(rows >= 0, ideal, np.inf)
        label = alphabet.__getitem__
        steps = []
        for i, (row, x, cost, best) in enumerate(zip(rows.tolist(), stream.tolist(), costs.tolist(), ideal.tolist())):
            entry = {"index": i, "symbol": label(x), "context": self.context_label(row, alphabet) if row >= 0
                     else self.contexts.describe(int(cids[i]), alphabet), "cost_bits": cost}
            if own is not None:
                entry.update(own(row, x))
            steps.append((entry, cost, best))
        return steps

    def _conditionals(self, model) -> np.ndarray | None:
        """``model`` when it is one row of probabilities per context row, else None."""
        if model is None:
            return None
        probs = np.asarray(model, dtype=np.float64)
        return probs if probs.shape == (self.contexts.rows, self.contexts.size) else None
