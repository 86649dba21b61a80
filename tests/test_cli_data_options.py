"""Your own data without a scenario file: --p/--q/--labels and --source-file/--unit/--model-file mean
what the same scenario written in TOML means, on every command that reads a scenario; each misuse is one
line naming the option; -q stays --quiet, and a model vector given to it says to spell out --q."""

import json
import os
import re

import numpy as np
import pytest
from click.testing import CliRunner

from codesim.cli import main
from codesim.scenario import MAX_MODELS
from codesim.sources.files import MAX_UNITS

from .conftest import SCENARIOS
from .hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")
COMMANDS = ("run", "compare", "converge", "sweep", "report", "encode")

VECTOR_TOML = """
alphabet = ["a", "b", "c"]
[source]
probs = [0.5, 0.25, 0.25]
[models.q1]
probs = [0.25, 0.25, 0.5]
[models.q2]
probs = [0.7, 0.2, 0.1]
"""
VECTOR_OPTIONS = ["--p", "0.5,0.25,0.25", "--q", "0.25,0.25,0.5", "--q", "0.7,0.2,0.1", "--labels", "a,b,c"]

FILE_TOML = """
[source]
file = "message.txt"
unit = "char"
[models."model.txt"]
file = "model.txt"
"""
FILE_OPTIONS = ["--source-file", "message.txt", "--unit", "char", "--model-file", "model.txt"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A folder, the working directory, holding both scenarios and the files they read."""
    (tmp_path / "message.txt").write_text("the message: a file of characters, some of them never in the model. " * 4)
    (tmp_path / "model.txt").write_text("a model of the characters of another text, counted and smoothed.\n" * 3)
    (tmp_path / "vectors.toml").write_text(VECTOR_TOML)
    (tmp_path / "files.toml").write_text(FILE_TOML)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _outcome(command: str, given: list[str], folder) -> object:
    """What ``command`` measured (its records, or the bits it wrote), without the scenario's name."""
    drawn = ["-n", "300", "--trials", "2"] if "--p" in given or "vectors.toml" in given else []
    if command == "encode":
        model = ["--model", "q2"] if "--p" in given or "vectors.toml" in given else []
        out = folder / f"e{len(list(folder.glob('e*.csim')))}.csim"
        result = invoke("encode", *given, *model, "--scheme", "arithmetic", *drawn[:2], "--seed", 4, "-o", out)
        assert result.exit_code == 0, result.output
        decoded = folder / f"{out.stem}.npy"  # .npy: a character label may be a line break
        assert invoke("decode", out, "-o", decoded).exit_code == 0
        return re.search(r"-> (\d+) bits", result.stdout).group(1), np.load(decoded).tolist()
    if command == "report":
        out = folder / f"r{len(list(folder.glob('r*.md')))}.md"
        result = invoke("report", *given, *drawn, "--seed", 4, "--scheme", "huffman", "--scheme", "arithmetic",
                        "-o", out)
        assert result.exit_code == 0, result.output
        text = out.read_text()
        return text[text.index("## Results"):text.index("Columns:")]
    extra = {"converge": ["--lengths", "10,100"], "sweep": ["--mix", "0,0.5"]}.get(command, [])
    result = invoke(command, *given, *drawn, *extra, "--seed", 4, "--scheme", "huffman", "--scheme", "arithmetic",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    del doc["scenario"]
    for row in doc.get("results", []):  # compare's throughput is a timing, not a measurement of the data
        row.pop("encode_symbols_per_second", None), row.pop("decode_symbols_per_second", None)
    return doc


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("toml, options", [("vectors.toml", VECTOR_OPTIONS), ("files.toml", FILE_OPTIONS)],
                         ids=["vectors", "files"])
def test_the_options_measure_what_the_same_scenario_file_measures(data, command, toml, options):
    from_file = _outcome(command, [toml], data)
    assert from_file == _outcome(command, options, data)


def test_a_file_source_codes_the_file_itself_with_models_named_by_their_files(data):
    doc = json.loads(invoke("run", *FILE_OPTIONS, "--model-file", "message.txt", "--scheme", "arithmetic",
                            "--format", "json").stdout)
    assert [r["model"] for r in doc["results"]] == ["model.txt", "message.txt"]
    assert doc["length"] == len((data / "message.txt").read_text())
    own = doc["results"][1]
    assert own["bits_per_symbol"] < doc["results"][0]["bits_per_symbol"]
    # a model of the message's own frequencies (smoothed over the union alphabet) costs almost nothing
    assert own["kl_bits"] < 0.05 < doc["results"][0]["kl_bits"]


def test_a_model_file_whose_name_holds_a_line_break_keeps_each_row_on_one_line(data):
    (data / "a|b\nc.txt").write_text("a model")
    given = ["run", "--source-file", "message.txt", "--model-file", "a|b\nc.txt", "--scheme", "huffman"]
    table = invoke(*given).stdout
    assert '"a|b\\nc.txt"  huffman' in table
    rows = invoke(*given, "--format", "markdown").stdout.split("## ")[1].split("\n\n")[2].splitlines()
    assert len(rows) == 3 and all(row.startswith("|") and row.endswith("|") for row in rows)


def test_the_unit_decides_the_alphabet(data):
    (data / "words.txt").write_text("to be or not to be")
    by = {unit: json.loads(invoke("run", "--source-file", "words.txt", "--model-file", "words.txt", "--unit", unit,
                                  "--scheme", "huffman", "--format", "json").stdout)["length"]
          for unit in ("byte", "char", "word")}
    assert by == {"byte": 18, "char": 18, "word": 6}


def _fifo(folder):
    os.mkfifo(folder / "fifo")
    return "fifo"


MISUSES = [
    (["--p", "0.5,0.5", "--q", "0.5,0.25,0.25"], "--q has 3 entries, --p has 2"),
    (["--p", "0.5,0.5", "--q", "0.5,0.5", "--q", "0.5,0.4"], "--q (the 2nd): probs sum to 0.9"),
    (["--p", "0.5,0.6", "--q", "0.5,0.5"], "--p: probs sum to 1.1"),
    (["--p", "0.5,0.5", "--q", "0.5,0.5", "--labels", "a,b,c"], "--labels has 3 entries, --p has 2"),
    (["--p", "0.5,0.5", "--q", "1"], "--q has 1 entry, --p has 2"),
    (["--p", "1", "--q", "1", "--labels", "a,b"], "--labels has 2 entries, --p has 1 entry"),
    (["--p", "0.5,0.5", "--q", "0.5,0.5", "--labels", "a,a"], "--labels: alphabet entries 1 and 2 are both 'a'"),
    (["--p", "0.5,0.5"], "--p needs at least one --q"),
    (["--q", "0.5,0.5"], "--q goes with --p, which is not given"),
    (["--labels", "a,b"], "--labels goes with --p"),
    (["--p", "1", "--q", "1", "--unit", "char"], "--unit goes with --source-file, which is not given"),
    (["--p", "1", "--q", "1", "--model-file", "model.txt"], "--model-file goes with --source-file"),
    (["--p", "1", "--q", "1", "--source-file", "message.txt"], "--p and --source-file are two sources"),
    (["--source-file", "message.txt"], "--source-file needs at least one --model-file"),
    (["--source-file", "message.txt", "--q", "1"], "--q goes with --p"),
    (["--source-file", "message.txt", "--model-file", "model.txt", "--model-file", "model.txt"],
     "--model-file: a file is given twice"),
    (["--source-file", "message.txt", "--model-file", "model.txt", "--unit", "letter"], "'--unit'"),
    ([NASA, "--p", "1", "--q", "1"], "give a SCENARIO file or its data as options, not both"),
    ([NASA, "--source-file", "message.txt"], "not both"),
    ([], "give a SCENARIO file, or the data: --p with --q, or --source-file with --model-file"),
    (["--p", "1", *["--q", "1"] * (MAX_MODELS + 1)], f"--q is given {MAX_MODELS + 1} times: a model each, over the "
                                                      f"limit of {MAX_MODELS}"),
    (["--source-file", "message.txt", *sum((["--model-file", f"m{i}.txt"] for i in range(MAX_MODELS + 1)), [])],
     f"--model-file is given {MAX_MODELS + 1} times: a model each, over the limit of {MAX_MODELS}"),
]



def _binary(folder):
    (folder / "binary.dat").write_bytes(b"\xff\xfe")
    return "binary.dat"


def _empty(folder):
    (folder / "empty.txt").write_bytes(b"")
    return "empty.txt"


def _words(count: int, prefix: str):
    """A file of ``count`` distinct words."""
    def make(folder):
        (folder / f"{prefix}.txt").write_text(" ".join(f"{prefix}{i}" for i in range(count)))
        return f"{prefix}.txt"
    return make


#: Files that cannot be read as asked: errors of the input (exit 1), not of the command line.
BAD_FILES = [
    (["--source-file", "absent.txt", "--model-file", "model.txt"], "--source-file absent.txt: no such file"),
    (["--source-file", "message.txt", "--model-file", "absent.txt"], "--model-file absent.txt: no such file"),
    (["--source-file", ".", "--model-file", "model.txt"], "--source-file .: is a directory"),
    (["--source-file", "message.txt", "--model-file", _fifo], "--model-file fifo: is a FIFO"),
    (["--source-file", _binary, "--unit", "char", "--model-file", "model.txt"], "--source-file binary.dat: not UTF-8"),
    (["--source-file", "message.txt", "--unit", "word", "--model-file", _binary], "--model-file binary.dat: not UTF-8"),
    (["--source-file", _empty, "--model-file", "model.txt"], "--source-file empty.txt has no bytes to code"),
    (["--source-file", "message.txt", "--unit", "word", "--model-file", _words(MAX_UNITS + 1, "w")],
     f"--model-file w.txt: {MAX_UNITS + 1} distinct words, over the limit of {MAX_UNITS} for an alphabet"),
    (["--source-file", _words(MAX_UNITS // 2 + 1, "a"), "--unit", "word", "--model-file", _words(MAX_UNITS // 2, "b")],
     f"--source-file a.txt and its models' files hold {MAX_UNITS + 1} distinct words together, over the limit"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("given, message, code", [(*m, 2) for m in MISUSES] + [(*m, 1) for m in BAD_FILES],
                         ids=[m for _, m in MISUSES + BAD_FILES])
def test_each_misuse_is_one_line_naming_the_option(data, command, given, message, code):
    given = [arg(data) if callable(arg) else arg for arg in given]
    out = ["-o", data / "out.x"] if command in ("encode", "report") else []
    extra = {"sweep": ["--mix", "0,1"]}.get(command, [])
    result = invoke(command, *given, *extra, *out)
    assert_one_line_error(result, code, message)
    assert not (data / "out.x").exists()


@pytest.mark.parametrize("command", ["run", "compare", "converge", "sweep", "report", "encode"])
@pytest.mark.parametrize("before", [["--p", "0.5,0.5"], [NASA]], ids=["with --p", "with a scenario"])
def test_a_model_vector_after_dash_q_says_to_spell_out_q(tmp_path, command, before):
    out = ["-o", tmp_path / "out.x"] if command in ("encode", "report") else []
    result = invoke(command, *before, "-q", "0.3,0.7", *out)
    assert_one_line_error(result, 2, "a model's probabilities are given as --q, spelled out: --q 0.3,0.7")
    assert ("(-q is --quiet)" in result.stderr) == (command != "encode")


@pytest.mark.parametrize("value", ["0.3,0.7", "nan"])
def test_a_file_named_like_the_vector_does_not_hide_the_hint_when_the_data_are_options(data, value):
    """With --p given, ``-q 0.3,0.7`` cannot mean a SCENARIO file of that name: the hint still comes."""
    (data / value).write_text("")
    for args in (["--p", "0.5,0.5", "-q", value], ["-q", value, "--p=0.5,0.5"]):
        assert_one_line_error(invoke("compare", *args), 2, f"given as --q, spelled out: --q {value} (-q is --quiet)")
    assert_one_line_error(invoke("run", "-q", value), 1, f"{value}: missing key 'source'")  # the file is the SCENARIO


def test_dash_q_is_still_quiet():
    result = invoke("run", NASA, "-q", "-n", "100", "--trials", "2", "--model", "uniform", "--scheme", "huffman")
    assert result.exit_code == 0 and result.stderr == ""
    quiet = invoke("compare", "--p", "0.5,0.5", "-q", "--q", "0.3,0.7", "-n", "100", "--scheme", "huffman")
    assert quiet.exit_code == 0 and "Model 'q'" in quiet.stdout


def test_labels_are_kept_as_written_and_a_number_as_python_writes_it_is_that_number(data):
    """007, 1e3 and nan are labels a conversion would change or refuse; 100 still matches a file of numbers."""
    labels = ["007", "nan", "1e3", "1_000", "100"]
    result = invoke("encode", "--p", "0.2,0.2,0.2,0.2,0.2", "--q", "0.2,0.2,0.2,0.2,0.2", "--labels", ",".join(labels),
                    "-n", 200, "--seed", 1, "-o", "text.csim")
    assert result.exit_code == 0, result.output
    assert invoke("decode", "text.csim", "-o", "decoded.txt").exit_code == 0
    assert set((data / "decoded.txt").read_text().split()) == set(labels)
    np.save(data / "numbers.npy", np.array([100, 105, 100]))
    result = invoke("encode", "--p", "0.5,0.5", "--q", "0.5,0.5", "--labels", "100,105", "--input", "numbers.npy",
                    "-o", "numbers.csim")
    assert result.exit_code == 0, result.output


def test_the_vectors_are_checked_as_a_scenarios_are(data):
    from codesim.scenario import from_options, load

    sc = from_options([0.5, 0.25, 0.25], [[0.25, 0.25, 0.5], [0.7, 0.2, 0.1]], ["a", "b", "c"])
    toml = load("vectors.toml")
    assert sc.alphabet == toml.alphabet and list(sc.models) == list(toml.models)
    assert np.array_equal(sc.source.probs, toml.source.probs)
    for name in sc.models:
        assert np.array_equal(sc.models[name].probs, toml.models[name].probs)
