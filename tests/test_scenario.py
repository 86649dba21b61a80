"""Scenario files: the shipped ones load, and every mistake is named with file, key and problem."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

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
    assert scenario.models
    assert scenario.run.seed is not None or scenario.message is not None  # a file is its own message


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_scenario_runs_a_coder_that_spends_exactly_minus_log_q(path):
    """Only a coder spending -log2 q(x) a symbol shows D(p||q) itself; prefix codes alone round it away."""
    assert {spec.name for spec in load(path).run.schemes} & {"arithmetic", "rans"}


def test_nasa_scenario_has_the_seed_numbers():
    s = load(SCENARIOS / "nasa-temperature.toml")
    assert s.alphabet == (100, 105, 110, 145, 160, 162, 174, 180)
    assert s.source.probs.tolist() == pytest.approx(NASA_P)
    assert {"matched", "uniform", "counts_example"} <= set(s.models)
    assert s.models["counts_example"].probs.tolist() == pytest.approx(NASA_P)
    assert [spec.name for spec in s.run.schemes] == ["fixed", "shannon", "huffman", "arithmetic", "rans"]


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
    (GOOD.replace("[0.9, 0.1]", "[true, 0.1]"), r"\[models.m\] probs entry 1 is the boolean true: expected a number"),
    (GOOD.replace("[0.9, 0.1]", '["0.9", 0.1]'), r"probs entry 1 is the string '0.9': expected a number"),
    (GOOD.replace('["a", "b"]', "[]"), r"alphabet: alphabet is empty"),
    (GOOD.replace('["a", "b"]', '["a", "a"]'), r"alphabet: .*both 'a'"),
    (GOOD + "[run]\nlenght = 5\n", r"\[run\] unknown key 'lenght' \(did you mean 'length'\?\)"),
    (GOOD + "colour = 1\n", r"unknown key 'colour'"),
    (GOOD + "[run]\nlength = 0\n", r"\[run\] length: must be >= 1, got 0"),
    (GOOD + "[run]\nlength = -5\n", r"\[run\] length: must be >= 1"),
    (GOOD + "[run]\nlength = 1e13\n", r"over the limit of 1e\+11 symbols"),
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
    # the commonest typos: a key spelt almost right is named beside the one it was meant to be
    (GOOD.replace("probs = [0.5", "prob = [0.5"),
     r"\[source\] give exactly one of probs, .* \(found 'prob': did you mean 'probs'\?\)$"),
    (GOOD.replace("probs = [0.9", "Probs = [0.9"), r"\[models.m\] .*\(found 'Probs': did you mean 'probs'\?\)$"),
    (GOOD.replace("probs = [0.9", "count = [0.9"), r"\[models.m\] .*\(found 'count': did you mean 'counts'\?\)$"),
    (GOOD.replace("probs = [0.9", "colour = [0.9"), r"\[models.m\] give exactly one of .*\(found none\)$"),
    (GOOD.replace("alphabet =", "alphabt ="), r": missing key 'alphabet' \(found 'alphabt': did you mean 'alphabet'\?\)$"),
    (GOOD.replace("[models.m]", "[model.m]"), r": missing key 'models' \(found 'model': did you mean 'models'\?\)$"),
    (GOOD.replace("[source]", "[sources]"), r": missing key 'source' \(found 'sources': did you mean 'source'\?\)$"),
    (GOOD.replace("probs = [0.9, 0.1]", "dirichlet = { alpha = 1.0, sede = 3 }"),
     r"\[models.m.dirichlet\] missing key 'seed' \(found 'sede': did you mean 'seed'\?\)$"),
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


# -- where q comes from: estimated, continuous, files ----------------------------------------------


def test_estimated_models_repeat_from_their_seed_and_report_the_textbook_expectation(tmp_path):
    text = GOOD.replace("probs = [0.9, 0.1]", 'estimate = { samples = 1000, smoothing = "kt", seed = 3 }')
    a, b = load(write(tmp_path, text)), load(write(tmp_path, text, "t.toml"))
    assert a.models["m"] == b.models["m"]
    assert a.figures["expected_estimate_kl_bits"]["m"] == pytest.approx(1 / (2 * 1000 * 0.6931471805599453))
    assert any("estimated from 1000 samples" in r for r in a.remarks)


def test_ml_estimate_from_few_samples_can_rule_out_a_symbol(tmp_path):
    text = GOOD.replace('["a", "b"]', '["a", "b", "c"]').replace("[0.5, 0.5]", "[0.98, 0.01, 0.01]").replace(
        "probs = [0.9, 0.1]", 'estimate = { samples = 5, smoothing = "none", seed = 1 }')
    q = load(write(tmp_path, text)).models["m"]
    assert 0.0 in q.probs.tolist()


def test_continuous_source_is_binned_and_the_closed_form_kl_recorded(tmp_path):
    s = load(write(tmp_path, 'source.beta = { a = 17, b = 6 }\nmodels.wide.beta = { a = 3, b = 3 }\n'
                             'quantise.bins = 16\n'))
    assert len(s.alphabet) == 16 and s.source.probs.sum() == pytest.approx(1.0)
    assert s.figures["continuous_kl_bits"]["wide"] == pytest.approx(1.5105, abs=1e-4)
    from codesim.measures import kl_divergence

    assert kl_divergence(s.source, s.models["wide"]) < 1.5105  # binning never adds divergence


def test_normal_source_over_a_range_and_explicit_edges(tmp_path):
    s = load(write(tmp_path, 'source.normal = { mean = 0, sd = 1 }\nmodels.w.normal = { mean = 1, sd = 2 }\n'
                             'quantise = { bins = 8, range = [-4, 4] }\n'))
    assert len(s.alphabet) == 8
    e = load(write(tmp_path, 'source.beta = { a = 2, b = 2 }\nmodels.u.uniform = true\n'
                             'quantise.edges = [0, 0.25, 0.5, 1]\n', "e.toml"))
    assert len(e.alphabet) == 3


def test_a_file_source_is_its_own_message_and_models_share_the_union_alphabet(tmp_path):
    (tmp_path / "a.txt").write_text("abba cab", encoding="utf-8")
    (tmp_path / "b.txt").write_text("abcdz", encoding="utf-8")
    s = load(write(tmp_path, 'source = { file = "a.txt", unit = "char" }\nmodels.b.file = "b.txt"\n'
                             'models.u.uniform = true\n'))
    assert s.alphabet == (" ", "a", "b", "c", "d", "z")
    assert s.message.size == 8 and s.run.length == 8 and s.run.trials == 1
    assert s.source.probs[0] == pytest.approx(1 / 8)
    assert s.models["b"].probs[0] == pytest.approx(0.5 / (5 + 0.5 * 6))  # unseen: alpha / (N + alpha |U|)
    assert any("own 8 chars, coded once" in r for r in s.remarks)
    with pytest.raises(ScenarioError, match="--length and --trials do not apply"):
        s.with_run(length=100)


WHERE_Q_BAD = [
    ('source.estimate = { samples = 10, seed = 1 }\nalphabet = [1, 2]\nmodels.u.uniform = true\n',
     r"\[source\] the source cannot be estimated"),
    (GOOD.replace("probs = [0.9, 0.1]", "estimate = { samples = 10 }"), r"\[models.m.estimate\] missing key 'seed'"),
    (GOOD.replace("probs = [0.9, 0.1]", 'estimate = { samples = 10, smoothing = "laplas", seed = 1 }'),
     r"did you mean 'laplace'"),
    (GOOD.replace("probs = [0.9, 0.1]", 'file = "x.txt"'), r"a model from a file needs a file source"),
    (GOOD + "[quantise]\nbins = 4\n", r"\[quantise\] bins a continuous source"),
    (GOOD.replace("probs = [0.9, 0.1]", "beta = { a = 1, b = 1 }"), r"needs a continuous source"),
    ('alphabet = [1]\nsource.beta = { a = 1, b = 2 }\nmodels.u.uniform = true\n', r"alphabet is its bins"),
    ('source.beta = { a = -1, b = 2 }\nmodels.u.uniform = true\n', r"\[source.beta\]"),
    ('source.beta = { a = 1, b = 2 }\nmodels.u.uniform = true\nquantise = { bins = 4, edges = [0, 1] }\n',
     r"give edges, or bins"),
    ('source.beta = { a = 1, b = 2 }\nmodels.u.uniform = true\nquantise.edges = [0, 0.5, 0.4, 1]\n',
     r"strictly increasing"),
    ('source = { file = "missing.txt" }\nmodels.u.uniform = true\n', r"missing.txt: no such file"),
    ('source = { file = "a.txt", unit = "syllable" }\nmodels.u.uniform = true\n', r"syllable"),
]


@pytest.mark.parametrize("text, message", WHERE_Q_BAD, ids=[m for _, m in WHERE_Q_BAD])
def test_bad_model_sources_are_named(tmp_path, text, message):
    (tmp_path / "a.txt").write_text("abc")
    with pytest.raises(ScenarioError, match=message):
        load(write(tmp_path, text))


def test_binary_file_as_chars_names_the_byte_offset(tmp_path):
    (tmp_path / "bin.dat").write_bytes(b"ok\xff\xfe")
    with pytest.raises(ScenarioError, match=r"offset 2"):
        load(write(tmp_path, 'source = { file = "bin.dat", unit = "char" }\nmodels.u.uniform = true\n'))
    s = load(write(tmp_path, 'source = { file = "bin.dat", unit = "byte" }\nmodels.u.uniform = true\n', "b.toml"))
    assert s.alphabet == (107, 111, 254, 255)


def test_an_empty_file_source_is_refused(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(ScenarioError, match="empty.txt"):
        load(write(tmp_path, 'source = { file = "empty.txt" }\nmodels.u.uniform = true\n'))


def test_a_single_command_line_model_is_named_q_and_several_are_numbered():
    from codesim.scenario import from_vectors

    assert list(from_vectors([0.5, 0.5], [[0.3, 0.7]]).models) == ["q"]
    assert list(from_vectors([0.5, 0.5], [[0.3, 0.7], [0.9, 0.1]]).models) == ["q1", "q2"]


def test_a_beta_source_with_a_normal_model_has_no_closed_form_but_a_binned_divergence():
    """Beta and normal share no closed form for D; the binned D(p||q) is still exact for the bins,
    checked here against scipy's CDFs over the same edges."""
    from scipy.stats import beta, norm

    from codesim.measures import kl_divergence

    sc = parse({"source": {"beta": {"a": 2, "b": 5}}, "models": {"bell": {"normal": {"mean": 0.3, "sd": 0.2}}},
                "quantise": {"bins": 16}}, "mixed.toml")
    assert sc.figures["continuous_kl_bits"] == {"bell": None}
    [remark] = [r for r in sc.remarks if r.startswith("Model 'bell'")]
    assert "D(Beta(2, 5)||Normal(0.3, 0.2)) has no closed form" in remark
    edges = np.linspace(0, 1, 17)
    p = np.diff(beta.cdf(edges, 2, 5))
    q = np.diff(norm.cdf(edges, 0.3, 0.2))
    expected = kl_divergence(p / p.sum(), q / q.sum())
    assert kl_divergence(sc.source, sc.models["bell"]) == pytest.approx(expected, rel=1e-6)
    assert f"D(p||q) = {expected:.4f} bits" in remark


