"""Scenario files (TOML) -> a validated :class:`Scenario`.

A scenario names an alphabet, the true source distribution p, one or more assumed models q and how to
run them. Every problem is reported as a ScenarioError that names the file, the key and what is wrong,
so the CLI can print it as one line. The format is documented in the README ("Scenario files").
What a ``[source]`` or ``[models.NAME]`` table means is up to the kind its key names, looked up in
:mod:`codesim.sources.base`'s registry.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .coders import SchemeSpec
from .coders.registry import DEFAULT, get, select
from .sources.base import Kind, Model, Setting, Source, kinds
from .sources.iid import Distribution, Label
from .errors import CodesimError, ScenarioError, SchemeError, counted, did_you_mean, show_value as _show
from .errors import ArgumentError, TextSourceError
from .simulation.simulate import (BLOCK, DEFAULT_LENGTH, DEFAULT_TRIALS, Measurement, check_block,
                                  check_run_size, simulate_many)
from .files.streamio import open_input, read_input
from .sources.files import MAX_UNIT_FILE_BYTES, UNITS

#: The largest scenario file. One with the largest alphabet (65536 labels) and five probability
#: vectors over it takes about 8 MiB and parses in under 2 seconds.
MAX_SCENARIO_BYTES = 16 << 20

#: The most models a scenario may have, and the most probabilities all of them hold (models x alphabet
#: size): a few bytes of TOML (``[models.m1]`` and ``uniform = true``) make a model of as many doubles as
#: the alphabet has labels, so that a 16 MiB file could otherwise ask for hundreds of GB. 2^24 doubles
#: take 128 MB: 256 models over the largest alphabet.
MAX_MODELS = 1000
MAX_MODEL_VALUES = 1 << 24

@dataclass(frozen=True)
class RunSettings:
    """How to run a scenario: stream length, trials, seed, schemes, and the symbols per coded block (each
    block one message, which a scheme that learns learns afresh). A seed of None means "draw one"."""

    length: int = DEFAULT_LENGTH
    trials: int = DEFAULT_TRIALS
    seed: int | None = None
    schemes: tuple[SchemeSpec, ...] = ()
    block: int = BLOCK


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the source p, the named models q, and the run settings."""

    title: str
    description: str
    path: str | None
    alphabet: tuple[Label, ...]
    source: Source
    models: dict[str, Model]
    run: RunSettings
    #: A fixed message (a file's own symbols) instead of streams drawn from the source; then one trial.
    message: np.ndarray | None = field(default=None, repr=False)
    #: Sentences for the report about where the distributions came from.
    remarks: tuple[str, ...] = ()
    #: Figures for the JSON report that belong to the scenario, not to a (model, scheme) pair.
    figures: dict[str, Any] = field(default_factory=dict)
    #: The remarks each model's kind made about it (among ``remarks``): dropped with the model.
    model_remarks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def select_models(self, names: Sequence[str]) -> "Scenario":
        """The scenario with only the named models, in the order given."""
        for name in names:
            if name not in self.models:
                # a scenario of the command line's data options names its models by those options
                given = (self.path or "").startswith("--")
                raise ScenarioError(
                    f"{'--model' if given else self.path or 'scenario'}: no model {_quoted(name)}"
                    f"{did_you_mean(name, self.models)} (models{' of ' + self.path if given else ''}: "
                    f"{', '.join(self.models)})"
                )
        chosen = list(dict.fromkeys(names))
        of_models = {r for said in self.model_remarks.values() for r in said}
        remarks = [r for r in self.remarks if r not in of_models]
        remarks += [r for name in chosen for r in self.model_remarks.get(name, ())]
        # A figure is kept per model (or for "source"): those of the models left out go with them.
        figures = {key: {k: v for k, v in value.items() if k not in self.models or k in chosen}
                   if isinstance(value, dict) else value for key, value in self.figures.items()}
        return replace(self, models={name: self.models[name] for name in chosen}, remarks=tuple(remarks),
                       figures={key: value for key, value in figures.items() if value != {}})

    def measure(self, jobs: int = 1, progress=None) -> list["Measurement"]:
        """Every (model, scheme) pair run on the streams of its ``run`` settings (or on its file's message):
        :func:`~codesim.simulation.simulate.simulate_many`, with a model a scheme cannot serve named with
        this scenario's file."""
        r = self.run
        try:
            return simulate_many(self.source, self.models, r.schemes, length=r.length, trials=r.trials, seed=r.seed,
                                 block=r.block, jobs=jobs, progress=progress, message=self.message)
        except SchemeError as exc:
            raise SchemeError(f"{self.path}: {exc}") from None

    def with_run(self, **changes: Any) -> "Scenario":
        """The scenario with run settings overridden (None leaves a setting as it is)."""
        updates = {k: v for k, v in changes.items() if v is not None and v != ()}
        if self.message is not None and {"length", "trials"} & set(updates):
            raise ScenarioError(f"{self.path or 'scenario'}: the message is a file's own symbols, coded once: "
                                "--length and --trials do not apply")
        run = replace(self.run, **updates)
        check_run_size(run.length, run.trials)
        if "length" in updates and "block" not in updates:
            try:  # the file's block, against a length given elsewhere
                check_block(run.block, run.length)
            except CodesimError as exc:
                raise ScenarioError(f"{self.path or 'scenario'}: [run] {exc}") from None
        if "seed" in updates:
            try:
                check_seed(run.seed)
            except CodesimError as exc:
                raise ScenarioError(f"{self.path or 'scenario'}: {exc}") from None
        for spec in updates.get("schemes", ()):
            try:
                spec.check_alphabet(len(self.alphabet))
            except CodesimError as exc:
                raise ScenarioError(f"{self.path or 'scenario'}: {exc}") from None
        return replace(self, run=run)


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    if str(path) == "":  # Path("") is ".", which would be reported as a directory
        raise ScenarioError("the scenario's file name is empty")
    path = Path(path)
    where = str(path)
    raw = read_input(path, "a scenario file", ScenarioError, MAX_SCENARIO_BYTES)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: TOML syntax error: {exc}") from None
    except RecursionError:
        raise ScenarioError(f"{where}: nested deeper than {MAX_DEPTH} levels of arrays and tables") from None
    except ValueError as exc:  # an integer of thousands of digits, which Python refuses to convert
        raise ScenarioError(f"{where}: a value out of range ({str(exc).split(';')[0]})") from None
    _check_document(data, where)
    return parse(data, where)


