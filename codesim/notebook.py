"""codesim from Python, as a notebook uses it: :func:`run`, :func:`compare`, :func:`converge` and
:func:`sweep` take a scenario (a file's path, a :class:`~codesim.scenario.Scenario`, or the dict a TOML
document parses to) and the settings the command line takes, and return results (:class:`Results`,
:class:`Points`) which print as the command prints them, show as HTML in Jupyter, and convert to
records (the JSON output's) or a pandas DataFrame.

>>> nasa = {"alphabet": [100, 105, 110, 145, 160, 162, 174, 180],
...         "source": {"probs": [0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]},
...         "models": {"uniform": {"uniform": True}}}
>>> results = run(nasa, schemes=["huffman", "arithmetic"], length=1000, trials=2, seed=1948)
>>> [(r["scheme"], round(r["kl_bits"], 4)) for r in results.to_records()]
[('huffman', 0.6769), ('arithmetic', 0.6769)]
>>> print(str(results).splitlines()[0])
scenario (1000 symbols x 2 trials, seed 1948)
>>> run(nasa, lenght=1000)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
codesim.errors.ArgumentError: codesim.run: unknown setting 'lenght' (did you mean 'length'?); settings: ...
"""

from __future__ import annotations

import html
import json
import math
import os
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from .coders import SchemeSpec, registry
from .errors import ArgumentError, CodesimError, did_you_mean, show_value
from .present import page, report, terms
from .scenario import Scenario, for_command, parse
from .simulation import experiments
from .simulation.experiments import ConvergencePoint, SweepPoint
from .simulation.parallel import check_jobs
from .simulation.simulate import Measurement

if TYPE_CHECKING:
    import pandas

#: What :func:`run`, :func:`compare`, :func:`converge` and :func:`sweep` take beside the scenario, as the
#: command line's options do.
SETTINGS = ("length", "trials", "seed", "schemes", "models", "block", "jobs")


class _Output(ABC):
    """What every kind of results gives: the command's outputs in each format, and its records. A
    subclass holds the ``scenario`` it ran (its ``run`` with the settings used)."""

    scenario: Scenario

    #: The key of the records in the JSON output.
    key = "results"

    @abstractmethod
    def _write(self, fmt: str) -> str:
        """The command's output in one of :data:`codesim.present.report.FORMATS`."""

    @property
    def seed(self) -> int:
        """The seed the streams were drawn from: run again with it, the same bits come out."""
        return self.scenario.run.seed

    def __str__(self) -> str:
        return self._write("table")

    __repr__ = __str__

    def to_json(self) -> str:
        """The JSON the command writes: the version, the seed, the settings, the records."""
        return self._write("json")

    def to_csv(self) -> str:
        """The CSV the command writes: a row per record."""
        return self._write("csv")

    def to_records(self) -> list[dict[str, Any]]:
        """A dict per row, the JSON output's records: a figure that is not finite (D(p||q) of a model
        that rules out a symbol p emits) is None, as JSON writes it."""
        return json.loads(self.to_json())[self.key]

    def to_pandas(self) -> "pandas.DataFrame":
        """The records as a DataFrame, an interval (``ci95``) as two columns ``ci95_low`` and ``ci95_high``
        as in the CSV output; ``attrs`` holds codesim's version and the seed."""
        try:
            import pandas
        except ImportError:
            raise CodesimError("to_pandas needs pandas: pip install 'codesim[notebook]'") from None
        doc = json.loads(self.to_json())
        rows = []
        for record in doc[self.key]:
            row = {}
            for name, value in record.items():
                if name.endswith("ci95"):
                    row[f"{name}_low"], row[f"{name}_high"] = value if value is not None else (None, None)
                else:
                    row[name] = value
            rows.append(row)
        frame = pandas.DataFrame(rows)
        frame.attrs.update({name: doc[name] for name in report.PROVENANCE})
        return frame


