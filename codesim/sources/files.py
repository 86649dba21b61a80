"""Files as sources: the empirical distribution of a file's units, and the file itself as a message
(:class:`Message`, a source of one fixed stream). The scenario kind ``file`` is registered here: as the
source, the message is the file; as a model, the file's unit counts, smoothed over the union alphabet.

A file is read as a sequence of *units*: ``"byte"`` (the ints 0..255), ``"char"`` (Unicode characters;
the file must be UTF-8) or ``"word"`` (the strings between runs of whitespace, as ``str.split()``
finds them; UTF-8 too). Alphabets are always the distinct units in sorted order (bytes and characters
by value, i.e. by code point; words by Python's string order), so the same file gives the same
alphabet, distribution and indices every time. The file is taken as it is: a UTF-8 byte order mark
is the character U+FEFF, and line endings are characters (or, for words, whitespace) like any other.

**Symbols the model never saw.** A model estimated from file A and a message read from file B
disagree on the alphabet: B may contain units A never does. Such a unit cannot simply be dropped (the
message must be coded whole) and cannot get q = 0 without every code calling it impossible. The
policy here (:func:`union_model`) is add-alpha smoothing over the union U of both alphabets: with
A's counts c(x) (c(x) = 0 for a unit only B has) and N = sum c(x),

    q(x) = (c(x) + alpha) / (N + alpha |U|)

so the alphabet is the union, q is a proper distribution over it, and the cost shows where it
belongs: a unit A never contained costs

    -log2 q(x) = log2((N + alpha |U|) / alpha)  bits

each time B uses it (about log2 N + log2(1/alpha) when N >> alpha |U|). The units A did contain
pay for that mass: each costs log2((N + alpha |U|) / N) - log2((c(x) + alpha) / c(x)) bits more than
its plain frequency c(x)/N would, which is positive for units more frequent than average
(c(x) > N/|U|) and negative for the rarer ones, which smoothing lifts. alpha is given as a
smoothing of :mod:`codesim.sources.estimate` (``"laplace"`` = 1, ``"kt"`` = 1/2, or a number); with
``"none"`` (alpha = 0) a unit A never contained gets q = 0, and D(p||q) = inf says so.

:func:`cross_file` puts it together for "model from file A, message = file B": the union alphabet U,
the model q over U, B's units as indices into U, and B's own empirical distribution p over U (the
source the message is a sample of; H(p, q) is then exactly the mean of -log2 q over the message).

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as folder:
...     a, b = pathlib.Path(folder, "a.txt"), pathlib.Path(folder, "b.txt")
...     _ = a.write_text("the cat the dog"), b.write_text("the bird")
...     pair = cross_file(a, b, "word", "laplace")
>>> pair.alphabet, pair.unseen, pair.message.tolist()
(('bird', 'cat', 'dog', 'the'), ('bird',), [3, 0])
>>> pair.model.probs.tolist()      # (c + 1) / (4 + 1 * 4)
[0.125, 0.25, 0.25, 0.375]
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np

from .base import Kind, register
from .iid import Distribution, Label, _as_vector, _check_labels, index_dtype, short_labels
from ..errors import CodesimError, ScenarioError, TextSourceError, counted, did_you_mean
from ..measures import entropy
from .estimate import pseudocount, smoothed
from .markov import MarkovChain, estimate_chain
from ..coders.context import MAX_ORDER
from ..files.streamio import read_input

UNITS = ("byte", "char", "word")
#: The largest file read as units: as bytes it is at most 10^8 symbols, the most an encoded stream
#: holds. `codesim encode` of a scenario with a file of this size peaked at 1.7 GB resident whether it
#: was read as bytes, characters or words.
MAX_UNIT_FILE_BYTES = 10**8
#: The most distinct units the files of a scenario may hold together: the alphabet's limit elsewhere (a
#: .csim file's, an integer or continuous source's). A file of words may hold millions: 10^7 distinct ones
#: took ten minutes and 10 GB to run, refused here once the files are read.
MAX_UNITS = 1 << 16


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise TextSourceError(
            f"unknown unit {unit!r}: use one of {', '.join(UNITS)}{did_you_mean(unit, UNITS)}"
        )
    return unit


def _read(path: str | Path, unit: str) -> bytes:
    _check_unit(unit)  # before touching the file: a typo in the unit is the first thing to fix
    return read_input(path, "a file to read units from", TextSourceError, MAX_UNIT_FILE_BYTES)


def _decode(path: str | Path, raw: bytes, unit: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TextSourceError(
            f"{path}: not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            f"cannot start or continue a character; unit {unit!r} needs UTF-8, use unit 'byte' for other files"
        ) from None


def _rank(values: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The distinct values (ascending) and each value's rank among them.

    A lookup table indexed by value does it in linear time; the values are bytes or Unicode code
    points, so the table has at most 0x110000 entries.
    """
    if values.size == 0:
        return [], np.zeros(0, dtype=np.int64)
    present = np.flatnonzero(np.bincount(values))
    rank = np.zeros(int(present[-1]) + 1, dtype=np.int64)
    rank[present] = np.arange(present.size)
    return present.tolist(), rank[values]


