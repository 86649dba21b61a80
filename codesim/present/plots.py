"""Figures of what a run measured: bits per symbol against H(p) and H(p,q), the distributions, how
measurements converge with the stream length, sweeps of a model, and a code's lengths against -log2 q.

For a source with memory the lines are its rates and say so ("entropy rate H = ..."); for a file the
entropy is its order-0 entropy, "H0 (order-0)", drawn dotted as no floor (:mod:`codesim.present.terms`
names them after the records' kind of source).

matplotlib is an optional extra (``pip install 'codesim[plot]'``), so nothing here imports it at module
import time: :func:`require` imports it when a figure is first asked for and raises
:class:`PlotUnavailable` with the install hint when it is missing. Figures are built as
``matplotlib.figure.Figure`` objects, not through pyplot's figure registry, so building many of them
(a page, a sweep) never accumulates open figures and works the same under any backend; dropping the
reference frees one. :func:`save` writes PNG or SVG atomically, as every codesim output is written.

The figures take what the library produces, duck-typed: :class:`~codesim.simulation.simulate.Measurement` for
:func:`run_figure`, objects with the attributes of ``experiments.ConvergencePoint`` and
``experiments.SweepPoint`` for :func:`converge_figure` and :func:`sweep_figure`, and the ``table`` rows
of :func:`codesim.files.inspection.inspect_file` for :func:`code_figure`.
"""

from __future__ import annotations

import io
import math
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import CodesimError, PlotUnavailable
from ..files.streamio import check_target, write_outputs
from ..measures import kl_divergence
from . import terms

if TYPE_CHECKING:  # only for annotations: matplotlib stays optional
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..sources.iid import Distribution, Label
    from ..scenario import Scenario
    from ..simulation.simulate import Measurement

INSTALL_HINT = "plots need matplotlib: pip install 'codesim[plot]'"

#: File name endings save() understands, and the matplotlib format each means.
FORMATS = {".png": "png", ".svg": "svg"}

#: One panel's size in inches; 150 dots per inch gives 1200 x 675 pixels, sharp on a laptop screen.
SIZE = (8.0, 4.5)
DPI = 150

#: At most this many tick labels on a symbol axis; beyond it every n-th label is shown.
MAX_TICKS = 24
#: Most bars in one panel: past about this many they are slivers that cannot be told apart, and each is a
#: patch of its own (65536 of them took 50 s and 800 MB to draw), so larger alphabets are drawn as steps.
MAX_BARS = 120

#: Colours of the reference lines, apart from the schemes' colour cycle.
REFERENCE = "black"

#: Marker shapes, one per series, so that series with equal values (two coders both at exactly 3 bits)
#: still show as two marks where their lines coincide.
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")


def require():
    """matplotlib.pyplot, with the non-interactive Agg backend chosen if pyplot is not loaded yet.

    A session that already imported pyplot (a notebook, a GUI) keeps its backend: the figures here do
    not go through pyplot, so they render the same either way.
    """
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailable(INSTALL_HINT) from None
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


# -- files ----------------------------------------------------------------------------------------------
def image_format(path: str | Path) -> str:
    """The image format a file name asks for, or a CodesimError naming the extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = repr(suffix) if suffix else "no extension"
        raise CodesimError(f"{path}: cannot save a figure with {shown}: use a name ending in "
                           + " or ".join(FORMATS))
    return FORMATS[suffix]


def render(fig: "Figure", fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes, with the figure's title in the file's metadata."""
    if fmt not in FORMATS.values():
        raise CodesimError(f"unknown image format {fmt!r}: use one of {', '.join(FORMATS.values())}")
    import matplotlib

    buf = io.BytesIO()
    # The title goes into the file (PNG tEXt, SVG <title>), so a file says what it shows. An SVG
    # would otherwise carry the time of saving and random element ids: without them the same run
    # gives the same bytes, as codesim's other outputs do.
    title = fig.get_label()
    metadata: dict[str, Any] = {"Title": title} if title else {}
    if fmt == "svg":
        metadata["Date"] = None
    with matplotlib.rc_context({"svg.hashsalt": "codesim"}):
        fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata)
    return buf.getvalue()


def save(fig: "Figure", path: str | Path, force: bool = False) -> None:
    """Write the figure to ``path`` (.png or .svg) atomically and close it; an existing file is replaced
    only with ``force`` (and only a regular file, see :func:`codesim.files.streamio.write_output`)."""
    save_all([(fig, path)], force)


def save_all(figures: Sequence[tuple["Figure", str | Path]], force: bool = False) -> None:
    """Write several figures all or nothing: each is rendered (and closed) first, then every file is
    written and moved into place together, so a failure leaves none of them behind."""
    plt = require()
    rendered = []
    try:
        for fig, path in figures:
            rendered.append((str(path), render(fig, image_format(path))))
    finally:
        for fig, _ in figures:
            plt.close(fig)  # a figure made through pyplot is released; one made here has nothing to release
    write_outputs(rendered, force)


# -- helpers --------------------------------------------------------------------------------------------
def check_targets(path: str | None, force: bool, figures: int = 1) -> None:
    """Refuse a ``--plot`` that cannot be drawn or written before any work is done (so nothing else
    changes): an unknown image format, no matplotlib, a target that exists without ``force``."""
    if path:
        image_format(path)
        require()
        for target in figure_paths(path, figures):
            check_target(target, force)


#: What ``run --plot`` and ``compare --plot`` draw, each figure's file name ending after the first.
RUN_FIGURES = ("", "-distributions", "-likelihood-ratio")


def figure_paths(path: str, figures: int) -> list[str]:
    """Where the figures of one ``--plot`` go: ``run.png``, then ``run-distributions.png`` and
    ``run-likelihood-ratio.png``."""
    p = Path(path)
    return [path] + [str(p.with_name(p.stem + end + p.suffix)) for end in RUN_FIGURES[1:figures]]


def run_figures(scenario: "Scenario", measurements: Sequence["Measurement"],
                titles: Sequence[str] | None = None) -> list["Figure"]:
    """The figures of a run, in the order of RUN_FIGURES: the run's bits, p beside every q run, and the
    likelihood ratio log2 p/q of every model run; ``titles`` (three) name them, by default after the
    scenario."""
    titles = titles or [scenario.title, scenario.title, f"{scenario.title}: the likelihood ratio"]
    measured = [m.model for m in measurements if m.model is not None]
    models = {name: scenario.models[name] for name in dict.fromkeys(measured) if name in scenario.models} \
        or dict(scenario.models)
    file = scenario.message is not None
    return [run_figure(measurements, titles[0]),
            distributions_figure(scenario.source, models, titles[1], file=file),
            likelihood_ratio_figure(scenario.source, models, titles[2], file=file,
                                    continuous_kl=scenario.figures.get("continuous_kl_bits"))]


def save_run(path: str, force: bool, scenario: "Scenario", measurements: Sequence["Measurement"]) -> list[str]:
    """The figures of ``run --plot`` and ``compare --plot`` (:func:`run_figures`), written together; their
    paths."""
    figures = run_figures(scenario, measurements)
    paths = figure_paths(path, len(figures))
    save_all(list(zip(figures, paths)), force)
    return paths


