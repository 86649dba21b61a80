"""Convergence and sweep experiments, and where their tasks run: properties, not snapshots."""

from __future__ import annotations

import contextlib
import sys
import time

import numpy as np
import pytest

from codesim import CodesimError, Distribution, load, simulate_many
from codesim.simulation import parallel
from codesim.coders import build
from codesim.simulation.experiments import converge, log_lengths, mixture, parse_mix, parse_param, sweep
from codesim.measures import cross_entropy, entropy, kl_divergence, log_likelihood_ratio
from codesim.simulation.parallel import Task, run_tasks
from codesim.simulation.simulate import trial_seeds
from codesim.simulation.stats import t_quantile_975

from ..conftest import SCENARIOS


@pytest.fixture(scope="module")
def nasa_scenario():
    return load(SCENARIOS / "nasa-temperature.toml")


@pytest.fixture(scope="module")
def convergence(nasa_scenario):
    """Every NASA model, huffman and arithmetic, up to 20000 symbols, 8 trials."""
    return converge(nasa_scenario, log_lengths(20000), schemes=["huffman", "arithmetic"], trials=8, seed=7)


class Tally:
    """A progress factory that records the totals it is given and the amounts reported."""

    def __init__(self):
        self.totals, self.done = [], []

    @contextlib.contextmanager
    def __call__(self, total):
        self.totals.append(total)
        yield self.done.append


def standard_error(ci, trials):
    """The standard error of a mean from its 95% t-interval."""
    return 0.0 if ci is None else (ci[1] - ci[0]) / 2 / t_quantile_975(trials - 1)


# -- convergence ---------------------------------------------------------------------------------

def test_log_lengths_are_decades_up_to_and_including_the_longest():
    assert log_lengths(20000) == [10, 100, 1000, 10000, 20000]
    assert log_lengths(10**6) == [10, 100, 1000, 10000, 100000, 10**6]
    assert log_lengths(5) == [5]
    fine = log_lengths(10**4, per_decade=4)
    assert fine[:5] == [10, 18, 32, 56, 100] and fine[-1] == 10**4 and fine == sorted(set(fine))
    for bad in (0, -1, 2.5, True):
        with pytest.raises(CodesimError):
            log_lengths(bad)
    with pytest.raises(CodesimError, match="per decade"):
        log_lengths(100, per_decade=0)


def test_points_exist_for_every_model_scheme_and_length_in_that_order(nasa_scenario, convergence):
    expected = [(m, s, n) for m in nasa_scenario.models for s in ("huffman", "arithmetic")
                for n in log_lengths(20000)]
    assert [(p.model, p.scheme, p.length) for p in convergence] == expected
    assert all(p.verified and p.trials == 8 and len(p.bits) == 8 for p in convergence)


def test_average_log_likelihood_ratio_converges_to_kl_divergence(convergence):
    """At 20000 symbols the mean of log2 p(x)/q(x) over 8 streams is within 4 standard errors of
    D(p||q) for every model (the law of large numbers, the likelihood-ratio view of KL)."""
    for point in (p for p in convergence if p.length == 20000):
        se = standard_error(point.llr_ci95, point.trials)
        assert abs(point.llr_bits - point.kl_bits) <= 4 * se + 1e-12, point


def test_arithmetic_bits_converge_to_cross_entropy(convergence):
    """The arithmetic coder spends -log2 r(x) per symbol (r: q quantised to 2^-24) and at most 2 bits
    more per message, so at 20000 symbols its bits per symbol are within 4 standard errors of
    H(p,r) = H(p,q) + (quantisation, under 1e-4 bits), plus 2 / 20000."""
    points = [p for p in convergence if p.length == 20000 and p.scheme == "arithmetic"]
    assert len(points) == 5
    for point in points:
        se = standard_error(point.bits_ci95, point.trials)
        assert point.expected_bits_per_symbol == pytest.approx(point.cross_entropy_bits, abs=1e-4)
        assert (point.expected_bits_per_symbol - 4 * se - 1e-12 <= point.bits_per_symbol
                <= point.expected_bits_per_symbol + 4 * se + 2 / point.length), point