def tokens(path: str | Path, unit: str) -> tuple[tuple[Label, ...], np.ndarray]:
    """The file's distinct units in sorted order, and the file as indices into them (int64); more than
    MAX_UNITS distinct ones are an error."""
    raw = _read(path, unit)
    if unit == "byte":
        present, indices = _rank(np.frombuffer(raw, dtype=np.uint8))
        return tuple(present), indices
    text = _decode(path, raw, unit)
    if unit == "char":
        # Code points as a uint32 array: their order is the order of the one-character strings, and
        # they are ranked in C rather than over a list of one Python string per character.
        present, indices = _rank(np.frombuffer(text.encode("utf-32-le"), dtype="<u4"))
        _check_units(path, len(present), unit)
        return tuple(chr(c) for c in present), indices
    words = text.split()
    distinct = set(words)
    _check_units(path, len(distinct), unit)  # before they are sorted and indexed
    labels = tuple(sorted(distinct))
    position = {w: i for i, w in enumerate(labels)}
    return labels, np.fromiter((position[w] for w in words), dtype=np.int64, count=len(words))


def _check_units(path: str | Path, distinct: int, unit: str) -> None:
    if distinct > MAX_UNITS:
        raise TextSourceError(f"{path}: {distinct} distinct {unit}s, over the limit of {MAX_UNITS} for an alphabet")


def read_units(path: str | Path, unit: str) -> np.ndarray | list[str]:
    """The file's units in order: a uint8 array for ``"byte"``, a list of strings for ``"char"`` and
    ``"word"``. An empty file (or, for words, one of only whitespace) gives an empty sequence."""
    raw = _read(path, unit)
    if unit == "byte":
        return np.frombuffer(raw, dtype=np.uint8).copy()
    text = _decode(path, raw, unit)
    return list(text) if unit == "char" else text.split()


@dataclass(frozen=True, eq=False)
class UnitCounts:
    """How often each distinct unit occurs in a file: ``labels`` sorted, ``counts`` aligned with them."""

    labels: tuple[Label, ...]
    counts: np.ndarray

    @property
    def total(self) -> int:
        """N: the number of units in the file."""
        return int(self.counts.sum())

    def as_dict(self) -> dict[Label, int]:
        return dict(zip(self.labels, self.counts.tolist()))


def count_units(path: str | Path, unit: str) -> UnitCounts:
    """The file's distinct units and their counts (empty for an empty file)."""
    labels, indices = tokens(path, unit)
    return UnitCounts(labels, np.bincount(indices, minlength=len(labels)).astype(np.int64))


