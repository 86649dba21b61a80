"""Scenario files (TOML) -> a validated :class:`Scenario`.

A scenario names an alphabet, the true source distribution p, one or more assumed models q and how to
run them. Every problem is reported as a ScenarioError that names the file, the key and what is wrong,
so the CLI can print it as one line. The format is documented in the README ("Scenario files").
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .sources import continuous, estimate, files as textsource
from .coders import SchemeSpec
from .coders.registry import DEFAULT, select
from .sources.iid import Distribution, Label
from .errors import CodesimError, ScenarioError, SchemeError, did_you_mean, show_value as _show
from .measures import kl_divergence
from .simulation.simulate import DEFAULT_LENGTH, DEFAULT_TRIALS, check_run_size
from .files.streamio import read_input

#: The largest scenario file. One with the largest alphabet (65536 labels) and five probability
#: vectors over it takes about 8 MiB and parses in under 2 seconds.
MAX_SCENARIO_BYTES = 16 << 20

#: The most models a scenario may have, and the most probabilities all of them hold (models x alphabet
#: size): a few bytes of TOML (``[models.m1]`` and ``uniform = true``) make a model of as many doubles as
#: the alphabet has labels, so that a 16 MiB file could otherwise ask for hundreds of GB. 2^24 doubles
#: take 128 MB: 256 models over the largest alphabet.
MAX_MODELS = 1000
MAX_MODEL_VALUES = 1 << 24

#: Keys of a distribution table that say where the probabilities come from; exactly one is given.
DISTRIBUTION_SOURCES = ("probs", "counts", "uniform", "dirichlet", "estimate", "file", "beta", "normal")


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
    #: A fixed message (a file's own symbols) instead of streams drawn from the source; then one trial.
    message: np.ndarray | None = field(default=None, repr=False)
    #: Sentences for the report about where the distributions came from.
    remarks: tuple[str, ...] = ()
    #: Figures for the JSON report that belong to the scenario, not to a (model, scheme) pair.
    figures: dict[str, Any] = field(default_factory=dict)

    def select_models(self, names: Sequence[str]) -> "Scenario":
        """The scenario with only the named models, in the order given."""
        for name in names:
            if name not in self.models:
                raise ScenarioError(
                    f"{self.path or 'scenario'}: no model {_quoted(name)}{did_you_mean(name, self.models)}"
                    f" (models: {', '.join(self.models)})"
                )
        return replace(self, models={name: self.models[name] for name in dict.fromkeys(names)})

    def with_run(self, **changes: Any) -> "Scenario":
        """The scenario with run settings overridden (None leaves a setting as it is)."""
        updates = {k: v for k, v in changes.items() if v is not None and v != ()}
        if self.message is not None and {"length", "trials"} & set(updates):
            raise ScenarioError(f"{self.path or 'scenario'}: the message is a file's own symbols, coded once: "
                                "--length and --trials do not apply")
        run = replace(self.run, **updates)
        check_run_size(run.length, run.trials)
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
        if not isinstance(table, dict):
            raise ScenarioError(f"{where}: models.{_name(name)}: expected a table such as [models.{_name(name)}]")
        model_tables[name] = _Table(table, where, f"models.{_name(name)}")
    ctx = _Context(where, Path(where).parent)
    kind = _kind_of(source_table)
    if kind in CONTINUOUS:
        _continuous_setup(ctx, top, source_table)
    elif kind == "file":
        _file_setup(ctx, top, source_table, model_tables)
    else:
        if "quantise" in top.data:
            top.fail("[quantise] bins a continuous source: give [source] beta or normal", "quantise")
        try:
            ctx.alphabet = Distribution.uniform(top.take("alphabet", list)).alphabet
        except ScenarioError:
            raise
        except CodesimError as exc:
            raise ScenarioError(f"{where}: alphabet: {exc}") from None
    source = ctx.source or _distribution(source_table, ctx)
    ctx.source = source
    _check_model_count(where, len(model_tables), source.size)
    models = {name: _distribution(table, ctx, name) for name, table in model_tables.items()}
    run = RunSettings(
        length=run_table.integer("length", default=DEFAULT_LENGTH, minimum=1),
        trials=run_table.integer("trials", default=DEFAULT_TRIALS, minimum=1),
        seed=seed,
        schemes=_schemes(run_table, len(ctx.alphabet)),
    )
    run_table.done()
    top.done()
    if ctx.message is not None:
        if "length" in run_table.data or "trials" in run_table.data:
            run_table.fail("the message is the file's own symbols, coded once: length and trials do not apply")
        run = replace(run, length=int(ctx.message.size), trials=1)
    try:
        check_run_size(run.length, run.trials)
    except CodesimError as exc:
        raise ScenarioError(f"{where}: [run] {exc}") from None
    return Scenario(title, description, where, ctx.alphabet, source, models, run, ctx.message,
                    tuple(ctx.remarks), ctx.figures)


def from_vectors(
    p: Sequence[float], qs: Sequence[Sequence[float]], labels: Sequence[Label] | None = None
) -> Scenario:
    """A scenario from probability vectors given on the command line: models q1, q2, ..."""
    k = len(p)
    alphabet = list(labels) if labels else list(range(k))
    models = {f"q{i}" if len(qs) > 1 else "q": {"probs": list(q)} for i, q in enumerate(qs, 1)}
    return parse({"title": "command-line distributions", "alphabet": alphabet,
                  "source": {"probs": list(p)}, "models": models}, "--p/--q")


CONTINUOUS = ("beta", "normal")


@dataclass
class _Context:
    """What the source's kind decides for the whole scenario, gathered while it is read."""

    where: str
    base: Path  # relative file paths are resolved against the scenario's folder
    alphabet: tuple[Label, ...] = ()
    source: Distribution | None = None
    message: np.ndarray | None = None
    remarks: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    continuous: Any = None  # the continuous source, when it is one
    edges: np.ndarray | None = None
    unit: str | None = None
    file_counts: dict[str, Any] = field(default_factory=dict)  # model name -> its file's unit counts