def test_a_prefix_point_equals_coding_the_first_symbols_directly(nasa_scenario, convergence):
    """Trial t's stream is p.sample(20000, default_rng(trial_seeds(seed, 8)[t])); the point at
    length L has each trial's bits for encoding its first L symbols as one message, and their
    average log-likelihood ratio: one stream growing, not fresh streams per length."""
    p, q = nasa_scenario.source, nasa_scenario.models["swapped"]
    streams = [p.sample(20000, np.random.default_rng(s)) for s in trial_seeds(7, 8)]
    for scheme in ("huffman", "arithmetic"):
        code = build(scheme, q)
        for length in (10, 1000, 20000):
            point = next(x for x in convergence
                         if (x.model, x.scheme, x.length) == ("swapped", scheme, length))
            assert point.bits == tuple(len(code.encode(s[:length])) for s in streams)
            assert point.llr_bits == pytest.approx(
                np.mean([log_likelihood_ratio(s[:length], p, q) for s in streams]), abs=1e-12)
            assert point.kl_bits == kl_divergence(p, q)
            assert point.cross_entropy_bits == cross_entropy(p, q)
            assert point.entropy_bits == entropy(p)


def test_prefixes_longer_than_a_block_are_coded_as_simulate_many_codes_them(nasa_scenario):
    """With blocks of 1000 symbols, the prefix of length L is bit for bit what simulate_many measures
    at length L with the same seed and block: whole blocks, then the tail as a message of its own."""
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    lengths = [400, 1000, 2500, 3000]
    points = converge(sc, lengths, schemes=["huffman", "arithmetic"], trials=3, seed=11, block=1000)
    for length in lengths:
        measured = simulate_many(sc.source, sc.models, ["huffman", "arithmetic"], length=length, trials=3,
                                 seed=11, block=1000)
        for m in measured:
            point = next(x for x in points if (x.model, x.scheme, x.length) == (m.model, m.scheme, length))
            assert point.bits == m.bits
            assert point.llr_bits == pytest.approx(m.sample_kl_bits, abs=1e-12)


def test_file_scenario_converges_on_prefixes_of_its_message():
    sc = load(SCENARIOS / "readme-vs-source.toml")
    n = sc.message.size
    points = converge(sc, [100, 1000, n], schemes=["huffman"])
    assert [(p.model, p.length) for p in points] == [(m, L) for m in sc.models for L in (100, 1000, n)]
    for point in points:
        code = build("huffman", sc.models[point.model])
        assert point.trials == 1 and point.bits_ci95 is None and point.llr_ci95 is None
        assert point.bits == (len(code.encode(sc.message[: point.length])),)
    with pytest.raises(CodesimError, match="longer than the message"):
        converge(sc, [n + 1], schemes=["huffman"])
    with pytest.raises(CodesimError, match="trials must be 1"):
        converge(sc, [100], schemes=["huffman"], trials=2)


def test_convergence_rejects_bad_lengths(nasa_scenario):
    for bad in ([], [0], [10, 2.5], [-3]):
        with pytest.raises(CodesimError):
            converge(nasa_scenario, bad, schemes=["huffman"], trials=1, seed=1)


# -- sweeps --------------------------------------------------------------------------------------

def test_sweep_at_t0_is_simulate_many_bit_for_bit(nasa_scenario):
    """Without a mix the sweep measures each model on simulate_many's streams and blocks."""
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    points = sweep(sc, schemes=["huffman", "arithmetic"], length=3000, trials=3, seed=5, block=1000)
    measured = simulate_many(sc.source, sc.models, ["huffman", "arithmetic"], length=3000, trials=3,
                             seed=5, block=1000)
    assert [(p.model, p.t, p.scheme) for p in points] == [(m.model, 0.0, m.scheme) for m in measured]
    for point, m in zip(points, measured):
        assert point.bits == m.bits and point.ci95 == m.ci95 and point.verified
        assert point.code_kl_bits == m.code_kl_bits and point.kl_bits == m.kl_bits


