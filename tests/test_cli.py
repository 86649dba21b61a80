"""The codesim command: outputs in every format, options overriding the file, one-line errors."""

import json

import numpy as np

import pytest
from click.testing import CliRunner

from codesim.cli import main

from .conftest import SCENARIOS
from .hostile import assert_one_line_error
from .test_scenario import BAD, GOOD, write

NASA = str(SCENARIOS / "nasa-temperature.toml")


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_run_prints_a_table_and_says_what_the_uniform_model_costs():
    result = invoke("run", NASA, "-n", "20000", "--trials", "3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "bits/sym" in out and "D(p||r)" in out
    assert "H(p) = 2.3231 bits per symbol" in out
    assert "Model 'uniform' costs D(p||q) = 0.677 extra bits per symbol" in out
    assert "fixed +0.677" in out


def test_run_shows_the_scenarios_lesson_the_description_and_a_coder_that_pays_exactly_d():
    path = SCENARIOS / "asymmetry-dispersed-source.toml"
    result = invoke("run", str(path), "-n", "20000", "--trials", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2].startswith("The reverse of asymmetry-concentrated-source.toml")
    assert max(map(len, lines[2:lines.index("", 2)])) <= 100
    q = np.array([0.90, 0.05, 0.03, 0.01, 0.007, 0.003])
    kl = float(np.mean(np.log2((1 / 6) / q)))  # uniform p over six letters
    assert f"D(p||q) = {kl:.3f}" in result.stdout
    doc = json.loads(invoke("run", str(path), "-n", "20000", "--trials", "2", "--format", "json").stdout)
    excess = {r["scheme"]: r["excess_bits_per_symbol"] for r in doc["results"]}
    assert excess["arithmetic"] == pytest.approx(kl, abs=0.05)
    assert excess["rans"] == pytest.approx(kl, abs=0.05)
    assert excess["fixed"] < kl - 2  # the prefix code alone hides the lesson: why the scenario runs both


def test_run_json_has_the_documented_fields_and_is_strict_json():
    result = invoke("run", NASA, "-n", "5000", "--trials", "2", "--model", "uniform", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"non-JSON token {c}"))
    assert doc["scenario"]["title"] == "NASA planet temperatures"
    assert (doc["length"], doc["trials"], doc["seed"]) == (5000, 2, 1948)
    assert [r["model"] for r in doc["results"]] == ["uniform"] * 5
    fields = {"model", "scheme", "bits_per_symbol", "ci95", "expected_bits_per_symbol", "ideal_bits_per_symbol",
              "entropy_bits", "cross_entropy_bits", "kl_bits", "code_kl_bits", "excess_bits_per_symbol", "verified"}
    for r in doc["results"]:
        assert fields <= set(r) and r["verified"] is True
        assert r["kl_bits"] == pytest.approx(0.6769, abs=1e-4)
        # 3 bits a reading under the uniform model; a stream coder adds its termination, at most 64 bits a stream
        assert 3.0 <= r["bits_per_symbol"] <= 3.0 + (64 / 5000 if r["scheme"] in ("arithmetic", "rans") else 0)
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
        assert result.exit_code == 0 and "Example" in result.stdout


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
    assert_one_line_error(invoke("run"), 2, "give a SCENARIO file")
    assert_one_line_error(invoke("inspect"), 2, "Missing argument")
    assert_one_line_error(invoke("frobnicate"), 2, "No such command")


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "codesim", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "Example:" in proc.stdout


