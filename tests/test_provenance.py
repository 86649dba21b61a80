"""Every JSON and CSV output records which codesim made it and the seed its streams came from; that seed
repeats the bits; CHANGELOG.md's newest version is the package's."""

import csv
import io
import json
import re
import tomllib
from importlib import metadata

import pytest
from click.testing import CliRunner

import codesim
from codesim.cli import main
from codesim.present import report

from .conftest import ROOT, SCENARIOS

NASA = str(SCENARIOS / "nasa-temperature.toml")
RUN = ["--model", "uniform", "--scheme", "huffman", "--scheme", "arithmetic", "-n", "300", "--trials", "2", "-q"]


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def csim(tmp_path_factory):
    path = tmp_path_factory.mktemp("provenance") / "s.csim"
    invoke("encode", NASA, "--model", "uniform", "-n", "50", "--seed", "41", "-o", path)
    return path


#: Every command that writes JSON and CSV: its arguments, and the seed its output records (None: nothing
#: drawn). The seeds differ from the scenario's, so a seed taken from anywhere else would show.
COMMANDS = {
    "run": ([NASA, *RUN, "--seed", 11], 11),
    "compare": ([NASA, *RUN, "--seed", 12], 12),
    "converge": ([NASA, *RUN, "--lengths", "10,100", "--seed", 13], 13),
    "sweep": ([NASA, *RUN, "--mix", "0:1:2", "--seed", 14], 14),
    "bench": (["-n", "1000", "--scheme", "huffman", "--source", "nasa", "--no-peers", "--seed", 15], 15),
    "bench --sweep": (["--sweep", "-n", "1000", "-n", "2000", "--scheme", "huffman", "--source", "nasa",
                       "--no-peers", "--seed", 16], 16),
    "bench --pipeline": (["--pipeline", "-n", "1000", "--scheme", "huffman", "--source", "nasa", "--seed", 17], 17),
    "inspect": (["{csim}", "--symbols", "3"], 41),
    "schemes": ([], None),
}


def _args(command, csim):
    args, seed = COMMANDS[command]
    return [command.split()[0], *(csim if a == "{csim}" else a for a in args)], seed


def test_every_command_with_json_and_csv_is_covered():
    writing = {name for name, cmd in main.commands.items() if any(p.name == "fmt" for p in cmd.params)}
    assert {c.split()[0] for c in COMMANDS} == writing - {"sample", "decode", "report"}


def test_the_version_is_the_installed_distribution_s():
    assert codesim.__version__ == metadata.version("codesim") == codesim.version.version()
    assert codesim.__version__ in invoke("--version")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_json_records_the_version_and_the_seed_first(command, csim):
    args, seed = _args(command, csim)
    doc = json.loads(invoke(*args, "--format", "json"))
    assert list(doc)[:2] == ["codesim_version", "seed"]
    assert doc["codesim_version"] == codesim.__version__ and doc["seed"] == seed


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_csv_records_the_version_and_the_seed_in_its_last_columns(command, csim):
    args, seed = _args(command, csim)
    text = invoke(*args, "--format", "csv")
    header = next(csv.reader(io.StringIO(text)))
    assert header[-2:] == ["codesim_version", "seed"] and header.count("seed") == 1
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(r["codesim_version"] == codesim.__version__ for r in rows)
    assert all(r["seed"] == ("" if seed is None else str(seed)) for r in rows)


def test_a_stream_read_from_a_file_records_no_seed(tmp_path):
    symbols = tmp_path / "in.txt"
    symbols.write_text("100\n105\n105\n")
    invoke("encode", NASA, "--model", "uniform", "--input", symbols, "-o", tmp_path / "f.csim")
    assert json.loads(invoke("inspect", tmp_path / "f.csim", "--format", "json"))["seed"] is None
    assert list(csv.DictReader(io.StringIO(invoke("inspect", tmp_path / "f.csim", "--format", "csv"))))[0]["seed"] == ""


@pytest.mark.parametrize("command, key, extra", [
    ("run", "results", []), ("compare", "results", []), ("converge", "points", ["--lengths", "10,100"]),
    ("sweep", "points", ["--mix", "0:1:2"])])
def test_the_seed_drawn_for_a_run_without_one_is_recorded_and_repeats_the_bits(tmp_path, command, key, extra):
    unseeded = tmp_path / "s.toml"
    unseeded.write_text(re.sub(r"(?m)^seed = .*$", "", (SCENARIOS / "nasa-temperature.toml").read_text()))
    first = json.loads(invoke(command, unseeded, *RUN, *extra, "--format", "json"))
    again = json.loads(invoke(command, unseeded, *RUN, *extra, "--seed", first["seed"], "--format", "json"))
    assert isinstance(first["seed"], int) and again["seed"] == first["seed"]
    assert [r["bits"] for r in again[key]] == [r["bits"] for r in first[key]]


def test_a_writer_takes_the_seed_from_the_header_and_none_without_one():
    out = report.Output([{"a": 1}], header={"seed": 5})
    assert json.loads(report.to_json(out))["seed"] == 5
    assert report.to_csv(out).splitlines() == ["a,codesim_version,seed", f"1,{codesim.__version__},5"]
    bare = report.Output([{"a": 1}])
    assert json.loads(report.to_json(bare)) == {"codesim_version": codesim.__version__, "seed": None,
                                                "results": [{"a": 1}], "notes": []}


def test_the_changelog_s_newest_version_is_the_package_s():
    text = (ROOT / "CHANGELOG.md").read_text()
    versions = re.findall(r"(?m)^## (\d+\.\d+\.\d+)\b", text)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert versions and versions[0] == project["version"] == codesim.__version__
    assert len(set(versions)) == len(versions)
