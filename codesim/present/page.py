"""One self-contained report page (HTML or Markdown) for a run: the scenario, its settings, the results
table, the figures embedded as data URIs, and what the numbers show in words.

The page needs nothing beside itself: no stylesheet, script, font or image is fetched, so it can be
mailed, archived or opened offline. Figures are rendered to PNG and embedded; without matplotlib a
caller passes no figures and still gets the table and the words. The words are the sentences
:func:`codesim.present.report.summary` writes and the scenario's remarks, gathered into one paragraph per model.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shlex
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np

from . import plots, report, terms
from ..coders import registry
from ..errors import CodesimError
from ..version import version

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..scenario import Scenario
    from ..simulation.simulate import Measurement

FORMATS = ("html", "markdown")

#: Columns whose cells are words, not numbers (left-aligned); the others are right-aligned.
TEXT_COLUMNS = ("model", "scheme", "verified")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: #1d1d1f; background: #fff; margin: 0; line-height: 1.5; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
h1 { font-size: 1.7rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.3rem; }
.path { color: #666; margin-top: 0; font-size: 0.9rem; }
dl.settings, dl.columns { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1.2rem; }
dl.settings dt { font-weight: 600; }
dl.settings dd, dl.columns dd { margin: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #e4e4e4; white-space: nowrap; }
th { background: #f3f4f6; border-bottom: 2px solid #bbb; }
td.num, th.num { text-align: right; }
td.text, th.text { text-align: left; }
tr.group td { border-top: 2px solid #bbb; }
tbody tr:nth-child(even) { background: #fafafa; }
td.bad { color: #b00020; font-weight: 700; }
figure { margin: 1.5rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
dl.columns { font-size: 0.85rem; color: #444; gap: 0 1rem; margin-top: 1rem; }
.columns code, p code { background: #f3f4f6; padding: 0 0.2rem; border-radius: 3px; }
.warning { color: #b00020; font-weight: 700; }
.made { color: #444; font-size: 0.9rem; }
"""

#: Most rows of the alphabet's table: a larger alphabet shows its first and last symbols.
MAX_ALPHABET_ROWS = 24
#: The mixtures ``report --sweep`` runs: t = 0, 0.1, ..., 1.
SWEEP_MIX = tuple(k / 10 for k in range(11))


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as typed (``sys.argv`` by default), quoted so that a shell reads it back the same."""
    args = list(sys.argv if argv is None else argv)
    return shlex.join(["codesim", *args[1:]])

#: What the columns not named after the source mean, for the reader who has not seen the README.
COLUMN_NOTES = (
    ("bits/sym", "encoded bits per symbol, the mean over trials; every stream was decoded and compared"),
    ("95% CI", "Student-t 95% interval of that mean across trials"),
    ("verified", "yes when every trial decoded back to the original stream"),
)


def column_notes(words: terms.Terms) -> list[tuple[str, str]]:
    """Every column's meaning, in the table's order: the source's figures in ``words``' terms."""
    return [*COLUMN_NOTES[:2], *words.notes, COLUMN_NOTES[2]]


# -- figures --------------------------------------------------------------------------------------------
def figures_for(scenario: "Scenario", measurements: Sequence["Measurement"]) -> list[tuple[str, "Figure"]]:
    """The page's figures: the run's bits per symbol, the distributions p and q of the models run, and
    each model's likelihood ratio log2 p(x)/q(x) (:func:`codesim.present.plots.run_figures`).

    Raises :class:`~codesim.present.plots.PlotUnavailable` without matplotlib.
    """
    plots.require()
    titles = [f"{scenario.title}: measured bits per symbol", f"{scenario.title}: source p and models q",
              f"{scenario.title}: the likelihood ratio log2 p(x)/q(x)"]
    return list(zip(titles, plots.run_figures(scenario, measurements, titles)))


# -- converge and sweep ---------------------------------------------------------------------------------
@dataclass
class Study:
    """An experiment shown on the page: a heading, sentences, a small table and a figure."""

    heading: str
    sentences: list[str]
    columns: list[str]
    rows: list[list[str]]
    figure: tuple[str, "Figure"] | None = None


def studies(scenario: "Scenario", converge: bool = False, sweep: bool = False, jobs: int = 1,
            progress: Callable | None = None) -> list[Study]:
    """Run ``report --converge`` and ``report --sweep``: experiments.converge over lengths 10, 100, ... up
    to the scenario's length, and experiments.sweep over q_t = (1-t) q + t p for t in SWEEP_MIX, both
    with the scenario's schemes, length, trials and seed; each becomes a :class:`Study`."""
    from ..simulation import experiments

    out = []
    run = scenario.run
    if converge:
        points = experiments.converge(scenario, schemes=run.schemes, jobs=jobs, block=run.block, progress=progress)
        out.append(converge_study(scenario, points))
    if sweep:
        points = experiments.sweep(scenario, mix=list(SWEEP_MIX), schemes=run.schemes, jobs=jobs, block=run.block,
                                   progress=progress)
        out.append(sweep_study(scenario, points))
    return out


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _f(x: float | None) -> str:
    return "" if x is None else "∞" if math.isinf(x) else f"{x:.4f}"


