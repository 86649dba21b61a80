"""A source kind is one module: a kind registered here, from inside the tests, is read from a scenario
file and runs through the library and through `codesim run`, then is forgotten again."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from codesim import Distribution, load, simulate_many
from codesim.cli import main
from codesim.errors import ScenarioError
from codesim.sources.base import Kind, kinds, register, unregister


def _decay(table, setting, name):
    """p(i) proportional to ratio^i over the scenario's alphabet."""
    spec = table.sub("decay")
    ratio = spec.take("ratio", (int, float))
    spec.done()
    if not 0 < ratio <= 1:
        spec.fail(f"ratio must be in (0, 1], got {ratio}", "ratio")
    if name is not None:
        setting.remarks.append(f"Model '{name}' is decay with ratio {ratio:g}.")
    return Distribution.from_probs(ratio ** np.arange(len(setting.alphabet)), setting.alphabet, normalise=True)


SCENARIO = """
title = "decay"
alphabet = ["a", "b", "c", "d"]
[source]
decay = {ratio = 0.5}
[models.flat]
decay = {ratio = 1}
[models.same]
decay = {ratio = 0.5}
[run]
length = 2000
trials = 2
seed = 3
schemes = ["huffman", "arithmetic"]
"""


@pytest.fixture
def decay():
    register(Kind("decay", _decay))
    try:
        yield
    finally:
        unregister("decay")
    assert "decay" not in kinds()


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "decay.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_a_registered_kind_runs_through_the_library(decay, scenario_file):
    sc = load(scenario_file)
    assert sc.source.probs.tolist() == [8 / 15, 4 / 15, 2 / 15, 1 / 15]
    assert sc.models["flat"].probs.tolist() == [0.25] * 4
    assert "Model 'flat' is decay with ratio 1." in sc.remarks
    ms = simulate_many(sc.source, sc.models, sc.run.schemes, length=sc.run.length, trials=sc.run.trials,
                       seed=sc.run.seed)
    assert [(m.model, m.scheme) for m in ms] == [("flat", "huffman"), ("flat", "arithmetic"),
                                                 ("same", "huffman"), ("same", "arithmetic")]
    assert ms[0].kl_bits > 0 and ms[2].kl_bits == 0 and all(m.verified for m in ms)


def test_a_registered_kind_runs_through_the_command_line(decay, scenario_file):
    result = CliRunner().invoke(main, ["run", str(scenario_file), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["results"]
    assert {(r["model"], r["scheme"]) for r in rows} == {("flat", "huffman"), ("flat", "arithmetic"),
                                                        ("same", "huffman"), ("same", "arithmetic")}


def test_a_registered_kind_reports_its_mistakes_as_scenario_errors(decay, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace("ratio = 1}", "ratio = 2}"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad.toml: \[models.flat.decay\] ratio: ratio must be in"):
        load(path)


def test_an_unregistered_kind_is_unknown(scenario_file):
    with pytest.raises(ScenarioError, match=r"\[source\] give exactly one of probs, counts, .*, zeta "
                                            r"\(found none\)"):
        load(scenario_file)
