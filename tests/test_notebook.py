"""The notebook API: codesim.run and codesim.compare return results that print as the commands print, show
as an escaped HTML table, and convert to the JSON output's records and a DataFrame; the walkthrough in
examples/ runs and states the figures the formulas give; distributions print their probabilities."""

import functools
import json
import math
import os
import re
import runpy
import sys
import tomllib

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from scipy.special import betaln, digamma

import codesim
from codesim import Distribution, MarkovChain
from codesim.cli import main
from codesim.errors import CodesimError

from .conftest import ROOT, SCENARIOS

NASA = SCENARIOS / "nasa-temperature.toml"
SMALL = {"length": 500, "trials": 2, "seed": 7}
EXAMPLE = ROOT / "examples" / "kl_walkthrough.py"


def cli(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_results_print_as_the_run_command_prints_and_write_its_json_and_csv():
    results = codesim.run(NASA, models=["uniform", "swapped"], schemes=["huffman", "arithmetic"], **SMALL)
    args = ["run", NASA, "--model", "uniform", "--model", "swapped", "--scheme", "huffman", "--scheme", "arithmetic",
            "-n", 500, "--trials", 2, "--seed", 7, "-q"]
    assert str(results) + "\n" == cli(*args) and repr(results) == str(results)
    assert results.to_json() + "\n" == cli(*args, "--format", "json")
    assert results.to_csv() + "\n" == cli(*args, "--format", "csv")
    assert results.to_records() == json.loads(results.to_json())["results"]
    assert [(r["model"], r["scheme"]) for r in results.to_records()] == [
        ("uniform", "huffman"), ("uniform", "arithmetic"), ("swapped", "huffman"), ("swapped", "arithmetic")]


def test_a_scenario_is_a_path_a_scenario_or_a_dict_and_settings_override_its_run_table():
    as_dict = tomllib.loads(NASA.read_text())
    by_path, by_scenario, by_dict = (codesim.run(s, models="matched", schemes="huffman", **SMALL)
                                     for s in (str(NASA), codesim.load(NASA), as_dict))
    assert by_path.to_records() == by_scenario.to_records() == by_dict.to_records()
    (row,) = by_path.to_records()
    assert (row["length"], row["trials"], by_path.seed) == (500, 2, 7)
    # A length written as a float that is a whole number is taken, as 1e3 is on the command line.
    assert codesim.run(NASA, models="matched", schemes="huffman", length=1e3, trials=1).to_records()[0]["length"] == 1000


def test_a_run_without_a_seed_records_the_one_it_drew_and_repeats_with_it():
    scenario = codesim.load(NASA).with_run(seed=None)
    first = codesim.run(scenario, models="uniform", schemes="arithmetic", length=300, trials=2)
    assert isinstance(first.seed, int) and json.loads(first.to_json())["seed"] == first.seed
    again = codesim.run(scenario, models="uniform", schemes="arithmetic", length=300, trials=2, seed=first.seed)
    assert again.to_records()[0]["bits"] == first.to_records()[0]["bits"]


@pytest.mark.parametrize("settings, message", [
    ({"lenght": 10}, r"unknown setting 'lenght' \(did you mean 'length'\?\); settings: length, trials"),
    ({"model": "uniform"}, r"unknown setting 'model' \(did you mean 'models'\?\)"),
    ({"schemes": "hufman"}, r"unknown scheme or group 'hufman' \(did you mean 'huffman'\?\)"),
    ({"models": "unifrom"}, r"no model 'unifrom' \(did you mean 'uniform'\?\)"),
    ({"models": 3}, r"models is a name or a list of names, got 3"),
    ({"length": 0}, r"length is a whole number >= 1, got 0"),
    ({"trials": 2.5}, r"trials is a whole number >= 1, got 2.5"),
    ({"seed": -1}, r"a seed is an integer from 0 to 2\^64 - 1, got -1"),
    ({"jobs": 0}, r"jobs must be a whole number >= 1"),
])
def test_a_setting_that_is_not_one_is_named_with_what_it_might_be(settings, message):
    with pytest.raises(CodesimError, match=message) as caught:
        codesim.run(NASA, **settings)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("call, message", [
    (lambda: codesim.converge(NASA, lengths=5), "codesim.converge: lengths is a list of whole numbers, got 5"),
    (lambda: codesim.converge(NASA, lengths="10,100"), "lengths is a list of whole numbers, got the string '10,100'"),
    (lambda: codesim.sweep(NASA, mix=0.5), 'codesim.sweep: mix is "START:STOP:COUNT" or a list of values of t, got 0.5'),
    (lambda: codesim.sweep(NASA, params="k=1,2"), "params is a dict of a parameter's name and its values, got the str"),
    (lambda: codesim.sweep(NASA, params=[("k", [1, 2])]), "params is a dict of a parameter's name and its values"),
    (lambda: codesim.run({"alphabet": [0, 1], "source": {"probs": (0.5, 0.5)}, "models": {"q": {"uniform": True}}}),
     "[source] probs: expected a list, got a tuple"),
    (lambda: codesim.run({"alphabet": [0, 1], "source": {"probs": [0.5, 0.5]}, "models": {1: {"uniform": True}}}),
     "scenario: models: a model's name is a string, got 1"),
    (lambda: codesim.run({"alphabet": [functools.reduce(lambda a, _: [a], range(10**5), 0), 1],
                          "source": {"probs": [0.5, 0.5]}, "models": {"q": {"uniform": True}}}),
     "alphabet entry 1 is a list: labels must be numbers or strings"),
])
def test_an_argument_of_the_wrong_type_is_refused_by_name(call, message):
    with pytest.raises(CodesimError) as caught:
        call()
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_scenario_of_another_type_is_refused_by_name():
    with pytest.raises(CodesimError, match=r"codesim.run: the scenario is a file's path, a Scenario or a dict"):
        codesim.run(42)
    with pytest.raises(CodesimError, match=r"\[source\] give exactly one of"):
        codesim.run({"alphabet": [0, 1], "source": {"prob": [0.5, 0.5]}, "models": {"q": {"uniform": True}}})


def test_compare_ranks_the_default_set_per_model_as_the_compare_command_does():
    results = codesim.compare(NASA, models=["uniform", "matched"], **SMALL)
    records = results.to_records()
    assert {r["scheme"] for r in records} == {"fixed", "shannon", "huffman", "arithmetic", "rans"}
    for model in ("uniform", "matched"):
        rows = [r for r in records if r["model"] == model]
        assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
        assert [r["bits_per_symbol"] for r in rows] == sorted(r["bits_per_symbol"] for r in rows)
    table = str(results)
    assert "Model 'uniform':" in table and "rank" in table and "excess-D" in table
    # the default set, not the scenario's own list (huffman, arithmetic), also when schemes=None is given
    learned = SCENARIOS / "learned-model.toml"
    for given in ({}, {"schemes": None}):
        found = codesim.compare(learned, models="ml_100", **SMALL, **given).to_records()
        assert {r["scheme"] for r in found} == {"fixed", "shannon", "huffman", "arithmetic", "rans"}


def test_converge_and_sweep_print_and_write_as_their_commands_do():
    common = ["--model", "uniform", "--scheme", "huffman", "--scheme", "arithmetic", "--trials", 2, "--seed", 7, "-q"]
    converged = codesim.converge(NASA, lengths=[10, 100], models="uniform", schemes=["huffman", "arithmetic"],
                                 trials=2, seed=7)
    args = ["converge", NASA, "--lengths", "10,100", *common]
    assert str(converged) + "\n" == cli(*args) and converged.to_json() + "\n" == cli(*args, "--format", "json")
    assert [(r["scheme"], r["length"]) for r in converged.to_records()] == [
        ("huffman", 10), ("huffman", 100), ("arithmetic", 10), ("arithmetic", 100)]
    swept = codesim.sweep(NASA, mix="0:1:3", params={"precision": [8, 12]}, models="uniform", schemes="arithmetic",
                          length=300, trials=2, seed=7)
    args = ["sweep", NASA, "--mix", "0:1:3", "--param", "precision=8,12", "-n", 300, *common[:2], "--scheme",
            "arithmetic", *common[6:]]
    assert str(swept) + "\n" == cli(*args) and swept.to_csv() + "\n" == cli(*args, "--format", "csv")
    assert [(r["t"], r["params"]) for r in swept.to_records()] == [
        (t, {"precision": k}) for t in (0.0, 0.5, 1.0) for k in (8, 12)]
    assert swept.to_pandas().attrs["seed"] == swept.seed == 7
    assert swept._repr_html_().startswith("<pre>NASA planet temperatures")
    with pytest.raises(CodesimError, match="codesim.sweep: give mix, params or both"):
        codesim.sweep(NASA)
    with pytest.raises(CodesimError, match="the count must be from 1"):
        codesim.sweep(NASA, mix="0:1:0")


def test_the_html_table_is_the_report_page_s_and_escapes_what_a_scenario_says():
    doc = {"title": "<script>alert(1)</script> & co", "alphabet": ["<a>", "b&c"],
           "source": {"probs": [0.5, 0.5]}, "models": {"<q>": {"probs": [0.25, 0.75]}}}
    shown = codesim.run(doc, schemes="huffman", **SMALL)._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in shown
    assert "<td" in shown and "&lt;q&gt;" in shown and "<q>" not in shown
    assert shown.count("<tr") == 2  # the heading and one row
    assert "500 symbols x 2 trials, seed 7" in shown


def test_to_pandas_gives_the_records_with_intervals_split_and_the_provenance():
    results = codesim.run(NASA, models="uniform", schemes=["huffman", "arithmetic"], **SMALL)
    frame = results.to_pandas()
    records = results.to_records()
    assert list(frame["scheme"]) == [r["scheme"] for r in records]
    assert list(frame["bits_per_symbol"]) == [r["bits_per_symbol"] for r in records]
    assert [[lo, hi] for lo, hi in zip(frame["ci95_low"], frame["ci95_high"])] == [r["ci95"] for r in records]
    assert "ci95" not in frame.columns
    assert frame.attrs == {"codesim_version": codesim.__version__, "seed": 7}


def test_to_pandas_without_pandas_says_what_to_install(monkeypatch):
    results = codesim.run(NASA, models="uniform", schemes="huffman", **SMALL)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(CodesimError, match=re.escape("to_pandas needs pandas: pip install 'codesim[notebook]'")):
        results.to_pandas()


def test_the_notebook_extra_holds_pandas_and_the_test_extra_installs_it():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("pandas") for d in extras["notebook"])
    assert any("notebook" in d for d in extras["test"] if d.startswith("codesim["))


