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
import re
from typing import TYPE_CHECKING, Any, Sequence

from . import plots, report, terms
from ..errors import CodesimError

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
"""

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
    """The page's figures: the run's bits per symbol, and the distributions p and q of the models run.

    Raises :class:`~codesim.present.plots.PlotUnavailable` without matplotlib.
    """
    plots.require()
    measured = list(dict.fromkeys(m.model for m in measurements))
    models = {name: scenario.models[name] for name in measured if name in scenario.models} or dict(scenario.models)
    title = f"{scenario.title}: measured bits per symbol"
    out = [(title, plots.run_figure(measurements, title))]
    title = f"{scenario.title}: source p and models q"
    out.append((title, plots.distributions_figure(scenario.source, models, title,
                                                  file=scenario.message is not None)))
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


def _html(scenario, measurements, figures, sentences) -> str:
    title = scenario.title
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8" />',
           '<meta name="viewport" content="width=device-width, initial-scale=1" />',
           '<meta name="generator" content="codesim" />',
           f"<title>{_e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
           f"<h1>{_e(title)}</h1>"]
    if scenario.path:
        out.append(f'<p class="path">Scenario file: <code>{_e(scenario.path)}</code></p>')
    if scenario.description.strip():
        out.append("<section>")
        out.append("<h2>The scenario</h2>")
        out += [f"<p>{_e(p)}</p>" for p in _paragraphs(scenario.description)]
        out.append("</section>")
    out += ["<section>", "<h2>Settings</h2>", '<dl class="settings">']
    for name, value in _settings(scenario, measurements):
        out += [f"<dt>{_e(name)}</dt>", f"<dd>{_e(value)}</dd>"]
    out += ["</dl>", "</section>"]
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
    if before or per_model or after:
        out += ["<section>", "<h2>What the numbers show</h2>"]
        out += [_html_sentence(s) for s in before]
        for name, said in per_model.items():
            out += [f"<h3>Model &#x27;{_e(name)}&#x27;</h3>", f"<p>{_e(' '.join(said))}</p>"]
        out += [_html_sentence(s) for s in after]
        out.append("</section>")
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


# -- Markdown -------------------------------------------------------------------------------------------
def _md_alt(text: str) -> str:
    """Alt text inside ![...]: brackets and backslashes escaped, one line."""
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(str(text).split()))


def _markdown(scenario, measurements, figures, sentences) -> str:
    out = [f"# {scenario.title}", ""]
    if scenario.path:
        out += [f"Scenario file: `{scenario.path}`", ""]
    if scenario.description.strip():
        out += ["## The scenario", ""]
        for p in _paragraphs(scenario.description):
            out += [p, ""]
    out += ["## Settings", ""]
    out += [f"- **{name}**: {value}" for name, value in _settings(scenario, measurements)]
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
    if before or per_model or after:
        out += ["## What the numbers show", ""]
        out += [x for s in before for x in (s, "")]
        for name, said in per_model.items():
            out += [f"### Model '{name}'", "", " ".join(said), ""]
        out += [x for s in after for x in (s, "")]
    return "\n".join(out).rstrip("\n") + "\n"


def render(fmt: str, scenario: "Scenario", measurements: Sequence["Measurement"],
           figures: Sequence[tuple[str, "Figure"]], sentences: Sequence[str]) -> str:
    """The page in ``fmt`` ("html" or "markdown").

    ``figures`` are (title, matplotlib Figure) pairs, embedded as PNG data URIs with the title as alt
    text (the caller still owns them: nothing is closed); ``sentences`` are what report.summary says
    about ``measurements``. Numbers have four decimals, as in every codesim table.
    """
    if fmt not in FORMATS:
        raise CodesimError(f"unknown page format {fmt!r}: use one of {', '.join(FORMATS)}")
    build = _html if fmt == "html" else _markdown
    return build(scenario, list(measurements), list(figures), list(sentences))