def test_at_t1_every_model_is_the_source_and_arithmetic_excess_is_within_its_bound(nasa_scenario):
    """q_1 = p, so every model gives the same points at t = 1, and the arithmetic coder's excess over
    H(p) is its quantisation D(p||r) plus at most 2 bits a message, give or take 4 standard errors
    of the streams' own -log2 p."""
    points = sweep(nasa_scenario, mix=[0.0, 0.5, 1.0], schemes=["huffman", "arithmetic"], length=20000,
                   trials=6, seed=3)
    at_one = [p for p in points if p.t == 1.0]
    assert len(at_one) == 2 * len(nasa_scenario.models)
    for scheme in ("huffman", "arithmetic"):
        rows = [p for p in at_one if p.scheme == scheme]
        assert len({p.bits for p in rows}) == 1 and all(p.kl_bits == 0.0 for p in rows)
    for point in (p for p in at_one if p.scheme == "arithmetic"):
        se = standard_error(point.ci95, point.trials)
        assert -4 * se <= point.excess_bits_per_symbol <= point.code_kl_bits + 2 / point.length + 4 * se
        assert point.code_kl_bits < 1e-5


def test_kl_to_the_mixture_never_increases_with_t(nasa_scenario):
    """D(p||(1-t) q + t p) <= (1-t) D(p||q) (convexity of KL), so it falls monotonically to 0."""
    ts = parse_mix("0:1:21")
    points = sweep(nasa_scenario, mix=ts, schemes=["huffman"], length=100, trials=1, seed=1)
    p = nasa_scenario.source
    for name, q in nasa_scenario.models.items():
        kls = [x.kl_bits for x in points if x.model == name]
        assert len(kls) == 21 and kls[-1] == 0.0
        assert all(b <= a + 1e-12 for a, b in zip(kls, kls[1:])), name
        for t, kl in zip(ts, kls):
            assert kl <= (1 - t) * kl_divergence(p, q) + 1e-12
            assert kl == kl_divergence(p, mixture(q, p, t))


def test_mixture_is_exact_at_both_ends(nasa):
    q = Distribution.uniform(nasa.alphabet)
    assert mixture(q, nasa, 0.0) is q and mixture(q, nasa, 1.0) is nasa
    half = mixture(q, nasa, 0.5)
    assert half.alphabet == nasa.alphabet and np.allclose(half.probs, (q.probs + nasa.probs) / 2)


def test_a_param_sweep_runs_only_the_schemes_with_that_parameter(nasa_scenario):
    sc = nasa_scenario.select_models(["swapped"])
    points = sweep(sc, params={"k": [1, 2, 3]}, schemes=["huffman", "block-huffman", "arithmetic"],
                   length=3000, trials=2, seed=1)
    assert [(p.scheme, p.params) for p in points] == [
        ("block-huffman:k=1", {"k": 1}), ("block-huffman:k=2", {"k": 2}), ("block-huffman:k=3", {"k": 3})]
    assert all(p.verified for p in points)
    # A grid over two parameters, each scheme sweeping those it has; mix and params combine.
    grid = sweep(sc, mix=[0.0, 1.0], params={"lanes": [8, 64], "precision": [12, 16]},
                 schemes=["rans", "arithmetic"], length=500, trials=1, seed=1)
    per_t = [(p.scheme, p.params["precision"]) for p in grid if p.t == 0.0]
    assert per_t == [("rans:lanes=8,precision=12", 12), ("rans:lanes=8,precision=16", 16),
                     ("rans:lanes=64,precision=12", 12), ("rans:lanes=64,precision=16", 16),
                     ("arithmetic:precision=12", 12), ("arithmetic:precision=16", 16)]
    assert len(grid) == 12