# -- reprs ----------------------------------------------------------------------------------------------
def test_a_small_distribution_prints_each_label_with_its_probability_on_one_line():
    p = Distribution.from_probs([0.30, 0.40, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05],
                                alphabet=[100, 105, 110, 145, 160, 162, 174, 180])
    assert repr(p) == ("Distribution({100: 0.3, 105: 0.4, 110: 0.05, 145: 0.06, 160: 0.07, 162: 0.02, 174: 0.05, "
                       "180: 0.05})")
    assert repr(Distribution.from_probs([1.0, 0.0], ["dog", "panda"])) == "Distribution({'dog': 1, 'panda': 0})"


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 5000), long_labels=st.booleans())
def test_any_distribution_prints_as_one_short_line_that_names_its_size(size, long_labels):
    labels = [f"label-{'x' * 100 * long_labels}{i}" for i in range(size)]
    text = repr(Distribution.uniform(labels))
    assert "\n" not in text and len(text) < 240
    if size > 8:
        assert text.endswith(f", {size} symbols)") and ", ..., " in text
    else:
        assert text.count(": ") == size


def test_a_markov_chain_prints_its_order_alphabet_and_contexts():
    weather = MarkovChain.from_transitions([[0.8, 0.2], [0.3, 0.7]], ["calm", "storm"])
    assert repr(weather) == "MarkovChain(order 1 over ('calm', 'storm'), 2 contexts)"
    big = MarkovChain.from_transitions(np.full((300, 300), 1 / 300), list(range(300)))
    assert repr(big) == "MarkovChain(order 1 over (0, 1, 2, ..., 298, 299; 300 symbols), 300 contexts)"