def _plain(text: Any) -> str:
    """Text shown literally: matplotlib reads a pair of '$' as mathematics, a label may contain them."""
    return str(text).replace("$", r"\$")


def _wrap(title: str, width: int = 80) -> str:
    return "\n".join(textwrap.wrap(_plain(title), width)) or " "


#: Scheme colours, by the scheme's place in the registry: the nine of matplotlib's ten-colour cycle that
#: are not grey (greys and black belong to p, the models and the reference lines), then colours chosen
#: far apart in CIELAB (every pair at least 28 apart, where 2.3 is the least a reader notices).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
           "#ff1eff", "#690fb4", "#4b5a0f", "#f0b478", "#ff0078", "#96c387", "#0078ff", "#960f4b", "#965a00",
           "#ff8787", "#00785a", "#c300a5", "#00d200", "#00d296", "#d269ff", "#a5b4ff", "#004bff", "#d29600",
           "#a51eff", "#004ba5", "#783c69", "#0000ff", "#ff0000")


def _palette(n: int) -> list:
    """At least n colours, no two alike: PALETTE, then (past it) evenly spaced hues of 'turbo'."""
    from matplotlib import colormaps

    extra = max(0, n - len(PALETTE))
    return [*PALETTE, *(colormaps["turbo"]((k + 0.5) / extra) for k in range(extra))]


def _scheme_places(names: Sequence[str]) -> dict[str, int]:
    """Each name's place in the palette: a registered scheme's own place in the registry, so it has one
    colour in every figure. Of several variants of one scheme ("rans" and "rans:precision=8"), the
    scheme itself, else the first variant in sorted order, takes that place; the other variants, and
    names the registry does not know, take places past the registry's, in sorted order."""
    from ..coders import registry

    registered = {s.name: k for k, s in enumerate(registry.available())}
    places: dict[str, int] = {}
    for name in sorted(set(names), key=lambda n: (":" in n, n)):
        base = name.split(":")[0]
        if base in registered and registered[base] not in places.values():
            places[name] = registered[base]
    spare = len(registered)
    for name in sorted(set(names) - set(places)):
        places[name] = spare
        spare += 1
    return places


def scheme_colours(names: Sequence[str]) -> dict[str, Any]:
    """A colour per scheme, no two alike, the same for a scheme in every figure (see _scheme_places)."""
    places = _scheme_places(names)
    palette = _palette(max(places.values(), default=0) + 1)
    return {name: palette[places[name]] for name in names}


def _figure(title: str, rows: int = 1, cols: int = 1, size: tuple[float, float] = SIZE, **kw) -> tuple["Figure", Any]:
    """A new figure with a grid of axes (always a 2-d array), labelled with its title.

    Constrained layout does what tight_layout does and also keeps legends placed outside the axes and
    a multi-panel figure's suptitle clear of the panels.
    """
    require()
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, **kw)
    fig.set_label(title)
    return fig, axes


def _finite(x: Any) -> bool:
    return x is not None and math.isfinite(x)


