"""Figures (codesim.present.plots) and the self-contained report page (codesim.present.page).

matplotlib is optional: the tests that draw skip without it; those that check what happens without it
block its import, so they run either way.
"""

from __future__ import annotations

import base64
import math
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from html.parser import HTMLParser

import pytest

import codesim
from codesim.present import page, plots, report
from codesim.coders import build
from codesim.errors import CodesimError, PlotUnavailable
from codesim.scenario import parse

from ..conftest import NASA_LEVELS, NASA_P, SCENARIOS

# A figure that makes matplotlib warn (an empty legend, a bad tick setting) is a bug here.
pytestmark = pytest.mark.filterwarnings("error")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


# -- stand-ins for codesim.simulation.experiments' points: the figures only read these attributes -------------------
@dataclass
class ConvergencePoint:
    model: str | None
    scheme: str
    length: int
    trials: int
    bits_per_symbol: float
    bits_ci95: tuple[float, float] | None
    llr_bits: float | None
    llr_ci95: tuple[float, float] | None
    entropy_bits: float
    cross_entropy_bits: float | None
    kl_bits: float | None
    verified: bool = True


@dataclass
class SweepPoint:
    model: str | None
    t: float | None
    scheme: str
    params: dict
    bits_per_symbol: float
    ci95: tuple[float, float] | None
    excess_bits_per_symbol: float
    kl_bits: float | None
    cross_entropy_bits: float | None
    code_kl_bits: float | None
    entropy_bits: float
    verified: bool = True


def convergence_points() -> list[ConvergencePoint]:
    """Two models, two schemes, lengths 10^2..10^4; the 'ruled-out' model has D(p||q) = inf."""
    h = 2.3231
    out = []
    for model, kl in (("swapped", 0.0834), ("ruled-out", math.inf)):
        for n in (100, 1000, 10000):
            spread = 1 / math.sqrt(n)
            llr = kl + spread if math.isfinite(kl) else math.inf
            llr_ci = (llr - spread, llr + spread) if math.isfinite(llr) else None
            for scheme, loss in (("huffman", 0.06), ("arithmetic", 0.0)):
                bits = h + (kl if math.isfinite(kl) else 0.5) + loss + spread
                ci = None if n == 100 else (bits - spread, bits + spread)  # one trial: no interval
                out.append(ConvergencePoint(model, scheme, n, 1 if n == 100 else 5, bits, ci, llr, llr_ci,
                                            h, h + kl, kl))
    return out


def sweep_points() -> list[SweepPoint]:
    """q_t between p and uniform: D(p||q_t) smooth, huffman in steps, and below D at t = 0.5."""
    h = 2.3231
    out = []
    for i in range(5):
        t = i / 4
        kl = 0.677 * t * t
        for scheme, code_kl in (("huffman", 0.05 if t < 0.6 else 0.677), ("arithmetic", kl)):
            excess = code_kl
            bits = h + excess
            out.append(SweepPoint("uniform", t, scheme, {}, bits, (bits - 0.01, bits + 0.01), excess, kl, h + kl,
                                  code_kl, h))
    return out


# -- fixtures -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nasa_run():
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml").select_models(["matched", "uniform", "swapped"])
    scenario = scenario.with_run(length=2000, trials=3, seed=1)
    ms = codesim.simulate_many(scenario.source, scenario.models, scenario.run.schemes,
                               length=2000, trials=3, seed=1)
    return scenario, ms


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# -- without matplotlib ---------------------------------------------------------------------------------
def test_modules_import_without_matplotlib():
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "import codesim.present.plots, codesim.present.page\n"
            "assert not any(m.startswith('matplotlib') and sys.modules[m] is not None for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_require_without_matplotlib_says_how_to_install(monkeypatch, nasa_run):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    with pytest.raises(PlotUnavailable, match=re.escape("pip install 'codesim[plot]'")) as info:
        plots.require()
    assert str(info.value) == "plots need matplotlib: pip install 'codesim[plot]'"
    assert isinstance(info.value, CodesimError)
    scenario, ms = nasa_run
    with pytest.raises(PlotUnavailable):
        page.figures_for(scenario, ms)
    with pytest.raises(PlotUnavailable):
        plots.run_figure(ms, "title")
    # The page itself needs no matplotlib: without figures it still has the table and the words.
    text = page.render("html", scenario, ms, [], report.summary(ms))
    assert "<table>" in text and "<img" not in text