# -- the walkthrough ------------------------------------------------------------------------------------
def _bits(p, q=None) -> float:
    """-sum p log2 q (q = p: the entropy), written out from the definition."""
    q = p if q is None else q
    return -sum(a * math.log2(b) for a, b in zip(p, q) if a > 0)


def _beta_kl_bits(a1, b1, a2, b2) -> float:
    """D(Beta(a1, b1) || Beta(a2, b2)) in closed form, in bits."""
    nats = (betaln(a2, b2) - betaln(a1, b1) + (a1 - a2) * digamma(a1) + (b1 - b2) * digamma(b1)
            + (a2 - a1 + b2 - b1) * digamma(a1 + b1))
    return nats / math.log(2)


def _probs(name: str, table: str) -> list[float]:
    doc = tomllib.loads((SCENARIOS / name).read_text())
    part = doc["source"] if table == "source" else doc["models"][table]
    size = len(doc["alphabet"])
    return [1 / size] * size if part.get("uniform") else part["probs"]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("walk"))  # the example finds the scenarios from its own place
    try:
        return runpy.run_path(str(EXAMPLE), run_name="__main__")
    finally:
        os.chdir(cwd)


def test_the_walkthrough_runs_and_computes_what_the_formulas_give(walkthrough):
    nasa = _probs("nasa-temperature.toml", "source")
    assert walkthrough["h_nasa"] == pytest.approx(_bits(nasa), abs=1e-12)
    assert walkthrough["waste"] == pytest.approx(3 - _bits(nasa), abs=1e-12)  # D(p||uniform) = log2 8 - H(p)
    assert walkthrough["dog_cost"] == pytest.approx(-math.log2(0.3), abs=1e-12)
    concentrated = _probs("asymmetry-concentrated-source.toml", "source")
    uniform = [1 / 6] * 6
    assert walkthrough["forward"] == pytest.approx(_bits(concentrated, uniform) - _bits(concentrated), abs=1e-12)
    assert walkthrough["backward"] == pytest.approx(_bits(uniform, concentrated) - _bits(uniform), abs=1e-12)
    assert walkthrough["reverse_kl"] == pytest.approx(_beta_kl_bits(3, 3, 17, 6), rel=1e-9)
    assert walkthrough["averages"][1_000_000] == pytest.approx(walkthrough["beta_kl"], abs=0.01)


def test_the_walkthrough_states_the_figures_the_formulas_give():
    text = EXAMPLE.read_text()
    nasa = _probs("nasa-temperature.toml", "source")
    concentrated = _probs("asymmetry-concentrated-source.toml", "source")
    uniform = [1 / 6] * 6
    stated = {
        f"H(p) = {_bits(nasa):.2f} bits": 2.32,
        f"3 - {_bits(nasa):.2f} = {3 - _bits(nasa):.2f} bits": 0.68,
        f"-log2 0.3 = {-math.log2(0.3):.3f} bits": 1.737,
        f"D(p||q) = {_bits(concentrated, uniform) - _bits(concentrated):.3f} bits": 1.939,
        f"D(q||p) = {_bits(uniform, concentrated) - _bits(uniform):.3f} bits": 2.701,
        f"D(p||q) = {_beta_kl_bits(17, 6, 3, 3):.2f} bits in the continuous closed form": 1.51,
        f"costs far more: {_beta_kl_bits(3, 3, 17, 6):.2f} bits": 5.35,
    }
    for sentence, figure in stated.items():
        assert f"{figure}" in sentence
        assert sentence in " ".join(text.replace("# ", " ").split()), sentence