def _no_symbols(path: str | Path, unit: str) -> TextSourceError:
    return TextSourceError(
        f"{path}: no symbols to estimate a distribution from (the file has no {unit}s)"
    )


def file_distribution(path: str | Path, unit: str) -> Distribution:
    """The file's empirical distribution: alphabet = its distinct units (sorted), probabilities = their
    frequencies."""
    counts = count_units(path, unit)
    if not counts.labels:
        raise _no_symbols(path, unit)
    return Distribution.from_counts(counts.counts, counts.labels)


def _lookup(alphabet: Sequence[Label]) -> dict[tuple[bool, Label], int]:
    # Keyed with "is it a string" so that the byte 65 never matches the label "65".
    return {(isinstance(label, str), label): i for i, label in enumerate(alphabet)}


def reindex(path, unit: str, labels: Sequence[Label], indices: np.ndarray, alphabet: Sequence[Label]) -> np.ndarray:
    """Indices into ``labels`` turned into indices into ``alphabet``: one lookup per distinct unit."""
    where = _lookup(alphabet)
    table = np.empty(len(labels), dtype=np.int64)
    for j, label in enumerate(labels):
        i = where.get((isinstance(label, str), label))
        if i is None:
            first = int(np.flatnonzero(indices == j)[0])
            raise TextSourceError(
                f"{path}: {unit} {first + 1} is {label!r}, which is not in the model's alphabet "
                "(a model built from another file needs the union alphabet: see union_model)"
            )
        table[j] = i
    return table[indices].astype(index_dtype(max(len(alphabet), 1)))


def file_message(path: str | Path, unit: str, alphabet: Sequence[Label]) -> np.ndarray:
    """The file's units as indices into ``alphabet`` (the smallest unsigned dtype that holds them); a
    unit not in the alphabet is an error naming it and its position (1-based)."""
    labels, indices = tokens(path, unit)
    return reindex(path, unit, labels, indices, alphabet)


def _plain(label):
    # numpy scalars (from np.unique, say) as the Python ints, floats and strings labels must be
    return label.item() if isinstance(label, np.generic) else label


def sort_key(label: Label) -> tuple[bool, Label]:
    # Numbers before strings, each group in its natural order: deterministic even for a mixed alphabet.
    return (isinstance(label, str), label)


def union_model(
    model: UnitCounts | Mapping[Label, float],
    message_alphabet: Iterable[Label],
    smoothing: str | float = "laplace",
) -> Distribution:
    """q(x) = (c(x) + alpha) / (N + alpha |U|) over U = the model's units and the message's, sorted.

    ``model`` gives the counts c (a :class:`UnitCounts` or a mapping label -> count), ``smoothing``
    the alpha. A unit only the message has gets alpha / (N + alpha |U|) and so costs
    log2((N + alpha |U|) / alpha) bits; see the module's docstring. With no model counts at all (N = 0)
    and alpha > 0 the result is uniform over the message's units: nothing learned, nothing assumed.
    """
    alpha = pseudocount(smoothing)
    known = model.as_dict() if isinstance(model, UnitCounts) else {_plain(k): v for k, v in model.items()}
    values = _as_vector(list(known.values()), "model counts") if known else np.zeros(0)
    labels = set(known) | {_plain(label) for label in message_alphabet}
    if not labels:
        raise TextSourceError("neither the model nor the message has any symbols: there is no alphabet")
    union = _check_labels(sorted(labels, key=sort_key) if all(
        isinstance(label, (int, float, str)) for label in labels) else list(labels))
    counts = np.zeros(len(union))
    where = _lookup(union)
    for label, value in zip(known, values.tolist()):
        counts[where[(isinstance(label, str), label)]] = value
    return Distribution(union, smoothed(counts, alpha))