def test_a_file_message_keeps_its_length_but_takes_other_run_settings(tmp_path):
    message = tmp_path / "m.txt"
    message.write_bytes(b"abracadabra")
    sc = parse({"source": {"file": str(message)}, "models": {"u": {"uniform": True}}}, str(tmp_path / "s.toml"))
    from codesim.coders import SchemeSpec

    assert sc.with_run(seed=3, schemes=(SchemeSpec.parse("huffman"),)).run.seed == 3
    for change in ({"length": 5}, {"trials": 2}):
        with pytest.raises(ScenarioError, match="the message is a file's own symbols, coded once"):
            sc.with_run(**change)


def test_a_continuous_source_may_be_quantised_into_a_single_bin():
    sc = parse({"source": {"beta": {"a": 2, "b": 3}}, "models": {"m": {"beta": {"a": 2, "b": 3}}},
                "quantise": {"bins": 1}}, "one-bin.toml")
    assert sc.source.probs.tolist() == [1.0] and len(sc.alphabet) == 1


def test_a_group_keeps_the_schemes_that_learn_beside_models_with_memory():
    """A group's scheme is left out where it cannot serve a model; a scheme that learns takes none, so a
    chain model (which the i.i.d.-only schemes cannot serve) leaves every learner in."""
    from codesim.coders.registry import group
    from codesim.scenario import for_command

    sc, remarks = for_command(load(SCENARIOS / "weather-persistence.toml"), ("chain",), ("learners", "prefix"))
    learners = {spec.name for spec in group("learners")}
    assert learners <= {spec.name for spec in sc.run.schemes}
    assert not any(name in remark for remark in remarks for name in learners)


