"""Scenario files: the shipped ones load, and every mistake is named with file, key and problem."""

import pytest

from codesim import load
from codesim.errors import ScenarioError
from codesim.scenario import DEFAULT_LENGTH, parse

from .conftest import NASA_P, SCENARIOS

GOOD = """
title = "t"
alphabet = ["a", "b"]
[source]
probs = [0.5, 0.5]
[models.m]
probs = [0.9, 0.1]
"""


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_loads_and_describes_itself(path):
    scenario = load(path)
    assert scenario.title and len(scenario.description) > 80
    assert scenario.models and scenario.run.seed is not None


def test_nasa_scenario_has_the_seed_numbers():
    s = load(SCENARIOS / "nasa-temperature.toml")
    assert s.alphabet == (100, 105, 110, 145, 160, 162, 174, 180)
    assert s.source.probs.tolist() == pytest.approx(NASA_P)
    assert {"matched", "uniform", "counts_example"} <= set(s.models)
    assert s.models["counts_example"].probs.tolist() == pytest.approx(NASA_P)
    assert [spec.name for spec in s.run.schemes] == ["fixed", "shannon", "huffman"]


def test_defaults_when_run_table_is_absent(tmp_path):
    s = load(write(tmp_path, GOOD))
    assert s.run.length == DEFAULT_LENGTH and s.run.seed is None and s.run.schemes == ()


def test_scheme_entries_take_names_and_tables_with_parameters(tmp_path):
    s = load(write(tmp_path, GOOD + '[run]\nschemes = ["huffman", {name = "shannon"}]\n'))
    assert [spec.name for spec in s.run.schemes] == ["huffman", "shannon"]


def test_dirichlet_without_a_seed_is_refused(tmp_path):
    text = GOOD.replace("probs = [0.9, 0.1]", "dirichlet = { alpha = 1.0 }")
    with pytest.raises(ScenarioError, match=r"\[models.m.dirichlet\] missing key 'seed'"):
        load(write(tmp_path, text))


BAD = [
    (GOOD.replace("[0.5, 0.5]", "[0.5, 0.4]"), r"\[source\] probs sum to 0.9"),
    (GOOD.replace("[0.5, 0.5]", "[0.5, nan]"), r"\[source\] probs entry 2 is NaN"),
    (GOOD.replace("[0.9, 0.1]", "[1.1, -0.1]"), r"\[models.m\] probs entry 2 is negative"),
    (GOOD.replace("[0.9, 0.1]", "[0.2, 0.3, 0.5]"), r"\[models.m\] probs has 3 entries but the alphabet has 2"),
    (GOOD.replace("[0.9, 0.1]", "[true, 0.1]"), r"\[models.m\] probs entry 1 is True: expected a number"),
    (GOOD.replace("[0.9, 0.1]", '["0.9", 0.1]'), r"probs entry 1 is '0.9': expected a number"),
    (GOOD.replace('["a", "b"]', "[]"), r"alphabet: alphabet is empty"),
    (GOOD.replace('["a", "b"]', '["a", "a"]'), r"alphabet: .*both 'a'"),
    (GOOD.replace("probs = [0.9, 0.1]", "prob = [0.9, 0.1]"), r"\[models.m\] give exactly one of"),
    (GOOD + "[run]\nlenght = 5\n", r"\[run\] unknown key 'lenght' \(did you mean 'length'\?\)"),
    (GOOD + "colour = 1\n", r"unknown key 'colour'"),
    (GOOD + "[run]\nlength = 0\n", r"\[run\] length: must be >= 1, got 0"),
    (GOOD + "[run]\nlength = -5\n", r"\[run\] length: must be >= 1"),
    (GOOD + "[run]\nlength = 1e12\n", r"over the limit of 1e\+08 symbols"),
    (GOOD + "[run]\nlength = true\n", r"length: expected a number, got the boolean true"),
    (GOOD + '[run]\nlength = "1000"\n', r"length: expected a number, got the string '1000'"),
    (GOOD + "[run]\nlength = 10.5\n", r"length: expected a whole number"),
    (GOOD + '[run]\nschemes = ["hufman"]\n', r"unknown scheme 'hufman' \(did you mean 'huffman'\?\)"),
    (GOOD + "[run]\nschemes = []\n", r"schemes is empty"),
    (GOOD + "[run]\nschemes = [3]\n", r"schemes entry 1 must be a name"),
    (GOOD.replace("[models.m]\nprobs = [0.9, 0.1]\n", ""), r"missing key 'models'"),
    (GOOD.replace("[source]\nprobs = [0.5, 0.5]\n", ""), r"missing key 'source'"),
    (GOOD.replace('alphabet = ["a", "b"]\n', ""), r"missing key 'alphabet'"),
    (GOOD + "[models.u]\nuniform = false\n", r"uniform = false says nothing"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[m for _, m in BAD])
def test_bad_scenarios_name_file_key_and_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError, match=message) as info:
        load(path)
    assert str(info.value).startswith(str(path) + ": ")
    assert "\n" not in str(info.value)


def test_file_problems_are_named(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load(tmp_path / "missing.toml")
    with pytest.raises(ScenarioError, match="is a directory"):
        load(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(GOOD.replace('"t"', '"caf\xe9"').encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8 text \\(bad byte at offset 13\\)"):
        load(bad)
    with pytest.raises(ScenarioError, match="TOML syntax error: .*line 2, column"):
        load(write(tmp_path, 'title = "t"\nalphabet = [1, 2,, 3]\n'))


def test_unknown_model_selection_suggests_a_name(tmp_path):
    s = load(write(tmp_path, GOOD))
    with pytest.raises(ScenarioError, match="no model 'n' .*models: m"):
        s.select_models(["n"])


def test_parse_accepts_an_already_parsed_document():
    s = parse({"alphabet": [0, 1], "source": {"uniform": True}, "models": {"u": {"uniform": True}}})
    assert s.title == "scenario" and s.models["u"].probs.tolist() == [0.5, 0.5]


def test_scheme_parameters_in_scenarios_and_their_errors(tmp_path):
    s = load(write(tmp_path, GOOD + '[run]\nschemes = ["huffman", {name = "block-huffman", k = 3}, '
                   '{name = "rans", lanes = 256}]\n'))
    assert [spec.label for spec in s.run.schemes] == ["huffman", "block-huffman:k=3", "rans:lanes=256"]
    with pytest.raises(ScenarioError, match=r"schemes entry 1: scheme 'block-huffman': parameter k must be"):
        load(write(tmp_path, GOOD + '[run]\nschemes = [{name = "block-huffman", k = 0}]\n'))
    with pytest.raises(ScenarioError, match=r"has no parameter 'lane' \(did you mean 'lanes'\?\)"):
        load(write(tmp_path, GOOD + '[run]\nschemes = [{name = "rans", lane = 4}]\n'))