def unseen_cost_bits(total: float, alpha: float, union_size: int) -> float:
    """log2((N + alpha |U|) / alpha): what :func:`union_model` makes a unit the model never saw cost,
    each time it occurs (inf for alpha = 0)."""
    if alpha == 0:
        return math.inf
    return math.log2((total + alpha * union_size) / alpha)


@dataclass(frozen=True, eq=False)
class CrossFile:
    """A model from one file and a message from another, over their union alphabet."""

    alphabet: tuple[Label, ...]  #: U: the units of either file, sorted
    model: Distribution          #: q over U: the model file's counts, add-alpha smoothed
    message: np.ndarray          #: the message file's units as indices into U
    source: Distribution         #: p over U: the message file's own frequencies (0 for units it lacks)
    unseen: tuple[Label, ...]    #: units of the message that the model file never contains, sorted
    model_total: int             #: N: units in the model file
    alpha: float                 #: the pseudocount added to every count of U

    @property
    def unseen_bits(self) -> float:
        """Bits each occurrence of an unseen unit costs: log2((N + alpha |U|) / alpha)."""
        return unseen_cost_bits(self.model_total, self.alpha, len(self.alphabet))


def cross_file(
    model_path: str | Path, message_path: str | Path, unit: str, smoothing: str | float = "laplace"
) -> CrossFile:
    """Everything a "model from file A, message = file B" run needs, over the union alphabet U.

    The message file must have at least one unit; the model file may be empty if alpha > 0 (then q
    is uniform over U). ``unseen`` lists the message's units the model file lacks, and
    ``unseen_bits`` what each of their occurrences costs.
    """
    alpha = pseudocount(smoothing)
    _check_unit(unit)
    model_counts = count_units(model_path, unit)
    labels, indices = tokens(message_path, unit)
    if not labels:
        raise TextSourceError(f"{message_path}: no symbols to code (the message file has no {unit}s)")
    q = union_model(model_counts, labels, alpha)
    message = reindex(message_path, unit, labels, indices, q.alphabet)
    source = Distribution.from_counts(np.bincount(message, minlength=q.size), q.alphabet)
    seen = set(_lookup(model_counts.labels))
    unseen = tuple(label for label in labels if (isinstance(label, str), label) not in seen)
    return CrossFile(q.alphabet, q, message, source, unseen, model_counts.total, alpha)


@dataclass(frozen=True, eq=False)
class Message:
    """A fixed stream as a source: every trial is the same message, cut into blocks where asked; the
    seed is not used. Its marginal is the message's own frequencies, and its entropy rate their entropy
    (what a code built from them averages, the message being coded symbol by symbol)."""

    alphabet: tuple[Label, ...]
    symbols: np.ndarray = field(repr=False)

    def __repr__(self) -> str:
        return f"Message({self.symbols.size} symbols over {short_labels(self.alphabet)})"

    def blocks(self, length: int, seed: np.random.SeedSequence | None, block: int) -> Iterator[np.ndarray]:
        """The message's first ``length`` symbols in consecutive slices of at most ``block``."""
        return (self.symbols[lo : min(lo + block, length)] for lo in range(0, length, block))

    def marginal(self) -> Distribution:
        return self._frequencies

    @cached_property
    def _frequencies(self) -> Distribution:
        return Distribution.from_counts(np.bincount(self.symbols, minlength=len(self.alphabet)), self.alphabet)

    def entropy_rate(self) -> float:
        return entropy(self.marginal())


# -- the scenario kind "file" ------------------------------------------------------------------------
@dataclass
class _FileSetting:
    unit: str
    counts: dict = field(default_factory=dict)  # model name -> (its file, its UnitCounts, its units if kept)


