"""Figures that do not mislead, checked on the matplotlib objects: bars that compare lengths stand on 0,
a colour means one scheme (the same in every figure) and models never take one, bars stand in rank
order, sweep rings only what beats D(p||q_t) beyond the noise, legends stay off the data, and the
likelihood-ratio figure draws exactly log2 p(x)/q(x), infinities and zeros included."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest

import codesim
from codesim.coders import available
from codesim.measures import kl_divergence
from codesim.present import plots

from ..conftest import NASA_LEVELS, NASA_P, SCENARIOS
from .test_plots import (SweepPoint, convergence_points, learner_convergence_points, line_colours, mpl_colour,
                         sweep_points)

pytestmark = [pytest.mark.filterwarnings("error"), pytest.mark.usefixtures("mpl")]

MODEL_ONLY = ("expected_bits_per_symbol", "ideal_bits_per_symbol", "sample_kl_bits", "cross_entropy_bits",
              "kl_bits", "code_kl_bits")


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def nasa_all():
    """Every registered scheme on two NASA models (a learner's model-only fields blank, as a table shows them)."""
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml").select_models(["uniform", "swapped"])
    ms = codesim.simulate_many(scenario.source, scenario.models, [s.name for s in available()], length=300,
                               trials=2, seed=3)
    return scenario, [replace(m, **{f: None for f in MODEL_ONLY}) if m.model is None else m for m in ms]


def bars(ax) -> dict[str, list]:
    """Each labelled bar series of a panel: its patches."""
    return {c.get_label(): list(c.patches) for c in ax.containers if hasattr(c, "patches") and c.get_label()}


def is_grey(colour) -> bool:
    r, g, b, _ = mpl_colour(colour)
    return abs(r - g) < 1e-6 and abs(g - b) < 1e-6


# -- colours --------------------------------------------------------------------------------------------
def test_every_registered_scheme_has_a_colour_of_its_own_that_is_no_grey():
    names = [s.name for s in available()]
    colours = plots.scheme_colours(names)
    assert len({mpl_colour(c) for c in colours.values()}) == len(names)
    assert not any(is_grey(c) for c in colours.values())  # greys and black belong to p, q and the references
    # A scheme's colour does not depend on the company it keeps or on the order it is listed in.
    assert plots.scheme_colours(["adaptive-huffman", "fixed"]) == {n: colours[n] for n in ("adaptive-huffman", "fixed")}
    assert plots.scheme_colours(["fixed"])["fixed"] == plots.scheme_colours(names[::-1])["fixed"]


def test_variants_and_unknown_names_get_colours_no_scheme_has():
    names = ["rans:precision=8", "rans", "rans:precision=12", "not-registered"]
    colours = plots.scheme_colours(names)
    assert len({mpl_colour(c) for c in colours.values()}) == 4
    assert colours["rans"] == plots.scheme_colours(["rans"])["rans"]  # the scheme itself keeps its own
    registered = {mpl_colour(c) for c in plots.scheme_colours([s.name for s in available()]).values()}
    assert not {mpl_colour(colours[n]) for n in names if n != "rans"} & registered
    assert plots.scheme_colours(names[::-1]) == colours


def test_no_two_schemes_share_a_colour_in_a_run_figure(nasa_all):
    _, ms = nasa_all
    ax = plots.run_figure(ms, "all").axes[0]
    series = bars(ax)
    assert len(series) == len(available())
    colours = [mpl_colour(patches[0].get_facecolor()) for patches in series.values()]
    assert len(set(colours)) == len(colours)
    # Every bar of a scheme has its colour, in every group.
    assert all(len({mpl_colour(p.get_facecolor()) for p in patches}) == 1 for patches in series.values())


def test_a_scheme_has_the_same_colour_in_the_run_converge_sweep_bench_and_code_figures(nasa_all):
    _, ms = nasa_all
    run = {name: mpl_colour(patches[0].get_facecolor()) for name, patches in bars(plots.run_figure(ms, "r").axes[0]).items()}
    # The converge stand-ins run huffman and arithmetic, then two learners: another company, another order.
    fig = plots.converge_figure(convergence_points() + learner_convergence_points(), "c")
    converged = {**line_colours(fig.axes[0]), **line_colours(fig.axes[4])}
    for name in ("huffman", "arithmetic", "adaptive-arithmetic", "adaptive-huffman"):
        assert converged[name] == run[name], name
    swept = line_colours(plots.sweep_figure(sweep_points(), "s").axes[0])
    assert swept["huffman"] == run["huffman"] and swept["arithmetic"] == run["arithmetic"]
    q = codesim.Distribution.from_probs(NASA_P, alphabet=NASA_LEVELS)
    rows = codesim.build("huffman", q).table_rows(NASA_LEVELS, q.probs, NASA_P)
    code = bars(plots.code_figure(rows, "code", "huffman").axes[0])
    assert mpl_colour(code["codeword length l(x)"][0].get_facecolor())[:3] == run["huffman"][:3]


def test_models_are_drawn_in_greys_and_hatching_never_in_a_scheme_colour(nasa_all):
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml")
    fig = plots.distributions_figure(scenario.source, scenario.models, "p and q")
    series = bars(fig.axes[0])
    assert list(series) == ["p (source)", *(f"q: {name}" for name in scenario.models)]
    assert all(is_grey(p.get_facecolor()) for patches in series.values() for p in patches)
    hatches = [patches[0].get_hatch() for name, patches in series.items() if name.startswith("q:")]
    assert len(set(hatches)) == len(hatches) and None not in hatches  # told apart by their hatching
    # The same look for a model in the likelihood-ratio figure as in the distributions figure.
    ratio = plots.likelihood_ratio_figure(scenario.source, scenario.models, "ratio")
    for row, name in enumerate(scenario.models):
        mine = bars(ratio.axes[2 * row])[f"q: {name}"][0]
        theirs = series[f"q: {name}"][0]
        assert (mine.get_hatch(), mpl_colour(mine.get_facecolor())) == (theirs.get_hatch(),
                                                                         mpl_colour(theirs.get_facecolor()))


# -- bars -----------------------------------------------------------------------------------------------
def test_bar_axes_start_at_zero(nasa_all):
    scenario, ms = nasa_all
    q = codesim.Distribution.from_probs(NASA_P, alphabet=NASA_LEVELS)
    rows = codesim.build("huffman", q).table_rows(NASA_LEVELS, q.probs, NASA_P)
    figures = [plots.run_figure(ms, "run"), plots.run_figure([m for m in ms if m.scheme == "huffman"], "one"),
               plots.distributions_figure(scenario.source, scenario.models, "p and q"),
               plots.code_figure(rows, "code", "huffman")]
    for fig in figures:
        for ax in fig.axes:
            if bars(ax):
                assert ax.get_ylim()[0] == 0.0, fig.get_label()


def test_bars_stand_in_rank_order_within_each_group(nasa_all):
    _, ms = nasa_all
    ax = plots.run_figure(ms, "ranked").axes[0]
    groups: dict[int, list[tuple[float, float]]] = {}
    for patches in bars(ax).values():
        for p in patches:
            x = p.get_x() + p.get_width() / 2
            groups.setdefault(round(x), []).append((x, p.get_height()))
    assert len(groups) == 3  # uniform, swapped, the learners
    for placed in groups.values():
        heights = [h for _, h in sorted(placed)]
        assert heights == sorted(heights)


def test_bars_past_the_cut_carry_their_value(nasa_all):
    """Unary codes 119 bits per symbol: the axis stops at CUT_FACTOR times the tallest reference, and each
    bar running past it is labelled with its height."""
    _, ms = nasa_all
    ax = plots.run_figure(ms, "cut").axes[0]
    top = ax.get_ylim()[1]
    tall = [p for patches in bars(ax).values() for p in patches if p.get_height() > top]
    assert tall  # unary, rice, the Elias codes
    labels = {(round(a.xy[0], 6), a.get_text()) for a in ax.texts if hasattr(a, "xy")}
    for p in tall:
        assert (round(p.get_x() + p.get_width() / 2, 6), f"{p.get_height():.3g}") in labels
    assert plots.CUT_NOTE in [t.get_text() for t in ax.texts]
    assert top <= plots.CUT_FACTOR * max(m.cross_entropy_bits for m in ms if m.model) * 1.08 + 1e-9


def test_a_run_without_outliers_is_not_cut(nasa_all):
    _, ms = nasa_all
    modest = [m for m in ms if m.scheme in ("huffman", "arithmetic", "adaptive-huffman")]
    ax = plots.run_figure(modest, "whole").axes[0]
    assert max(p.get_height() for patches in bars(ax).values() for p in patches) <= ax.get_ylim()[1]
    assert plots.CUT_NOTE not in [t.get_text() for t in ax.texts]


# -- sweep rings ----------------------------------------------------------------------------------------
def ringed(fig) -> list[float]:
    return sorted(x for ax in fig.axes for c in ax.collections if c.get_label() == plots.DIP_LABEL
                  for x, _ in c.get_offsets().tolist())


@pytest.mark.parametrize("ci, ring", [((0.10, 0.14), True),  # the whole interval below D = 0.15
                                      ((0.06, 0.19), False),  # the mean is below, the interval reaches past D
                                      (None, False)])  # one trial: the noise is unknown
def test_sweep_rings_only_what_lies_below_d_beyond_the_noise(ci, ring):
    h, kl = 2.0, 0.15
    points = [SweepPoint("q", t, "huffman", {}, h + 0.12, None if ci is None else (h + ci[0], h + ci[1]), 0.12,
                         kl, h + kl, 0.12, h) for t in (0.0, 0.5)]
    assert ringed(plots.sweep_figure(points, "rings")) == ([0.0, 0.5] if ring else [])
    assert all(plots.below(p) is ring for p in points)


def test_sweep_never_rings_a_code_whose_expected_excess_is_not_below_d():
    """A stream coder's measured dip under D(p||q_t) is sampling noise when its D(p||r) equals D(p||q_t)."""
    h, kl = 2.0, 0.15
    noisy = SweepPoint("q", 0.5, "arithmetic", {}, h + 0.10, (h + 0.09, h + 0.11), 0.10, kl, h + kl, kl, h)
    assert ringed(plots.sweep_figure([noisy, replace(noisy, t=1.0)], "noise")) == []


# -- legends --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("draw", [
    lambda: plots.converge_figure(convergence_points() + learner_convergence_points(), "converge"),
    lambda: plots.sweep_figure(sweep_points(), "sweep"),
])
def test_legends_stay_beside_the_axes(draw):
    """A legend inside a panel hides what it names (converge's covered the H(p) line)."""
    fig = draw()
    fig.draw_without_rendering()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None:
            assert legend.get_window_extent().x0 >= ax.get_window_extent().x1 - 1e-6