@dataclass(frozen=True, repr=False)
class Results(_Output):
    """What a run measured: one :class:`~codesim.simulation.simulate.Measurement` per (model, scheme), on
    the streams of ``scenario`` (its ``run`` holds the settings used, the seed drawn if none was given).

    ``str()`` is the table ``codesim run`` prints (``codesim compare``'s when ``ranked``), Jupyter shows
    it as an HTML table, :meth:`to_records` gives the JSON output's records and :meth:`to_pandas` a
    DataFrame of them; :meth:`to_json` and :meth:`to_csv` are the command's outputs in those formats.
    ``skipped`` says which schemes of a group were left out, and why.
    """

    scenario: Scenario
    measurements: tuple[Measurement, ...]
    skipped: tuple[str, ...] = ()
    ranked: bool = False

    def _write(self, fmt: str) -> str:
        render = report.render_compare if self.ranked else report.render
        return render(fmt, report.header(self.scenario), self.measurements, title=self.scenario.title)

    def _repr_html_(self) -> str:
        """The table as the report page draws it, with the title, settings and what the numbers show."""
        head = report.header(self.scenario)
        order = [m for _, m in report.ranked(self.measurements)] if self.ranked else list(self.measurements)
        out = [f"<p><strong>{html.escape(self.scenario.title)}</strong> "
               f"({html.escape(report.stream_setting(head, terms.of(self.measurements)))})</p>"]
        description = " ".join(self.scenario.description.split())
        if description and not self.ranked:  # as the run command prints it above its table
            out.append(f"<p>{html.escape(description)}</p>")
        out += page._html_table(order) if order else ["<p>No measurements.</p>"]
        out += [f"<p>{html.escape(s)}</p>" for s in report.summary(self.measurements) + list(self.scenario.remarks)]
        return "\n".join(out)


@dataclass(frozen=True, repr=False)
class Points(_Output):
    """What :func:`converge` or :func:`sweep` (``kind``) measured: its points, on the streams of
    ``scenario`` (its ``run`` holds the settings used). ``str()`` is the command's table, Jupyter shows it
    as it is, and the conversions are those of :class:`Results`."""

    scenario: Scenario
    points: tuple[ConvergencePoint | SweepPoint, ...]
    kind: str
    skipped: tuple[str, ...] = ()
    key = "points"

    def _write(self, fmt: str) -> str:
        render = report.converge_points if self.kind == "converge" else report.sweep_points
        return render(fmt, report.header(self.scenario), self.points, self.scenario.title)

    def _repr_html_(self) -> str:
        """The command's table, preformatted: its columns are aligned as the terminal shows them."""
        return f"<pre>{html.escape(str(self))}</pre>"


def run(scenario: "str | os.PathLike | Scenario | Mapping[str, Any]", **settings: Any) -> Results:
    """Run ``scenario`` as ``codesim run`` does, with ``settings`` overriding its ``[run]`` table:
    ``length``, ``trials``, ``seed``, ``block`` (whole numbers; ``1e6`` is taken), ``schemes`` (names,
    ``name:k=v`` specs or groups, one or a list; default: the scenario's list, else the default set),
    ``models`` (names of the scenario's models, one or a list; default: all) and ``jobs`` (processes).

    ``scenario`` is a path to a TOML file, a :class:`~codesim.scenario.Scenario`, or a dict as a TOML
    document parses to (``tomllib.loads(text)`` for a text). An unknown setting or a value out of range
    is a :class:`~codesim.errors.CodesimError` naming it.
    """
    return _measure("run", scenario, settings, ranked=False)


def compare(scenario: "str | os.PathLike | Scenario | Mapping[str, Any]", **settings: Any) -> Results:
    """Run ``scenario``'s schemes on the same streams and rank them per model by measured bits, as
    ``codesim compare`` does: the settings of :func:`run`, but ``schemes`` defaults to the default set,
    not the scenario's list (``schemes=None`` too, as the command without ``--scheme``)."""
    if settings.get("schemes") is None:
        settings["schemes"] = registry.DEFAULT
    return _measure("compare", scenario, settings, ranked=True)


def converge(scenario: "str | os.PathLike | Scenario | Mapping[str, Any]", lengths: Sequence[int] | None = None,
             **settings: Any) -> Points:
    """Code growing prefixes of each trial's stream, as ``codesim converge`` does: bits per symbol and
    the mean of log2 p(x)/q(x) at each of ``lengths`` (default: 10, 100, ... up to the scenario's
    length), with the settings of :func:`run`."""
    if lengths is not None and (isinstance(lengths, (str, bytes)) or not isinstance(lengths, Iterable)):
        raise ArgumentError(f"codesim.converge: lengths is a list of whole numbers, got {show_value(lengths)}")
    sc, jobs, skipped = _prepared("converge", scenario, settings)
    found = experiments.converge(sc, lengths, schemes=sc.run.schemes, jobs=jobs, block=sc.run.block)
    return Points(sc, tuple(found), "converge", skipped)