def _setup(setting, top, source, models) -> None:
    """A file as the source: the message is the file itself; the alphabet, every unit of the source
    file and of the models' files (models are smoothed over it, see :func:`union_model`)."""
    if "alphabet" in top.data:
        top.fail("a file source's alphabet is the files' own units: remove alphabet", "alphabet")
    path = Path(os.path.normpath(setting.base / source.take("file", str)))
    state = setting.state = _FileSetting(source.take("unit", str, default="byte"))
    source.done()
    try:
        source_labels, source_indices = tokens(path, state.unit)  # the file is read once
        for name, table in models.items():
            if "file" in table.data:
                model_file = Path(os.path.normpath(setting.base / table.take("file", str)))
                unit = table.take("unit", str, default=state.unit)
                if unit != state.unit:
                    table.fail(f"unit {unit!r} differs from the source's {state.unit!r}: one alphabet serves all",
                               "unit")
                try:
                    labels, indices = tokens(model_file, unit)
                except CodesimError as exc:
                    table.fail(str(exc), "file")
                counts = UnitCounts(labels, np.bincount(indices, minlength=len(labels)).astype(np.int64))
                # A model with memory counts contexts from the units in order: kept, not read twice.
                kept = (labels, indices) if table.data.get("order") else None
                state.counts[name] = (model_file, counts, kept)
        labels = set(source_labels)
        for _, model_counts, _ in state.counts.values():
            labels.update(model_counts.labels)
        if len(labels) > MAX_UNITS:
            raise TextSourceError(f"{path} and its models' files hold {len(labels)} distinct {state.unit}s "
                                  f"together, over the limit of {MAX_UNITS} for an alphabet")
        setting.alphabet = tuple(sorted(labels, key=sort_key))
        setting.message = reindex(path, state.unit, source_labels, source_indices, setting.alphabet)
    except ScenarioError:
        raise
    except CodesimError as exc:
        source.fail(str(exc))
    if setting.message.size == 0:
        source.fail(f"{path} has no {state.unit}s to code")
    setting.source = Message(setting.alphabet, setting.message).marginal()
    setting.remarks.append(f"The message is {path}'s own {counted(setting.message.size, state.unit)}, coded once: not "
                           f"samples drawn from p, so there is one trial and no confidence interval.")


def _from_file(table, setting, name: str | None) -> Distribution | MarkovChain:
    if not isinstance(setting.state, _FileSetting):
        table.fail("a model from a file needs a file source ([source] file = ...), which sets the alphabet")
    unit = setting.state.unit
    path, counts, kept = setting.state.counts[name]
    smoothing = table.take("smoothing", (str, int, float), default="kt")
    order = table.integer("order", default=0, minimum=0, maximum=MAX_ORDER)
    alpha = pseudocount(smoothing)
    if order > 0:
        chain = estimate_chain([reindex(path, unit, *kept, setting.alphabet)], setting.alphabet, order, alpha)
        setting.remarks.append(
            f"Model '{name}' is an order-{order} chain counted from the {counted(counts.total, unit)} of {path}, "
            f"smoothed by adding {alpha:g} to every count: {counted(len(chain.contexts.ids), 'context')} seen, the "
            "order-0 counts for the rest.")
        return chain
    q = union_model(counts, setting.alphabet, smoothing)
    seen = set(counts.as_dict())
    unseen = [i for i, label in enumerate(setting.alphabet) if label not in seen]
    occurrences = int(np.isin(setting.message, unseen).sum())
    cost = unseen_cost_bits(counts.total, alpha, len(setting.alphabet))
    # With no such occurrence there is no cost to state.
    missing = (f"every {unit} of the message occurs in it" if not occurrences else
               f"the message has 1 occurrence of a {unit} the model file never contains, costing about {cost:.1f} bits"
               if occurrences == 1 else
               f"the message has {occurrences} occurrences of {unit}s the model file never contains, each costing "
               f"about {cost:.1f} bits")
    setting.remarks.append(
        f"Model '{name}' counts the {counted(counts.total, unit)} of {path}, smoothed by adding {alpha:g} to every "
        f"{unit} of the union alphabet ({len(setting.alphabet)}); {missing}.")
    return q


register(Kind("file", _from_file, setup=_setup))