def _kind_of(table: "_Table") -> str:
    given = [key for key in DISTRIBUTION_SOURCES if key in table.data]
    if len(given) != 1:
        found = f"found {', '.join(given)}" if given else "found none"
        table.fail(f"give exactly one of {', '.join(DISTRIBUTION_SOURCES)} ({found})")
    return given[0]


def _continuous_spec(table: "_Table", key: str):
    spec = _Table(table.take(key, dict), table.where, f"{table.section}.{key}")
    try:
        if key == "beta":
            dist = continuous.Beta(spec.take("a", (int, float)), spec.take("b", (int, float)))
        else:
            dist = continuous.Normal(spec.take("mean", (int, float)), spec.take("sd", (int, float)))
    except ScenarioError:
        raise
    except CodesimError as exc:
        spec.fail(str(exc))
    spec.done()
    return dist


def _continuous_setup(ctx: _Context, top: "_Table", source: "_Table") -> None:
    """A continuous source: the alphabet is the bins of [quantise], p the source's mass in each."""
    if "alphabet" in top.data:
        top.fail("a continuous source's alphabet is its bins: give [quantise] bins or edges instead", "alphabet")
    q = _Table(top.take("quantise", dict, default={}), ctx.where, "quantise")
    ctx.continuous = _continuous_spec(source, _kind_of(source))
    try:
        if "edges" in q.data:
            if "bins" in q.data or "range" in q.data:
                q.fail("give edges, or bins (and a range), not both")
            ctx.edges = continuous.check_edges(ctx.continuous, q.take("edges", list))
        else:
            span = q.take("range", list, default=None)
            ctx.edges = continuous.edges(tuple(span) if span is not None else ctx.continuous,
                                         q.integer("bins", default=64, minimum=1))
        ctx.source = continuous.to_distribution(ctx.continuous, ctx.edges)
    except ScenarioError:
        raise
    except CodesimError as exc:
        q.fail(str(exc))
    q.done()
    source.done()
    ctx.alphabet = ctx.source.alphabet


def _file_setup(ctx: _Context, top: "_Table", source: "_Table", models: dict[str, "_Table"]) -> None:
    """A file as the source: the message is the file itself; the alphabet, every unit of the source
    file and of the models' files (models are smoothed over it, see textsource.union_model)."""
    if "alphabet" in top.data:
        top.fail("a file source's alphabet is the files' own units: remove alphabet", "alphabet")
    path = Path(os.path.normpath(ctx.base / source.take("file", str)))
    ctx.unit = source.take("unit", str, default="byte")
    source.done()
    try:
        source_labels, source_indices = textsource.tokens(path, ctx.unit)  # the file is read once
        for name, table in models.items():
            if "file" in table.data:
                model_file = Path(os.path.normpath(ctx.base / table.take("file", str)))
                unit = table.take("unit", str, default=ctx.unit)
                if unit != ctx.unit:
                    table.fail(f"unit {unit!r} differs from the source's {ctx.unit!r}: one alphabet serves all", "unit")
                try:
                    ctx.file_counts[name] = (model_file, textsource.count_units(model_file, unit))
                except CodesimError as exc:
                    table.fail(str(exc), "file")
        labels = set(source_labels)
        for _, model_counts in ctx.file_counts.values():
            labels.update(model_counts.labels)
        ctx.alphabet = tuple(sorted(labels, key=textsource.sort_key))
        ctx.message = textsource.reindex(path, ctx.unit, source_labels, source_indices, ctx.alphabet)
    except ScenarioError:
        raise
    except CodesimError as exc:
        source.fail(str(exc))
    if ctx.message.size == 0:
        source.fail(f"{path} has no {ctx.unit}s to code")
    ctx.source = Distribution.from_counts(np.bincount(ctx.message, minlength=len(ctx.alphabet)), ctx.alphabet)
    ctx.remarks.append(f"The message is {path}'s own {ctx.message.size} {ctx.unit}s, coded once: not samples "
                       f"drawn from p, so there is one trial and no confidence interval.")