def sweep(scenario: "str | os.PathLike | Scenario | Mapping[str, Any]", mix: "str | Sequence[float] | None" = None,
          params: Mapping[str, Sequence[int | float]] | None = None, **settings: Any) -> Points:
    """Sweep the models towards the source, q_t = (1-t) q + t p for t in ``mix`` (values, or
    ``"START:STOP:COUNT"``), and scheme parameters over ``params`` ({name: values}), as ``codesim sweep``
    does, with the settings of :func:`run`."""
    if mix is None and not params:
        raise ArgumentError("codesim.sweep: give mix, params or both")
    if mix is not None and not isinstance(mix, (str, Iterable)):
        raise ArgumentError(f"codesim.sweep: mix is \"START:STOP:COUNT\" or a list of values of t, got "
                            f"{show_value(mix)}")
    if params is not None and not isinstance(params, Mapping):
        raise ArgumentError(f"codesim.sweep: params is a dict of a parameter's name and its values, got "
                            f"{show_value(params)}")
    ts = experiments.parse_mix(mix) if isinstance(mix, str) else mix
    sc, jobs, skipped = _prepared("sweep", scenario, settings)
    found = experiments.sweep(sc, mix=ts, params=params or None, schemes=sc.run.schemes, jobs=jobs,
                              block=sc.run.block)
    return Points(sc, tuple(found), "sweep", skipped)


def _measure(command: str, scenario, settings: dict[str, Any], ranked: bool) -> Results:
    sc, jobs, skipped = _prepared(command, scenario, settings)
    measured = sc.measure(jobs)
    return Results(sc, tuple(measured), skipped, ranked)


def _prepared(command: str, scenario, settings: dict[str, Any]) -> tuple[Scenario, int, tuple[str, ...]]:
    """The scenario with the settings applied (as the command line applies its options), the number of
    processes, and a remark per scheme of a group left out (also said on stderr, as the commands say it)."""
    for name in settings:
        if name not in SETTINGS:
            raise ArgumentError(f"codesim.{command}: unknown setting {name!r}{did_you_mean(name, SETTINGS)}; "
                                f"settings: {', '.join(SETTINGS)}")
    counts = {name: _count(command, name, settings.get(name)) for name in ("length", "trials", "block")}
    schemes = tuple(registry.choice(s) if isinstance(s, str) else s
                    for s in _several(command, "schemes", settings.get("schemes"), (str, SchemeSpec)))
    models = _several(command, "models", settings.get("models"), (str,))
    try:
        jobs = check_jobs(settings.get("jobs", 1))
    except CodesimError as exc:
        raise ArgumentError(f"codesim.{command}: {exc}") from None
    sc, skipped = for_command(_scenario(command, scenario), models, schemes, seed=settings.get("seed"), **counts)
    for remark in skipped:
        print(remark, file=sys.stderr)
    return sc, jobs, tuple(skipped)


def _scenario(command: str, scenario) -> "Scenario | str | os.PathLike":
    if isinstance(scenario, (Scenario, str, os.PathLike)):
        return scenario
    if isinstance(scenario, Mapping):
        return parse(dict(scenario))
    raise ArgumentError(f"codesim.{command}: the scenario is a file's path, a Scenario or a dict of a scenario's "
                        f"keys, got {show_value(scenario)} ({type(scenario).__name__})")


def _count(command: str, name: str, value) -> int | None:
    """A whole number >= 1 given as an int or a float that is one (1e6), or None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"codesim.{command}: {name} is a whole number >= 1, got {show_value(value)}")
    return value


def _several(command: str, name: str, value, kinds: tuple[type, ...]) -> tuple:
    """One value or a list of them, as a tuple (empty for None)."""
    if value is None:
        return ()
    items = (value,) if isinstance(value, kinds) else value
    if not isinstance(items, Sequence) or isinstance(items, str) or not all(isinstance(v, kinds) for v in items):
        raise ArgumentError(f"codesim.{command}: {name} is a name or a list of names, got {show_value(value)}")
    return tuple(items)