# -- values a learner does not have ---------------------------------------------------------------------
def test_figures_skip_the_blank_model_figures_of_schemes_that_learn(nasa_all):
    _, ms = nasa_all
    learners = [m for m in ms if m.model is None]
    assert learners and all(m.kl_bits is None and m.cross_entropy_bits is None for m in learners)
    plots.render(plots.run_figure(learners, "learners only"), "png")
    points = [replace(p, cross_entropy_bits=None, kl_bits=None) for p in learner_convergence_points()]
    plots.render(plots.converge_figure(convergence_points() + points, "c"), "png")


# -- the likelihood ratio -------------------------------------------------------------------------------
def ratio_panels(fig) -> list:
    return fig.axes[1::2]


def test_likelihood_ratio_bars_are_log2_p_over_q():
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml")
    fig = plots.likelihood_ratio_figure(scenario.source, scenario.models, "ratio")
    p = np.array(NASA_P)
    assert len(ratio_panels(fig)) == len(scenario.models)
    for ax, (name, q) in zip(ratio_panels(fig), scenario.models.items()):
        q = np.asarray(q.probs)
        heights = [patch.get_height() for patch in bars(ax)[plots.LLR_LABEL]]
        assert heights == pytest.approx([math.log2(a / b) for a, b in zip(p, q)], abs=1e-12)
        terms_line = next(line for line in ax.get_lines() if line.get_label() == plots.TERM_LABEL)
        assert list(terms_line.get_ydata()) == pytest.approx([a * math.log2(a / b) for a, b in zip(p, q)], abs=1e-12)
        assert sum(terms_line.get_ydata()) == pytest.approx(kl_divergence(p, q), abs=1e-12)
        mean = next(line for line in ax.get_lines() if line.get_label().startswith("D(p||q) = E_p[log2 p/q]"))
        assert mean.get_ydata()[0] == pytest.approx(kl_divergence(p, q), abs=1e-12)
        assert f"{kl_divergence(p, q):.3f}" in mean.get_label()
        assert ax.get_ylim()[0] < 0 < ax.get_ylim()[1] or kl_divergence(p, q) == 0