#: The deepest nesting of arrays and tables a scenario may have (its own keys nest four deep, as in
#: models.NAME.dirichlet.alpha). The TOML parser recurses per level and fails past a few hundred.
MAX_DEPTH = 32


def _check_document(data: dict[str, Any], where: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, before anything walks the document."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, place = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{where}: {_cut(place)}: nested deeper than {MAX_DEPTH} levels of arrays and "
                                "tables")
        if isinstance(value, dict):
            stack.extend((item, depth + 1, f"{place}.{_name(name)}".lstrip(".")) for name, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, depth + 1, place) for item in value if isinstance(item, (dict, list)))


def _name(key: str) -> str:
    """A key as a message shows it: as written when short and printable, else quoted and cut short."""
    return key if key.isprintable() and len(key) <= 40 else _quoted(key)


def _quoted(key: str) -> str:
    text = repr(key)
    return text if len(text) <= 42 else text[:39] + "..."


def _cut(place: str) -> str:
    """A key's place for a one-line message: a deep one is cut short."""
    return place if len(place) <= 80 else place[:77] + "..."


def _check_model_count(where: str, models: int, size: int) -> None:
    if models > MAX_MODELS:
        raise ScenarioError(f"{where}: [models] has {models} models, over the limit of {MAX_MODELS}")
    if models * size > MAX_MODEL_VALUES:
        raise ScenarioError(f"{where}: [models] has {models} models over {size} symbols, {models * size} "
                            f"probabilities, over the limit of {MAX_MODEL_VALUES} (2^24)")


