"""What the outputs say about sources with memory and about files: rates named as rates, the memory an
i.i.d. model loses, and a file's order-0 entropy H0 as no floor."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import asdict, dataclass, replace

import pytest

import codesim
from codesim.measures import entropy, kl_divergence
from codesim.present import page, plots, report, terms
from codesim.scenario import parse
from codesim.sources.iid import Distribution
from codesim.sources.markov import MarkovChain, cross_entropy_rate, kl_rate

from ..conftest import SCENARIOS
from .test_plots import ConvergencePoint, SweepPoint, legend_texts

pytestmark = pytest.mark.filterwarnings("error")

WEATHER = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])
IID_Q = Distribution.from_probs([0.5, 0.5], ["calm", "storm"])  # not the marginal (0.6, 0.4): D > 0
CHAIN_Q = MarkovChain.from_transitions([[0.7, 0.3], [0.3, 0.7]], ["calm", "storm"])
FIGURES = ("entropy_bits", "marginal_entropy_bits", "memory_bits", "cross_entropy_bits", "kl_bits", "model_order")


@pytest.fixture(scope="module")
def weather():
    """A run of a two-state chain: an i.i.d. model (huffman, arithmetic), a scheme that learns, and the
    true chain's figures on a row of its own (its kl_bits and cross-entropy are the chain's rates)."""
    ms = codesim.simulate_many(WEATHER, {"iid": IID_Q}, ["huffman", "arithmetic", "adaptive-arithmetic"],
                               length=20_000, trials=3, seed=4)
    chain = replace(ms[1], model="chain", model_order=1, cross_entropy_bits=cross_entropy_rate(WEATHER, CHAIN_Q),
                    kl_bits=kl_rate(WEATHER, CHAIN_Q), code_kl_bits=None, expected_bits_per_symbol=None)
    return [*ms[:2], chain, ms[2]]


@pytest.fixture(scope="module")
def weather_scenario():
    return parse({"title": "weather", "alphabet": ["calm", "storm"],
                  "source": {"markov": {"transitions": [[0.8, 0.2], [0.3, 0.7]]}},
                  "models": {"iid": {"probs": [0.5, 0.5]}},
                  "run": {"length": 20_000, "trials": 3, "seed": 4}}, "weather.toml")


@pytest.fixture(scope="module")
def on_a_file():
    """The package's cli.py coded as a file with an order-0 model and a scheme that learns; and a row
    of an order-2 model that spends less than H0 (its kl_bits None, as a file gives a model with memory)."""
    sc = codesim.load(SCENARIOS / "readme-vs-source.toml").select_models(["itself"])
    ms = codesim.simulate_many(sc.source, sc.models, ["arithmetic", "adaptive-arithmetic"],
                               length=sc.message.size, trials=1, seed=0, message=sc.message)
    h0 = ms[0].entropy_bits
    order2 = replace(ms[0], model="order2", model_order=2, cross_entropy_bits=h0 - 1.5, kl_bits=None,
                     bits_per_symbol=h0 - 1.4, excess_bits_per_symbol=-1.4, code_kl_bits=None,
                     expected_bits_per_symbol=None)
    return sc, ms, order2


def test_json_and_csv_records_carry_the_new_figures_as_measured(weather):
    """marginal_entropy_bits, memory_bits and model_order are in every record, equal to the Measurement's;
    every field a record had before keeps its name."""
    head = {"length": 20_000, "trials": 3, "seed": 4}
    doc = json.loads(report.render("json", head, weather))
    assert len(doc["results"]) == len(weather)
    for record, m in zip(doc["results"], weather):
        assert list(record) == list(report.FIELDS)
        for name in FIGURES:
            assert record[name] == getattr(m, name)
    rows = list(csv.DictReader(io.StringIO(report.render("csv", head, weather))))
    assert [float(r["memory_bits"]) for r in rows] == [m.memory_bits for m in weather]
    assert [r["model_order"] for r in rows] == ["0", "0", "1", ""]
    # The i.i.d. fields first, in their old order: a reader counting columns still finds them.
    assert report.FIELDS[:15] == ("model", "scheme", "length", "trials", "bits_per_symbol", "ci95",
                                  "expected_bits_per_symbol", "ideal_bits_per_symbol", "sample_kl_bits",
                                  "entropy_bits", "cross_entropy_bits", "kl_bits", "code_kl_bits",
                                  "excess_bits_per_symbol", "verified")


def test_the_figures_of_a_markov_run_are_its_rates(weather):
    m = weather[0]
    assert m.entropy_bits == pytest.approx(WEATHER.entropy_rate())
    assert m.marginal_entropy_bits == pytest.approx(entropy(WEATHER.marginal()))
    assert m.memory_bits == pytest.approx(m.marginal_entropy_bits - m.entropy_bits) and m.memory_bits > 0.1
    assert terms.of(weather) is terms.MEMORY


def test_words_for_a_source_with_memory(weather):
    """The entropy rate is the floor; the memory is said with H(X); an i.i.d. model's cost splits into the
    memory and D(marginal||q), the latter equal to kl_divergence on the chain's marginal; a chain model
    is said to cost its KL divergence rate."""
    said = report.summary(weather)
    text = "\n".join(said)
    m = weather[0]
    assert said[0] == f"Entropy rate H = {m.entropy_bits:.4f} bits per symbol: no code spends less on average."
    assert f"H(X) = {m.marginal_entropy_bits:.4f} bits" in said[1]
    assert f"memory = H(X) - H = {m.memory_bits:.4f} bits per symbol" in said[1]
    assert "dependence between successive symbols" in said[1]
    assert "H(p) =" not in text and "over H(p)" not in text

    d_marginal = kl_divergence(WEATHER.marginal(), IID_Q)
    assert m.kl_bits - m.memory_bits == pytest.approx(d_marginal, abs=1e-12)
    (line,) = [s for s in said if s.startswith("Model 'iid'")]
    memory, d, total = map(float, re.search(r"memory \+ D\(marginal\|\|q\) = ([\d.]+) \+ ([\d.]+) = ([\d.]+)",
                                            line).groups())
    assert memory == round(m.memory_bits, 3) and d == round(d_marginal, 3) and total == round(m.kl_bits, 3)
    assert "huffman +" in line and "arithmetic +" in line and "over the entropy rate" in line

    (line,) = [s for s in said if s.startswith("Model 'chain'")]
    assert f"KL divergence rate, D(p||q) rate = {kl_rate(WEATHER, CHAIN_Q):.3f}" in line and "(order 1)" in line
    assert any("no model, so" in s and "no model figures" in s and "over the entropy rate" in s for s in said)
    assert said[-1] == report.EXCESS_NOTES["memory"]


def test_tables_head_rates_as_rates_and_leave_the_iid_table_as_it_was(weather):
    head = {"length": 20_000, "trials": 3, "seed": 4}
    table = report.render("table", head, weather).splitlines()
    header = table[2].split()
    assert {"rate"} <= set(header) and "H(p)" not in header
    assert "H rate" in table[2] and "H(p,q) rate" in table[2] and "D(p||q) rate" in table[2]
    assert "D(p||r) rate" in table[2]
    markdown = report.render("markdown", head, weather)
    assert "| H rate |" in markdown
    compared = report.render_compare("table", head, weather)
    assert "Model 'iid': H rate = " in compared and "D(p||q) rate = " in compared
    assert "Entropy rate H = " in compared and "memory = H(X) - H" in compared

    iid = [replace(m, memory_bits=0.0, marginal_entropy_bits=m.entropy_bits) for m in weather]
    plain = report.render("table", head, iid).splitlines()
    assert plain[2].split()[6:9] == ["H(p)", "H(p,q)", "D(p||q)"] and "rate" not in plain[2]
    assert report.summary(iid)[0].startswith("H(p) = ") and "H(X)" not in "\n".join(report.summary(iid))
    assert report.named(report.COLUMNS, terms.IID) == report.COLUMNS


def test_headings_of_converge_and_sweep_follow_the_points():
    """Points that carry the source's memory are headed with rates (q_t keeps its subscript)."""
    assert [terms.MEMORY.heading(h) for h in ("H(p)", "H(p,q_t)", "D(p||q_t)", "D(p||r)", "excess")] == \
        ["H rate", "H(p,q_t) rate", "D(p||q_t) rate", "D(p||r) rate", "excess"]
    assert [terms.FILE.heading(h) for h in ("H(p)", "D(p||q)")] == ["H0", "D(p||q)"]
    assert terms.kind({"memory_bits": 1e-12, "marginal_entropy_bits": 1.0}) == "iid"  # rounding, not memory
    assert terms.kind(object()) == "iid"