def _distribution(table: "_Table", ctx: _Context, name: str | None = None) -> Distribution:
    key = _kind_of(table)
    alphabet = ctx.alphabet
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
        elif key == "dirichlet":
            spec = _Table(table.take("dirichlet", dict), table.where, f"{table.section}.dirichlet")
            alpha = spec.take("alpha", (int, float, list), default=1.0)
            seed = spec.seed("seed")  # required: a scenario must mean the same q every run
            spec.done()
            dist = Distribution.dirichlet(alphabet, alpha, seed)
        elif key == "estimate":
            dist = _estimated(table, ctx, name)
        elif key == "file":
            dist = _from_file(table, ctx, name)
        else:
            dist = _quantised(table, ctx, key, name)
    except ScenarioError:
        raise
    except CodesimError as exc:
        table.fail(str(exc))
    table.done()
    return dist


def _estimated(table: "_Table", ctx: _Context, name: str | None) -> Distribution:
    if name is None:
        table.fail("the source cannot be estimated: estimate draws its training sample from the source")
    spec = _Table(table.take("estimate", dict), table.where, f"{table.section}.estimate")
    samples = spec.integer("samples", minimum=0, maximum=estimate.MAX_SAMPLES)
    smoothing = spec.take("smoothing", (str, int, float), default="none")
    seed = spec.seed("seed")  # required, as for dirichlet
    spec.done()
    dist = estimate.estimate(ctx.source, samples, smoothing, seed)
    k = int(np.count_nonzero(ctx.source.probs))
    if samples > 0:
        expected = estimate.expected_ml_excess(k, samples)
        ctx.remarks.append(
            f"Model '{name}' was estimated from {samples} samples of p ({smoothing} smoothing, seed {seed}); "
            f"for a maximum-likelihood estimate D(p||q) is about (k-1)/(2 m ln 2) = {expected:.4f} bits.")
        ctx.figures.setdefault("expected_estimate_kl_bits", {})[name] = expected
    return dist


def _from_file(table: "_Table", ctx: _Context, name: str | None) -> Distribution:
    if ctx.message is None:
        table.fail("a model from a file needs a file source ([source] file = ...), which sets the alphabet")
    path, counts = ctx.file_counts[name]
    smoothing = table.take("smoothing", (str, int, float), default="kt")
    q = textsource.union_model(counts, ctx.alphabet, smoothing)
    alpha = estimate.pseudocount(smoothing)
    seen = set(counts.as_dict())
    unseen = [i for i, label in enumerate(ctx.alphabet) if label not in seen]
    occurrences = int(np.isin(ctx.message, unseen).sum())
    cost = textsource.unseen_cost_bits(counts.total, alpha, len(ctx.alphabet))
    ctx.remarks.append(
        f"Model '{name}' counts the {counts.total} {ctx.unit}s of {path}, smoothed by adding {alpha:g} to every "
        f"{ctx.unit} of the union alphabet ({len(ctx.alphabet)}); the message has {occurrences} occurrences of "
        f"{ctx.unit}s the model file never contains, each costing about {cost:.1f} bits.")
    return q


def _quantised(table: "_Table", ctx: _Context, key: str, name: str | None) -> Distribution:
    if ctx.continuous is None:
        table.fail(f"{key} is a continuous model: it needs a continuous source ([source] beta or normal)")
    model = _continuous_spec(table, key)
    dist = continuous.to_distribution(model, ctx.edges)
    if name is not None:
        try:
            exact = continuous.kl(ctx.continuous, model)
        except CodesimError:
            exact = None
        binned = kl_divergence(ctx.source, dist)
        ctx.figures.setdefault("continuous_kl_bits", {})[name] = exact
        shown = "has no closed form" if exact is None else f"= {exact:.4f} bits"
        ctx.remarks.append(
            f"Model '{name}': continuous D({_show_dist(ctx.continuous)}||{_show_dist(model)}) {shown}; "
            f"quantised into {ctx.edges.size - 1} bins, D(p||q) = {binned:.4f} bits (quantising never adds "
            "divergence, and finer bins approach the continuous value).")
    return dist


def _show_dist(dist) -> str:
    if isinstance(dist, continuous.Beta):
        return f"Beta({dist.a:g}, {dist.b:g})"
    return f"Normal({dist.mean:g}, {dist.sd:g})"


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
        for spec in [s for s in chosen if s not in named]:
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

    def integer(self, key: str, default: Any = _MISSING, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.take(key, (int, float), default)
        if value is None or value is default:
            return value
        if isinstance(value, float):
            if not math.isfinite(value) or value != int(value):
                self.fail(f"expected a whole number, got {_show(value)}", key)
            value = int(value)
        if minimum is not None and value < minimum:
            self.fail(f"must be >= {minimum}, got {value}", key)
        if maximum is not None and value > maximum:
            self.fail(f"{value} is over the limit of {maximum:.0e}", key)
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
