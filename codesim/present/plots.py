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


def figure_paths(path: str, figures: int) -> list[str]:
    """Where the figures of one ``--plot`` go: ``run.png``, then ``run-distributions.png``."""
    p = Path(path)
    return [path, str(p.with_name(p.stem + "-distributions" + p.suffix))][:figures]


def save_run(path: str, force: bool, scenario: "Scenario", measurements: Sequence["Measurement"]) -> list[str]:
    """The two figures of ``run --plot`` and ``compare --plot`` (the run's bits, and p beside every q),
    written together; their paths."""
    figures = [run_figure(measurements, scenario.title),
               distributions_figure(scenario.source, scenario.models, scenario.title,
                                    file=scenario.message is not None)]
    paths = figure_paths(path, len(figures))
    save_all(list(zip(figures, paths)), force)
    return paths


def _plain(text: Any) -> str:
    """Text shown literally: matplotlib reads a pair of '$' as mathematics, a label may contain them."""
    return str(text).replace("$", r"\$")


def _wrap(title: str, width: int = 80) -> str:
    return "\n".join(textwrap.wrap(_plain(title), width)) or " "


def _distinct_colours(n: int) -> list:
    """n colours, no two alike: matplotlib's ten-colour cycle repeats from the eleventh scheme on (every
    registered scheme compared is eleven), so more than ten take tab20's twenty, then tab20b's and tab20c's."""
    from matplotlib import colormaps

    palette = [c for name in (["tab10"] if n <= 10 else ["tab20", "tab20b", "tab20c"]) for c in colormaps[name].colors]
    return [palette[i % len(palette)] for i in range(n)]


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