def test_a_param_no_selected_scheme_has_is_an_error_naming_those_that_have_it(nasa_scenario):
    with pytest.raises(CodesimError, match="no selected scheme has the parameter 'k'.*block-huffman"):
        sweep(nasa_scenario, params={"k": [1, 2]}, schemes=["huffman", "arithmetic"], length=10, trials=1,
              seed=1)
    with pytest.raises(CodesimError, match="no scheme has a parameter 'kk' \\(did you mean 'k'\\?\\)"):
        sweep(nasa_scenario, params={"kk": [1]}, schemes=["block-huffman"], length=10, trials=1, seed=1)
    with pytest.raises(CodesimError, match="parameter k must be an integer from 1 to 16"):
        sweep(nasa_scenario, params={"k": [1, 99]}, schemes=["block-huffman"], length=10, trials=1, seed=1)
    with pytest.raises(CodesimError, match="give a list of values"):
        sweep(nasa_scenario, params={"k": []}, schemes=["block-huffman"], length=10, trials=1, seed=1)


def test_parse_mix_gives_evenly_spaced_weights_and_rejects_bad_ones():
    ts = parse_mix("0:1:21")
    assert len(ts) == 21 and ts[0] == 0.0 and ts[-1] == 1.0 and ts[10] == pytest.approx(0.5)
    assert parse_mix("0.2:0.2:1") == [0.2]
    assert parse_mix("1, 0.5 ,0") == [1.0, 0.5, 0.0]
    assert parse_mix("1:0:3") == [1.0, 0.5, 0.0]
    for bad, message in [("0:1", "START:STOP:COUNT"), ("a:1:3", "START:STOP:COUNT"),
                         ("0:1:2.5", "START:STOP:COUNT"), ("0:1:0", "count"), ("0:1:1002", "count"),
                         ("0:1.5:3", "outside"), ("-0.1", "outside"), ("0,x", "not a number"), ("", "empty"),
                         ("0,,1", "not a number"), ("nan", "not a number"), ("inf", "not a number")]:
        with pytest.raises(CodesimError, match=message):
            parse_mix(bad)
    with pytest.raises(CodesimError, match="outside"):
        sweep(load(SCENARIOS / "nasa-temperature.toml"), mix=[0.5, 2.0], schemes=["huffman"], length=10,
              trials=1, seed=1)


def test_parse_param_gives_a_name_and_numbers():
    assert parse_param("k=1,2,3") == ("k", [1, 2, 3])
    assert parse_param(" precision = 12, 14 ") == ("precision", [12, 14])
    assert parse_param("alpha=0.5,1e-2") == ("alpha", [0.5, 0.01])
    for bad in ("k", "=1", "k=", "k=a", "k=1,,2", "1k=2", "k=inf", "k=1;2"):
        with pytest.raises(CodesimError):
            parse_param(bad)


def test_to_dict_is_plain_data(nasa_scenario, convergence):
    import json

    json.dumps([p.to_dict() for p in convergence[:3]])
    point = sweep(nasa_scenario.select_models(["uniform"]), params={"k": [2]}, schemes=["block-huffman"],
                  length=100, trials=2, seed=1)[0]
    d = point.to_dict()
    assert d["params"] == {"k": 2} and isinstance(d["ci95"], list) and d["bits"] == list(point.bits)
    json.dumps(d)


# -- schemes that learn -------------------------------------------------------------------------

LEARNERS = ["adaptive-arithmetic", "adaptive-huffman"]
#: The figures of a model, None on a learner's point.
CONVERGE_MODEL_FIGURES = ("llr_bits", "llr_ci95", "cross_entropy_bits", "kl_bits", "expected_bits_per_symbol")
SWEEP_MODEL_FIGURES = ("cross_entropy_bits", "kl_bits", "code_kl_bits", "expected_bits_per_symbol")


