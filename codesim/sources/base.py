"""What a source and a model are to the rest of codesim, and the registry of their kinds.

A **source** (p) is what streams are drawn from. It draws symbol *indices* into its alphabet in
blocks, carrying its state (a chain's last symbols, a file's position) from one block to the next, so
the blocks joined are one stream whatever the block size; the stream is a function of the seed alone.
It knows its entropy rate (the least bits per symbol any code averages on it) and its marginal, the
distribution of a single symbol.

A **model** (q) is what a coder is built from: the probabilities of the next symbol given its
context, the ``order`` symbols before it. An i.i.d. model has order 0 and ignores the context; its
:meth:`Model.order0_probs` is the whole model, and the simulation measures it from symbol counts
(vectorised). A model with memory (order > 0) is one whose ``probabilities(context)`` depend on the
context (:class:`~codesim.sources.markov.MarkovChain`); it also gives ``context_table()``, every
context a message may be coded in with q(. | context) (see :mod:`codesim.coders.context`), from which a
context code is built, and ``message_bits(message)``, the sum of -log2 q(x | context) over a message.

:class:`~codesim.sources.iid.Distribution` is both: an i.i.d. source and an order-0 model.

A scenario's ``[source]`` and ``[models.NAME]`` tables each name one **kind** by its key (``probs``,
``file``, ``beta``, ...). The module that defines a kind registers it here with :func:`register`, and
the scenario reader looks the key up: a new kind is one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from .iid import Distribution, Label


@runtime_checkable
class Source(Protocol):
    """Where streams come from (p)."""

    alphabet: tuple

    def blocks(self, length: int, seed: np.random.SeedSequence | None, block: int) -> Iterator[np.ndarray]:
        """A stream of ``length`` symbol indices in consecutive blocks of at most ``block`` symbols,
        each block continuing where the last stopped, all drawn from ``seed``."""
        ...

    def entropy_rate(self) -> float:
        """H in bits per symbol: the limit of H(X_1..X_n) / n (for an i.i.d. source, H(p))."""
        ...

    def marginal(self) -> "Distribution":
        """The distribution of one symbol of the stream."""
        ...


@runtime_checkable
class Model(Protocol):
    """What a coder is built from (q)."""

    alphabet: tuple
    #: How many preceding symbols the probabilities depend on; 0: an i.i.d. model.
    order: int

    def probabilities(self, context: np.ndarray) -> np.ndarray:
        """q(. | context) over the alphabet, given the last ``order`` symbol indices."""
        ...

    def order0_probs(self) -> np.ndarray:
        """q ignoring the context, as a float64 vector over the alphabet: the whole model at order 0."""
        ...


def order0_probs(q: Model | Sequence[float] | np.ndarray) -> np.ndarray:
    """A model's order-0 probabilities, or a plain probability vector as given (float64)."""
    return np.asarray(q.order0_probs() if isinstance(q, Model) else q, dtype=np.float64)


def whole_stream(source: Source, length: int, seed: np.random.SeedSequence | None) -> np.ndarray:
    """A stream drawn in one block (held in memory: for short streams, files and tests)."""
    return next(iter(source.blocks(length, seed, max(length, 1))))


# -- kinds -----------------------------------------------------------------------------------------

class Table(Protocol):
    """A scenario table being read (``codesim.scenario``'s reader): typed access by key, errors that
    name the file and the key, and :meth:`done` to report keys nobody took."""

    data: dict
    where: str
    section: str

    def fail(self, message: str, key: str | None = None): ...
    def take(self, key: str, kind, default: Any = ...) -> Any: ...
    def sub(self, key: str) -> "Table": ...
    def integer(self, key: str, default: Any = ..., minimum: int | None = None,
                maximum: int | None = None) -> int | None: ...
    def seed(self, key: str, default: Any = ...) -> int | None: ...
    def boolean(self, key: str, default: Any = ...) -> bool: ...
    def done(self) -> None: ...


@dataclass
class Setting:
    """What the source's kind decides for a whole scenario, gathered while it is read.

    ``alphabet``, ``source`` (p) and ``message`` (a fixed stream, coded once) hold for every model;
    ``remarks`` and ``figures`` go to the report; ``state`` is whatever the source's kind keeps for the
    models' kinds (a continuous source's bins, a file source's unit).
    """

    where: str
    base: Path  #: relative file paths are resolved against the scenario's folder
    alphabet: tuple = ()
    source: Any = None
    message: np.ndarray | None = None
    remarks: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    state: Any = None


@dataclass(frozen=True)
class Kind:
    """A source or model kind, named in a scenario by ``key``.

    ``build(table, setting, name)`` reads the table and returns p (``name`` None) or the model called
    ``name``. ``setup(setting, top, source, models)``, when given, is run first when the source is of
    this kind: it sets the alphabet (and p, a message, a state) itself; without it, the scenario's
    ``alphabet`` key gives the alphabet. ``top_keys`` are the scenario's top-level keys the kind's setup
    reads, each with what to tell a scenario whose source is of another kind. ``alphabet(setting, source,
    models)``, when given, is the alphabet of a scenario that omits it and whose source is of this kind.
    """

    key: str
    build: Callable[[Table, Setting, str | None], Any]
    setup: Callable[[Setting, Table, Table, Mapping[str, Table]], None] | None = None
    top_keys: Mapping[str, str] = field(default_factory=dict)
    alphabet: Callable[[Setting, Table, Mapping[str, Table]], tuple] | None = None


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` known by its key (a scenario lists the keys in registration order)."""
    if kind.key in _KINDS:
        raise ValueError(f"source kind {kind.key!r} is registered twice")
    _KINDS[kind.key] = kind
    return kind


def unregister(key: str) -> None:
    """Forget the kind called ``key``."""
    del _KINDS[key]


def kinds() -> dict[str, Kind]:
    """Every registered kind by key, in registration order."""
    return dict(_KINDS)