def test_the_run_block_is_read_checked_and_used_by_the_commands(tmp_path):
    """[run] block sets the messages a stream is coded in (a learner learns each afresh): the run's bits
    are those of simulate_many with that block; --block overrides it; a bad block is named."""
    import json

    from click.testing import CliRunner

    from codesim import simulate_many
    from codesim.cli import main
    from codesim.simulation.simulate import BLOCK

    assert load(write(tmp_path, GOOD)).run.block == BLOCK
    path = write(tmp_path, GOOD + "[run]\nlength = 3000\ntrials = 1\nseed = 4\nblock = 500\n"
                 'schemes = ["adaptive-arithmetic"]\n')
    sc = load(path)
    assert sc.run.block == 500
    expected = {block: simulate_many(sc.source, sc.models, sc.run.schemes, length=3000, trials=1, seed=4,
                                     block=block)[0].bits for block in (500, 3000)}
    assert expected[500] != expected[3000]
    for args, block in (([], 500), (["--block", "3000"], 3000)):
        result = CliRunner().invoke(main, ["run", str(path), "--format", "json", "-q", *args])
        assert result.exit_code == 0, result.output
        assert tuple(json.loads(result.output)["results"][0]["bits"]) == expected[block]
    for bad in ("0", "1.5", '"big"'):
        with pytest.raises(ScenarioError, match="block"):
            load(write(tmp_path, GOOD + f"[run]\nblock = {bad}\n", "bad.toml"))