def test_a_learner_converges_once_per_stream_as_simulate_many_measures_it(nasa_scenario):
    """A scheme that learns gives one point per length, after the models' points, with no model and no
    figure of one; at length L its bits are those simulate_many measures at L with the same seed and
    block (whole blocks, then the tail), and it is coded once per trial, not once per model."""
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    lengths = [400, 1000, 2500]
    tally = Tally()
    points = converge(sc, lengths, schemes=["huffman", *LEARNERS], trials=3, seed=11, block=1000, progress=tally)
    assert tally.totals == [(2 + 1) * 3]  # a task per (model, trial), and one per trial for the learners
    assert [(p.model, p.scheme, p.length) for p in points] == (
        [(m, "huffman", n) for m in sc.models for n in lengths] + [(None, s, n) for s in LEARNERS for n in lengths])
    h = sc.source.entropy_rate()
    for length in lengths:
        measured = simulate_many(sc.source, sc.models, ["huffman", *LEARNERS], length=length, trials=3, seed=11,
                                 block=1000)
        for m in measured:
            point = next(x for x in points if (x.model, x.scheme, x.length) == (m.model, m.scheme, length))
            assert point.bits == m.bits and point.verified
    for point in (p for p in points if p.model is None):
        assert all(getattr(point, name) is None for name in CONVERGE_MODEL_FIGURES), point
        assert point.entropy_bits == h and point.bits_ci95 is not None and point.trials == 3
    # Learners alone: no model is coded at all.
    tally = Tally()
    alone = converge(sc, lengths, schemes=LEARNERS, trials=3, seed=11, block=1000, progress=tally)
    assert tally.totals == [3] and alone == [p for p in points if p.model is None]


def test_a_learner_sweeps_once_whatever_the_mix(nasa_scenario):
    """A scheme that learns takes no q to mix: one point per parameter value (t and model None, no figure
    of q_t), after the models' points, coded once per trial; without a mix it is simulate_many's
    measurement bit for bit."""
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    tally = Tally()
    points = sweep(sc, mix=[0.0, 0.5, 1.0], schemes=["huffman", *LEARNERS], length=3000, trials=3, seed=5,
                   block=1000, progress=tally)
    assert tally.totals == [(2 * 2 + 1 + 1) * 3]  # q_0 and q_0.5 per model, p once, and the learners once
    assert [(p.model, p.t, p.scheme) for p in points] == (
        [(m, t, "huffman") for m in sc.models for t in (0.0, 0.5, 1.0)] + [(None, None, s) for s in LEARNERS])
    measured = simulate_many(sc.source, sc.models, ["huffman", *LEARNERS], length=3000, trials=3, seed=5,
                             block=1000)
    for m in (m for m in measured if m.model is None):
        point = next(x for x in points if x.scheme == m.scheme)
        assert point.bits == m.bits and point.ci95 == m.ci95 and point.verified
        assert point.excess_bits_per_symbol == m.excess_bits_per_symbol
        assert all(getattr(point, name) is None for name in SWEEP_MODEL_FIGURES), point
    # A swept parameter: one point per value, still once.
    alphas = sweep(sc, mix=[0.0, 1.0], params={"alpha": [0.5, 1.0]}, schemes=["adaptive-arithmetic"], length=3000,
                   trials=3, seed=5, block=1000)
    assert [(p.model, p.t, p.scheme, p.params) for p in alphas] == [
        (None, None, "adaptive-arithmetic:alpha=0.5", {"alpha": 0.5, "order": 0}),
        (None, None, "adaptive-arithmetic:alpha=1", {"alpha": 1.0, "order": 0})]
    assert alphas[0].bits == points[-2].bits  # alpha = 0.5 is the default: the same measurement
    assert alphas[1].bits != alphas[0].bits


def test_learners_on_a_file_code_its_prefixes():
    """A file's message is the one stream: a learner's point at length L codes its first L symbols."""
    sc = load(SCENARIOS / "readme-vs-source.toml")
    n = sc.message.size
    points = converge(sc, [100, n], schemes=["huffman", "adaptive-arithmetic"])
    learner = [p for p in points if p.model is None]
    code = build("adaptive-arithmetic", sc.models[next(iter(sc.models))])
    assert [(p.length, p.bits) for p in learner] == [(L, (len(code.encode(sc.message[:L])),)) for L in (100, n)]
    [point] = [p for p in sweep(sc, schemes=["huffman", "adaptive-arithmetic"]) if p.model is None]
    assert point.bits == learner[-1].bits and point.t is None


