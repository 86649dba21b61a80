"""The codesim command: outputs in every format, options overriding the file, one-line errors."""

import json

import pytest
from click.testing import CliRunner

from codesim.cli import main

from .conftest import SCENARIOS
from .test_scenario import BAD, GOOD, write

NASA = str(SCENARIOS / "nasa-temperature.toml")


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(result, code=None, match=""):
    assert result.exit_code != 0 and (code is None or result.exit_code == code)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert match in lines[0]


def test_run_prints_a_table_and_says_what_the_uniform_model_costs():
    result = invoke("run", NASA, "-n", "20000", "--trials", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "bits/sym" in out and "D(p||r)" in out
    assert "H(p) = 2.3231 bits per symbol" in out
    assert "Model 'uniform' costs D(p||q) = 0.677 extra bits per symbol" in out
    assert "fixed +0.677" in out


def test_run_json_has_the_documented_fields_and_is_strict_json():
    result = invoke("run", NASA, "-n", "5000", "--trials", "2", "--model", "uniform", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}"))
    assert doc["scenario"]["title"] == "NASA planet temperatures"
    assert (doc["length"], doc["trials"], doc["seed"]) == (5000, 2, 1948)
    assert [r["model"] for r in doc["results"]] == ["uniform"] * 3
    fields = {"model", "scheme", "bits_per_symbol", "ci95", "expected_bits_per_symbol", "ideal_bits_per_symbol",
              "entropy_bits", "cross_entropy_bits", "kl_bits", "code_kl_bits", "excess_bits_per_symbol", "verified"}
    for r in doc["results"]:
        assert fields <= set(r) and r["verified"] is True
        assert r["bits_per_symbol"] == pytest.approx(3.0) and r["kl_bits"] == pytest.approx(0.6769, abs=1e-4)
        assert r["ci95"][0] <= r["bits_per_symbol"] <= r["ci95"][1]


def test_infinite_kl_is_written_as_null_with_a_note(tmp_path):
    path = write(tmp_path, GOOD.replace("[0.9, 0.1]", "[1.0, 0.0]"))
    result = invoke("run", str(path), "-n", "1000", "--trials", "2", "--scheme", "huffman", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    row = doc["results"][0]
    assert row["kl_bits"] is None and row["cross_entropy_bits"] is None
    assert row["bits_per_symbol"] == pytest.approx(1.0)
    assert any("kl_bits is inf" in n for n in doc["notes"])
    table = invoke("run", str(path), "-n", "1000", "--trials", "2", "--scheme", "huffman").stdout
    assert "D(p||q) = inf" in table and "measured bits stay finite" in table


def test_options_override_the_file_and_the_seed_repeats_a_run():
    args = ["run", NASA, "-n", "3000", "--trials", "2", "--seed", "5", "--scheme", "huffman", "--format", "csv"]
    a, b = invoke(*args), invoke(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout
    rows = a.stdout.strip().splitlines()
    assert rows[0].startswith("model,scheme,length,trials,bits_per_symbol")
    assert len(rows) == 1 + 5  # five models, one scheme
    assert all(",huffman,3000,2," in r for r in rows[1:])


def test_markdown_output_is_a_pipe_table():
    result = invoke("run", NASA, "-n", "2000", "--trials", "2", "--model", "matched", "--format", "markdown")
    assert result.exit_code == 0
    assert "| model | scheme | bits/sym |" in result.stdout and "|---|---|---:" in result.stdout


def test_without_a_seed_a_fresh_one_is_drawn_and_reported(tmp_path):
    path = write(tmp_path, GOOD)
    doc = json.loads(invoke("run", str(path), "-n", "100", "--trials", "2", "--format", "json").stdout)
    again = invoke("run", str(path), "-n", "100", "--trials", "2", "--seed", str(doc["seed"]), "--format", "json")
    assert json.loads(again.stdout)["results"] == doc["results"]


def test_length_accepts_scientific_notation():
    result = invoke("run", NASA, "-n", "1e3", "--trials", "2", "--model", "uniform", "--format", "json")
    assert json.loads(result.stdout)["length"] == 1000


def test_help_has_an_example():
    for args in (["--help"], ["run", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Example:" in result.stdout


@pytest.mark.parametrize("text, message", BAD, ids=[m for _, m in BAD])
def test_bad_scenarios_exit_1_with_one_line(tmp_path, text, message):
    path = write(tmp_path, text)
    result = invoke("run", str(path))
    assert_one_line_error(result, code=1, match=str(path))


@pytest.mark.parametrize(
    "args, match",
    [
        (["-n", "0"], "must be at least 1"),
        (["-n", "-3"], "must be at least 1"),
        (["-n", "lots"], "is not a number"),
        (["-n", "1e12"], "over the limit"),
        (["--trials", "0"], "must be at least 1"),
        (["--scheme", "hufman"], "did you mean 'huffman'"),
        (["--scheme", "huffman:k=2"], "has no parameter 'k'"),
        (["--model", "unifrom"], "did you mean 'uniform'"),
        (["--format", "xml"], "'xml' is not one of"),
        (["--seed", "-1"], "--seed"),
    ],
)
def test_bad_options_give_one_line(args, match):
    assert_one_line_error(invoke("run", NASA, *args), match=match)


def test_missing_directory_and_binary_scenario_files(tmp_path):
    assert_one_line_error(invoke("run", str(tmp_path / "nope.toml")), 1, "no such file")
    assert_one_line_error(invoke("run", str(tmp_path)), 1, "is a directory")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
    assert_one_line_error(invoke("run", str(tmp_path / "bin.toml")), 1, "not UTF-8")


def test_usage_errors_exit_2():
    assert_one_line_error(invoke("run"), 2, "Missing argument")
    assert_one_line_error(invoke("frobnicate"), 2, "No such command")


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "codesim", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Example:" in proc.stdout