def test_compare_ranks_schemes_by_measured_bits_on_shared_streams():
    result = invoke("compare", NASA, "--model", "swapped", "-n", "5000", "--trials", "2",
                    "--scheme", "fixed", "--scheme", "huffman", "--scheme", "shannon", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert [r["scheme"] for r in rows] == ["huffman", "shannon", "fixed"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert len({r["ideal_bits_per_symbol"] for r in rows}) == 1  # the same streams
    for r in rows:
        assert r["encode_symbols_per_second"] > 0 and r["decode_symbols_per_second"] > 0
        assert r["code_loss_bits"] == pytest.approx(r["excess_bits_per_symbol"] - r["kl_bits"])


def test_compare_defaults_to_the_default_set_and_all_selects_every_registered_scheme():
    from codesim.coders import available, registry

    result = invoke("compare", NASA, "--model", "matched", "-n", "2000", "--trials", "2", "--format", "json")
    assert result.exit_code == 0, result.output
    assert {r["scheme"] for r in json.loads(result.stdout)["results"]} == set(registry.groups()["default"])
    every = invoke("compare", NASA, "--model", "matched", "-n", "2000", "--trials", "2", "--format", "csv",
                   "--scheme", "all")
    assert every.exit_code == 0, every.output
    assert len(every.stdout.strip().splitlines()) == 1 + len(available())


def test_compare_without_a_file_takes_p_q_and_labels():
    result = invoke("compare", "--p", "1,0", "--q", "0.3,0.7", "--q", "0.9,0.1", "--labels", "dog,panda",
                    "-n", "1000", "--trials", "2", "--scheme", "huffman")
    assert result.exit_code == 0, result.output
    assert "Model 'q1'" in result.stdout and "D(p||q) = 1.7370" in result.stdout
    assert "Model 'q2'" in result.stdout and "D(p||q) = 0.1520" in result.stdout


@pytest.mark.parametrize(
    "args, code, match",
    [
        ([], 2, "give a SCENARIO file, or the data: --p with --q"),
        ([NASA, "--p", "0.5,0.5"], 2, "not both"),
        (["--p", "0.5,0.5"], 2, "needs at least one --q"),
        (["--p", "0.5,x", "--q", "0.5,0.5"], 2, "not a comma-separated list of numbers"),
        (["--p", "0.5,0.5", "--q", "0.5,0.5", "--labels", "a,b,c"], 2, "--labels has 3 entries"),
        (["--p", "0.5,0.4", "--q", "0.5,0.5"], 2, "--p: probs sum to 0.9"),
        (["--p", "0.5,0.5", "--q", "0.5,0.2,0.3"], 2, "--q has 3 entries, --p has 2"),
    ],
)
def test_compare_bad_input_gives_one_line(args, code, match):
    assert_one_line_error(invoke("compare", *args), code, match)


def test_schemes_lists_every_registered_scheme_with_parameters():
    from codesim.coders import available

    result = invoke("schemes")
    assert result.exit_code == 0
    for scheme in available():
        assert scheme.name in result.stdout
        for param in scheme.params:
            assert f"{param.name}={param.default}" in result.stdout
    listing = json.loads(invoke("schemes", "--format", "json").stdout)["results"]
    assert [s["name"] for s in listing] == [s.name for s in available()]


def test_schemes_lists_every_group_with_its_members():
    from codesim.coders import registry

    lines = invoke("schemes").stdout.splitlines()
    listed = {}
    for line in lines[lines.index("Groups (--scheme GROUP runs each of its schemes):") + 1:]:
        name, _, members = line.strip().partition(" ")
        listed[name] = members.strip()
    declared = registry.groups()
    assert listed.keys() == declared.keys()
    for name, members in declared.items():
        assert listed[name] == ("every scheme above" if name == registry.ALL else ", ".join(members))


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(command):
    """Every registered command, so a new one cannot ship without an example or documentation."""
    from .test_readme import README

    result = invoke(command, "--help")
    assert result.exit_code == 0 and "Example" in result.stdout
    assert f"codesim {command}" in README


@pytest.mark.parametrize("lengths, shown", [("10,1.5", "1.5"), ("0,10", "0"), ("10,-3", "-3")])
def test_converge_lengths_that_are_not_whole_and_positive_are_a_usage_error(lengths, shown):
    assert_one_line_error(invoke("converge", NASA, "--lengths", lengths), 2,
                          f"Invalid value for '--lengths': lengths are whole numbers >= 1, got {shown}")


def test_converge_codes_each_length_once_in_increasing_order():
    result = invoke("converge", NASA, "--lengths", "100,10,10", "-n", "200", "--trials", "2", "--scheme", "huffman",
                    "--model", "uniform", "-q", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [p["length"] for p in json.loads(result.stdout)["points"]] == [10, 100]


# -- cli.py is click only ----------------------------------------------------------------------------------

#: The functions cli.py may define besides click commands, by what they do for the command line.
CLI_HELPERS = {
    "output_options", "run_options", "scenario_input", "_label", "_is_vector",  # option handling
    "_error", "_abandon_stdout", "_require_verified",  # error printing
    "_scenario", "_simulate", "_plot_results", "_progress",  # remarks, progress and figures on stderr
}


def _cli_tree():
    import ast
    from pathlib import Path

    import codesim.cli

    return ast.parse(Path(codesim.cli.__file__).read_text(encoding="utf-8"))


def _dotted(node) -> str:
    import ast

    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def test_cli_imports_no_coder_class_no_measure_and_no_numpy():
    """From codesim.coders only the registry and SchemeSpec (what --scheme parses to); nothing from a
    coders submodule, from codesim.measures, numpy or bitarray."""
    import ast

    for node in ast.walk(_cli_tree()):
        if isinstance(node, ast.Import):
            modules = [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [("." * node.level + (node.module or ""), tuple(a.name for a in node.names))]
        else:
            continue
        for module, names in modules:
            top = module.lstrip(".").split(".")[0]
            assert top not in ("numpy", "bitarray", "measures"), module
            if module in (".coders", "codesim.coders"):
                assert set(names) <= {"registry", "SchemeSpec"}, names
            else:
                assert not module.lstrip(".").startswith(("coders.", "codesim.coders.")), module


def test_cli_defines_only_commands_option_types_and_helpers():
    """Every top-level class is a click class (or one of cli.py's own that is), or the Printer of -o and
    --format; every top-level function is a click command or group, or one of CLI_HELPERS; and no
    command's body loops (a for, a while or a comprehension is work for the library)."""
    import ast

    clicks = {"Printer"}
    for node in _cli_tree().body:
        if isinstance(node, ast.ClassDef) and node.name != "Printer":
            bases = {_dotted(b) for b in node.bases}
            assert all(b.startswith("click.") or b in clicks for b in bases), (node.name, bases)
            clicks.add(node.name)
        elif isinstance(node, ast.FunctionDef):
            decorators = {_dotted(d) for d in node.decorator_list}
            if not decorators & {"main.command", "click.group"}:
                assert node.name in CLI_HELPERS, node.name
                continue
            loops = [n for n in ast.walk(node) if isinstance(n, (ast.For, ast.While, ast.comprehension))]
            assert not loops, (node.name, ast.unparse(loops[0]))


def test_a_parameter_sweep_names_each_scheme_it_leaves_out():
    result = invoke("sweep", NASA, "--model", "matched", "--scheme", "huffman", "--scheme", "arithmetic",
                    "--scheme", "rans", "--param", "precision=8,12", "-n", "500", "--trials", "2", "-q",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "left out huffman: it has no parameter precision\n"
    points = json.loads(result.stdout)["points"]
    assert [p["scheme"] for p in points] == ["arithmetic:precision=8", "arithmetic:precision=12",
                                             "rans:precision=8", "rans:precision=12"]


def test_a_parameter_no_selected_scheme_has_is_one_error():
    result = invoke("sweep", NASA, "--model", "matched", "--scheme", "huffman", "--param", "precision=8,12")
    assert_one_line_error(result, 1, "no selected scheme has the parameter 'precision' (selected: huffman)")


@pytest.mark.parametrize("option, value, message", [
    ("--mix", "0:2:3", "Invalid value for '--mix': mix value 2.0 is outside [0, 1]"),
    ("--mix", "abc", "Invalid value for '--mix': mix 'abc': 'abc' is not a number"),
    ("--param", "k", "Invalid value for '--param': parameter sweep 'k': write NAME=V1,V2,..."),
])
def test_a_sweep_option_that_does_not_parse_is_a_usage_error_naming_it(option, value, message):
    assert_one_line_error(invoke("sweep", NASA, option, value), 2, message)


def test_a_model_of_the_data_options_not_given_is_named_by_model_and_the_options():
    result = invoke("run", "--p", "0.5,0.5", "--q", "0.9,0.1", "--model", "q3")
    assert_one_line_error(result, 1, "--model: no model 'q3' (did you mean 'q'?) (models of --p/--q: q)")