def test_words_for_a_file(on_a_file):
    """A file's H0 is its order-0 entropy, never called a floor; a code spending less than it is explained,
    and only then; a model with memory (kl_bits None) is said by its ideal cost, without crashing."""
    sc, ms, order2 = on_a_file
    said = report.summary(ms)
    text = "\n".join(said)
    assert said[0] == (f"H0 = {ms[0].entropy_bits:.4f} bits per symbol: the file's order-0 entropy (its symbols' "
                       "frequencies); the file has no known entropy rate.")
    assert "no code spends less" not in text and "memory that order 0 does not see" not in text
    assert all(m.bits_per_symbol >= m.entropy_bits for m in ms)

    beaten = report.summary([*ms, order2])
    text = "\n".join(beaten)
    assert "no code spends less" not in text
    (why,) = [s for s in beaten if "memory that order 0 does not see" in s]
    assert why.startswith(f"arithmetic with order2 ({order2.bits_per_symbol:.3f}) spends less than H0")
    (line,) = [s for s in beaten if s.startswith("Model 'order2'")]
    assert "looks at 2 symbols of context" in line and f"H(p,q) = {order2.cross_entropy_bits:.3f}" in line
    head = report.header(sc)
    for fmt in report.FORMATS:
        out = report.render(fmt, head, [*ms, order2]) + report.render_compare(fmt, head, [*ms, order2])
        assert "no code spends less" not in out
    table = report.render("table", head, [*ms, order2])
    (columns,) = [line for line in table.splitlines() if line.startswith("model ")]
    assert " H0 " in columns and "H(p) " not in table