def parse(data: dict[str, Any], where: str = "scenario") -> Scenario:
    """Validate an already parsed TOML document; ``where`` names it in error messages."""
    top = _Table(data, where, "")
    title = top.text("title", default=Path(where).stem)
    description = top.text("description", default="")
    run_table = _Table(top.take("run", dict, default={}), where, "run")
    seed = run_table.seed("seed", default=None)
    source_table = _Table(top.take("source", dict), where, "source")
    models_raw = top.take("models", dict)
    if not models_raw:
        raise ScenarioError(f"{where}: [models] is empty: give at least one model, e.g. [models.uniform]")
    model_tables = {}
    for name, table in models_raw.items():
        if not isinstance(name, str):  # a dict given in Python may have any key; TOML's are strings
            raise ScenarioError(f"{where}: models: a model's name is a string, got {_show(name)}")
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: models.{_name(name)}: expected a table such as [models.{_name(name)}]")
        model_tables[name] = _Table(table, where, f"models.{_name(name)}")
    ctx = Setting(where, Path(where).parent)
    kind = _kind_of(source_table)
    if kind.setup is not None:
        kind.setup(ctx, top, source_table, model_tables)
    else:
        _alphabet_setup(ctx, top, kind, source_table, model_tables)
    source = ctx.source or _distribution(source_table, ctx)
    ctx.source = source
    _check_model_count(where, len(model_tables), len(source.alphabet))
    models, model_remarks = {}, {}
    values = 0
    for name, table in model_tables.items():
        said = len(ctx.remarks)
        models[name] = _distribution(table, ctx, name)
        model_remarks[name] = tuple(ctx.remarks[said:])
        values += _values(models[name])
        if values > MAX_MODEL_VALUES:
            table.fail(f"the models up to this one hold {values} probabilities (contexts x symbols), over the "
                       f"limit of {MAX_MODEL_VALUES} (2^24) for all models: use lower orders or fewer models")
    run = RunSettings(
        length=run_table.integer("length", default=DEFAULT_LENGTH, minimum=1),
        trials=run_table.integer("trials", default=DEFAULT_TRIALS, minimum=1),
        seed=seed,
        schemes=_schemes(run_table, len(ctx.alphabet)),
        block=run_table.integer("block", default=BLOCK, minimum=1),
    )
    run_table.done()
    top.done()
    if ctx.message is not None:
        if "length" in run_table.data or "trials" in run_table.data:
            run_table.fail("the message is the file's own symbols, coded once: length and trials do not apply")
        run = replace(run, length=int(ctx.message.size), trials=1)
    try:
        check_run_size(run.length, run.trials)
        check_block(run.block, run.length)
    except CodesimError as exc:
        raise ScenarioError(f"{where}: [run] {exc}") from None
    return Scenario(title, description, where, ctx.alphabet, source, models, run, ctx.message,
                    tuple(ctx.remarks), ctx.figures, model_remarks)


def _values(q) -> int:
    """How many probabilities a model holds: one per symbol, per context row for a chain."""
    if getattr(q, "order", 0) > 0:
        contexts, rows = q.context_table()
        return rows.size
    return len(q.alphabet)


def from_vectors(
    p: Sequence[float], qs: Sequence[Sequence[float]], labels: Sequence[Label] | None = None
) -> Scenario:
    """A scenario from probability vectors given on the command line: models q1, q2, ..."""
    k = len(p)
    alphabet = list(labels) if labels else list(range(k))
    models = {f"q{i}" if len(qs) > 1 else "q": {"probs": list(q)} for i, q in enumerate(qs, 1)}
    return parse({"title": "command-line distributions", "alphabet": alphabet,
                  "source": {"probs": list(p)}, "models": models}, "--p/--q")