def test_learners_on_two_processes_give_the_results_of_one(nasa_scenario):
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    args = dict(schemes=["huffman", *LEARNERS], trials=3, seed=9)
    assert converge(sc, [10, 300, 2000], jobs=2, **args) == converge(sc, [10, 300, 2000], **args)
    assert (sweep(sc, mix=[0, 0.5], length=2000, jobs=2, **args)
            == sweep(sc, mix=[0, 0.5], length=2000, **args))


def test_learner_points_in_every_format(nasa_scenario):
    """A learner's point has its model (and t) null in JSON, empty in CSV, blank cells under the model's
    columns in a table and in Markdown, and one line under the table names it; a point of a model keeps
    its figures."""
    import csv
    import io
    import json

    from codesim.present import report

    sc = nasa_scenario.select_models(["uniform"])
    head = report.header(sc)
    runs = [(converge(sc, [10, 100], schemes=["huffman", "adaptive-huffman"], trials=2, seed=1),
             report.CONVERGE_COLUMNS, CONVERGE_MODEL_FIGURES),
            (sweep(sc, mix=[0, 1], schemes=["huffman", "adaptive-huffman"], length=100, trials=2, seed=1),
             report.SWEEP_COLUMNS, SWEEP_MODEL_FIGURES + ("t",))]
    for points, columns, absent in runs:
        figures = [name for name in absent if not name.endswith("ci95")]
        doc = json.loads(report.points("json", head, points, columns, "t"))
        learners = [r for r in doc["points"] if r["scheme"] == "adaptive-huffman"]
        assert learners and all(r["model"] is None and all(r[k] is None for k in absent) for r in learners)
        modelled = [r for r in doc["points"] if r["scheme"] == "huffman"]
        assert modelled and all(r["model"] == "uniform" and r["kl_bits"] is not None for r in modelled)
        assert doc["notes"] == []  # null for what is absent, not for a value that is not finite
        rows = list(csv.DictReader(io.StringIO(report.points("csv", head, points, columns, "t"))))
        learners = [r for r in rows if r["scheme"] == "adaptive-huffman"]
        assert learners and all(r["model"] == "" and all(r[k] == "" for k in figures) for r in learners)
        assert all(r["bits_per_symbol"] and r["verified"] == "true" for r in learners)
        for fmt in ("table", "markdown"):
            text = report.points(fmt, head, points, columns, "t")
            lines = [x for x in text.splitlines() if "adaptive-huffman" in x and "take" not in x]
            if fmt == "markdown":
                cells = [[c.strip() for c in x.strip("|").split("|")] for x in lines]
                blank = [i for i, c in enumerate(columns) if c.model_only]
                assert lines and all(all(row[i] == "" for i in blank) for row in cells)
            else:
                assert lines and all(x.startswith(" ") for x in lines)  # the model's column is blank
            assert "None" not in text and "n/a" not in "".join(lines)
            note = [x for x in text.splitlines() if "take" in x and "no model" in x]
            assert note == [x for x in note if x.lstrip("- ").startswith("adaptive-huffman learns from the message")]
            assert len(note) == 1 and all(f"{c.head.replace('q)', 'q_t)')}" in note[0] or c.head in note[0]
                                          for c in columns if c.model_only)
        plain = converge(sc, [10], schemes=["huffman"], trials=2, seed=1)
        assert "no model" not in report.points("table", head, plain, report.CONVERGE_COLUMNS, "t")


# -- where tasks run -----------------------------------------------------------------------------

def _after(delay: float, value):
    time.sleep(delay)
    return value


def _fail(message: str):
    raise CodesimError(message)


