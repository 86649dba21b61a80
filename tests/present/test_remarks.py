"""Remarks under a run's table and the setting beside its title: only the chosen models' remarks, counts in
the singular for one, something true about a model file that lacks no unit of the message, and no seed for
a file (nothing is drawn from it)."""

import json
from pathlib import Path

import pytest

from codesim.errors import counted
from codesim.present import report
from codesim.scenario import for_command, load
from codesim.simulation.experiments import converge
from codesim.simulation.simulate import simulate_many

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _run(sc):
    return simulate_many(sc.source, sc.models, sc.run.schemes, length=sc.run.length, trials=sc.run.trials,
                         seed=sc.run.seed, message=sc.message)


def test_only_the_chosen_models_remarks_and_figures_are_kept_remarks_in_the_order_chosen():
    sc = load(SCENARIOS / "learned-model.toml")
    assert sum("was estimated from" in r for r in sc.remarks) == len(sc.models) == 5
    one, _ = for_command(sc, ("ml_100",), ("huffman",), length=100, trials=1)
    assert [r for r in one.remarks if "estimated from" in r] == [
        r for r in sc.remarks if r.startswith("Model 'ml_100' ")] and len(one.remarks) == 1
    two = sc.select_models(["ml_1000", "laplace_20"])
    assert [r.split("'")[1] for r in two.remarks] == ["ml_1000", "laplace_20"]
    assert one.figures == {"expected_estimate_kl_bits": {"ml_100": sc.figures["expected_estimate_kl_bits"]["ml_100"]}}
    assert report.header(one)["scenario"]["expected_estimate_kl_bits"].keys() == {"ml_100"}
    text = report.render("table", report.header(one), _run(one), one.title)
    assert "Model 'ml_100' was estimated" in text and "ml_20'" not in text and "ml_1000" not in text


def test_a_file_sources_own_remarks_stay_when_models_are_chosen(tmp_path):
    message, model = tmp_path / "m.txt", tmp_path / "q.txt"
    message.write_text("abcab")
    model.write_text("aab")
    path = tmp_path / "s.toml"
    path.write_text('title = "t"\n[source]\nfile = "m.txt"\nunit = "char"\n[models.q]\nfile = "q.txt"\n'
                    '[models.u]\nuniform = true\n')
    sc = load(path)
    chosen = sc.select_models(["u"])
    assert [r for r in chosen.remarks if r.startswith("The message is")] == [sc.remarks[0]]
    assert not any("Model 'q'" in r for r in chosen.remarks)


def test_counts_are_singular_for_one():
    assert [counted(n, "trial") for n in (0, 1, 2)] == ["0 trials", "1 trial", "2 trials"]
    sc, _ = for_command(load(SCENARIOS / "nasa-temperature.toml"), ("uniform",), ("huffman",), length=50, trials=1)
    ms = _run(sc)
    for text in (report.render("table", report.header(sc), ms, "t"),
                 report.render_compare("table", report.header(sc), ms, "t"),
                 report.render("markdown", report.header(sc), ms, "t")):
        assert "50 symbols x 1 trial, seed" in text and "1 trials" not in text


def _file_scenario(tmp_path, model_text: str):
    (tmp_path / "m.txt").write_text("abcab")
    (tmp_path / "q.txt").write_text(model_text)
    path = tmp_path / "s.toml"
    path.write_text('title = "t"\n[source]\nfile = "m.txt"\nunit = "char"\n[models.q]\nfile = "q.txt"\n'
                    '[run]\nschemes = ["huffman"]\n')
    return load(path)


@pytest.mark.parametrize("model_text, said", [
    ("abcz", "every char of the message occurs in it."),
    ("ab", "the message has 1 occurrence of a char the model file never contains, costing about"),
    ("a", "the message has 3 occurrences of chars the model file never contains, each costing about"),
])
def test_the_remark_on_units_a_model_file_lacks_is_true_for_none_one_and_several(tmp_path, model_text, said):
    (remark,) = [r for r in _file_scenario(tmp_path, model_text).remarks if r.startswith("Model 'q'")]
    assert said in remark and "0 occurrences" not in remark


def test_a_file_source_shows_no_seed_beside_its_table(tmp_path):
    """Nothing is drawn from a file, so the setting says the message is the file's own; the JSON keeps the
    run's seed as provenance."""
    sc, _ = for_command(_file_scenario(tmp_path, "abc"), (), ("huffman",))
    ms = _run(sc)
    for text in (report.render("table", report.header(sc), ms, "t"),
                 report.render_compare("table", report.header(sc), ms, "t")):
        assert "5 symbols: the file's own message, coded once" in text and "seed" not in text
    assert "seed" in json.loads(report.render("json", report.header(sc), ms, "t"))
    points = converge(sc, [2, 5], schemes=["huffman"])
    shown = report.converge_points("table", report.header(sc), points, "t")
    assert "(the file's own message of 5 symbols, nothing drawn)" in shown and "seed" not in shown
    drawn, _ = for_command(load(SCENARIOS / "nasa-temperature.toml"), ("uniform",), ("huffman",), length=50,
                           trials=2, seed=7)
    assert "50 symbols x 2 trials, seed 7" in report.render("table", report.header(drawn), _run(drawn), "t")


def test_the_file_commands_summaries_count_one_in_the_singular():
    from codesim.files.coding import Encoded, Sampled

    one = Encoded(symbols=1, bits=1, scheme="huffman", model="q", entropy=0.0, divergence=0.0, output="o.csim")
    assert one.summary.startswith("1 symbol -> 1 bit (1.0000 bits/symbol)")
    assert Sampled(symbols=1, scenario="s.toml", seed=3, output="o.txt").summary.startswith("sampled 1 symbol from")
    assert Encoded(2, 3, "huffman", "q", 0.0, 0.0, "o").summary.startswith("2 symbols -> 3 bits")