def from_options(
    p: Sequence[float] | None = None, qs: Sequence[Sequence[float]] = (), labels: Sequence[Label] | None = None,
    source_file: str | None = None, unit: str | None = None, model_files: Sequence[str] = (),
) -> Scenario:
    """A scenario from the command line's own data instead of a file: p and models q as vectors (``--p``,
    ``--q``, ``--labels``; see :func:`from_vectors`), or a file as the source with models counted from
    files (``--source-file``, ``--unit``, ``--model-file``), meaning what a scenario's ``file = ...`` and
    ``unit = ...`` mean; each such model is named by its file as given, and relative names are read from
    the working directory. Every problem is an error naming the option: an ArgumentError for a misuse of
    the options, a TextSourceError or ScenarioError for what is wrong with a file."""
    if p is not None and source_file is not None:
        raise ArgumentError("--p and --source-file are two sources: give one")
    for option, given, owner, present in (("--q", qs, "--p", p), ("--labels", labels, "--p", p),
                                          ("--unit", unit, "--source-file", source_file),
                                          ("--model-file", model_files, "--source-file", source_file)):
        if given and present is None:
            raise ArgumentError(f"{option} goes with {owner}, which is not given")
    if p is None and source_file is None:
        raise ArgumentError("give the source: --p with --q, or --source-file with --model-file")
    for option, models in (("--q", qs), ("--model-file", model_files)):
        if len(models) > MAX_MODELS:  # before any file is read
            raise ArgumentError(f"{option} is given {len(models)} times: a model each, over the limit of {MAX_MODELS}")
    if p is not None:
        return _from_vector_options(p, qs, labels)
    if not model_files:
        raise ArgumentError("--source-file needs at least one --model-file (the same file gives a model of its "
                            "own frequencies)")
    unit = unit or "byte"
    if unit not in UNITS:
        raise ArgumentError(f"--unit: unknown unit {unit!r}: use one of {', '.join(UNITS)}")
    if len(set(model_files)) != len(model_files):
        raise ArgumentError("--model-file: a file is given twice")
    for option, path in [("--source-file", source_file)] + [("--model-file", path) for path in model_files]:
        try:
            with open_input(path, "a file to read units from", TextSourceError, MAX_UNIT_FILE_BYTES):
                pass
        except TextSourceError as exc:
            raise TextSourceError(f"{option} {exc}") from None
    # What the file kind says of a table ([source], [models.NAME] file: ...), said of the option instead.
    places = {"[source] ": "--source-file ",
              **{f"[models.{_name(path)}] file: ": "--model-file " for path in model_files}}
    try:
        return parse({"title": f"{source_file} ({unit}s)", "source": {"file": source_file, "unit": unit},
                      "models": {path: {"file": path} for path in model_files}}, "--source-file")
    except ScenarioError as exc:
        text = str(exc).removeprefix("--source-file: ")
        place = next((place for place in places if text.startswith(place)), None)
        raise ScenarioError(places[place] + text[len(place):] if place else f"--source-file: {text}") from None


def _from_vector_options(p, qs, labels) -> Scenario:
    if not qs:
        raise ArgumentError("--p needs at least one --q")
    if labels is not None and len(labels) != len(p):
        raise ArgumentError(f"--labels has {_entries(labels)}, --p has {_entries(p)}")
    options = [f"--q (the {_ordinal(i)})" if len(qs) > 1 else "--q" for i in range(1, len(qs) + 1)]
    for option, q in zip(options, qs):
        if len(q) != len(p):
            raise ArgumentError(f"{option} has {_entries(q)}, --p has {_entries(p)}")
    try:
        alphabet = Distribution.uniform(list(labels) if labels else len(p)).alphabet
    except CodesimError as exc:
        raise ArgumentError(f"--labels: {exc}") from None
    for option, vector in zip(["--p", *options], [p, *qs]):
        try:
            Distribution.from_probs(vector, alphabet)
        except CodesimError as exc:  # without the scenario file's remedy (normalise = true) after a ';'
            raise ArgumentError(f"{option}: {str(exc).split(';')[0]}") from None
    return from_vectors(p, qs, labels)


def _entries(vector) -> str:
    return counted(len(vector), "entry", "entries")


def _ordinal(i: int) -> str:
    return f"{i}{'th' if 10 <= i % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(i % 10, 'th')}"