def converge_study(scenario: "Scenario", points: Sequence[Any]) -> Study:
    """The convergence figure and, at the longest length, each (model, scheme)'s bits against H(p,q)."""
    longest = max(p.length for p in points)
    words = terms.of(points)
    lengths = sorted({p.length for p in points})
    sentences = [f"Each trial's stream was coded on its first L symbols for L = {', '.join(map(str, lengths))}: "
                 f"bits per symbol settle at the code's expected length ({words.cross} for a coder spending "
                 f"-log2 q(x)), and the mean of log2 p(x)/q(x) at {words.kl}. The table shows the longest length."]
    rows = [[p.model or "(learns)", p.scheme, _f(p.bits_per_symbol), _f(p.cross_entropy_bits), _f(p.llr_bits),
             _f(p.kl_bits)] for p in points if p.length == longest]
    title = f"{scenario.title}: convergence with the stream's length"
    figure = (title, plots.converge_figure(points, title))
    return Study("How the measurements converge", sentences,
                 ["model", "scheme", f"bits/sym at {longest}", words.cross, "mean log2 p/q", words.kl], rows, figure)


def sweep_study(scenario: "Scenario", points: Sequence[Any]) -> Study:
    """The sweep figure and, per (model, scheme), the excess at t = 0 and t = 1 and where the code beats
    D(p||q_t) beyond the sampling noise."""
    words = terms.of(points)
    sentences = [f"Each model q was mixed with the source, q_t = (1-t) q + t p, for t = "
                 f"{', '.join(f'{t:g}' for t in SWEEP_MIX)}: a coder spending -log2 q_t(x) pays D(p||q_t), a "
                 "smooth curve; a prefix code's whole-bit lengths move in steps. Ringed in the figure, and listed "
                 "here: where a code's whole 95% interval lies below D(p||q_t)."]
    rows = []
    for key in dict.fromkeys((p.model, p.scheme) for p in points):
        mine = sorted((p for p in points if (p.model, p.scheme) == key), key=lambda p: p.t or 0.0)
        below = [f"{p.t:g}" for p in mine if plots.below(p)]
        rows.append([key[0] or "(learns)", key[1], _f(mine[0].excess_bits_per_symbol),
                     _f(mine[-1].excess_bits_per_symbol), ", ".join(below) or "none"])
    title = f"{scenario.title}: models swept towards the source"
    figure = (title, plots.sweep_figure(points, title))
    return Study("Sweeping the models towards the source", sentences,
                 ["model", "scheme", f"excess at t = 0 (over {words.entropy})", "excess at t = 1",
                  "t where below D(p||q_t)"], rows, figure)


# -- the alphabet ---------------------------------------------------------------------------------------
def _probabilities(x: Any) -> np.ndarray:
    """One symbol's probabilities: a distribution's own, or the stationary marginal of one with memory."""
    return np.asarray(x.marginal().probs if getattr(x, "order", 0) else x.probs, dtype=float)