# -- integer sources and models ------------------------------------------------------------------------
INTEGER = """
[source]
geometric = { theta = 0.9 }
[models.near]
geometric = { theta = 0.8 }
[models.heavy]
zeta = { s = 4.0 }
"""


def test_an_omitted_alphabet_is_0_to_the_largest_end_over_source_and_integer_models(tmp_path):
    from codesim.sources.integer import IntegerDistribution, support_end

    sc = load(write(tmp_path, INTEGER))
    end = max(support_end("geometric", 0.9), support_end("geometric", 0.8), support_end("zeta", 4.0))
    assert end == support_end("zeta", 4.0) > support_end("geometric", 0.9) == 262
    assert sc.alphabet == tuple(range(end + 1))
    assert sc.source == IntegerDistribution.geometric(0.9, range(end + 1))
    assert (sc.models["heavy"].family, sc.models["heavy"].parameter) == ("zeta", 4.0)
    assert sc.source.truncated == pytest.approx(0.9 ** (end + 1), rel=1e-12)
    assert sc.figures["truncated_mass"] == {"source": sc.source.truncated, "near": sc.models["near"].truncated,
                                            "heavy": sc.models["heavy"].truncated}
    assert sc.remarks[0] == (f"The source is geometric(theta=0.9): the alphabet 0..{end} holds all but "
                             f"{0.9 ** (end + 1):.1e} of its mass; the rest is left out and the distribution "
                             "renormalised.")
    heavy = sc.models["heavy"].truncated
    assert heavy < 1e-12 and sc.remarks[2] == (f"Model 'heavy' is zeta(s=4): the alphabet 0..{end} holds all but "
                                               f"{heavy:.1e} of its mass; the rest is left out and the distribution "
                                               "renormalised.")