# -- files ----------------------------------------------------------------------------------------------
def test_save_png_and_svg(mpl, nasa_run, tmp_path):
    scenario, ms = nasa_run
    fig = plots.run_figure(ms, "Saved & <checked>")
    plots.save(fig, tmp_path / "run.png")
    data = (tmp_path / "run.png").read_bytes()
    width, height = png_size(data)
    assert 600 <= width <= 3000 and 300 <= height <= 2000
    import matplotlib.image

    assert matplotlib.image.imread(str(tmp_path / "run.png")).shape[:2] == (height, width)

    fig = plots.run_figure(ms, "Saved & <checked>")
    plots.save(fig, tmp_path / "run.svg")
    root = ET.parse(tmp_path / "run.svg").getroot()
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == "Saved & <checked>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.png", "run.svg"]  # no temporary left


def test_save_replaces_only_when_forced_and_refuses_other_extensions(mpl, nasa_run, tmp_path):
    scenario, ms = nasa_run
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    with pytest.raises(CodesimError, match="already exists; use --force"):
        plots.save(plots.run_figure(ms, "t"), target)
    assert target.read_bytes() == b"old"
    plots.save(plots.run_figure(ms, "t"), target, force=True)
    assert target.read_bytes()[:8] == PNG_SIGNATURE
    with pytest.raises(CodesimError, match=r"'\.pdf'.*\.png or \.svg"):
        plots.save(plots.run_figure(ms, "t"), tmp_path / "fig.pdf")
    with pytest.raises(CodesimError, match="no extension"):
        plots.save(plots.run_figure(ms, "t"), tmp_path / "fig")
    assert not (tmp_path / "fig.pdf").exists()


def test_svg_is_reproducible(mpl, nasa_run):
    scenario, ms = nasa_run
    assert plots.render(plots.run_figure(ms, "t"), "svg") == plots.render(plots.run_figure(ms, "t"), "svg")


# -- figures --------------------------------------------------------------------------------------------
def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def check_files(fig, title: str, tmp_path) -> None:
    """The figure saves to a PNG of sane size and to an SVG whose <title> is the figure's title."""
    plots.save(fig, tmp_path / "f.png")
    width, height = png_size((tmp_path / "f.png").read_bytes())
    assert 600 <= width <= 3000 and 300 <= height <= 3000
    plots.save(fig, tmp_path / "f.svg")
    assert ET.parse(tmp_path / "f.svg").getroot().find(SVG + "title").text == title


def test_run_figure(mpl, nasa_run, tmp_path):
    scenario, ms = nasa_run
    fig = plots.run_figure(ms, "NASA run")
    ax = fig.axes[0]
    assert ax.get_title() == "NASA run"
    assert ax.get_ylabel() == "bits per symbol"
    assert ax.get_xlabel().startswith("model q")
    names = legend_texts(ax)
    assert {"fixed", "shannon", "huffman", "H(p,q) of the model"} <= set(names)
    assert any(n.startswith("H(p) = 2.323") for n in names)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[1] == "uniform\nD(p||q) = 0.677"
    # The axis shows H(p) and every bar with its interval.
    bottom, top = ax.get_ylim()
    assert bottom < ms[0].entropy_bits and top > max(m.ci95[1] for m in ms)
    check_files(fig, "NASA run", tmp_path)


def test_run_figure_with_infinite_divergence_and_one_trial(mpl):
    scenario = codesim.load(SCENARIOS / "learned-model.toml").select_models(["ml_20", "ml_1000"])
    ms = codesim.simulate_many(scenario.source, scenario.models, ["huffman"], length=500, trials=1, seed=2)
    assert math.isinf(ms[0].kl_bits) and ms[0].ci95 is None
    fig = plots.run_figure(ms, "learned")
    ax = fig.axes[0]
    assert "H(p,q) = ∞" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_xticklabels()][0].endswith("D(p||q) = ∞")
    fig = plots.distributions_figure(scenario.source, scenario.models, "learned q")
    assert "q = 0 where p > 0" in legend_texts(fig.axes[0])