def alphabet_table(scenario: "Scenario", models: Sequence[str]) -> tuple[list[str], list[list[str]], str]:
    """(columns, rows, note): each symbol with p and each model's q; past MAX_ALPHABET_ROWS symbols, the
    first and the last ones with a row saying how many are left out."""
    labels = scenario.alphabet
    columns = ["symbol", "p", *(f"q: {name}" for name in models)]
    vectors = [_probabilities(scenario.source), *(_probabilities(scenario.models[name]) for name in models)]
    shown = list(range(len(labels)))
    if len(labels) > MAX_ALPHABET_ROWS:
        head = MAX_ALPHABET_ROWS - 4
        shown = [*range(head), None, *range(len(labels) - 3, len(labels))]
    rows = []
    for i in shown:
        if i is None:
            rows.append([f"… {len(labels) - MAX_ALPHABET_ROWS + 1} more symbols"] + [""] * len(vectors))
        else:
            rows.append([plots.symbol_name(labels[i])] + [f"{v[i]:.4g}" for v in vectors])
    memory = getattr(scenario.source, "order", 0) or any(getattr(scenario.models[n], "order", 0) for n in models)
    note = ("One symbol's probabilities (a distribution with memory shows its stationary marginal)." if memory
            else "The file's symbol frequencies and each model's probabilities." if scenario.message is not None
            else "The source's probabilities and each model's.")
    return columns, rows, note


# -- the excess of prefix codes -------------------------------------------------------------------------
def excess_split(measurements: Sequence["Measurement"]) -> dict[str, list[str]]:
    """Per model, for each prefix code built from it (binary, on a source without memory): its expected
    excess over H(p) split into D(p||r), from the distribution r(x) = 2^-l(x)/c its lengths imply, and
    log2(1/c), from the code's Kraft slack (c = sum 2^-l(x) < 1 for an incomplete code), by
    E_p[l] - H(p) = D(p||r) + log2(1/c)."""
    if not measurements or terms.of(measurements).memory:
        return {}
    words = terms.of(measurements)
    out: dict[str, list[str]] = {}
    for m in measurements:
        base = m.scheme.split(":")[0]
        try:
            prefix = "prefix" in registry.get(base).groups
        except CodesimError:
            prefix = False
        if not (prefix and m.model is not None and m.digits_per_symbol is None
                and _finite(m.expected_bits_per_symbol) and _finite(m.code_kl_bits)):
            continue
        excess = m.expected_bits_per_symbol - m.entropy_bits
        slack = max(0.0, excess - m.code_kl_bits)
        kraft = 2.0 ** -slack
        why = (": the code is complete (c = 1)" if slack < 5e-5
               else f" from an incomplete code (Kraft sum c = {kraft:.4f})")
        out.setdefault(m.model, []).append(
            f"{m.scheme} with model '{m.model}': {excess:.4f} bits over {words.entropy} expected (measured "
            f"{m.excess_bits_per_symbol:.4f}), of which D(p||r) = {m.code_kl_bits:.4f} from the distribution r its "
            f"lengths imply and log2(1/c) = {slack:.4f}{why}.")
    return out


def _data_uri(fig: "Figure") -> str:
    return "data:image/png;base64," + base64.b64encode(plots.render(fig, "png")).decode("ascii")