def test_max_caps_a_heavy_tail_and_probs_models_fit_the_alphabet(tmp_path):
    text = INTEGER.replace("zeta = { s = 4.0 }", "zeta = { s = 1.5, max = 300 }") + \
        "[models.flat]\nuniform = true\n[models.listed]\nprobs = [" + ", ".join(["1"] * 301) + "]\nnormalise = true\n"
    sc = load(write(tmp_path, text))
    assert len(sc.alphabet) == 301
    assert sc.models["listed"].probs.tolist() == sc.models["flat"].probs.tolist()
    assert sc.models["heavy"].truncated > 0.04  # the zeta(1.5) tail past 300, 0.044
    assert "Model 'heavy' is zeta(s=1.5): the alphabet 0..300 holds all but" in " ".join(sc.remarks)
    assert len(load(write(tmp_path, INTEGER.replace("s = 4.0", "s = 1.5"))).alphabet) == 65536
    with pytest.raises(ScenarioError, match=r"probs has 5 entries but the alphabet has 301 symbols"):
        load(write(tmp_path, text + "[models.short]\nprobs = [1, 1, 1, 1, 1]\nnormalise = true\n"))


def test_a_given_alphabet_is_what_integer_families_are_evaluated_on(tmp_path):
    sc = load(write(tmp_path, "alphabet = [0, 1, 2, 5]\n" + INTEGER))
    assert sc.alphabet == (0, 1, 2, 5)
    pmf = np.array([0.1 * 0.9**n for n in (0, 1, 2, 5)])
    assert sc.source.probs.tolist() == pytest.approx((pmf / pmf.sum()).tolist(), rel=1e-13)
    assert sc.source.truncated == pytest.approx(1 - pmf.sum(), rel=1e-12)
    assert "The source is geometric(theta=0.9): the alphabet of 4 labels holds only 3.3e-01" in sc.remarks[0]
    mixed = load(write(tmp_path, GOOD.replace('["a", "b"]', "[3, 4]").replace("probs = [0.9, 0.1]",
                                                                              "poisson = { mean = 3 }")))
    assert mixed.models["m"].family == "poisson" and mixed.source.probs.tolist() == [0.5, 0.5]


INTEGER_BAD = [
    ("theta = 0.9", "theta = 0", "[source.geometric] theta is 0: it must be between 0 and 1, both excluded"),
    ("theta = 0.9", "theta = 1", "[source.geometric] theta is 1: it must be between 0 and 1"),
    ("theta = 0.9", "theta = 1.5", "[source.geometric] theta is 1.5:"),
    ("theta = 0.9", "theta = nan", "[source.geometric] theta is nan: it must be finite"),
    ("theta = 0.9", "theta = inf", "[source.geometric] theta is inf: it must be finite"),
    ("theta = 0.9", 'theta = "0.9"', "[source.geometric] theta: expected a number, got the string '0.9'"),
    ("theta = 0.9", "tehta = 0.9", "[source.geometric] missing key 'theta'"),
    ("theta = 0.9", "theta = 0.9, mean = 2", "[source.geometric] unknown key 'mean'"),
    ("theta = 0.9", "theta = 0.9, max = 70000", "[source.geometric] max: 70000 is over the limit of 65535"),
    ("theta = 0.9", "theta = 0.9, max = -1", "[source.geometric] max: must be >= 0, got -1"),
    ("theta = 0.9", "theta = 0.9, max = 1e300", "[source.geometric] max: 1e+300 is over the limit of 65535"),
    ("theta = 0.9", "theta = 0.9, max = 2.5", "[source.geometric] max: expected a whole number, got 2.5"),
    ("geometric = { theta = 0.9 }", "poisson = { mean = 0 }", "[source.poisson] mean is 0: it must be > 0"),
    ("geometric = { theta = 0.9 }", "poisson = { mean = -3 }", "[source.poisson] mean is -3: it must be > 0"),
    ("geometric = { theta = 0.9 }", "poisson = { mean = -inf }", "[source.poisson] mean is -inf"),
    ("zeta = { s = 4.0 }", "zeta = { s = 1 }", "[models.heavy.zeta] s is 1: it must be > 1"),
    ("zeta = { s = 4.0 }", "zeta = { s = 0.5 }", "[models.heavy.zeta] s is 0.5: it must be > 1"),
    ("zeta = { s = 4.0 }", "zeta = { s = true }", "[models.heavy.zeta] s: expected a number, got the boolean true"),
    ("zeta = { s = 4.0 }", "zeta = 4.0", "[models.heavy] zeta: expected a table, got 4.0"),
]