def test_distributions_figure(mpl, nasa_run, tmp_path):
    scenario, _ = nasa_run
    fig = plots.distributions_figure(scenario.source, scenario.models, "p and q")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("p and q", "symbol", "probability")
    assert legend_texts(ax) == ["p (source)", "q: matched", "q: uniform", "q: swapped"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(x) for x in NASA_LEVELS]
    check_files(fig, "p and q", tmp_path)


def test_distributions_figure_big_alphabet_thins_ticks_and_shows_odd_labels(mpl):
    labels = [" ", "\n", "$", "a$b$"] + [f"w{i}" for i in range(96)]
    p = codesim.Distribution.from_counts(list(range(1, 101)), alphabet=labels)
    fig = plots.distributions_figure(p, {"uniform": codesim.Distribution.uniform(labels)}, "Cost in $ and $")
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) <= plots.MAX_TICKS and ticks[0] == "␣"
    assert "1 label in 5 shown; 100 symbols" in ax.get_xlabel()
    assert ax.get_title() == r"Cost in \$ and \$"  # shown literally, not as mathematics
    plots.render(fig, "png")  # a '$' pair in a label must not break the rendering


def test_converge_figure(mpl, tmp_path):
    fig = plots.converge_figure(convergence_points(), "Convergence")
    assert fig.get_label() == "Convergence" and "Convergence" in [t.get_text() for t in fig.texts]
    assert len(fig.axes) == 4  # two models, two panels each
    bits, llr = fig.axes[0], fig.axes[1]
    assert bits.get_title() == "model 'swapped': measured bits per symbol"
    assert bits.get_ylabel() == "bits per symbol" and bits.get_xscale() == "log"
    assert set(legend_texts(bits)) >= {"huffman", "arithmetic", "H(p,q) = 2.407", "H(p) = 2.323"}
    assert llr.get_title() == "model 'swapped': sample divergence"
    assert legend_texts(llr) == ["mean log2 p(x)/q(x)", "D(p||q) = 0.083"]
    assert fig.axes[2].get_xlabel() == "stream length (symbols, log scale)"
    assert "D(p||q) = ∞: q rules out a symbol p emits" in [t.get_text() for t in fig.axes[3].texts]
    check_files(fig, "Convergence", tmp_path)


def test_sweep_figure(mpl, tmp_path):
    fig = plots.sweep_figure(sweep_points(), "Sweep", xlabel="t: weight of the uniform model")
    ax = fig.axes[0]
    assert ax.get_title() == "model 'uniform'"
    assert ax.get_xlabel() == "t: weight of the uniform model"
    assert "excess bits per symbol" in ax.get_ylabel()
    names = legend_texts(ax)
    assert names[:3] == ["huffman", "arithmetic", "D(p||q_t) = H(p,q_t) - H(p)"]
    assert plots.DIP_LABEL in names
    # Ringed: huffman where its D(p||r) = 0.05 is below D(p||q_t) = 0.677 t^2, at t = 0.5 only (at
    # t = 0.25, D(p||q_t) = 0.042 is lower; from t = 0.75 on, huffman's D(p||r) is 0.677).
    ringed = next(c for c in ax.collections if c.get_label() == plots.DIP_LABEL)
    assert sorted(x for x, _ in ringed.get_offsets().tolist()) == [0.5]
    check_files(fig, "Sweep", tmp_path)


def test_sweep_figure_of_parameters_at_one_t(mpl):
    """A parameter sweep without a mix: the variants side by side, one series per scheme."""
    h = 2.3231
    points = [SweepPoint("swapped", 0.0, f"rans:precision={bits}", {"precision": bits}, h + 0.09, None,
                         0.09 + 2.0 ** -bits, 0.0834, h + 0.0834, 0.0834 + 2.0 ** -bits, h)
              for bits in (4, 8, 12)]
    points.append(SweepPoint("swapped", 0.0, "huffman", {}, h + 0.05, None, 0.05, 0.0834, h + 0.0834, 0.05, h))
    fig = plots.sweep_figure(points, "Precision")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "scheme and parameters"
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "rans:precision=4", "rans:precision=8", "rans:precision=12", "huffman"]
    # huffman's 0.05 is below D(p||q) = 0.083, but one trial gives no interval: the noise is unknown, no ring.
    assert legend_texts(ax) == ["rans", "huffman", "D(p||q) = 0.083"]


