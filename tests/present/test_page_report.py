"""The report page's provenance, alphabet, excess split and experiments (codesim.present.page), and
`codesim report --converge --sweep`."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

import codesim
from codesim.cli import main
from codesim.present import page, report
from codesim.scenario import from_vectors
from codesim.version import version

from ..conftest import NASA_LEVELS, NASA_P, SCENARIOS

NASA = SCENARIOS / "nasa-temperature.toml"


class Text(HTMLParser):
    """The page's visible text, one string per text node, and its <h2> headings."""

    def __init__(self):
        super().__init__()
        self.text, self.headings, self._tag = [], [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag

    def handle_data(self, data):
        if data.strip():
            self.text.append(data.strip())
            if self._tag == "h2":
                self.headings.append(data.strip())


def read(text: str) -> Text:
    parser = Text()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def nasa_run():
    scenario = codesim.load(NASA).select_models(["matched", "uniform", "swapped"]).with_run(length=2000, trials=3,
                                                                                           seed=1)
    ms = codesim.simulate_many(scenario.source, scenario.models, ["fixed", "shannon", "huffman", "arithmetic",
                                                                   "adaptive-huffman"], length=2000, trials=3, seed=1)
    return scenario, ms


# -- provenance -----------------------------------------------------------------------------------------
def test_command_line_is_what_was_typed_quoted_for_a_shell():
    assert page.command_line(["/usr/local/bin/codesim", "report", "my scenario.toml", "-o", "r.html"]) == \
        "codesim report 'my scenario.toml' -o r.html"


@pytest.mark.parametrize("fmt", page.FORMATS)
def test_page_names_the_version_and_the_command(nasa_run, fmt):
    scenario, ms = nasa_run
    command = "codesim report scenarios/nasa-temperature.toml -n 2000 -o r.html"
    text = page.render(fmt, scenario, ms, [], report.summary(ms), command=command)
    assert f"Made by codesim {version()} with:" in text and command in text
    assert "with:" not in page.render(fmt, scenario, ms, [], [])  # no command given, none claimed
    assert "Scenario file: " in page.render(fmt, scenario, ms, [], [])


@pytest.mark.parametrize("fmt", page.FORMATS)
def test_a_page_of_data_given_as_options_says_so_and_names_no_scenario_file(fmt):
    scenario = from_vectors([0.5, 0.5], [[0.9, 0.1]])
    ms = codesim.simulate_many(scenario.source, scenario.models, ["huffman"], length=100, trials=2, seed=1)
    text = page.render(fmt, scenario, ms, [], report.summary(ms))
    assert "Data from the command line" in text and "--p/--q" in text and "Scenario file" not in text


# -- the alphabet ---------------------------------------------------------------------------------------
def test_alphabet_table_lists_every_symbol_with_p_and_each_q(nasa_run):
    scenario, ms = nasa_run
    columns, rows, _ = page.alphabet_table(scenario, ["uniform", "swapped"])
    assert columns == ["symbol", "p", "q: uniform", "q: swapped"]
    assert [row[0] for row in rows] == [str(x) for x in NASA_LEVELS]
    assert [float(row[1]) for row in rows] == pytest.approx(NASA_P)
    assert [float(row[2]) for row in rows] == [0.125] * 8
    text = read(page.render("html", scenario, ms, [], []))
    assert "The alphabet" in text.headings
    assert "q: uniform" in text.text and "q: matched" in text.text  # the models run, each a column


def test_a_large_alphabet_is_shortened_with_a_count_of_what_is_left_out():
    labels = [f"w{i}" for i in range(300)]
    scenario = from_vectors([1 / 300] * 300, [[1 / 300] * 300], labels)
    columns, rows, _ = page.alphabet_table(scenario, list(scenario.models))
    assert len(rows) == page.MAX_ALPHABET_ROWS
    assert rows[page.MAX_ALPHABET_ROWS - 4][0] == f"… {300 - page.MAX_ALPHABET_ROWS + 1} more symbols"
    shown = [row[0] for row in rows if not row[0].startswith("…")]
    assert shown[0] == "w0" and shown[-1] == "w299" and len(shown) == page.MAX_ALPHABET_ROWS - 1


# -- the excess of prefix codes -------------------------------------------------------------------------
NUMBER = r"(-?\d+\.\d+)"


def test_prefix_codes_excess_is_split_into_d_p_r_and_the_kraft_slack(nasa_run):
    scenario, ms = nasa_run
    split = page.excess_split(ms)
    assert set(split) == {"matched", "uniform", "swapped"}
    for m in ms:
        said = [s for s in split.get(m.model, []) if s.startswith(f"{m.scheme} with model '{m.model}'")]
        if m.scheme not in ("fixed", "shannon", "huffman"):
            assert not said  # a stream coder or a learner has no whole-bit lengths to split
            continue
        (sentence,) = said
        excess, measured, divergence, slack = map(float, re.findall(
            rf"{NUMBER} bits over H\(p\) expected \(measured {NUMBER}\), of which D\(p\|\|r\) = {NUMBER} .*"
            rf"log2\(1/c\) = {NUMBER}", sentence)[0])
        assert excess == pytest.approx(m.expected_bits_per_symbol - m.entropy_bits, abs=1e-4)
        assert measured == pytest.approx(m.excess_bits_per_symbol, abs=1e-4)
        assert divergence == pytest.approx(m.code_kl_bits, abs=1e-4)
        assert divergence + slack == pytest.approx(excess, abs=2e-4)
        assert ("the code is complete" in sentence) == (slack < 1e-4)
    # Shannon's lengths ceil(-log2 p) leave the matched code incomplete: c < 1.
    shannon = next(s for s in split["matched"] if s.startswith("shannon "))
    assert "from an incomplete code (Kraft sum c = 0." in shannon


def test_the_split_is_under_its_model_on_the_page(nasa_run):
    scenario, ms = nasa_run
    text = page.render("html", scenario, ms, [], report.summary(ms))
    for model, said in page.excess_split(ms).items():
        heading = text.index(f"<h3>Model &#x27;{model}&#x27;</h3>")
        following = text.find("<h3>", heading + 1)
        for sentence in said:
            at = text.index(page._e(sentence))
            assert heading < at and (following < 0 or at < following)


def test_no_split_for_a_source_with_memory():
    scenario = codesim.load(SCENARIOS / "weather-persistence.toml")
    ms = codesim.simulate_many(scenario.source, scenario.models, ["huffman"], length=500, trials=2, seed=1)
    assert page.excess_split(ms) == {}


# -- converge and sweep on the page ---------------------------------------------------------------------
def test_report_with_converge_and_sweep(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.html"
    args = ["report", str(NASA), "-n", 300, "--trials", 2, "--model", "uniform", "--scheme", "huffman",
            "--scheme", "arithmetic", "--converge", "--sweep", "-q", "-o", str(out)]
    monkeypatch.setattr("sys.argv", ["/somewhere/bin/codesim", *map(str, args)])
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    text = read(html)
    assert text.headings[-2:] == ["How the measurements converge", "Sweeping the models towards the source"]
    assert html.count('<img src="data:image/png;base64,') == 5  # bits, p and q, log2 p/q, converge, sweep
    assert f"codesim report {NASA} -n 300 --trials 2" in html  # the command as typed
    # converge's table: at the longest length (300), each scheme with its bits and D(p||q) = 0.6769.
    assert "bits/sym at 300" in text.text and text.text.count("0.6769") >= 2
    # sweep's table: t = 0 and t = 1 for each scheme; huffman at t = 0 is the uniform code's 3 bits.
    assert "excess at t = 1" in text.text and "t where below D(p||q_t)" in text.text
    plain = read(page.render("html", *_run_without_studies()))
    assert "How the measurements converge" not in plain.headings


def _run_without_studies():
    scenario = codesim.load(NASA).select_models(["uniform"])
    ms = codesim.simulate_many(scenario.source, scenario.models, ["huffman"], length=300, trials=2, seed=1)
    return scenario, ms, [], []


def test_studies_run_the_experiments_with_the_scenarios_settings():
    pytest.importorskip("matplotlib")
    scenario = codesim.load(NASA).select_models(["uniform"]).with_run(length=100, trials=2, seed=5)
    from codesim.coders import SchemeSpec

    scenario = scenario.with_run(schemes=(SchemeSpec.parse("huffman"),))
    converge, sweep = page.studies(scenario, converge=True, sweep=True)
    assert [row[:2] for row in converge.rows] == [["uniform", "huffman"]]
    assert converge.columns[2] == "bits/sym at 100"
    assert converge.figure[1].get_label() == converge.figure[0]
    assert [row[:2] for row in sweep.rows] == [["uniform", "huffman"]]
    assert sweep.rows[0][2] == "0.6769" and float(sweep.rows[0][3]) < 0.6769  # t = 0: uniform; t = 1: p itself
    assert "0, 0.1, 0.2" in sweep.sentences[0]
    assert page.studies(scenario) == []