def _symbol_text(label: "Label") -> str:
    """A symbol as a tick label: whitespace and control characters made visible, floats shortened."""
    if isinstance(label, float):
        return f"{label:.4g}"
    if isinstance(label, str):
        named = {" ": "␣", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
        if label in named:
            return named[label]
        if not label.isprintable():
            return repr(label)[1:-1]
        return _plain(label)
    return str(label)


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


def _legend_outside(ax: "Axes", last: Sequence[str] = ()) -> None:
    """The legend to the right of the axes, entries in the order drawn except those named in
    ``last``, which go at the end (matplotlib lists lines, then markers, then bars and error bars,
    whatever order they were drawn in)."""
    handles, names = ax.get_legend_handles_labels()
    rank = {name: k + 1 for k, name in enumerate(last)}
    order = sorted(range(len(names)), key=lambda i: rank.get(names[i], 0))  # stable: drawn order kept
    ax.legend([handles[i] for i in order], [names[i] for i in order], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False, fontsize="small")


def _ordered(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _bits(x: float | None) -> str:
    return "n/a" if x is None else "∞" if math.isinf(x) else f"{x:.3f}"


# -- a run ----------------------------------------------------------------------------------------------
#: The run figure's group of schemes that learn as they code, which take no model.
LEARNERS_TICK = "learners\n(no model)"


def run_figure(measurements: Sequence["Measurement"], title: str) -> "Figure":
    """Measured bits per symbol per scheme, grouped by model, against H(p) and each model's H(p,q).

    Error bars are the 95% confidence intervals across trials (none for one trial). Rows without a
    model (schemes that learn) form a group of their own, last, with no H(p,q) to compare against. For
    a source with memory a second line marks H(X), one symbol's entropy: the least an i.i.d. model
    averages, above the entropy rate by the memory it ignores.
    """
    if not measurements:
        raise CodesimError("no measurements to plot")
    models = _ordered(m.model for m in measurements if m.model is not None)
    if any(m.model is None for m in measurements):
        models.append(None)
    schemes = _ordered(m.scheme for m in measurements)
    cell = {(m.model, m.scheme): m for m in measurements}
    first = {model: next(m for m in measurements if m.model == model) for model in models}
    fig, axes = _figure(title, size=(max(SIZE[0], 2.0 + 1.1 * len(models)), SIZE[1]))
    ax = axes[0, 0]
    # Each group's bars sit side by side around its tick: the learners' group holds other schemes
    # than the models' groups.
    present = {model: [s for s in schemes if (model, s) in cell] for model in models}
    width = 0.8 / max(len(names) for names in present.values())
    xs = range(len(models))
    tops = []
    colours = _distinct_colours(len(schemes))
    for j, scheme in enumerate(schemes):
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
            tops.append(ci[1] if ci else m.bits_per_symbol)
        ax.bar(where, heights, width * 0.92, yerr=[low, high], capsize=3,
               label=_plain(scheme), color=colours[j], error_kw={"elinewidth": 1.0, "ecolor": "0.2"})
    words = terms.of(measurements)
    h = measurements[0].entropy_bits
    # The floor grey and under the H(p,q) dashes: for a model equal to the source the two coincide, and the
    # dashes must still show. A file's H0 is no floor (a model with memory may spend less): dotted.
    floor = words.entropy_line(h)
    ax.axhline(h, color="0.45", linewidth=1.6, zorder=3, label=floor, linestyle=":" if words.file else "-")
    marginal = measurements[0].marginal_entropy_bits
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
    top = max(tops + [h]) * 1.08
    ax.set_ylim(0.0, top)
    for x, model in zip(xs, models):
        if model is not None and first[model].cross_entropy_bits is not None \
                and not _finite(first[model].cross_entropy_bits):
            ax.annotate(f"{words.cross} = ∞", (x, top), xytext=(0, -4), textcoords="offset points",
                        ha="center", va="top", fontsize="small")
    ax.set_xticks(list(xs))
    ax.set_xticklabels([_run_tick(model, first[model], words) for model in models], fontsize="small")
    ax.set_xlabel("model q (with its divergence from the source)")
    ax.set_ylabel("bits per symbol")
    ax.set_title(_wrap(title, 60))  # over the axes only: the legend beside them takes a third of the width
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _legend_outside(ax, last=[*lines, words.cross_line])
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


def _distribution_panel(ax: "Axes", labels: Sequence["Label"], p: Any, qs: Mapping[str, Any], file: bool) -> None:
    """p and every q over the symbols, as grouped bars or (past MAX_BARS) steps; a cross where a q rules
    out a symbol p gives probability."""
    series = [("p (the file's frequencies)" if file else "p (source)", p)] + [(f"q: {_plain(name)}", q) for name, q in qs.items()]
    k = len(labels)
    xs = list(range(k))
    bars = k * len(series) <= MAX_BARS
    width = 0.84 / len(series)
    ruled_out: list[float] = []
    for j, (name, probs) in enumerate(series):
        offset = (j - (len(series) - 1) / 2) * width if bars else 0.0
        if bars:
            ax.bar([x + offset for x in xs], probs, width,
                   label=name, color=REFERENCE if j == 0 else None, alpha=0.85 if j == 0 else 1.0)
        elif j == 0:
            ax.fill_between(xs, probs, step="mid", color="0.75", label=name)
        else:
            ax.step(xs, probs, where="mid", linewidth=1.2, label=name)
        if j > 0:
            ruled_out += [x + offset for x in xs if probs[x] == 0 < p[x]]
    if ruled_out:
        # After the distributions in the legend (matplotlib lists lines before bars by default).
        ax.plot(ruled_out, [0] * len(ruled_out), linestyle="none", marker="x", markersize=7, color="tab:red",
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
    """A colour and a marker per scheme, the same in every panel of a figure."""
    colours = _distinct_colours(len(names))
    return {name: {"color": colours[j], "marker": MARKERS[j % len(MARKERS)]} for j, name in enumerate(names)}


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
    fig, axes = _figure(title, rows=len(groups), cols=2, size=(11.0, 0.9 + 3.3 * len(groups)), sharex=True)
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
        if model is not None and math.isfinite(first.cross_entropy_bits):
            left.axhline(first.cross_entropy_bits, color=REFERENCE, linestyle="--", linewidth=1.2,
                         label=f"{words.cross} = {first.cross_entropy_bits:.3f}")
        elif model is not None:
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
                ax.legend(fontsize="small", loc="best")
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


def _below(p: Any, margin: float = 1e-3) -> bool:
    """Whether a point's code beats D(p||q_t) in theory and in the measurement.

    In theory: the code's expected excess (E_p[l] - H(p) where the point has it, else its D(p||r), which
    equals the expected excess of a complete prefix code) is below D(p||q_t) by more than ``margin``,
    so a stream coder's quantisation wobble does not count. Measured: its excess is below D(p||q_t).
    """
    expected = getattr(p, "expected_bits_per_symbol", None)
    theory = expected - p.entropy_bits if _finite(expected) else p.code_kl_bits
    return (_finite(p.kl_bits) and _finite(theory) and theory < p.kl_bits - margin
            and p.excess_bits_per_symbol < p.kl_bits)


SWEEP_XLABEL = "t: weight of p in q_t = (1-t) q + t p"
DIP_LABEL = "code below D(p||q_t)"


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
    ringed (see :func:`_below`). ``points`` are SweepPoints; ``xlabel`` says what t is.

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
        dips = [p for p in mine if _below(p)]
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
def code_figure(table_rows: Sequence[Mapping[str, Any]], title: str) -> "Figure":
    """A code's cost per symbol (codeword length, or -log2 f/2^P for a stream coder) as bars, against
    the model's -log2 q(x) and the source's -log2 p(x), each where the file records it, as points.

    ``table_rows`` are the ``table`` of :func:`codesim.files.inspection.inspect_file`. A symbol with q = 0
    (infinite -log2 q) is marked by an arrow at the top of the panel.
    """
    if not table_rows:
        raise CodesimError("no code table to plot")
    labels = [r["symbol"] for r in table_rows]
    xs = list(range(len(labels)))
    fig, axes = _figure(title)
    ax = axes[0, 0]
    for key, name in (("length", "codeword length l(x)"), ("cost_bits", "cost -log2 f(x)/2^P")):
        if all(key in r for r in table_rows):
            heights = [r[key] for r in table_rows]
            if len(xs) <= MAX_BARS:
                ax.bar(xs, heights, 0.7, color="tab:blue", alpha=0.75, label=name)
            else:
                ax.fill_between(xs, heights, step="mid", color="tab:blue", alpha=0.5, linewidth=0, label=name)
            break
    size = 5 if len(labels) <= 40 else 3  # smaller marks where many symbols share the width
    # Only a file that records its model has a -log2 q(x) to show (a scheme that learns takes none).
    ideal = [r["ideal_bits"] if "q" in r else None for r in table_rows]
    finite = [(x, v) for x, v in zip(xs, ideal) if _finite(v)]
    if finite:
        ax.plot([x for x, _ in finite], [v for _, v in finite], linestyle="none", marker="D", markersize=size,
                color=REFERENCE, label=IDEAL_Q)
    if all(r.get("p") is not None for r in table_rows):
        with_p = [(x, -math.log2(r["p"])) for x, r in zip(xs, table_rows) if r["p"] > 0]
        ax.plot([x for x, _ in with_p], [v for _, v in with_p], linestyle="none", marker="o", markersize=size + 1,
                markerfacecolor="none", markeredgecolor="tab:red", label=IDEAL_P)
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