def test_page_glossary_and_words(weather, weather_scenario, on_a_file):
    """The page's table and glossary use the same headings as the table; the i.i.d. page keeps its own."""
    html = page.render("html", weather_scenario, weather, [], report.summary(weather))
    assert "<code>H rate</code>" in html and "entropy rate of the source" in html
    assert "the least any code averages per symbol" in html and "<code>H(p)</code>" not in html
    assert "D(p||q)<br />rate" in html
    md = page.render("markdown", weather_scenario, weather, [], report.summary(weather))
    assert "- `D(p||q) rate`: KL divergence rate" in md and "Entropy rate H = " in md
    sc, ms, order2 = on_a_file
    html = page.render("html", sc, [*ms, order2], [], report.summary([*ms, order2]))
    assert "<code>H0</code>" in html and "not a floor" in html and "no code spends less" not in html
    heads = [h for h, _ in page.column_notes(terms.IID)]
    assert heads == ["bits/sym", "95% CI", "expected", "H(p)", "H(p,q)", "D(p||q)", "excess", "D(p||r)", "verified"]


# -- figures ----------------------------------------------------------------------------------------------------
@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def test_run_figure_of_a_source_with_memory(mpl, weather):
    fig = plots.run_figure(weather, "weather")
    ax = fig.axes[0]
    names = legend_texts(ax)
    m = weather[0]
    assert f"entropy rate H = {m.entropy_bits:.3f}" in names and "cross-entropy rate of the model" in names
    assert any(n.startswith(f"H(X) = {m.marginal_entropy_bits:.3f}") for n in names)
    assert not any("H(p)" in n for n in names)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == f"iid\nD(p||q) rate\n= {m.kl_bits:.3f}"