def test_figures_of_the_experiments_module(mpl):
    """The real ConvergencePoint and SweepPoint draw (the stand-ins above only mirror them)."""
    experiments = pytest.importorskip("codesim.simulation.experiments")
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml").select_models(["swapped"])
    points = experiments.converge(scenario, [10, 100, 1000], schemes=["huffman", "arithmetic"], trials=2, seed=1)
    fig = plots.converge_figure(points, "converge")
    assert "code's expected bits/sym" in legend_texts(fig.axes[0])  # huffman tends to its own E_p[l]
    points = experiments.sweep(scenario, mix=[0.0, 0.5, 1.0], schemes=["huffman", "arithmetic"], length=1000,
                               trials=2, seed=1)
    fig = plots.sweep_figure(points, "sweep")
    assert fig.axes[0].get_xlabel() == plots.SWEEP_XLABEL


def learner_convergence_points() -> list[ConvergencePoint]:
    """Two schemes that learn, lengths 10^2..10^4: no model, so no log2 p/q, H(p,q) or D(p||q)."""
    h = 2.3231
    return [ConvergencePoint(None, scheme, n, 5, h + (k + 1) * 3 / math.sqrt(n), (h, h + 6 / math.sqrt(n)),
                             None, None, h, None, None)
            for k, scheme in enumerate(("adaptive-arithmetic", "adaptive-huffman")) for n in (100, 1000, 10000)]


def line_colours(ax) -> dict[str, tuple]:
    """The colour of each labelled line of a panel, by its label."""
    return {line.get_label(): mpl_colour(line.get_color()) for line in ax.get_lines()
            if not line.get_label().startswith("_")}


def mpl_colour(colour) -> tuple:
    from matplotlib.colors import to_rgba

    return to_rgba(colour)


def test_converge_figure_gives_learners_a_row_of_their_own(mpl, tmp_path):
    """Points without a model are drawn once, in a last row of their own, against H(p) only; the right
    panel's place says why it is empty; each scheme keeps one colour, and no learner shares a model
    scheme's."""
    fig = plots.converge_figure(convergence_points() + learner_convergence_points(), "Convergence")
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 6 and len(visible) == 5  # two models x two panels, the learners' bits panel
    learners, empty = fig.axes[4], fig.axes[5]
    assert learners.get_title() == f"{plots.LEARNERS_TITLE}: measured bits per symbol"
    assert legend_texts(learners) == ["adaptive-arithmetic", "adaptive-huffman", "H(p) = 2.323"]
    assert not any("H(p,q)" in t or "expected" in t for t in legend_texts(learners))
    assert "no model" in " ".join(t.get_text() for t in empty.texts)
    assert learners.get_xlabel() == fig.axes[3].get_xlabel() == "stream length (symbols, log scale)"
    assert [t.get_text() for t in fig.axes[3].get_xticklabels() if t.get_text()]  # the right column ends here
    swapped, ruled_out = line_colours(fig.axes[0]), line_colours(fig.axes[2])
    assert swapped["huffman"] == ruled_out["huffman"] and swapped["arithmetic"] == ruled_out["arithmetic"]
    taken = {swapped["huffman"], swapped["arithmetic"], *line_colours(fig.axes[1]).values()}
    learned = line_colours(learners)
    assert len({learned["adaptive-arithmetic"], learned["adaptive-huffman"]} - taken) == 2
    check_files(fig, "Convergence", tmp_path)
    alone = plots.converge_figure(learner_convergence_points(), "learners")
    assert [ax.get_title() for ax in alone.axes if ax.axison] == [f"{plots.LEARNERS_TITLE}: measured bits per symbol"]


def learner_sweep_points(names=("adaptive-arithmetic", "adaptive-huffman")) -> list[SweepPoint]:
    h = 2.3231
    return [SweepPoint(None, None, name, {}, h + 0.01 * (k + 1), (h + 0.01 * k, h + 0.01 * (k + 2)), 0.01 * (k + 1),
                       None, None, None, h) for k, name in enumerate(names)]