@pytest.mark.parametrize("old, new, message", INTEGER_BAD)
def test_bad_integer_parameters_are_one_line_errors_naming_the_key(tmp_path, old, new, message):
    path = write(tmp_path, INTEGER.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text, text


@pytest.mark.parametrize("label, shown", [("-1", "-1"), ("2.0", "2.0"), ('"x"', "the string 'x'")])
def test_a_given_alphabet_with_a_label_no_integer_family_has_is_named(tmp_path, label, shown):
    with pytest.raises(ScenarioError, match=fr"\[source\] alphabet entry 2 is {shown}: a geometric distribution "
                                            "is over the non-negative integers"):
        load(write(tmp_path, f"alphabet = [0, {label}, 7]\n" + INTEGER))


def test_max_is_refused_beside_a_given_alphabet_and_a_non_integer_source_still_needs_one(tmp_path):
    with pytest.raises(ScenarioError, match=r"\[source.geometric\] max: max caps an omitted alphabet"):
        load(write(tmp_path, "alphabet = [0, 1, 2]\n" + INTEGER.replace("theta = 0.9", "theta = 0.9, max = 5")))
    no_alphabet = GOOD.replace('alphabet = ["a", "b"]\n', "").replace("probs = [0.9, 0.1]", "geometric = {theta = 0.5}")
    with pytest.raises(ScenarioError, match="missing key 'alphabet'"):
        load(write(tmp_path, no_alphabet))


@pytest.mark.parametrize("family", ["geometric = { theta = 0.7 }", "poisson = { mean = 4.5 }", "zeta = { s = 3 }"])
def test_codesim_run_codes_each_integer_family_end_to_end(tmp_path, family):
    import json

    from click.testing import CliRunner

    from codesim.cli import main

    text = (f'description = "integers"\n[source]\n{family}\n[models.same]\n{family}\n[models.flat]\nuniform = true\n'
            '[run]\nlength = 3000\ntrials = 2\nseed = 9\nschemes = ["huffman", "arithmetic", "rans"]\n')
    text = text.replace("zeta = { s = 3 }", "zeta = { s = 3, max = 4000 }")
    result = CliRunner().invoke(main, ["run", str(write(tmp_path, text)), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {r["model"] for r in doc["results"]} == {"same", "flat"}
    assert all(r["verified"] for r in doc["results"])
    assert [r["kl_bits"] for r in doc["results"] if r["model"] == "same"] == [0.0] * 3
    assert any(remark.startswith("The source is ") for remark in doc["scenario"]["remarks"])
    assert set(doc["scenario"]["truncated_mass"]) == {"source", "same"}
    table = CliRunner().invoke(main, ["run", str(write(tmp_path, text))]).stdout
    assert "holds all but" in table and "renormalised" in table


@settings(max_examples=80, deadline=None)
@given(family=st.sampled_from([("geometric", "theta"), ("poisson", "mean"), ("zeta", "s")]),
       value=st.floats() | st.integers() | st.booleans() | st.text(max_size=3) | st.floats(1.0, 1.001)
       | st.floats(0.999, 1.0), cap=st.none() | st.integers(-5, 70000) | st.floats(-1, 1e6))
def test_any_integer_parameter_and_max_load_or_are_refused_in_one_line(family, value, cap):
    kind, key = family
    table = {key: value} if cap is None else {key: value, "max": cap}
    try:
        sc = parse({"source": {kind: table}, "models": {"m": {"uniform": True}}}, "fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith(f"fuzz.toml: [source.{kind}] ") and "\n" not in str(exc), str(exc)
    else:
        assert 1 <= len(sc.alphabet) <= 65536 and sc.alphabet[-1] <= (65535 if cap is None else cap)
        assert 0 <= sc.source.truncated <= 1 and abs(math.fsum(sc.source.probs) - 1) < 1e-12
        assert "of its mass" in sc.remarks[0]


def test_an_alphabet_holding_little_of_the_mass_says_how_little():
    sc = parse({"source": {"poisson": {"mean": 7e4}}, "models": {"m": {"uniform": True}}}, "far.toml")
    assert sc.source.truncated == 1.0 and 0 < sc.source.kept < 1e-50
    assert sc.remarks[0].startswith(f"The source is poisson(mean=70000): the alphabet 0..65535 holds only "
                                    f"{sc.source.kept:.1e} of its mass;")