def symbol_name(label: "Label") -> str:
    """A symbol as a reader sees it: whitespace and control characters made visible, floats shortened."""
    if isinstance(label, float):
        return f"{label:.4g}"
    if isinstance(label, str):
        named = {" ": "␣", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
        if label in named:
            return named[label]
        if not label.isprintable():
            return repr(label)[1:-1]
    return str(label)


def _symbol_text(label: "Label") -> str:
    """A symbol as a tick label (:func:`symbol_name`, shown literally)."""
    return _plain(symbol_name(label))


def _symbol_axis(ax: "Axes", labels: Sequence["Label"]) -> None:
    """Tick labels for the symbols, thinned to at most MAX_TICKS and turned when they would collide."""
    step = max(1, math.ceil(len(labels) / MAX_TICKS))
    shown = list(range(0, len(labels), step))
    texts = [_symbol_text(labels[i]) for i in shown]
    ax.set_xticks(shown)
    # About 0.09 in per character at the default size: turn the labels when they would not fit side by side.
    width_in = ax.get_figure().get_figwidth() * 0.85
    crowded = sum(len(t) + 1 for t in texts) * 0.09 > width_in
    ax.set_xticklabels(texts, rotation=60 if crowded else 0, ha="right" if crowded else "center",
                       rotation_mode="anchor" if crowded else "default")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    if step > 1:
        ax.set_xlabel(f"symbol (1 label in {step} shown; {len(labels)} symbols)")
    else:
        ax.set_xlabel("symbol")


def _legend_outside(ax: "Axes", last: Sequence[str] = (), columns: int = 1) -> None:
    """The legend to the right of the axes, entries in the order drawn except those named in
    ``last``, which go at the end (matplotlib lists lines, then markers, then bars and error bars,
    whatever order they were drawn in)."""
    handles, names = ax.get_legend_handles_labels()
    rank = {name: k + 1 for k, name in enumerate(last)}
    order = sorted(range(len(names)), key=lambda i: rank.get(names[i], 0))  # stable: drawn order kept
    ax.legend([handles[i] for i in order], [names[i] for i in order], loc="upper left", ncols=columns,
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False, fontsize="small")


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _bits(x: float | None) -> str:
    return "n/a" if x is None else "∞" if math.isinf(x) else f"{x:.3f}"


# -- a run ----------------------------------------------------------------------------------------------
#: The run figure's group of schemes that learn as they code, which take no model.
LEARNERS_TICK = "learners\n(no model)"


#: Where bars run past this many times the tallest reference line (H(p), H(p,q)), the axis stops there
#: and each cut bar carries its value: a unary code's 119 bits would otherwise flatten every other bar.
CUT_FACTOR = 3.0
CUT_NOTE = "bars past the top are cut: the number on each is its height"


def run_figure(measurements: Sequence["Measurement"], title: str) -> "Figure":
    """Measured bits per symbol per scheme, grouped by model, against H(p) and each model's H(p,q).

    Within a group the bars stand in rank order, fewest bits first; a scheme has the same colour in
    every group and every figure (:func:`scheme_colours`). Bars compare lengths, so the axis starts
    at 0; bars taller than CUT_FACTOR times the tallest reference line are cut at the top and labelled
    with their value. Error bars are the 95% confidence intervals across trials (none for one trial).
    Rows without a model (schemes that learn) form a group of their own, last, with no H(p,q) to compare
    against. For a source with memory a second line marks H(X), one symbol's entropy: the least an
    i.i.d. model averages, above the entropy rate by the memory it ignores.
    """
    if not measurements:
        raise CodesimError("no measurements to plot")
    models = _ordered(m.model for m in measurements if m.model is not None)
    if any(m.model is None for m in measurements):
        models.append(None)
    schemes = _ordered(m.scheme for m in measurements)
    cell = {(m.model, m.scheme): m for m in measurements}
    first = {model: next(m for m in measurements if m.model == model) for model in models}
    # Each group's bars sit side by side around its tick, fewest bits first; the learners' group holds
    # other schemes than the models' groups.
    present = {model: sorted((s for s in schemes if (model, s) in cell), key=lambda s: cell[model, s].bits_per_symbol)
               for model in models}
    most = max(len(names) for names in present.values())
    legend_rows = math.ceil((len(schemes) + 3) / 2) if len(schemes) > 16 else len(schemes) + 3
    # Wide enough for about 0.08 in per bar (up to 16 in), tall enough for the legend.
    fig, axes = _figure(title, size=(min(16.0, max(SIZE[0], 3.0 + 0.08 * most * len(models) + 0.6 * len(models))),
                                     max(SIZE[1] + (1.5 if most > 8 else 0.0), 1.0 + 0.2 * legend_rows)))
    ax = axes[0, 0]
    width = 0.8 / most
    xs = range(len(models))
    words = terms.of(measurements)
    h = measurements[0].entropy_bits
    marginal = measurements[0].marginal_entropy_bits
    references = [h, *([marginal] if words.memory and _finite(marginal) else []),
                  *(first[model].cross_entropy_bits for model in models
                    if model is not None and _finite(first[model].cross_entropy_bits))]
    cut = CUT_FACTOR * max(references) if max(references) > 0 else math.inf
    tops = []
    colours = scheme_colours(schemes)
    cut_bars = []
    # The legend lists the schemes in the order of their mean bits: the ranking most groups show.
    mean_bits = {s: np.mean([m.bits_per_symbol for m in measurements if m.scheme == s]) for s in schemes}
    for scheme in sorted(schemes, key=lambda s: mean_bits[s]):
        where, heights, low, high = [], [], [], []
        for x, model in zip(xs, models):
            m = cell.get((model, scheme))
            if m is None:
                continue
            slot = present[model].index(scheme)
            where.append(x + (slot - (len(present[model]) - 1) / 2) * width)
            ci = m.ci95
            heights.append(m.bits_per_symbol)
            low.append(m.bits_per_symbol - ci[0] if ci else 0.0)
            high.append(ci[1] - m.bits_per_symbol if ci else 0.0)
            top = ci[1] if ci else m.bits_per_symbol
            if top > cut:
                cut_bars.append((where[-1], m.bits_per_symbol))
            else:
                tops.append(top)
        ax.bar(where, heights, width * 0.92, yerr=[low, high], capsize=3 if most <= 12 else 1,
               label=_plain(scheme), color=colours[scheme], error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
    # The floor grey and under the H(p,q) dashes: for a model equal to the source the two coincide, and the
    # dashes must still show. A file's H0 is no floor (a model with memory may spend less): dotted.
    floor = words.entropy_line(h)
    ax.axhline(h, color="0.45", linewidth=1.6, zorder=3, label=floor, linestyle=":" if words.file else "-")
    lines = [floor]
    if words.memory:  # the least an i.i.d. model averages: where its bars stand, apart from the floor
        lines.append(f"H(X) = {marginal:.3f}: one symbol's entropy,\nthe least an i.i.d. model averages")
        ax.axhline(marginal, color="0.6", linewidth=1.2, linestyle=(0, (6, 2, 1, 2)), zorder=3, label=lines[-1])
        tops.append(marginal)
    labelled = False
    for x, model in zip(xs, models):
        hpq = first[model].cross_entropy_bits
        if model is not None and _finite(hpq):
            ax.hlines(hpq, x - 0.45, x + 0.45, colors=REFERENCE, linestyles=(0, (4, 2)), linewidth=1.8,
                      zorder=4, label=None if labelled else words.cross_line)
            labelled = True
            tops.append(hpq)
    # Bars compare lengths, so they stand on zero: a cut axis would make 2.4 bits look like twice 2.3.
    top = (cut if cut_bars else max(tops + [h])) * 1.08
    ax.set_ylim(0.0, top)
    for x, value in cut_bars:
        ax.annotate(f"{value:.3g}", (x, top), xytext=(0, -3), textcoords="offset points", rotation=90,
                    ha="center", va="top", fontsize="x-small", zorder=6,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    if cut_bars:
        ax.text(0.0, 1.0, CUT_NOTE, transform=ax.transAxes, ha="left", va="bottom", fontsize="x-small", color="0.3")
    for x, model in zip(xs, models):
        if model is not None and first[model].cross_entropy_bits is not None \
                and not _finite(first[model].cross_entropy_bits):
            ax.annotate(f"{words.cross} = ∞", (x, top), xytext=(0, -4), textcoords="offset points",
                        ha="center", va="top", fontsize="small")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([_run_tick(model, first[model], words) for model in models], fontsize="small")
    ax.set_xlabel("model q (with its divergence from the source)\nbars in rank order, fewest bits first")
    ax.set_ylabel("bits per symbol")
    ax.set_title(_wrap(title, 60), pad=14 if cut_bars else 6)  # over the axes only: the legend takes the right
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_outside(ax, last=[*lines, words.cross_line], columns=2 if len(schemes) > 16 else 1)
    return fig


def _run_tick(model: str | None, m: "Measurement", words: terms.Terms) -> str:
    """A model's group of bars: its name and its divergence from the source, or its order where it has
    no divergence (a model with memory on a file)."""
    if model is None:
        return LEARNERS_TICK
    if m.kl_bits is None and m.model_order:
        return f"{_plain(model)}\norder {m.model_order}"
    # A heading with "rate" is long: its value goes on a line of its own, so neighbouring groups' labels
    # do not run into each other.
    return f"{_plain(model)}\n{words.kl}" + ("\n= " if words.memory else " = ") + _bits(m.kl_bits)


def distributions_figure(source: Any, models: Mapping[str, Any], title: str, file: bool = False) -> "Figure":
    """The source p and each model q over the alphabet: grouped bars, or steps for a big alphabet.

    Past about 120 bars in all, bars become slivers that cannot be told apart, so each distribution is
    drawn as a step line instead (p filled), which keeps the shapes comparable. Where a model gives 0
    to a symbol the source emits (D(p||q) = inf) a cross marks the place: a missing bar is easy to miss.

    Where the source or a model has memory (a Markov chain), one panel shows one symbol's distribution
    (a chain's stationary marginal), and one panel each of the up to MAX_CONTEXT_PANELS contexts the
    source is most often in shows the next symbol's distribution after it: p's and every q's (an i.i.d.
    model's is the same after every context, which is the memory it ignores). For a ``file`` p is only
    its symbols' frequencies, labelled so, and there are no panels of contexts.
    """
    orders = [_order(source), *(_order(q) for q in models.values())]
    if not any(orders):
        fig, axes = _figure(title)
        ax = axes[0, 0]
        _distribution_panel(ax, source.alphabet, source.probs, {name: q.probs for name, q in models.items()}, file)
        ax.set_title(_wrap(title))
        _legend_outside(ax, last=[RULED_OUT])
        return fig
    panels = [("one symbol" if file else "one symbol (stationary marginals)", source.marginal().probs,
               {name: q.marginal().probs for name, q in models.items()})]
    if not file:
        panels += _context_panels(source, models, max(orders))
    cols = 1 if len(panels) == 1 else 2
    rows = -(-len(panels) // cols)
    fig, axes = _figure(title, rows=rows, cols=cols, size=(11.0 if cols > 1 else SIZE[0], 1.2 + 3.0 * rows))
    fig.suptitle(_wrap(title, 110))
    for ax, (name, p, qs) in zip(axes.ravel(), panels):
        _distribution_panel(ax, source.alphabet, p, qs, file)
        ax.set_title(name, fontsize="medium")
    top = max(ax.get_ylim()[1] for ax in axes.ravel()[: len(panels)])
    for ax in axes.ravel()[: len(panels)]:
        ax.set_ylim(0, top)  # one scale: panels compare by eye
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    legend: dict[str, Any] = {}  # every entry once, whichever panel drew it (a cross may be in one only)
    for ax in axes.ravel():
        for handle, name in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(name, handle)
    names = [n for n in legend if n != RULED_OUT] + [n for n in legend if n == RULED_OUT]
    fig.legend([legend[n] for n in names], names, loc="outside lower center", ncols=min(len(names), 6), frameon=False,
               fontsize="small")
    return fig


# -- the likelihood ratio ---------------------------------------------------------------------------------
LLR_LABEL = "log2 p(x)/q(x)"
TERM_LABEL = "p(x) log2 p(x)/q(x)"
INFINITE_LLR = "log2 p/q = ∞: q(x) = 0 < p(x)"


def log_ratios(p: Any, q: Any) -> np.ndarray:
    """log2 p(x)/q(x) per symbol: +inf where q(x) = 0 < p(x), nan where p(x) = 0 (never emitted: no cost)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    out = np.full(p.shape, np.nan)
    both = (p > 0) & (q > 0)
    out[both] = np.log2(p[both]) - np.log2(q[both])
    out[(p > 0) & (q <= 0)] = np.inf
    return out


def likelihood_ratio_figure(source: Any, models: Mapping[str, Any], title: str, file: bool = False,
                            continuous_kl: Mapping[str, float | None] | None = None) -> "Figure":
    """Per model, a row: p and q over the alphabet (left), and log2 p(x)/q(x) per symbol (right) with the
    terms p(x) log2 p(x)/q(x), whose sum D(p||q) = E_p[log2 p/q] is drawn as a dashed line.

    The picture shows the asymmetry: a symbol common under p and rare under q costs much and often; a
    symbol q favours but p seldom emits has a negative ratio that p's small weight makes count little
    (D(q||p), the other way round, is written on each panel). A symbol q rules out (q(x) = 0 < p(x))
    has an infinite ratio, marked at the top of the panel; a symbol p never emits (p(x) = 0) is not
    drawn, as it never occurs; the caption says how many of each. For a continuous source (every label a
    number, the bins' centres) the ratio is drawn across x: the ratio of the bins' masses, which approaches
    the densities' as the bins shrink, with the densities' closed-form D from ``continuous_kl`` where
    known. Where the source or a model has memory, the panels show one symbol's distributions (the
    stationary marginals) and their divergence, not the divergence rate.
    """
    if not models:
        raise CodesimError("no models to compare with the source")
    memory = bool(_order(source)) or any(_order(q) for q in models.values())
    p = np.asarray(source.marginal().probs if memory else source.probs, dtype=float)
    labels = list(source.alphabet)
    continuous = all(isinstance(x, float) for x in labels)
    looks = model_styles(list(models))
    kl, back_kl = ("D(p_X||q_X)", "D(q_X||p_X)") if memory else ("D(p||q)", "D(q||p)")
    fig, axes = _figure(title, rows=len(models), cols=2, size=(13.0, 1.6 + 3.2 * len(models)))
    fig.suptitle(_wrap(title, 110))
    lines = continuous or len(labels) > MAX_BARS
    terms_are = "dotted line's values" if lines else "dots"
    notes: list[str] = []
    for row, (name, model) in enumerate(models.items()):
        left, right = axes[row]
        q = np.asarray(model.marginal().probs if memory else model.probs, dtype=float)
        r = log_ratios(p, q)
        divergence, back = kl_divergence(p, q), kl_divergence(q, p)
        if continuous:
            left.fill_between(labels, p, step="mid", color="0.8", label="p (source)")
            left.step(labels, q, where="mid", linewidth=1.4, label=f"q: {_plain(name)}", **looks[name]["line"])
            left.set_ylim(bottom=0)
            left.set_ylabel("probability of the bin")
        else:
            _distribution_panel(left, labels, p, {name: q}, file, looks={name: looks[name]})
        left.set_title(f"model '{_plain(name)}': p and q" + (" (stationary marginals)" if memory else ""),
                       fontsize="medium")
        _legend_outside(left, last=[RULED_OUT])
        if _ratio_panel(right, labels, p, r, continuous):
            notes.append(f"model '{_plain(name)}': the axis shows the ratios where p(x) is at least 1/{RARE} of "
                         "its largest value; those below it run off the panel (they weigh almost nothing in D)")
        shown = _bits(divergence)
        mean = f"{kl} = E_p[log2 p/q]\n= {shown}: the sum of the {terms_are}"
        right.axhline(divergence if math.isfinite(divergence) else np.nan, color=REFERENCE, linestyle="--",
                      linewidth=1.4, label=mean)
        exact = (continuous_kl or {}).get(name)
        closed = f"continuous D(p||q) = {_bits(exact)}"
        if _finite(exact):
            right.axhline(exact, color="0.45", linestyle=":", linewidth=1.4, label=closed)
        right.set_title(f"model '{_plain(name)}': {LLR_LABEL}", fontsize="medium")
        backwards = f"the other way round:\n{back_kl} = E_q[log2 q/p] = {_bits(back)}"
        right.plot([], [], linestyle="none", label=backwards)  # a line of the legend with no mark
        _legend_outside(right, last=[LLR_LABEL, TERM_LABEL, mean, closed, backwards, INFINITE_LLR])
        ruled_out, unused = int(np.sum(np.isinf(r))), int(np.sum(p <= 0))
        if ruled_out:
            notes.append(f"model '{_plain(name)}': {ruled_out} symbol{'s' if ruled_out > 1 else ''} with q(x) = 0 < "
                         f"p(x), log2 p/q = ∞ (marked at the top), so {kl} = ∞")
        if unused:
            notes.append(f"{unused} symbol{'s' if unused > 1 else ''} with p(x) = 0 not drawn: never emitted, "
                         f"{'they add' if unused > 1 else 'it adds'} nothing to {kl}")
    caption = (f"{'Solid line' if lines else 'Bars'}: log2 p(x)/q(x), the bits a code for q spends on x beyond a "
               f"code for p; {'dotted line' if lines else 'dots'}: p(x) log2 p(x)/q(x), which sum to {kl}. "
               "Symbols p emits often and q finds rare cost most.")
    text = _wrap("  ".join([caption, *(n + "." for n in dict.fromkeys(notes))]), 150)
    fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize="small", color="0.2")
    height = (text.count("\n") + 1.5) * 0.19 / fig.get_figheight()  # the caption's lines, in figure heights
    fig.get_layout_engine().set(rect=(0.0, height, 1.0, 1.0 - height))
    return fig


#: The likelihood-ratio panel's axis spans the ratios of the symbols whose p(x) is at least 1/RARE of the
#: largest: far in a tail, log2 p/q may reach -70 bits (a Beta's edge) while weighing nothing in D.
RARE = 1000
#: The least half-height of the likelihood-ratio axis, in bits.
NEGLIGIBLE = 0.05


def _ratio_panel(ax: "Axes", labels: Sequence["Label"], p: np.ndarray, r: np.ndarray, continuous: bool) -> bool:
    """log2 p/q per symbol (bars, or a line across x) and the terms p log2 p/q (dots); an infinite ratio
    as a triangle at the top of the panel; nothing where p = 0. Whether ratios of rare symbols (see
    RARE) run off the panel."""
    k = len(labels)
    xs = np.asarray(labels, dtype=float) if continuous else np.arange(k, dtype=float)
    finite = np.isfinite(r)
    terms_ = np.where(finite, p * np.where(finite, r, 0.0), np.nan)
    if continuous or k > MAX_BARS:
        ax.plot(xs, np.where(finite, r, np.nan), color="0.35", linewidth=1.4, label=LLR_LABEL)
        ax.plot(xs, terms_, color=REFERENCE, linewidth=1.0, linestyle=(0, (1, 1)), label=TERM_LABEL)
    else:
        ax.bar(xs[finite], r[finite], 0.7, color="0.7", edgecolor="0.3", linewidth=0.6, label=LLR_LABEL)
        ax.plot(xs[finite], terms_[finite], linestyle="none", marker="o", markersize=5, color=REFERENCE,
                label=TERM_LABEL, zorder=4)
    ax.axhline(0.0, color="0.2", linewidth=0.8)
    common = finite & (p >= p.max() / RARE)
    # At least +-NEGLIGIBLE: a ratio of 1e-16 (two probabilities equal but for rounding) stays a flat zero.
    values = [-NEGLIGIBLE, NEGLIGIBLE, *r[common].tolist(), *terms_[finite].tolist()]
    low, high = min(values), max(values)
    cut = bool(np.any(r[finite] < low) or np.any(r[finite] > high))
    pad = 0.08 * (high - low or 1.0)
    ax.set_ylim(low - pad, high + pad)
    infinite = xs[np.isinf(r)]
    if infinite.size:
        ax.plot(infinite, [high + pad] * infinite.size, linestyle="none", marker="^", markersize=8, color=REFERENCE,
                clip_on=False, zorder=5, label=INFINITE_LLR)
    if continuous:
        ax.set_xlabel("x (the bins' centres)")
    else:
        _symbol_axis(ax, labels)
    ax.set_ylabel("bits")
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return cut


#: Most panels of the next symbol's distribution after a context, in the figure of a source with memory.
MAX_CONTEXT_PANELS = 5
#: Contexts of a distributions figure are ranked among at most this many (K^k for order k).
MAX_CONTEXTS_RANKED = 1 << 20
RULED_OUT = "q = 0 where p > 0"


def _order(x: Any) -> int:
    return getattr(x, "order", 0)


def _context_panels(source: Any, models: Mapping[str, Any], order: int) -> list[tuple[str, Any, dict]]:
    """(title, p after the context, {model: q after it}) for the contexts of ``order`` symbols the
    source is most often in."""
    size = len(source.alphabet)
    if size ** order > MAX_CONTEXTS_RANKED:
        return []
    if _order(source):
        weights = source.block_probs(order)
    else:  # an i.i.d. source's k-tuples: products of its probabilities, oldest symbol first
        weights = np.ones(1)
        for _ in range(order):
            weights = np.outer(weights, source.probs).ravel()
    panels = []
    for cid in np.argsort(-weights, kind="stable")[:MAX_CONTEXT_PANELS]:
        if weights[cid] <= 0:
            break
        context = np.array([(int(cid) // size ** j) % size for j in reversed(range(order))], dtype=np.int64)
        named = ", ".join(_symbol_text(source.alphabet[x]) for x in context)
        panels.append((f"next symbol after {named} (context probability {weights[cid]:.3f})",
                       source.probabilities(context), {name: q.probabilities(context) for name, q in models.items()}))
    return panels


#: The models' look: greys and hatching (bars) or grey dash patterns (lines), never a scheme's colour, so
#: a colour always means a scheme. A model keeps its look (by its place in the scenario) in every figure.
MODEL_FILLS = ("0.93", "0.7", "1.0", "0.55", "0.82")
MODEL_HATCHES = ("//", "..", "xx", "\\\\", "++", "oo", "--", "||", "**", "OO")
MODEL_DASHES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3)), (0, (3, 1, 3, 3)))
#: The source p: black bars, or a light grey fill under steps.
SOURCE_COLOUR = REFERENCE


def model_styles(names: Sequence[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per model: ``bar`` (fill, hatch and edge for ax.bar) and ``line`` (colour and dashes for a line)."""
    return {name: {"bar": {"color": MODEL_FILLS[j % len(MODEL_FILLS)], "hatch": MODEL_HATCHES[j % len(MODEL_HATCHES)],
                           "edgecolor": "0.2", "linewidth": 0.6},
                   "line": {"color": ("0.1", "0.4")[(j // len(MODEL_DASHES)) % 2],
                            "linestyle": MODEL_DASHES[j % len(MODEL_DASHES)]}}
            for j, name in enumerate(names)}


def _distribution_panel(ax: "Axes", labels: Sequence["Label"], p: Any, qs: Mapping[str, Any], file: bool,
                        looks: Mapping[str, dict] | None = None) -> None:
    """p and every q over the symbols, as grouped bars or (past MAX_BARS) steps; a cross where a q rules
    out a symbol p gives probability. p is black, the models grey and hatched (``looks``, by default
    :func:`model_styles` of ``qs``)."""
    looks = looks or model_styles(list(qs))
    series = [("p (the file's frequencies)" if file else "p (source)", p, None)] + [
        (f"q: {_plain(name)}", q, looks[name]) for name, q in qs.items()]
    k = len(labels)
    xs = list(range(k))
    bars = k * len(series) <= MAX_BARS
    width = 0.84 / len(series)
    ruled_out: list[float] = []
    for j, (name, probs, look) in enumerate(series):
        offset = (j - (len(series) - 1) / 2) * width if bars else 0.0
        if bars:
            ax.bar([x + offset for x in xs], probs, width, label=name,
                   **({"color": SOURCE_COLOUR} if look is None else look["bar"]))
        elif look is None:
            ax.fill_between(xs, probs, step="mid", color="0.8", label=name)
        else:
            ax.step(xs, probs, where="mid", linewidth=1.2, label=name, **look["line"])
        if look is not None:
            ruled_out += [x + offset for x in xs if probs[x] == 0 < p[x]]
    if ruled_out:
        # After the distributions in the legend (matplotlib lists lines before bars by default).
        ax.plot(ruled_out, [0] * len(ruled_out), linestyle="none", marker="x", markersize=7, color=REFERENCE,
                markeredgewidth=1.8, clip_on=False, zorder=5, label=RULED_OUT)
    _symbol_axis(ax, labels)
    ax.set_ylabel("probability")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


# -- experiments ----------------------------------------------------------------------------------------
def _band(ax: "Axes", xs, values, cis, marker: str = "o", **style) -> str:
    """A line with hollow markers and, where intervals are known, a shaded 95% band around it; the
    line's colour."""
    line, = ax.plot(xs, values, marker=marker, markersize=5, markerfacecolor="none", **style)
    known = [(x, ci) for x, ci in zip(xs, cis) if ci is not None and all(map(_finite, ci))]
    if known:
        ax.fill_between([x for x, _ in known], [ci[0] for _, ci in known], [ci[1] for _, ci in known],
                        color=line.get_color(), alpha=0.18, linewidth=0)
    return line.get_color()


#: Legend suffix and panel title of the schemes that learn as they code, which take no model.
LEARNS = "(learns, no model)"
LEARNERS_TITLE = "schemes that learn (no model)"
#: The running log2 p/q is a property of the stream, not of a scheme: drawn in a grey no scheme has.
LLR_COLOUR = "0.35"


def _scheme_styles(names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A colour and a marker per scheme, the same in every panel and every figure (scheme_colours)."""
    colours, places = scheme_colours(names), _scheme_places(names)
    return {name: {"color": colours[name], "marker": MARKERS[places[name] % len(MARKERS)]} for name in names}


def converge_figure(points: Sequence[Any], title: str) -> "Figure":
    """Per model: bits per symbol against stream length, and the running mean of log2 p/q.

    Left panel: each scheme's measured bits per symbol (mean over trials, 95% band across trials) at
    each length, on a log axis, with H(p,q) dashed and H(p) dotted; where a point carries the code's
    ``expected_bits_per_symbol`` and it differs from H(p,q) (a prefix code's whole-bit lengths), that
    is drawn dash-dotted in the scheme's colour, since it is what the code tends to. Right panel: the
    prefix's average log2 p(x)/q(x) with its band, converging to D(p||q) (dashed). ``points`` are
    ConvergencePoints. Those without a model (schemes that learn) get a row of their own, last: their
    bits per symbol against H(p), with nothing in the right panel's place, as they have no q, and, for
    a scheme with a redundancy bound (``bound_bits_per_symbol``), that bound in its colour, which its
    expected bits per symbol stay under. A scheme keeps its colour and marker in every row.
    """
    if not points:
        raise CodesimError("no convergence points to plot")
    groups: list[str | None] = _ordered(p.model for p in points if p.model is not None)
    if any(p.model is None for p in points):
        groups.append(None)
    styles = _scheme_styles(_ordered(p.scheme for p in points))
    words = terms.of(points)
    fig, axes = _figure(title, rows=len(groups), cols=2, size=(15.0, 0.9 + 3.3 * len(groups)), sharex=True)
    fig.suptitle(_wrap(title, 110))
    for row, model in enumerate(groups):
        mine = sorted((p for p in points if p.model == model), key=lambda p: p.length)
        left, right = axes[row]
        first = mine[0]
        expected_shown = bound_shown = False
        for scheme in _ordered(p.scheme for p in mine):
            pts = [p for p in mine if p.scheme == scheme]
            colour = _band(left, [p.length for p in pts], [p.bits_per_symbol for p in pts],
                           [p.bits_ci95 for p in pts], label=_plain(scheme), **styles[scheme])
            # A universal code's redundancy bound: the line its expected bits per symbol stay under.
            bounded = [p for p in pts if _finite(getattr(p, "bound_bits_per_symbol", None))]
            if bounded:
                left.plot([p.length for p in bounded], [p.bound_bits_per_symbol for p in bounded], color=colour,
                          linestyle=(0, (5, 2)), linewidth=1.0)
                bound_shown = True
            # A prefix code tends to its own expected length, not to H(p,q): drawn where they differ.
            expected = getattr(pts[-1], "expected_bits_per_symbol", None)
            if _finite(expected) and not (_finite(first.cross_entropy_bits)
                                          and abs(expected - first.cross_entropy_bits) < 2e-3):
                left.axhline(expected, color=colour, linestyle="-.", linewidth=1.0)
                expected_shown = True
        if expected_shown:  # one grey legend entry for the expected lines of every colour
            left.plot([], [], color="0.4", linestyle="-.", linewidth=1.0, label="code's expected bits/sym")
        if bound_shown:
            left.plot([], [], color="0.4", linestyle=(0, (5, 2)), linewidth=1.0,
                      label="bound on expected bits/sym")
        if model is not None and _finite(first.cross_entropy_bits):
            left.axhline(first.cross_entropy_bits, color=REFERENCE, linestyle="--", linewidth=1.2,
                         label=f"{words.cross} = {first.cross_entropy_bits:.3f}")
        elif model is not None and first.cross_entropy_bits is not None:
            left.text(0.02, 0.95, f"{words.cross} = ∞", transform=left.transAxes, va="top", fontsize="small")
        left.axhline(first.entropy_bits, color=REFERENCE, linestyle=":", linewidth=1.2,
                     label=words.entropy_line(first.entropy_bits))
        group = LEARNERS_TITLE if model is None else f"model '{_plain(model)}'"
        left.set_title(f"{group}: measured bits per symbol", fontsize="medium")
        left.set_ylabel("bits per symbol")
        if model is None:
            right.axis("off")
            right.text(0.5, 0.5, "A scheme that learns takes no model q:\nthere is no log2 p(x)/q(x) to follow.",
                       transform=right.transAxes, ha="center", va="center", fontsize="small", color="0.3")
            if row > 0:  # the panel above now ends the column: it shows the lengths
                axes[row - 1, 1].tick_params(axis="x", labelbottom=True)
                axes[row - 1, 1].set_xlabel("stream length (symbols, log scale)")
        else:
            _divergence_panel(right, model, mine, words)
        for ax in (left, right):
            ax.set_xscale("log")
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:  # a panel of an infinite D(p||q) may have none
                # Beside the panel, never over it: inside, a legend hides the lines it names (H(p) first).
                _legend_outside(ax)
    for ax in axes[-1]:
        ax.set_xlabel("stream length (symbols, log scale)")
    return fig


def _divergence_panel(ax: "Axes", model: str, mine: Sequence[Any], words: terms.Terms) -> None:
    """The running mean of log2 p(x)/q(x) (in context, for a source with memory) of one model's streams,
    against D(p||q) (its rate)."""
    first = mine[0]
    # log2 p/q depends on the stream, not on the scheme: one line per length.
    by_length = {}
    for p in mine:
        by_length.setdefault(p.length, p)
    llr = [p for p in by_length.values() if _finite(p.llr_bits)]
    if llr:
        _band(ax, [p.length for p in llr], [p.llr_bits for p in llr], [p.llr_ci95 for p in llr],
              color=LLR_COLOUR, label="mean log2 p(x|c)/q(x|c)" if words.memory else "mean log2 p(x)/q(x)")
    if _finite(first.kl_bits):
        ax.axhline(first.kl_bits, color=REFERENCE, linestyle="--", linewidth=1.2,
                   label=f"{words.kl} = {first.kl_bits:.3f}")
    elif first.kl_bits is not None:
        ax.text(0.02, 0.95, f"{words.kl} = ∞: q rules out a symbol p emits", transform=ax.transAxes, va="top",
                fontsize="small")
    ax.set_title(f"model '{_plain(model)}': sample divergence", fontsize="medium")
    ax.set_ylabel("bits per symbol")


def below(p: Any, margin: float = 1e-3) -> bool:
    """Whether a point's code beats D(p||q_t) in theory and beyond the sampling noise.

    In theory: the code's expected excess (E_p[l] - H(p) where the point has it, else its D(p||r), which
    equals the expected excess of a complete prefix code) is below D(p||q_t) by more than ``margin``,
    so a stream coder's quantisation wobble does not count. Measured: the whole 95% interval of its
    excess lies below D(p||q_t); a point without an interval (one trial) has an unknown noise and is
    never ringed, as a mean that dips inside its interval may be chance.
    """
    expected = getattr(p, "expected_bits_per_symbol", None)
    theory = expected - p.entropy_bits if _finite(expected) else p.code_kl_bits
    ci = _excess_ci(p)
    return (_finite(p.kl_bits) and _finite(theory) and theory < p.kl_bits - margin
            and ci is not None and _finite(ci[1]) and ci[1] < p.kl_bits)


SWEEP_XLABEL = "t: weight of p in q_t = (1-t) q + t p"
DIP_LABEL = "code below D(p||q_t)\n(whole 95% interval)"


def _excess_ci(p: Any) -> tuple[float, float] | None:
    return (p.ci95[0] - p.entropy_bits, p.ci95[1] - p.entropy_bits) if p.ci95 else None


def _side_by_side(ax: "Axes", pts: Sequence[Any], where, **style) -> None:
    """Points at the places ``where`` gives, with their 95% error bars."""
    cis = [_excess_ci(p) for p in pts]
    ax.errorbar([where(p) for p in pts], [p.excess_bits_per_symbol for p in pts],
                yerr=[[p.excess_bits_per_symbol - ci[0] if ci else 0.0 for p, ci in zip(pts, cis)],
                      [ci[1] - p.excess_bits_per_symbol if ci else 0.0 for p, ci in zip(pts, cis)]],
                markersize=6, linestyle="none", capsize=3, **style)


def sweep_figure(points: Sequence[Any], title: str, xlabel: str = SWEEP_XLABEL) -> "Figure":
    """Per model: each scheme's excess bits per symbol over H(p) against t, and D(p||q_t).

    D(p||q_t) = H(p,q_t) - H(p) is the excess of a coder spending exactly -log2 q_t(x), a smooth curve;
    a prefix code's excess moves in steps, as its whole-bit lengths change only now and then. Points
    where a code does better than D(p||q_t) (its lengths happen to suit p better than q_t does) are
    ringed (see :func:`below`). ``points`` are SweepPoints; ``xlabel`` says what t is.

    A sweep of scheme parameters at one t has nothing to draw against t: then each model's panel shows
    the scheme variants side by side, with D(p||q) as a horizontal line.

    Points without a model (schemes that learn) have no t: against t, each is a horizontal line at
    its excess, with its 95% band, in every model's panel (the same streams, so the same value against
    any q), showing how close to p a model must come for its code to beat learning. Side by side, they
    take places of their own after the models' variants, in every panel; without any model's points,
    one panel shows them alone. A scheme keeps its colour in every panel.
    """
    if not points:
        raise CodesimError("no sweep points to plot")
    modelled = [p for p in points if p.model is not None]
    learning = [p for p in points if p.model is None]
    models = _ordered(p.model for p in modelled) or [None]
    single_t = not modelled or all(len({p.t for p in modelled if p.model == model}) == 1 for model in models)
    variants = _ordered(p.scheme for p in [*modelled, *learning])
    # Side by side, a scheme's variants ("rans:precision=8", ...) are one series: the ticks name them.
    series = (lambda p: p.scheme.split(":")[0]) if single_t else (lambda p: p.scheme)
    styles = _scheme_styles(_ordered(series(p) for p in [*modelled, *learning]))
    learned = (lambda name: f"{_plain(name)} {LEARNS}") if modelled else _plain
    width = max(9.0, 3.0 + 0.7 * len(variants)) if single_t else 9.0
    fig, axes = _figure(title, rows=len(models), cols=1, size=(width, 0.9 + 3.4 * len(models)), sharex=True)
    fig.suptitle(_wrap(title, 100))
    words = terms.of(points)
    kl_t = words.heading("D(p||q_t)")
    # x of a point: t, or the place of its scheme variant when t does not vary.
    where = (lambda p: variants.index(p.scheme)) if single_t else (lambda p: p.t)
    for row, model in enumerate(models):
        ax = axes[row, 0]
        mine = sorted((p for p in modelled if p.model == model), key=lambda p: p.t) if modelled else learning
        for name in _ordered(series(p) for p in mine):
            pts = [p for p in mine if series(p) == name and _finite(p.excess_bits_per_symbol)]
            if single_t:
                _side_by_side(ax, pts, where, label=_plain(name), **styles[name])
            else:
                _band(ax, [p.t for p in pts], [p.excess_bits_per_symbol for p in pts], [_excess_ci(p) for p in pts],
                      label=_plain(name), **styles[name])
        for name in _ordered(series(p) for p in learning) if modelled else ():  # else they are `mine`
            pts = [p for p in learning if series(p) == name and _finite(p.excess_bits_per_symbol)]
            if single_t:
                _side_by_side(ax, pts, where, label=learned(name), **styles[name])
                continue
            for p in pts:
                ax.axhline(p.excess_bits_per_symbol, color=styles[name]["color"], linewidth=1.4, label=learned(name))
                ci = _excess_ci(p)
                if ci and all(map(_finite, ci)):
                    ax.axhspan(ci[0], ci[1], color=styles[name]["color"], alpha=0.12, linewidth=0)
        by_t = {}  # D(p||q_t) per t, for a model's panel
        for p in (mine if model is not None else ()):
            by_t.setdefault(p.t, p)
        kl = [p for p in by_t.values() if _finite(p.kl_bits)]
        if single_t and kl:
            ax.axhline(kl[0].kl_bits, color=REFERENCE, linestyle="--", linewidth=1.6,
                       label=f"{words.kl} = {kl[0].kl_bits:.3f}")
        elif kl:
            ax.plot([p.t for p in kl], [p.kl_bits for p in kl], color=REFERENCE, linestyle="--", linewidth=1.6,
                    label=f"{kl_t} = {words.heading('H(p,q_t)')} - {words.entropy}")
        if len(kl) < len(by_t):
            ax.text(0.02, 0.95, f"{kl_t} = ∞ where q_t rules out a symbol p emits", transform=ax.transAxes,
                    va="top", fontsize="small")
        dips = [p for p in mine if below(p)]
        if dips:
            # Black, as the D(p||q_t) it is measured against: every colour of the palette may be a scheme's.
            ax.scatter([where(p) for p in dips], [p.excess_bits_per_symbol for p in dips], s=110,
                       facecolors="none", edgecolors=REFERENCE, linewidths=1.4, zorder=5, label=DIP_LABEL)
        if model is None:
            ax.set_title(LEARNERS_TITLE, fontsize="medium")
        else:
            ax.set_title(f"model '{_plain(model)}'" + (f" at t = {mine[0].t:g}" if single_t and mine[0].t else ""),
                         fontsize="medium")
        ax.set_ylabel(f"excess bits per symbol\n(measured - {words.entropy})")
        ax.grid(alpha=0.3)
        names = ax.get_legend_handles_labels()[1]
        _legend_outside(ax, last=[h for h in names if h.endswith(LEARNS)]
                        + [h for h in names if h.startswith("D(p||q")] + [DIP_LABEL])
    bottom = axes[-1, 0]
    if single_t:
        bottom.set_xticks(range(len(variants)))
        texts = [_plain(v) for v in variants]
        crowded = sum(len(t) + 2 for t in texts) * 0.09 > width * 0.7
        bottom.set_xticklabels(texts, rotation=30 if crowded else 0, ha="right" if crowded else "center",
                               rotation_mode="anchor" if crowded else "default")
        bottom.set_xlim(-0.6, len(variants) - 0.4)
        bottom.set_xlabel("scheme and parameters")
    else:
        bottom.set_xlabel(_plain(xlabel))
    return fig


IDEAL_Q = "-log2 q(x): ideal for the model"
IDEAL_P = "-log2 p(x): ideal for the source"
INFINITE_Q = "-log2 q(x) = ∞ (q = 0)"


# -- a code ---------------------------------------------------------------------------------------------
def code_figure(table_rows: Sequence[Mapping[str, Any]], title: str, scheme: str | None = None) -> "Figure":
    """A code's cost per symbol (codeword length, or -log2 f/2^P for a stream coder) as bars, against
    the model's -log2 q(x) and the source's -log2 p(x), each where the file records it, as points.

    ``table_rows`` are the ``table`` of :func:`codesim.files.inspection.inspect_file`; the bars take the
    ``scheme``'s colour (:func:`scheme_colours`), the points the source's black and the models' grey. A
    symbol with q = 0 (infinite -log2 q) is marked by an arrow at the top of the panel. A scheme that
    learns has no one code to draw: the panel says so.
    """
    if not table_rows:
        raise CodesimError("no code table to plot")
    labels = [r["symbol"] for r in table_rows]
    xs = list(range(len(labels)))
    fig, axes = _figure(title)
    ax = axes[0, 0]
    colour = scheme_colours([scheme])[scheme] if scheme else PALETTE[0]
    for key, name in (("length", "codeword length l(x)"), ("cost_bits", "cost -log2 f(x)/2^P")):
        if all(key in r for r in table_rows):
            heights = [r[key] for r in table_rows]
            if len(xs) <= MAX_BARS:
                ax.bar(xs, heights, 0.7, color=colour, alpha=0.75, label=name)
            else:
                ax.fill_between(xs, heights, step="mid", color=colour, alpha=0.5, linewidth=0, label=name)
            break
    else:
        ax.text(0.5, 0.97, f"no code table: {_plain(scheme or 'the scheme')} learns as it codes,\nits code changes "
                "with every symbol (see the trace)", transform=ax.transAxes, ha="center", va="top", fontsize="small",
                color="0.3", bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    size = 5 if len(labels) <= 40 else 3  # smaller marks where many symbols share the width
    # Only a file that records its model has a -log2 q(x) to show (a scheme that learns takes none).
    ideal = [r["ideal_bits"] if "q" in r else None for r in table_rows]
    finite = [(x, v) for x, v in zip(xs, ideal) if _finite(v)]
    if finite:
        ax.plot([x for x, _ in finite], [v for _, v in finite], linestyle="none", marker="D", markersize=size,
                color="0.45", markeredgecolor=REFERENCE, label=IDEAL_Q)
    if all(r.get("p") is not None for r in table_rows):
        with_p = [(x, -math.log2(r["p"])) for x, r in zip(xs, table_rows) if r["p"] > 0]
        ax.plot([x for x, _ in with_p], [v for _, v in with_p], linestyle="none", marker="o", markersize=size + 1,
                markerfacecolor="none", markeredgecolor=SOURCE_COLOUR, markeredgewidth=1.4, label=IDEAL_P)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.08)  # room above the highest mark
    infinite = [x for x, v in zip(xs, ideal) if v is not None and math.isinf(v)]
    if infinite:
        top = ax.get_ylim()[1]
        ax.plot(infinite, [top] * len(infinite), linestyle="none", marker="^", color=REFERENCE, clip_on=False,
                label=INFINITE_Q)
    _symbol_axis(ax, labels)
    ax.set_ylabel("bits")
    ax.set_title(_wrap(title))
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_outside(ax, last=[IDEAL_Q, IDEAL_P, INFINITE_Q])  # the code's bars first
    return fig


# -- bench ------------------------------------------------------------------------------------------------
def bench_figure(rows: Sequence[Any], lane_threshold: int | None = None,
                 title: str = "codesim bench: throughput against stream length") -> "Figure":
    """Throughput against stream length (both axes log): a row of panels per source, encoding on the
    left and decoding on the right; a line per scheme, and per peer dashed in its scheme's colour.
    ``rows`` are :class:`~codesim.simulation.bench.BenchRow`s; a ``lane_threshold`` (the length from
    which prefix codes decode in lanes) is drawn as a dotted line on the decoding panels."""
    from matplotlib import ticker

    if not rows:
        raise CodesimError("no bench rows to plot")
    sources = _ordered(r.source for r in rows)
    styles = _scheme_styles(_ordered(r.scheme for r in rows))
    fig, axes = _figure(title, rows=len(sources), cols=2, size=(12.0, 0.9 + 3.6 * len(sources)), sharex=True)
    fig.suptitle(_wrap(title, 110))
    for row, source in enumerate(sources):
        mine = [r for r in rows if r.source == source]
        for col, (what, speed) in enumerate((("encoding", "encode_symbols_per_second"),
                                             ("decoding", "decode_symbols_per_second"))):
            ax = axes[row, col]
            for scheme, peer in _ordered((r.scheme, r.peer) for r in mine):
                pts = sorted((r for r in mine if (r.scheme, r.peer) == (scheme, peer)), key=lambda r: r.length)
                style = dict(styles[scheme])
                if peer is not None:  # a peer's line: dashed, hollow marks, in the colour of our scheme
                    style.update(linestyle="--", markerfacecolor="none", linewidth=1.0)
                ax.plot([r.length for r in pts], [getattr(r, speed) / 1e6 for r in pts],
                        label=_plain(scheme if peer is None else f"{peer} ({scheme})"), markersize=4, **style)
            if lane_threshold is not None and col == 1:
                ax.axvline(lane_threshold, color=REFERENCE, linestyle=":", linewidth=1.2,
                           label=f"prefix codes in lanes from 2^{lane_threshold.bit_length() - 1}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            # Plain numbers (20, 50, 200): a span of less than a decade would otherwise be labelled
            # with minor ticks written as powers, such as 6 x 10^1.
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(ticker.FuncFormatter(
                lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
            ax.grid(alpha=0.3, which="both")
            ax.set_title(f"{_plain(source)}: {what}", fontsize="medium")
            ax.set_ylabel("million symbols per second (log scale)")
        _legend_outside(axes[row, 1])
    for ax in axes[-1]:
        ax.set_xlabel("stream length (symbols, log scale)")
    return fig