def test_likelihood_ratio_shows_infinities_and_leaves_out_what_p_never_emits():
    """q(x) = 0 < p(x): an infinite ratio, marked at the top and said in the caption; p(x) = 0: nothing
    drawn, and the caption says how many such symbols there are."""
    labels = ["a", "b", "c", "d"]
    p = codesim.Distribution.from_probs([0.5, 0.3, 0.2, 0.0], alphabet=labels)
    models = {"rules-out": codesim.Distribution.from_probs([0.6, 0.4, 0.0, 0.0], alphabet=labels),
              "wide": codesim.Distribution.from_probs([0.25, 0.25, 0.25, 0.25], alphabet=labels)}
    fig = plots.likelihood_ratio_figure(p, models, "zeros")
    ruled, wide = ratio_panels(fig)
    # The finite ratios at a and b only; c is infinite, d (p = 0) is not drawn.
    assert [patch.get_x() + patch.get_width() / 2 for patch in bars(ruled)[plots.LLR_LABEL]] == [0, 1]
    assert [patch.get_height() for patch in bars(ruled)[plots.LLR_LABEL]] == pytest.approx(
        [math.log2(0.5 / 0.6), math.log2(0.3 / 0.4)])
    marks = next(line for line in ruled.get_lines() if line.get_label() == plots.INFINITE_LLR)
    assert list(marks.get_xdata()) == [2] and marks.get_ydata()[0] == pytest.approx(ruled.get_ylim()[1])
    assert any("D(p||q) = E_p[log2 p/q]\n= ∞" in t for t in (line.get_label() for line in ruled.get_lines()))
    assert [patch.get_x() + patch.get_width() / 2 for patch in bars(wide)[plots.LLR_LABEL]] == [0, 1, 2]
    assert plots.INFINITE_LLR not in [line.get_label() for line in wide.get_lines()]
    caption = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "model 'rules-out': 1 symbol with q(x) = 0 < p(x), log2 p/q = ∞" in caption
    assert "1 symbol with p(x) = 0 not drawn" in caption
    assert np.array_equal(plots.log_ratios([0.5, 0.0, 0.5], [0.0, 0.5, 0.5]), [np.inf, np.nan, 0.0], equal_nan=True)