def test_sweep_figure_draws_learners_as_flat_lines_in_every_panel(mpl, tmp_path):
    """Against t, a point without a model is a horizontal line at its excess, with its band, in each
    model's panel, listed after the schemes of the model and before the references."""
    points = sweep_points() + [replace(p, model="swapped") for p in sweep_points()] + learner_sweep_points()
    fig = plots.sweep_figure(points, "Sweep")
    assert [ax.get_title() for ax in fig.axes] == ["model 'uniform'", "model 'swapped'"]
    for ax in fig.axes:
        learned = [f"adaptive-arithmetic {plots.LEARNS}", f"adaptive-huffman {plots.LEARNS}"]
        assert legend_texts(ax)[:5] == ["huffman", "arithmetic", *learned, "D(p||q_t) = H(p,q_t) - H(p)"]
        flat = {line.get_label(): line.get_ydata() for line in ax.get_lines() if line.get_label() in learned}
        assert {k: tuple(v) for k, v in flat.items()} == {learned[0]: (0.01, 0.01), learned[1]: (0.02, 0.02)}
        colours = {line_colours(ax)[name] for name in ("huffman", "arithmetic", *learned)}
        assert len(colours) == 4
        ringed = next(c for c in ax.collections if c.get_label() == plots.DIP_LABEL)
        assert mpl_colour(ringed.get_edgecolor()[0]) not in colours  # a ring is no scheme's
    check_files(fig, "Sweep", tmp_path)


def test_sweep_figure_at_one_t_puts_learners_after_the_models_variants(mpl):
    h = 2.3231
    points = [SweepPoint("swapped", 0.0, f"block-huffman:k={k}", {"k": k}, h + 0.05, None, 0.05, 0.0834, h + 0.0834,
                         0.05, h) for k in (1, 2)]
    learners = learner_sweep_points(("adaptive-arithmetic:alpha=0.5", "adaptive-arithmetic:alpha=1"))
    ax = plots.sweep_figure(points + learners, "k and alpha").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "block-huffman:k=1", "block-huffman:k=2", "adaptive-arithmetic:alpha=0.5", "adaptive-arithmetic:alpha=1"]
    assert legend_texts(ax)[:3] == ["block-huffman", f"adaptive-arithmetic {plots.LEARNS}", "D(p||q) = 0.083"]
    # Learners alone: one panel of their own, side by side.
    fig = plots.sweep_figure(learners, "alpha")
    assert [a.get_title() for a in fig.axes] == [plots.LEARNERS_TITLE]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [p.scheme for p in learners]
    assert legend_texts(fig.axes[0]) == ["adaptive-arithmetic"]


def test_figures_of_experiments_with_learners(mpl, tmp_path):
    """The real points of converge and sweep with schemes that learn draw and save."""
    experiments = pytest.importorskip("codesim.simulation.experiments")
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml").select_models(["uniform", "swapped"])
    schemes = ["huffman", "adaptive-arithmetic", "adaptive-huffman"]
    points = experiments.converge(scenario, [10, 100, 1000], schemes=schemes, trials=2, seed=1)
    fig = plots.converge_figure(points, "converge")
    assert fig.axes[4].get_title().startswith(plots.LEARNERS_TITLE)
    (tmp_path / "converge").mkdir()
    check_files(fig, "converge", tmp_path / "converge")
    points = experiments.sweep(scenario, mix=[0.0, 0.5, 1.0], schemes=schemes, length=1000, trials=2, seed=1)
    fig = plots.sweep_figure(points, "sweep")
    assert f"adaptive-huffman {plots.LEARNS}" in legend_texts(fig.axes[1])
    (tmp_path / "sweep").mkdir()
    check_files(fig, "sweep", tmp_path / "sweep")


@pytest.mark.parametrize("scheme", ["huffman", "rans"])
def test_code_figure(mpl, scheme, tmp_path):
    q = codesim.Distribution.from_probs([0.40, 0.30, 0.02, 0.07, 0.06, 0.05, 0.05, 0.05], alphabet=NASA_LEVELS)
    rows = build(scheme, q).table_rows(NASA_LEVELS, q.probs, NASA_P)
    fig = plots.code_figure(rows, f"The {scheme} code")
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_ylabel()) == (f"The {scheme} code", "bits")
    names = legend_texts(ax)
    assert names[0] == ("codeword length l(x)" if scheme == "huffman" else "cost -log2 f(x)/2^P")
    assert names[1:] == ["-log2 q(x): ideal for the model", "-log2 p(x): ideal for the source"]
    check_files(fig, f"The {scheme} code", tmp_path)