def _kind_of(table: "_Table") -> Kind:
    """The one kind a [source] or [models.NAME] table names by its key."""
    known = kinds()
    given = [key for key in known if key in table.data]
    if len(given) != 1:
        if given:
            table.fail(f"give exactly one of {', '.join(known)} (found {', '.join(given)})")
        hint = table.misspelt(*known)
        table.fail(f"give exactly one of {', '.join(known)} ({hint[2:-1] if hint else 'found none'})")
    return known[given[0]]


def _alphabet_setup(setting: Setting, top: "_Table", kind: Kind, source: "_Table",
                    models: dict[str, "_Table"]) -> None:
    """The alphabet of a source whose kind does not decide it: the scenario's ``alphabet`` key, or when
    that is omitted, the one the source's kind gives (an integer family's 0..N)."""
    for other in kinds().values():
        for key, message in other.top_keys.items():
            if other is not kind and key in top.data:
                top.fail(message, key)
    if "alphabet" not in top.data and kind.alphabet is not None:
        setting.alphabet = Distribution.uniform(kind.alphabet(setting, source, models)).alphabet
        return
    try:
        setting.alphabet = Distribution.uniform(top.take("alphabet", list)).alphabet
    except ScenarioError:
        raise
    except CodesimError as exc:
        raise ScenarioError(f"{setting.where}: alphabet: {exc}") from None


def _distribution(table: "_Table", setting: Setting, name: str | None = None):
    """p (``name`` None) or the model called ``name``, built by the kind the table names."""
    kind = _kind_of(table)
    table.boolean("normalise", default=False)  # read here, so every kind's table may carry it
    try:
        dist = kind.build(table, setting, name)
    except ScenarioError:
        raise
    except CodesimError as exc:
        table.fail(str(exc))
    table.done()
    return dist


def _schemes(run: "_Table", size: int) -> tuple[SchemeSpec, ...]:
    entries = run.take("schemes", list, default=None)
    if entries is None:
        return ()
    if not entries:
        run.fail("schemes is empty: list at least one, e.g. schemes = [\"huffman\"]")
    specs = []
    for i, entry in enumerate(entries, 1):
        try:
            if isinstance(entry, str):
                specs.append(SchemeSpec.parse(entry))
            elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
                params = {k: v for k, v in entry.items() if k != "name"}
                specs.append(SchemeSpec(entry["name"], tuple(params.items())).resolved())
            else:
                run.fail(f"schemes entry {i} must be a name or a table with a name, got {_show(entry)}")
            specs[-1].check_alphabet(size)
        except ScenarioError:
            raise
        except CodesimError as exc:
            run.fail(f"schemes entry {i}: {exc}")
    return tuple(specs)


def default_schemes(size: int | None = None) -> tuple[SchemeSpec, ...]:
    """The default set of schemes (the registry's DEFAULT group) with default parameters; given an
    alphabet ``size``, only those that can code it."""
    return select((DEFAULT,), size)[0]


def for_command(scenario: "Scenario | str | Path", models: Sequence[str] = (), schemes=None,
                **run: Any) -> tuple["Scenario", list[str]]:
    """The scenario as a command runs it, and one remark per scheme left out.

    Only ``models`` are kept (all when none are named); the ``run`` settings given (length, trials,
    seed) override the file's, and a seed is drawn when neither gives one. ``schemes`` are what the
    command line names (specs and group names); none: the file's list, else the default set. A scheme
    of a group that cannot code the alphabet or be built from a model is left out with a remark;
    one named on its own is an error there. ``schemes`` None: the command codes nothing.
    """
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    if models:
        sc = sc.select_models(models)
    sc = sc.with_run(**run)
    chosen: tuple[SchemeSpec, ...] = ()
    remarks: list[str] = []
    if schemes is not None:
        asked = tuple(schemes) or (() if sc.run.schemes else (DEFAULT,))
        chosen, unfit = select(asked, len(sc.alphabet))
        named = {s for s in asked if isinstance(s, SchemeSpec)}
        # A scheme that learns takes no model, so no model can be one it cannot serve.
        for spec in [s for s in chosen if s not in named and not get(s.name).learns]:
            for name, q in sc.models.items():
                try:
                    spec.build(q)
                except SchemeError as exc:
                    unfit[spec.label] = f"{exc} (model '{name}')"
                    break
        chosen = tuple(s for s in chosen if s.label not in unfit or s in named)
        remarks = [f"skipped {why}" for why in unfit.values()]
    return sc.with_run(schemes=chosen, seed=resolve_seed(sc.run.seed)), remarks


