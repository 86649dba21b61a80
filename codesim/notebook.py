"""codesim from Python, as a notebook uses it: :func:`run` and :func:`compare` take a scenario (a file's
path, a :class:`~codesim.scenario.Scenario`, or the dict a TOML document parses to) and the settings the
command line takes, and return :class:`Results`, which print as the command prints them, show as an
HTML table in Jupyter, and convert to records (the JSON output's) or a pandas DataFrame.

>>> nasa = {"alphabet": [100, 105, 110, 145, 160, 162, 174, 180],
...         "source": {"probs": [0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]},
...         "models": {"uniform": {"uniform": True}}}
>>> results = run(nasa, schemes=["huffman", "arithmetic"], length=1000, trials=2, seed=1948)
>>> [(r["scheme"], round(r["kl_bits"], 4)) for r in results.to_records()]
[('huffman', 0.6769), ('arithmetic', 0.6769)]
>>> print(str(results).splitlines()[0])
scenario (1000 symbols x 2 trials, seed 1948)
>>> run(nasa, lenght=1000)
Traceback (most recent call last):
...
codesim.errors.ArgumentError: codesim.run: unknown setting 'lenght' (did you mean 'length'?); settings: length, trials, seed, schemes, models, block, jobs
"""

from __future__ import annotations

import html
import json
import math
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from .coders import SchemeSpec, registry
from .errors import ArgumentError, CodesimError, SchemeError, did_you_mean, show_value
from .present import page, report
from .scenario import Scenario, for_command, parse
from .simulation.parallel import check_jobs
from .simulation.simulate import Measurement, simulate_many

if TYPE_CHECKING:
    import pandas

#: What :func:`run` and :func:`compare` take beside the scenario, as the command line's options do.
SETTINGS = ("length", "trials", "seed", "schemes", "models", "block", "jobs")


@dataclass(frozen=True)
class Results:
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

    @property
    def seed(self) -> int:
        """The seed the streams were drawn from: run again with it, the same bits come out."""
        return self.scenario.run.seed

    def _write(self, fmt: str) -> str:
        render = report.render_compare if self.ranked else report.render
        return render(fmt, report.header(self.scenario), self.measurements, title=self.scenario.title)

    def __str__(self) -> str:
        return self._write("table")

    __repr__ = __str__

    def to_json(self) -> str:
        """The JSON ``codesim run`` (or ``compare``) writes: the version, the seed, the settings, the records."""
        return self._write("json")

    def to_csv(self) -> str:
        """The CSV ``codesim run`` (or ``compare``) writes: a row per record."""
        return self._write("csv")

    def to_records(self) -> list[dict[str, Any]]:
        """A dict per (model, scheme), the JSON output's records: a figure that is not finite (D(p||q)
        of a model that rules out a symbol p emits) is None, as JSON writes it."""
        return json.loads(self.to_json())["results"]

    def to_pandas(self) -> "pandas.DataFrame":
        """The records as a DataFrame, an interval (``ci95``) as two columns ``ci95_low`` and ``ci95_high``
        as in the CSV output; ``attrs`` holds codesim's version and the seed."""
        try:
            import pandas
        except ImportError:
            raise CodesimError("to_pandas needs pandas: pip install 'codesim[notebook]'") from None
        doc = json.loads(self.to_json())
        rows = []
        for record in doc["results"]:
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

    def _repr_html_(self) -> str:
        """The table as the report page draws it, with the title, settings and what the numbers show."""
        head = report.header(self.scenario)
        order = [m for _, m in report.ranked(self.measurements)] if self.ranked else list(self.measurements)
        out = [f"<p><strong>{html.escape(self.scenario.title)}</strong> "
               f"({html.escape(report._setting(head))})</p>"]
        out += page._html_table(order) if order else ["<p>No measurements.</p>"]
        out += [f"<p>{html.escape(s)}</p>" for s in report.summary(self.measurements) + list(self.scenario.remarks)]
        return "\n".join(out)


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
    not the scenario's list."""
    settings.setdefault("schemes", registry.DEFAULT)
    return _measure("compare", scenario, settings, ranked=True)


def _measure(command: str, scenario, settings: dict[str, Any], ranked: bool) -> Results:
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
    r = sc.run
    try:
        measured = simulate_many(sc.source, sc.models, r.schemes, length=r.length, trials=r.trials, seed=r.seed,
                                 block=r.block, jobs=jobs, message=sc.message)
    except SchemeError as exc:  # a model that a scheme cannot serve: named with the scenario
        raise SchemeError(f"{sc.path}: {exc}") from None
    return Results(sc, tuple(measured), tuple(skipped), ranked)


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