def test_code_figure_of_an_inspected_file(mpl, tmp_path):
    """The rows of ``codesim inspect``'s document, read back from a .csim file."""
    from codesim.files import container
    from codesim.files.inspection import inspect_file

    q = codesim.Distribution.uniform(NASA_LEVELS)
    code = build("arithmetic", q)
    stream = codesim.Distribution.from_probs(NASA_P).sample(200, 1)
    path = tmp_path / "s.csim"
    path.write_bytes(container.dumps(code, code.encode(stream), stream.size, NASA_LEVELS, model=q, source=NASA_P))
    doc, error = inspect_file(str(path))
    assert error is None
    ax = plots.code_figure(doc["table"], "inspected").axes[0]
    assert legend_texts(ax)[0] == "cost -log2 f(x)/2^P"
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(x) for x in NASA_LEVELS]


def test_code_figure_of_a_file_without_a_model_shows_no_model(mpl):
    """A scheme that learns stores no q: its table's ideal length is no model's, and is not drawn as one."""
    code = build("adaptive-huffman", NASA_P)
    rows = code.table_rows(NASA_LEVELS, None, NASA_P)
    assert all("q" not in r for r in rows)
    names = legend_texts(plots.code_figure(rows, "learned").axes[0])
    assert names == ["-log2 p(x): ideal for the source"]


def test_code_figure_marks_symbols_the_model_rules_out(mpl):
    q = codesim.Distribution.from_probs([0.5, 0.5, 0.0], alphabet=["a", "b", "c"])
    rows = build("huffman", q).table_rows(["a", "b", "c"], q.probs, None)
    assert math.isinf(rows[2]["ideal_bits"])
    assert "-log2 q(x) = ∞ (q = 0)" in legend_texts(plots.code_figure(rows, "zero").axes[0])


def test_empty_inputs_are_refused(mpl):
    for draw in (plots.run_figure, plots.converge_figure, plots.sweep_figure, plots.code_figure):
        with pytest.raises(CodesimError, match="no "):
            draw([], "empty")


# -- the page -------------------------------------------------------------------------------------------
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source", "wbr"}


