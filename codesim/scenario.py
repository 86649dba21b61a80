"""Scenario files (TOML) -> a validated :class:`Scenario`.

A scenario names an alphabet, the true source distribution p, one or more assumed models q and how to
run them. Every problem is reported as a ScenarioError that names the file, the key and what is wrong,
so the CLI can print it as one line. The format is documented in the README ("Scenario files").
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .coders import SchemeSpec, available
from .distributions import Distribution, Label
from .errors import CodesimError, ScenarioError, did_you_mean
from .simulate import check_run_size
from .streamio import read_input

DEFAULT_LENGTH = 100_000
DEFAULT_TRIALS = 5

#: Keys of a distribution table that say where the probabilities come from; exactly one is given.
DISTRIBUTION_SOURCES = ("probs", "counts", "uniform", "dirichlet")


@dataclass(frozen=True)
class RunSettings:
    """How to run a scenario: stream length, trials, seed, schemes. A seed of None means "draw one"."""

    length: int = DEFAULT_LENGTH
    trials: int = DEFAULT_TRIALS
    seed: int | None = None
    schemes: tuple[SchemeSpec, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the source p, the named models q, and the run settings."""

    title: str
    description: str
    path: str | None
    alphabet: tuple[Label, ...]
    source: Distribution
    models: dict[str, Distribution]
    run: RunSettings

    def select_models(self, names: Sequence[str]) -> "Scenario":
        """The scenario with only the named models, in the order given."""
        for name in names:
            if name not in self.models:
                raise ScenarioError(
                    f"{self.path or 'scenario'}: no model {name!r}{did_you_mean(name, self.models)}"
                    f" (models: {', '.join(self.models)})"
                )
        return replace(self, models={name: self.models[name] for name in dict.fromkeys(names)})

    def with_run(self, **changes: Any) -> "Scenario":
        """The scenario with run settings overridden (None leaves a setting as it is)."""
        updates = {k: v for k, v in changes.items() if v is not None and v != ()}
        run = replace(self.run, **updates)
        check_run_size(run.length, run.trials)
        return replace(self, run=run)


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario file."""
    path = Path(path)
    where = str(path)
    raw = read_input(path, "a scenario file", ScenarioError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{where}: TOML syntax error: {exc}") from None
    return parse(data, where)


def parse(data: dict[str, Any], where: str = "scenario") -> Scenario:
    """Validate an already parsed TOML document; ``where`` names it in error messages."""
    top = _Table(data, where, "")
    title = top.text("title", default=Path(where).stem)
    description = top.text("description", default="")
    alphabet_raw = top.take("alphabet", list)
    try:
        alphabet = Distribution.uniform(alphabet_raw).alphabet
    except CodesimError as exc:
        raise ScenarioError(f"{where}: alphabet: {exc}") from None
    run_table = _Table(top.take("run", dict, default={}), where, "run")
    seed = run_table.integer("seed", default=None, minimum=0)
    source = _distribution(_Table(top.take("source", dict), where, "source"), alphabet)
    models_raw = top.take("models", dict)
    if not models_raw:
        raise ScenarioError(f"{where}: [models] is empty: give at least one model, e.g. [models.uniform]")
    models = {}
    for name, table in models_raw.items():
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: models.{name}: expected a table such as [models.{name}]")
        models[name] = _distribution(_Table(table, where, f"models.{name}"), alphabet)
    run = RunSettings(
        length=run_table.integer("length", default=DEFAULT_LENGTH, minimum=1),
        trials=run_table.integer("trials", default=DEFAULT_TRIALS, minimum=1),
        seed=seed,
        schemes=_schemes(run_table),
    )
    run_table.done()
    top.done()
    try:
        check_run_size(run.length, run.trials)
    except CodesimError as exc:
        raise ScenarioError(f"{where}: [run] {exc}") from None
    return Scenario(title, description, where, alphabet, source, models, run)


def from_vectors(
    p: Sequence[float], qs: Sequence[Sequence[float]], labels: Sequence[Label] | None = None
) -> Scenario:
    """A scenario from probability vectors given on the command line: models q1, q2, ..."""
    k = len(p)
    alphabet = list(labels) if labels else list(range(k))
    models = {f"q{i}" if len(qs) > 1 else "q": {"probs": list(q)} for i, q in enumerate(qs, 1)}
    return parse({"title": "command-line distributions", "alphabet": alphabet,
                  "source": {"probs": list(p)}, "models": models}, "--p/--q")


def _distribution(table: "_Table", alphabet: tuple[Label, ...]) -> Distribution:
    given = [key for key in DISTRIBUTION_SOURCES if key in table.data]
    if len(given) != 1:
        found = f"found {', '.join(given)}" if given else "found none"
        table.fail(f"give exactly one of {', '.join(DISTRIBUTION_SOURCES)} ({found})")
    key = given[0]
    normalise = table.boolean("normalise", default=False)
    try:
        if key == "probs":
            dist = Distribution.from_probs(table.take("probs", list), alphabet, normalise=normalise)
        elif key == "counts":
            dist = Distribution.from_counts(table.take("counts", list), alphabet)
        elif key == "uniform":
            if not table.boolean("uniform"):
                table.fail("uniform = false says nothing: give probs, counts or dirichlet instead")
            dist = Distribution.uniform(alphabet)
        else:
            spec = _Table(table.take("dirichlet", dict), table.where, f"{table.section}.dirichlet")
            alpha = spec.take("alpha", (int, float, list), default=1.0)
            seed = spec.integer("seed", minimum=0)  # required: a scenario must mean the same q every run
            spec.done()
            dist = Distribution.dirichlet(alphabet, alpha, seed)
    except ScenarioError:
        raise
    except CodesimError as exc:
        table.fail(str(exc))
    table.done()
    return dist


def _schemes(run: "_Table") -> tuple[SchemeSpec, ...]:
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
                run.fail(f"schemes entry {i} must be a name or a table with a name, got {entry!r}")
        except ScenarioError:
            raise
        except CodesimError as exc:
            run.fail(f"schemes entry {i}: {exc}")
    return tuple(specs)


def default_schemes() -> tuple[SchemeSpec, ...]:
    """Every registered scheme with its default parameters."""
    return tuple(SchemeSpec.of(s.name) for s in available())


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
                self.fail(f"missing key {key!r}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            self.fail(f"expected {_NAMES.get(kinds, ' or '.join(k.__name__ for k in kinds))},"
                      f" got {_show(value)}", key)
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        return self.take(key, str, default)

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        return self.take(key, bool, default)

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None) -> int | None:
        value = self.take(key, (int, float), default)
        if value is None or value is default:
            return value
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                self.fail(f"expected a whole number, got {_show(value)}", key)
            value = int(value)
        if minimum is not None and value < minimum:
            self.fail(f"must be >= {minimum}, got {value}", key)
        return value

    def done(self) -> None:
        for key in self.data:
            if key not in self.used:
                self.fail(f"unknown key {key!r}{did_you_mean(key, self.used)}")


_NAMES = {(list,): "a list", (dict,): "a table", (str,): "a string", (bool,): "true or false",
          (int, float): "a number", (int, float, list): "a number or a list of numbers"}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def resolve_seed(seed: int | None) -> int:
    """The seed to use: the given one, or a fresh one from the OS (recorded in every report)."""
    if seed is not None:
        return seed
    return int(np.random.SeedSequence().entropy % (2**63))