class _Table:
    """A TOML table being validated: typed access by key, then unknown keys reported by :meth:`done`."""

    def __init__(self, data: Any, where: str, section: str):
        self.data = data
        self.where = where
        self.section = section
        self.used: set[str] = set()

    def fail(self, message: str, key: str | None = None):
        place = f"[{self.section}] " if self.section else ""
        raise ScenarioError(f"{self.where}: {place}{key + ': ' if key else ''}{message}")

    _MISSING = object()

    def take(self, key: str, kind, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is self._MISSING:
                self.fail(f"missing key {key!r}{self.misspelt(key)}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            self.fail(f"expected {_NAMES.get(kinds, ' or '.join(k.__name__ for k in kinds))},"
                      f" got {_show(value)}", key)
        return value

    def misspelt(self, *keys: str) -> str:
        """`` (found 'alphabt': did you mean 'alphabet'?)`` when a key of this table not yet read is close to
        one of ``keys`` (the ones looked for and missing), else ``""``."""
        unread = [str(k) for k in self.data if k not in self.used]
        for key in keys:
            close = difflib.get_close_matches(key, unread, n=1, cutoff=0.75)
            if close:
                return f" (found {close[0]!r}: did you mean {key!r}?)"
        return ""

    def sub(self, key: str, default: Any = _MISSING) -> "_Table":
        """The table under ``key``, to be read in turn."""
        return _Table(self.take(key, dict, default), self.where, f"{self.section}.{key}" if self.section else key)

    def text(self, key: str, default: Any = _MISSING) -> str:
        return self.take(key, str, default)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        return self.take(key, bool, default)

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.take(key, (int, float), default)
        if value is None or value is default:
            return value
        written = value
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                self.fail(f"expected a whole number, got {_show(value)}", key)
            value = int(value)
        if minimum is not None and value < minimum:
            self.fail(f"must be >= {minimum}, got {value}", key)
        if maximum is not None and value > maximum:
            # as written when it was a float (1e300 has 301 digits); a round limit as a power of ten
            shown = f"{written:g}" if isinstance(written, float) else str(value)
            limit = f"{maximum:.0e}" if maximum >= 10**6 and str(maximum).rstrip("0") == "1" else str(maximum)
            self.fail(f"{shown} is over the limit of {limit}", key)
        return value

    def seed(self, key: str, default: Any = _MISSING) -> int | None:
        """A seed: an integer (not 1.0: a seed names a stream, it counts nothing) from 0 to MAX_SEED."""
        value = self.take(key, int, default)
        if value is not None and value is not default:
            try:
                check_seed(value)
            except CodesimError as exc:
                self.fail(str(exc), key)
        return value

    def done(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.fail(f"unknown key {_quoted(key)}{did_you_mean(key, self.used)}")


_NAMES = {(list,): "a list", (dict,): "a table", (str,): "a string", (bool,): "true or false", (int,): "an integer",
          (int, float): "a number", (int, float, list): "a number or a list of numbers"}


#: Seeds are unsigned 64-bit integers, as numpy's generators and every output (a .csim header, a JSON
#: report) hold them; a fresh seed is drawn below 2^63.
MAX_SEED = 2**64 - 1


def check_seed(seed: int) -> int:
    """``seed`` if it is an integer from 0 to MAX_SEED, else a CodesimError saying so."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise CodesimError(f"a seed is an integer from 0 to 2^64 - 1, got {_show(seed)}")
    return int(seed)


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the given one, or a fresh one from the OS (recorded in every report)."""
    if seed is not None:
        return seed
    return int(np.random.SeedSequence().entropy % (2**63))