class PageChecker(HTMLParser):
    """Checks that every element opened is closed in order, and collects images and text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.images: list[dict] = []
        self.text: list[str] = []
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.sources += [v for k, v in attrs.items() if k in ("src", "href")]
        if tag == "img":
            self.images.append(attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        assert tag in VOID, f"<{tag} /> is not a void element"
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_page(text: str) -> PageChecker:
    checker = PageChecker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    return checker


def test_html_page(mpl, nasa_run):
    scenario, ms = nasa_run
    figures = page.figures_for(scenario, ms)
    assert [t for t, _ in figures] == ["NASA planet temperatures: measured bits per symbol",
                                       "NASA planet temperatures: source p and models q",
                                       "NASA planet temperatures: the likelihood ratio log2 p(x)/q(x)"]
    sentences = report.summary(ms)
    text = page.render("html", scenario, ms, figures, sentences)
    assert text.startswith("<!DOCTYPE html>\n")
    assert '<meta charset="utf-8" />' in text and "<title>NASA planet temperatures</title>" in text
    ET.fromstring(text.split("\n", 1)[1])  # the markup is XML-clean too
    checker = check_page(text)
    assert len(checker.images) == len(figures)
    assert [img["alt"] for img in checker.images] == [t for t, _ in figures]
    for img in checker.images:
        assert img["src"].startswith("data:image/png;base64,")
        png_size(base64.b64decode(img["src"].split(",", 1)[1]))
    # Nothing is fetched from anywhere: no scripts, stylesheets or remote addresses.
    assert all(s.startswith("data:") for s in checker.sources)
    assert not {"script", "link", "iframe"} & set(checker.tags)
    words = " ".join(" ".join(checker.text).split())
    for model in ("matched", "uniform", "swapped"):
        sentence = next(s for s in sentences if s.startswith(f"Model '{model}'"))
        assert sentence in words
        assert f"Model '{model}'" in checker.text  # the model's own heading
    assert "A probe reports a planet's temperature" in words
    assert "2000 symbols drawn from p per stream" in words  # what was run, not the file's 100000
    for cell in ("2.3231", "0.6769", "[3.0000, 3.0000]", "yes"):
        assert cell in checker.text


def test_html_page_escapes_and_shows_infinity():
    scenario = parse({"title": "Cats <b>&</b> 'dogs'", "description": "p < q & r",
                      "alphabet": ["a", "b"], "source": {"probs": [0.5, 0.5]},
                      "models": {"<zero>": {"probs": [1.0, 0.0]}}}, "inline")
    ms = codesim.simulate_many(scenario.source, scenario.models, ["huffman"], length=100, trials=1, seed=0)
    text = page.render("html", scenario, ms, [], report.summary(ms))
    checker = check_page(text)
    assert "<title>Cats &lt;b&gt;&amp;&lt;/b&gt; &#x27;dogs&#x27;</title>" in text
    assert "p < q & r" in checker.text
    assert "b" not in checker.tags
    assert "∞" in checker.text  # H(p,q) and D(p||q) of a model ruling out a symbol p emits
    assert "n/a (1 trial)" in checker.text
    assert any("Model '<zero>' gives probability 0" in t for t in checker.text)


def test_markdown_page(mpl, nasa_run):
    scenario, ms = nasa_run
    figures = page.figures_for(scenario, ms)
    sentences = report.summary(ms)
    text = page.render("markdown", scenario, ms, figures, sentences)
    assert text.startswith("# NASA planet temperatures\n")
    images = re.findall(r"!\[([^\]]*)\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", text)
    assert [alt for alt, _ in images] == [t for t, _ in figures]
    for _, data in images:
        png_size(base64.b64decode(data))
    assert "| model | scheme | bits/sym | 95% CI |" in text
    assert "| matched | huffman |" in text
    for model in ("matched", "uniform", "swapped"):
        assert f"### Model '{model}'" in text
        assert next(s for s in sentences if s.startswith(f"Model '{model}'")) in text
    assert "- **seed**: 1" in text


def test_page_words_gather_by_model():
    before, per_model, after = page._words(
        replace(codesim.load(SCENARIOS / "nasa-temperature.toml"),
                remarks=("Model 'uniform' is flat.", "Aside.", "Model 'not-run' was left out.")),
        [], ["H(p) = 1.", "Model 'swapped' costs.", "model 'uniform' too.", "Excess = ...", "WARNING: x"])
    assert before == ["H(p) = 1.", "Aside."]
    assert per_model == {"uniform": ["model 'uniform' too.", "Model 'uniform' is flat."],
                         "swapped": ["Model 'swapped' costs."]}
    assert after == ["Excess = ...", "WARNING: x"]


def test_page_refuses_unknown_format(nasa_run):
    scenario, ms = nasa_run
    with pytest.raises(CodesimError, match="unknown page format 'pdf'"):
        page.render("pdf", scenario, ms, [], [])


def test_every_scheme_of_a_run_figure_has_a_colour_of_its_own_and_bars_stand_on_zero():
    from codesim import Distribution
    from codesim.coders import available
    from codesim.simulation.simulate import simulate_many

    p = Distribution.from_probs([0.5, 0.3, 0.2])
    found = simulate_many(p, {"p": p}, [s.name for s in available()], length=200, trials=2, seed=1)
    ax = plots.run_figure(found, "all schemes").axes[0]
    colours = {tuple(container.patches[0].get_facecolor()) for container in ax.containers
               if hasattr(container, "patches")}
    assert len(colours) == len(available()) > 10
    assert ax.get_ylim()[0] == 0.0


def test_a_page_of_schemes_that_learn_alone_still_shows_their_bits(mpl):
    scenario = codesim.load(SCENARIOS / "nasa-temperature.toml")
    ms = codesim.simulate_many(scenario.source, scenario.models, ["adaptive-huffman"], length=300, trials=2, seed=1)
    assert [m.model for m in ms] == [None]
    titles = [title for title, _ in page.figures_for(scenario, ms)]
    assert titles == [f"{scenario.title}: measured bits per symbol", f"{scenario.title}: source p and models q",
                      f"{scenario.title}: the likelihood ratio log2 p(x)/q(x)"]