def test_results_come_in_task_order_whatever_order_they_finish_in():
    tasks = [Task(_after, (0.3, "slow")), Task(_after, (0.0, "fast")), Task(_after, (0.1, "middle"))]
    tally = Tally()
    assert run_tasks(tasks, jobs=2, progress=tally) == ["slow", "fast", "middle"]
    assert tally.totals == [3] and tally.done == [1, 1, 1]
    assert run_tasks([], jobs=2) == []
    with pytest.raises(CodesimError, match="boom"):
        run_tasks([Task(_after, (0.0, 1)), Task(_fail, ("boom",))], jobs=2)


def test_jobs_and_scheduler_are_validated(nasa_scenario):
    for jobs in (0, -1, 1.5, True):
        with pytest.raises(CodesimError, match="jobs"):
            run_tasks([Task(abs, (1,))], jobs=jobs)
    for address in ("localhost", "http://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://h:99999", "tcp://:1"):
        with pytest.raises(CodesimError, match="tcp://HOST:PORT"):
            converge(nasa_scenario, [10], schemes=["huffman"], trials=1, seed=1, scheduler=address)


def test_a_scheduler_without_dask_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(CodesimError, match=r"pip install 'codesim\[distributed\]'"):
        run_tasks([Task(abs, (1,))], scheduler="local")


def test_equal_models_are_coded_once(nasa_scenario):
    """Every model at t = 1 is p itself: its streams are coded once, and the points share them."""
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    tally = Tally()
    points = sweep(sc, mix=[0.0, 1.0], schemes=["huffman"], length=100, trials=2, seed=1, progress=tally)
    assert tally.totals == [3 * 2] and sum(tally.done) == 6  # uniform, swapped and p, two trials each
    assert [p.bits for p in points if p.t == 1.0] == [points[1].bits] * 2


def test_two_processes_give_the_results_of_one(nasa_scenario):
    sc = nasa_scenario.select_models(["uniform", "swapped"])
    args = dict(schemes=["huffman", "arithmetic"], trials=3, seed=9)
    assert converge(sc, [10, 300, 2000], jobs=2, **args) == converge(sc, [10, 300, 2000], **args)
    assert (sweep(sc, mix=[0, 0.5], length=2000, jobs=2, **args)
            == sweep(sc, mix=[0, 0.5], length=2000, **args))


def test_dask_gives_the_results_of_one_process(nasa_scenario, monkeypatch):
    """A local Dask cluster (worker processes on loopback) and a client connected to a running
    scheduler by its tcp:// address both give exactly the in-process results."""
    distributed = pytest.importorskip("distributed")
    import logging

    sc = nasa_scenario.select_models(["uniform", "swapped"])
    args = dict(schemes=["huffman", "arithmetic"], trials=2, seed=4)
    here = sweep(sc, mix=[0, 0.5], params={"precision": [12, 24]}, length=1500, **args)
    tally = Tally()
    assert sweep(sc, mix=[0, 0.5], params={"precision": [12, 24]}, length=1500, scheduler="local", jobs=2,
                 progress=tally, **args) == here
    assert tally.totals == [8] and tally.done == [1] * 8
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert (converge(sc, [10, 1500], scheduler=address, **args) == converge(sc, [10, 1500], **args))
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "1s")  # the cluster is gone: fail fast
    with pytest.raises(CodesimError, match="cannot reach the Dask scheduler"):
        run_tasks([Task(abs, (1,))], scheduler=address)


def test_a_library_sweep_of_too_many_parameter_values_is_refused_before_any_work(nasa_scenario):
    from codesim.simulation.experiments import MAX_PARAM_VALUES

    many = list(range(1, MAX_PARAM_VALUES + 2))
    with pytest.raises(CodesimError, match=f"parameter sweep k: {MAX_PARAM_VALUES + 1} values, over the limit"):
        sweep(nasa_scenario, params={"k": many}, schemes=["block-huffman"], length=100, trials=1, seed=1)
