"""Simulations: bit counts come from real encodings, repeat from the seed, and agree with the theory."""

import math

import numpy as np
import pytest

from codesim import Distribution, build, simulate, simulate_many
from codesim.errors import CodesimError
from codesim.simulation.simulate import MAX_LENGTH, check_run_size, trial_streams
from codesim.simulation.stats import confidence_interval, t_quantile_975

from ..conftest import NASA_P


@pytest.fixture
def p():
    return Distribution.from_probs(NASA_P)


def test_bit_counts_are_the_lengths_of_the_real_encodings(p):
    q = Distribution.uniform(8).with_probs([0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
    m = simulate(p, q, "shannon", length=5000, trials=3, seed=11)
    code = build("shannon", q)
    assert list(m.bits) == [len(code.encode(s)) for s in trial_streams(p, 5000, 3, 11)]
    assert m.bits_per_symbol == pytest.approx(np.mean(m.bits) / 5000)


def test_same_seed_same_measurement_other_seed_other_streams(p):
    q = Distribution.uniform(8)
    a = simulate(p, p, "huffman", length=2000, trials=2, seed=3)
    assert a == simulate(p, p, "huffman", length=2000, trials=2, seed=3)
    assert a.bits != simulate(p, p, "huffman", length=2000, trials=2, seed=4).bits
    assert simulate(p, q, "fixed", length=10, trials=1, seed=0).ci95 is None


def test_measured_bits_agree_with_the_expected_length(p):
    """The mean of 10 trials of 20000 symbols is within 5 standard errors of sum p(x) l(x)."""
    m = simulate(p, p, "huffman", length=20000, trials=10, seed=5)
    per_trial = np.array(m.bits) / m.length
    se = per_trial.std(ddof=1) / math.sqrt(m.trials)
    assert abs(m.bits_per_symbol - m.expected_bits_per_symbol) < 5 * se
    assert m.entropy_bits <= m.expected_bits_per_symbol < m.entropy_bits + 1


def test_sample_kl_and_ideal_length_track_the_theory(p):
    q = Distribution.uniform(8)
    m = simulate(p, q, "huffman", length=200_000, trials=2, seed=8)
    assert m.sample_kl_bits == pytest.approx(m.kl_bits, abs=0.01)
    assert m.ideal_bits_per_symbol == pytest.approx(3.0)


def test_all_pairs_share_the_same_streams(p):
    """Every (model, scheme) pair is measured on identical streams: same model, same ideal length."""
    ms = simulate_many(p, {"a": p, "b": p}, ["huffman", "shannon"], length=1000, trials=2, seed=1)
    assert len({m.ideal_bits_per_symbol for m in ms}) == 1


def test_a_decoder_that_gets_it_wrong_is_reported_not_counted(p, monkeypatch):
    from codesim.coders.prefix_code import PrefixCode

    monkeypatch.setattr(PrefixCode, "decode", lambda self, bits, n: np.zeros(n, dtype=np.uint8))
    assert simulate(p, p, "huffman", length=1000, trials=2, seed=1).verified is False


def test_t_quantiles_match_scipy_to_the_accuracy_the_docstring_states():
    """df 1..30 are a 3-decimal table (within half a unit of the last place); above, the expansion is
    within 1e-4, checked against scipy's t.ppf up to df = 200."""
    from scipy.stats import t

    for df in range(1, 201):
        assert abs(t_quantile_975(df) - t.ppf(0.975, df)) <= (5e-4 if df <= 30 else 1e-4), df
    lo, hi = confidence_interval([1.0, 2.0, 3.0])
    assert (lo + hi) / 2 == pytest.approx(2.0) and hi - lo == pytest.approx(2 * 4.303 / math.sqrt(3))


def test_run_sizes_are_checked_before_anything_is_allocated():
    for length, trials in [(0, 1), (MAX_LENGTH + 1, 1), (10, 0), (True, 1)]:
        with pytest.raises(CodesimError):
            check_run_size(length, trials)


def test_coding_times_are_positive_and_fit_inside_the_wall_time_of_the_run():
    """A bound, not a timing test: the clocked encode and decode time of all pairs cannot exceed the
    run's wall time, so every throughput is at least symbols / wall time."""
    import time

    p = Distribution.from_probs(NASA_P)
    start = time.perf_counter()
    found = simulate_many(p, {"p": p}, ["huffman", "arithmetic"], length=3000, trials=2, seed=4)
    wall = time.perf_counter() - start
    assert sum(m.encode_seconds + m.decode_seconds for m in found) <= wall
    for m in found:
        assert m.encode_seconds > 0 and m.decode_seconds > 0
        assert m.encode_symbols_per_second >= 6000 / wall and m.decode_symbols_per_second >= 6000 / wall
        assert m.encode_symbols_per_second == pytest.approx(6000 / m.encode_seconds)


def test_a_coder_that_takes_no_measurable_time_has_infinite_throughput_in_every_format():
    import dataclasses
    import json

    from codesim.present import report

    p = Distribution.from_probs(NASA_P)
    [m] = simulate_many(p, {"p": p}, ["huffman"], length=100, trials=1, seed=4)
    instant = dataclasses.replace(m, encode_seconds=0.0, decode_seconds=0.0)
    assert instant.encode_symbols_per_second == math.inf == instant.decode_symbols_per_second
    header = {"scenario": {"title": "t", "path": None, "remarks": []}, "length": 100, "trials": 1, "seed": 4}
    for fmt in report.FORMATS:
        text = report.render_compare(fmt, header, [instant], title="t")
        if fmt == "json":
            json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
        assert "inf" in text.lower() or fmt == "json"


def test_a_scheme_that_learns_runs_once_per_stream_with_no_model_figures(p):
    """Two models and a learner: the learner's row comes once, after the model-major rows, with the
    bits of its own encoding of each trial's stream and no figure that needs a q."""
    from codesim.coders import get

    models = {"p": p, "u": Distribution.uniform(8)}
    ms = simulate_many(p, models, ["huffman", "adaptive-huffman", "arithmetic"], length=3000, trials=2, seed=6)
    assert [(m.model, m.scheme) for m in ms] == [("p", "huffman"), ("p", "arithmetic"), ("u", "huffman"),
                                                 ("u", "arithmetic"), (None, "adaptive-huffman")]
    learner = ms[-1]
    assert get("adaptive-huffman").learns and not get("huffman").learns
    coder = build("adaptive-huffman", p)
    assert list(learner.bits) == [len(coder.encode(s)) for s in trial_streams(p, 3000, 2, 6)]
    assert learner.verified and learner.entropy_bits == ms[0].entropy_bits
    assert learner.excess_bits_per_symbol == pytest.approx(learner.bits_per_symbol - learner.entropy_bits)
    for field in ("expected_bits_per_symbol", "ideal_bits_per_symbol", "sample_kl_bits", "cross_entropy_bits",
                  "kl_bits", "code_kl_bits"):
        assert getattr(learner, field) is None, field
    assert math.isnan(learner.code_loss_bits)
    assert learner.to_dict()["model"] is None


def test_a_learner_alone_runs_once_whatever_the_models(p):
    ms = simulate_many(p, {"a": p, "b": p, "c": p}, ["adaptive-arithmetic"], length=500, trials=1, seed=2)
    assert [(m.model, m.scheme) for m in ms] == [(None, "adaptive-arithmetic")]


def test_a_learner_row_prints_in_every_format_with_model_null():
    import json

    from click.testing import CliRunner

    from codesim.cli import main

    from ..conftest import SCENARIOS

    args = ["run", str(SCENARIOS / "nasa-temperature.toml"), "-n", "500", "--trials", "2", "--model", "matched",
            "--model", "uniform", "--scheme", "huffman", "--scheme", "adaptive-arithmetic"]
    for fmt in ("table", "csv", "markdown", "json"):
        result = CliRunner().invoke(main, args + ["--format", fmt])
        assert result.exit_code == 0, result.output
        assert "adaptive-arithmetic" in result.stdout
    rows = json.loads(result.stdout)["results"]
    assert [(r["model"], r["scheme"]) for r in rows][-1] == (None, "adaptive-arithmetic")
    assert rows[-1]["kl_bits"] is None and rows[-1]["expected_bits_per_symbol"] is None