# -- words ----------------------------------------------------------------------------------------------
def _paragraphs(text: str) -> list[str]:
    """A description's paragraphs (blank-line separated), each joined onto one line."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _model_of(sentence: str, models: Sequence[str]) -> str | None:
    """The first model a sentence names as "model 'NAME'" (how summary and remarks refer to models)."""
    best = None
    for name in models:
        match = re.search(r"\bmodel '" + re.escape(name) + "'", sentence, re.IGNORECASE)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None


def _words(scenario: "Scenario", measurements: Sequence["Measurement"], sentences: Sequence[str]):
    """(sentences before the models, {model: its sentences}, sentences after): the summary's opening
    line (H(p)) stays first, its closing notes last; remarks about no one model go with the opening."""
    measured = [m.model for m in measurements if m.model is not None]  # a learner's row has no model
    models = list(dict.fromkeys(measured + list(scenario.models)))
    shown = list(dict.fromkeys(measured)) or models
    before: list[str] = []
    after: list[str] = []
    per_model: dict[str, list[str]] = {name: [] for name in shown}
    seen_model = False
    for sentence in sentences:
        name = _model_of(sentence, models)
        if name is not None:
            per_model.setdefault(name, []).append(sentence)
            seen_model = True
        else:
            (after if seen_model else before).append(sentence)
    for remark in scenario.remarks:
        name = _model_of(remark, shown)
        if name is not None:
            per_model.setdefault(name, []).append(remark)
        elif not re.search(r"\bmodel '", remark, re.IGNORECASE):
            before.append(remark)
        # else: a remark about a model left out of this run (--model) has no place on its page
    return before, {k: v for k, v in per_model.items() if v}, after


def _settings(scenario: "Scenario", measurements: Sequence["Measurement"]) -> list[tuple[str, str]]:
    """The run's settings as (name, value); the measurements say what was actually run."""
    run = scenario.run
    length = measurements[0].length if measurements else run.length
    trials = measurements[0].trials if measurements else run.trials
    seed = measurements[0].seed if measurements else run.seed
    schemes = list(dict.fromkeys(m.scheme for m in measurements)) or [s.label for s in run.schemes]
    models = list(dict.fromkeys(m.model for m in measurements if m.model is not None)) or list(scenario.models)
    if scenario.message is not None:
        stream = f"{length} symbols: the file's own message, coded once"
    else:
        stream = f"{length} symbols drawn from p per stream"
    return [
        ("length", stream),
        ("trials", str(trials)),
        ("seed", "drawn fresh" if seed is None
         else f"{seed} (unused: nothing is drawn)" if scenario.message is not None else str(seed)),
        ("alphabet", f"{len(scenario.alphabet)} symbols"),
        ("models", ", ".join(models)),
        ("schemes", ", ".join(schemes) or "every registered scheme"),
    ]


def _columns(measurements: Sequence["Measurement"]) -> tuple[report.Column, ...]:
    return report.named(report.COLUMNS, terms.of(measurements))


# -- HTML -----------------------------------------------------------------------------------------------
def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_cell(text: str) -> str:
    """A table cell's text with infinities as the sign a reader knows."""
    return _e(re.sub(r"(?<![a-z])(-?)inf\b", lambda m: m.group(1) + "∞", text))


