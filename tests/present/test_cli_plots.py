"""--plot on run, compare and inspect, and codesim report: figures as files, pages with their figures
embedded, and a clear refusal (before any work) when matplotlib is not installed."""

import json

import pytest
from click.testing import CliRunner

from codesim.present import plots
from codesim.cli import main
from codesim.errors import PlotUnavailable

from ..conftest import SCENARIOS
from ..hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")
PNG = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def no_matplotlib(monkeypatch):
    def missing():
        raise PlotUnavailable("plots need matplotlib: pip install 'codesim[plot]'")

    monkeypatch.setattr(plots, "require", missing)


@pytest.mark.parametrize("command", ["run", "compare"])
def test_plot_without_matplotlib_says_how_to_install_and_changes_nothing(tmp_path, no_matplotlib, command):
    out = tmp_path / "fig.png"
    r = invoke(command, NASA, "-n", 1000, "--scheme", "huffman", "--plot", out)
    assert_one_line_error(r, 1, "pip install 'codesim[plot]'")
    assert r.stdout == "" and not out.exists()


def test_report_without_matplotlib_writes_nothing(tmp_path, no_matplotlib):
    out = tmp_path / "r.html"
    assert_one_line_error(invoke("report", NASA, "-n", 1000, "-o", out), 1, "pip install 'codesim[plot]'")
    assert not out.exists()


def test_run_plot_writes_the_results_and_the_distributions(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fig.png"
    r = invoke("run", NASA, "-n", 2000, "--trials", 2, "--scheme", "huffman", "--plot", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(PNG)
    assert (tmp_path / "fig-distributions.png").read_bytes().startswith(PNG)
    assert (tmp_path / "fig-likelihood-ratio.png").read_bytes().startswith(PNG)


def test_compare_plot_as_svg(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "fig.svg"
    r = invoke("compare", "--p", "1,0", "--q", "0.3,0.7", "-n", 2000, "--trials", 2, "--scheme", "huffman",
               "--scheme", "arithmetic", "--plot", out)
    assert r.exit_code == 0, r.output
    assert "<svg" in out.read_text()


def test_plot_to_an_unknown_format_is_refused(tmp_path):
    assert_one_line_error(invoke("run", NASA, "-n", 100, "--plot", tmp_path / "fig.pdf"), 1, ".pdf")


def test_inspect_plot_draws_the_code(tmp_path):
    pytest.importorskip("matplotlib")
    packed, fig = tmp_path / "s.csim", tmp_path / "code.png"
    assert invoke("encode", NASA, "--model", "swapped", "-n", 100, "-o", packed).exit_code == 0
    r = invoke("inspect", packed, "--plot", fig)
    assert r.exit_code == 0 and fig.read_bytes().startswith(PNG)


@pytest.mark.parametrize("name, marker", [("r.html", '<img src="data:image/png;base64,'),
                                          ("r.md", "](data:image/png;base64,"),
                                          ("r.MD", "](data:image/png;base64,")])
def test_report_writes_one_page_with_figures_and_refuses_to_overwrite(tmp_path, name, marker):
    pytest.importorskip("matplotlib")
    out = tmp_path / name
    r = invoke("report", NASA, "-n", 2000, "--trials", 2, "--model", "uniform", "--model", "swapped", "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert text.count(marker) == 3 and "NASA planet temperatures" in text  # bits, p and q, log2 p/q
    assert "Model 'uniform' costs D(p||q) = 0.677" in text.replace("&#x27;", "'").replace("&#39;", "'")
    assert_one_line_error(invoke("report", NASA, "-n", 100, "-o", out), 1, "already exists; use --force")



def test_converge_table_json_and_plot(tmp_path):
    args = ["converge", NASA, "--model", "uniform", "--scheme", "arithmetic", "--lengths", "10,100,1000",
            "--trials", 3, "--quiet"]
    r = invoke(*args, "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [p["length"] for p in doc["points"]] == [10, 100, 1000]
    assert doc["length"] == 1000  # the streams drawn, not the scenario's 100000
    assert all(p["verified"] for p in doc["points"])
    assert "mean log2 p/q" in invoke(*args).stdout
    pytest.importorskip("matplotlib")
    fig = tmp_path / "c.svg"
    assert invoke(*args, "--plot", fig).exit_code == 0 and "<svg" in fig.read_text()


def test_sweep_mix_and_param_and_their_errors(tmp_path):
    r = invoke("sweep", NASA, "--model", "uniform", "--mix", "0:1:3", "--scheme", "arithmetic", "-n", 2000,
               "--trials", 2, "--format", "json", "--quiet")
    assert r.exit_code == 0, r.output
    points = json.loads(r.stdout)["points"]
    assert [p["t"] for p in points] == [0.0, 0.5, 1.0]
    assert points[0]["kl_bits"] > points[1]["kl_bits"] > points[2]["kl_bits"] == 0.0
    r = invoke("sweep", NASA, "--model", "matched", "--param", "k=1,2", "--scheme", "block-huffman", "-n", 1000,
               "--trials", 2, "--format", "csv", "--quiet")
    assert r.exit_code == 0 and r.stdout.count("block-huffman:k=") == 2
    assert_one_line_error(invoke("sweep", NASA), 2, "give --mix, --param or both")
    assert_one_line_error(invoke("sweep", NASA, "--mix", "0:2:3"), 2, "'--mix'")
    assert_one_line_error(invoke("sweep", NASA, "--param", "kk=1", "--scheme", "huffman"), 1, "kk")


def test_sweep_on_two_processes_equals_one():
    args = ["sweep", NASA, "--model", "uniform", "--mix", "0:1:3", "--scheme", "huffman", "-n", 3000,
            "--trials", 2, "--format", "json", "--quiet"]
    assert json.loads(invoke(*args, "-j", 1).stdout) == json.loads(invoke(*args, "-j", 2).stdout)