def test_likelihood_ratio_of_a_continuous_source_is_drawn_across_x():
    """The Beta scenario: the ratio of the bins' masses at the bins' centres, with the closed-form D."""
    scenario = codesim.load(SCENARIOS / "beta-likelihood-ratio.toml")
    fig = plots.likelihood_ratio_figure(scenario.source, scenario.models, "beta",
                                        continuous_kl=scenario.figures["continuous_kl_bits"])
    ax = ratio_panels(fig)[0]
    line = next(line for line in ax.get_lines() if line.get_label() == plots.LLR_LABEL)
    p, q = np.asarray(scenario.source.probs), np.asarray(scenario.models["wide"].probs)
    assert list(line.get_xdata()) == pytest.approx(list(scenario.alphabet))
    expected = np.where((p > 0) & (q > 0), np.log2(np.where(p > 0, p, 1) / np.where(q > 0, q, 1)), np.nan)
    assert np.allclose(line.get_ydata(), expected, equal_nan=True, atol=1e-12)
    assert ax.get_xlabel() == "x (the bins' centres)"
    labels = [line.get_label() for line in ax.get_lines()]
    assert "continuous D(p||q) = 1.511" in labels
    # Far in p's tail the ratio runs off the axis, which the caption says.
    assert "run off the panel" in " ".join(t.get_text() for t in fig.texts).replace("\n", " ")


def test_run_figures_are_the_bits_the_distributions_and_the_likelihood_ratio(nasa_all):
    scenario, ms = nasa_all
    figures = plots.run_figures(scenario, ms)
    assert len(figures) == len(plots.RUN_FIGURES) == 3
    assert [ax.get_title() for ax in figures[2].axes[1::2]] == [f"model '{m}': log2 p(x)/q(x)" for m in scenario.models]
    assert plots.figure_paths("out/run.png", 3) == ["out/run.png", "out/run-distributions.png",
                                                    "out/run-likelihood-ratio.png"]


def test_a_learners_file_has_no_code_table_and_the_figure_says_so():
    rows = [{"symbol": s, "p": p, "ideal_bits": 3.0} for s, p in zip(NASA_LEVELS, NASA_P)]
    ax = plots.code_figure(rows, "adaptive", "adaptive-huffman").axes[0]
    assert not bars(ax)
    assert any(re.search("no code table", t.get_text()) for t in ax.texts)