def test_run_figure_of_a_file_names_h0_and_takes_models_without_kl(mpl, on_a_file):
    _, ms, order2 = on_a_file
    fig = plots.run_figure([*ms, order2], "file")
    ax = fig.axes[0]
    h0 = ms[0].entropy_bits
    assert f"H0 (order-0) = {h0:.3f}" in legend_texts(ax)
    (line,) = [x for x in ax.get_lines() if x.get_label().startswith("H0")]
    assert line.get_linestyle() == ":"  # not drawn as a floor
    assert "order2\norder 2" in [t.get_text() for t in ax.get_xticklabels()]


def test_distributions_figure_of_a_chain_shows_each_context(mpl):
    """A panel of the marginals, then one per context, the most probable first; an i.i.d. model's bars are
    the same after every context, p's are the chain's rows."""
    fig = plots.distributions_figure(WEATHER, {"iid": IID_Q, "chain": CHAIN_Q}, "weather")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in drawn] == ["one symbol (stationary marginals)",
                                                "next symbol after calm (context probability 0.600)",
                                                "next symbol after storm (context probability 0.400)"]
    for ax, row in zip(drawn[1:], WEATHER.rows):
        heights = [bar.get_height() for bar in ax.patches]
        assert heights[:2] == pytest.approx(row) and heights[2:4] == pytest.approx(IID_Q.probs)
    assert [bar.get_height() for bar in drawn[0].patches][:2] == pytest.approx([0.6, 0.4])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["p (source)", "q: iid", "q: chain"]
    file_like = plots.distributions_figure(Distribution.from_probs([0.6, 0.4], ["calm", "storm"]),
                                           {"chain": CHAIN_Q}, "file", file=True)
    assert len([ax for ax in file_like.axes if ax.axison]) == 1
    assert [t.get_text() for t in file_like.legends[0].get_texts()] == ["p (the file's frequencies)", "q: chain"]


@dataclass
class Point(ConvergencePoint):
    """A convergence point that carries its source's memory (the figures read only these attributes)."""

    memory_bits: float | None = None
    marginal_entropy_bits: float | None = None
    expected_bits_per_symbol: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def test_converge_figure_names_rates(mpl):
    h, hx = 0.7857, 0.9710
    points = [Point("iid", "arithmetic", n, 3, 1.0, None, 0.2, None, h, 1.0, 0.2143, memory_bits=hx - h,
                    marginal_entropy_bits=hx) for n in (10, 100)]
    fig = plots.converge_figure(points, "weather")
    left, right = fig.axes[:2]
    assert legend_texts(left)[-2:] == ["H(p,q) rate = 1.000", "entropy rate H = 0.786"]
    assert "D(p||q) rate = 0.214" in legend_texts(right)
    table = report.converge_points("table", {"trials": 3, "seed": 1}, points, "t")
    assert "H(p,q) rate" in table and report.CONVERGE_MEMORY_NOTE in table



@dataclass
class MemorySweepPoint(SweepPoint):
    """A sweep point that carries its source's memory."""

    memory_bits: float | None = None
    marginal_entropy_bits: float | None = None
    expected_bits_per_symbol: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def test_sweep_figure_and_table_name_rates(mpl):
    h, hx = 0.7857, 0.9710
    points = [MemorySweepPoint("fair-coin", t, "arithmetic", {}, h + 0.2 - 0.1 * t, None, 0.2 - 0.1 * t,
                               0.2 - 0.1 * t, h + 0.2 - 0.1 * t, 0.2 - 0.1 * t, h, memory_bits=hx - h,
                               marginal_entropy_bits=hx) for t in (0.0, 0.5, 1.0)]
    ax = plots.sweep_figure(points, "weather").axes[0]
    assert "D(p||q_t) rate = H(p,q_t) rate - H rate" in legend_texts(ax)
    assert ax.get_ylabel() == "excess bits per symbol\n(measured - H rate)"
    table = report.sweep_points("table", {"trials": 3, "seed": 1}, points, "t")
    assert "D(p||q_t) rate" in table and "H(p,q_t) rate" in table and report.SWEEP_MEMORY_NOTE in table