def _html_table(measurements: Sequence["Measurement"]) -> list[str]:
    columns = _columns(measurements)
    kinds = ["text" if c.field in TEXT_COLUMNS else "num" for c in columns]
    out = ['<div class="scroll">', "<table>", "<thead>", "<tr>"]
    # "rate" on a line of its own under its figure, so the table of a source with memory fits the page
    out += [f'<th scope="col" class="{kind}">{_e(c.head).replace(" rate", "<br />rate")}</th>'
            for c, kind in zip(columns, kinds)]
    out += ["</tr>", "</thead>", "<tbody>"]
    previous = None
    for m in measurements:
        group = ' class="group"' if previous is not None and m.model != previous else ""
        previous = m.model
        cells = []
        row = report.record(m)
        for c, kind in zip(columns, kinds):
            css = kind + (" bad" if c.field == "verified" and not m.verified else "")
            text = c.of(row)
            shown = _html_cell(text) if kind == "num" else _e(text)
            cells.append(f'<td class="{css}">{shown}</td>')
        out.append(f"<tr{group}>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


def _html_sentence(sentence: str) -> str:
    css = ' class="warning"' if sentence.startswith("WARNING") else ""
    return f"<p{css}>{_e(sentence)}</p>"


def _html_simple_table(columns: Sequence[str], rows: Sequence[Sequence[str]], numbers_from: int) -> list[str]:
    """A plain table of text cells; the columns from ``numbers_from`` on are numbers (right-aligned)."""
    kinds = ["text" if j < numbers_from else "num" for j in range(len(columns))]
    out = ['<div class="scroll">', "<table>", "<thead>", "<tr>"]
    out += [f'<th scope="col" class="{k}">{_e(c)}</th>' for c, k in zip(columns, kinds)]
    out += ["</tr>", "</thead>", "<tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f'<td class="{k}">{_e(c)}</td>' for c, k in zip(row, kinds)) + "</tr>")
    out += ["</tbody>", "</table>", "</div>"]
    return out


def _models_run(scenario, measurements) -> list[str]:
    measured = list(dict.fromkeys(m.model for m in measurements if m.model is not None))
    return [name for name in measured if name in scenario.models] or ([] if measurements else list(scenario.models))


def _where(scenario: "Scenario") -> str:
    """What the scenario's path names: a file, or the command line's data options (``--p/--q``,
    ``--source-file``), which :func:`codesim.scenario.from_options` records in its place."""
    return "Data from the command line" if scenario.path.startswith("--") else "Scenario file"


def _html(scenario, measurements, figures, sentences, command, studies) -> str:
    title = scenario.title
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8" />',
           '<meta name="viewport" content="width=device-width, initial-scale=1" />',
           '<meta name="generator" content="codesim" />',
           f"<title>{_e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
           f"<h1>{_e(title)}</h1>"]
    if scenario.path:
        out.append(f'<p class="path">{_where(scenario)}: <code>{_e(scenario.path)}</code></p>')
    made = f"Made by codesim {_e(version())}"
    out.append(f'<p class="made">{made} with: <code>{_e(command)}</code></p>' if command
               else f'<p class="made">{made}.</p>')
    if scenario.description.strip():
        out.append("<section>")
        out.append("<h2>The scenario</h2>")
        out += [f"<p>{_e(p)}</p>" for p in _paragraphs(scenario.description)]
        out.append("</section>")
    out += ["<section>", "<h2>Settings</h2>", '<dl class="settings">']
    for name, value in _settings(scenario, measurements):
        out += [f"<dt>{_e(name)}</dt>", f"<dd>{_e(value)}</dd>"]
    out += ["</dl>", "</section>"]
    columns, rows, note = alphabet_table(scenario, _models_run(scenario, measurements))
    out += ["<section>", "<h2>The alphabet</h2>", f"<p>{_e(note)}</p>"]
    out += _html_simple_table(columns, rows, 1)
    out.append("</section>")
    out += ["<section>", "<h2>Results</h2>"]
    if measurements:
        out += _html_table(measurements)
        out.append('<dl class="columns">')
        for head, note in column_notes(terms.of(measurements)):
            out.append(f"<dt><code>{_e(head)}</code></dt><dd>{_e(note)}</dd>")
        out.append("</dl>")
    else:
        out.append("<p>No measurements.</p>")
    out.append("</section>")
    if figures:
        out += ["<section>", "<h2>Figures</h2>"]
        for fig_title, fig in figures:
            # The title is drawn in the image; as alt text it is there for whoever cannot see it.
            out += ["<figure>", f'<img src="{_data_uri(fig)}" alt="{_e(fig_title)}" />', "</figure>"]
        out.append("</section>")
    before, per_model, after = _words(scenario, measurements, sentences)
    splits = excess_split(measurements)
    if before or per_model or after or splits:
        out += ["<section>", "<h2>What the numbers show</h2>"]
        out += [_html_sentence(s) for s in before]
        for name in dict.fromkeys([*per_model, *splits]):
            out.append(f"<h3>Model &#x27;{_e(name)}&#x27;</h3>")
            if per_model.get(name):
                out.append(f"<p>{_e(' '.join(per_model[name]))}</p>")
            if splits.get(name):
                out += ['<ul class="split">', *(f"<li>{_e(s)}</li>" for s in splits[name]), "</ul>"]
        out += [_html_sentence(s) for s in after]
        out.append("</section>")
    for study in studies:
        out += ["<section>", f"<h2>{_e(study.heading)}</h2>"]
        out += [f"<p>{_e(s)}</p>" for s in study.sentences]
        out += _html_simple_table(study.columns, study.rows, 2)
        if study.figure:
            fig_title, fig = study.figure
            out += ["<figure>", f'<img src="{_data_uri(fig)}" alt="{_e(fig_title)}" />', "</figure>"]
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


# -- Markdown -------------------------------------------------------------------------------------------
def _md_alt(text: str) -> str:
    """Alt text inside ![...]: brackets and backslashes escaped, one line."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(str(text).split()))


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(map(_md_cell, columns)) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]


def _markdown(scenario, measurements, figures, sentences, command, studies) -> str:
    out = [f"# {scenario.title}", ""]
    if scenario.path:
        out += [f"{_where(scenario)}: `{scenario.path}`", ""]
    out += [f"Made by codesim {version()}" + (f" with: `{command}`" if command else "."), ""]
    if scenario.description.strip():
        out += ["## The scenario", ""]
        for p in _paragraphs(scenario.description):
            out += [p, ""]
    out += ["## Settings", ""]
    out += [f"- **{name}**: {value}" for name, value in _settings(scenario, measurements)]
    columns, rows, note = alphabet_table(scenario, _models_run(scenario, measurements))
    out += ["", "## The alphabet", "", note, ""] + _md_table(columns, rows)
    out += ["", "## Results", ""]
    if measurements:
        out += report.pipes(report.Section([report.record(m) for m in measurements], _columns(measurements)))
        out += ["", "Columns:", ""] + [f"- `{h}`: {note}" for h, note in column_notes(terms.of(measurements))]
        out += [""]
    else:
        out += ["No measurements.", ""]
    if figures:
        out += ["## Figures", ""]
        for fig_title, fig in figures:
            out += [f"![{_md_alt(fig_title)}]({_data_uri(fig)})", ""]
    before, per_model, after = _words(scenario, measurements, sentences)
    splits = excess_split(measurements)
    if before or per_model or after or splits:
        out += ["## What the numbers show", ""]
        out += [x for s in before for x in (s, "")]
        for name in dict.fromkeys([*per_model, *splits]):
            out += [f"### Model '{name}'", ""]
            if per_model.get(name):
                out += [" ".join(per_model[name]), ""]
            if splits.get(name):
                out += [*(f"- {s}" for s in splits[name]), ""]
        out += [x for s in after for x in (s, "")]
    for study in studies:
        out += [f"## {study.heading}", ""] + [x for s in study.sentences for x in (s, "")]
        out += _md_table(study.columns, study.rows) + [""]
        if study.figure:
            out += [f"![{_md_alt(study.figure[0])}]({_data_uri(study.figure[1])})", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render(fmt: str, scenario: "Scenario", measurements: Sequence["Measurement"],
           figures: Sequence[tuple[str, "Figure"]], sentences: Sequence[str], command: str | None = None,
           studies: Sequence[Study] = ()) -> str:
    """The page in ``fmt`` ("html" or "markdown").

    ``figures`` are (title, matplotlib Figure) pairs, embedded as PNG data URIs with the title as alt
    text (the caller still owns them: nothing is closed); ``sentences`` are what report.summary says
    about ``measurements``; under each model's, the page splits each prefix code's excess into D(p||r)
    and log2(1/c) (:func:`excess_split`). ``command`` is the command line that made the page, shown under
    its title with codesim's version; ``studies`` (:func:`studies`) come last, each with its figure.
    Numbers have four decimals, as in every codesim table.
    """
    if fmt not in FORMATS:
        raise CodesimError(f"unknown page format {fmt!r}: use one of {', '.join(FORMATS)}")
    build = _html if fmt == "html" else _markdown
    return build(scenario, list(measurements), list(figures), list(sentences), command, list(studies))
