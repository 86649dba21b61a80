"""codesim bench: every row is a verified round trip, and peers do the same job (properties, not timings)."""

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from codesim.present import report
from codesim.simulation import bench
from codesim.simulation.bench import DEFAULT_SOURCES, SOURCES, BenchRow, benchmark, run_peers
from codesim.cli import main
from codesim.errors import CodesimError
from codesim.coders import PrefixCode, SchemeSpec, available
from codesim.coders.integer import IntegerCode
from codesim.sources.iid import Distribution
from codesim.coders.registry import ALL, select

from ..conftest import prob_vectors

N = 10_000
PREFIX_SCHEMES = [s.name for s in available()
                  if isinstance(SchemeSpec.of(s.name).build(np.array([0.5, 0.5])), (PrefixCode, IntegerCode))]


@pytest.fixture(scope="module")
def rows():
    return benchmark(select([ALL])[0], lengths=(N,), peers=True).rows


def ours(rows):
    return [r for r in rows if r.peer is None]


def peers_of(rows, row):
    """The peer rows that follow one of our rows."""
    i = rows.index(row) + 1
    out = []
    while i < len(rows) and rows[i].peer is not None:
        out.append(rows[i])
        i += 1
    return out


def test_every_row_is_a_verified_round_trip(rows):
    assert rows and all(r.verified for r in rows)
    labels = [s.label for s in select([ALL])[0]]
    assert [(r.source, r.scheme) for r in ours(rows)] == [(s, x) for s in DEFAULT_SOURCES for x in labels]
    for r in rows:
        assert r.length == N and r.encode_symbols_per_second > 0 and r.decode_symbols_per_second > 0


def test_peers_are_off_unless_asked_for_and_old_rows_still_build():
    plain = benchmark([SchemeSpec.of("huffman")], sources=["nasa"], lengths=(1000,)).rows
    assert len(plain) == 1 and plain[0].peer is None and plain[0].encode_ratio is None
    row = BenchRow("huffman", "nasa", 10, 1.0, 1.0, 2.5, 2.4, True)
    assert row.peer is None and row.same_bits is None
    assert row.overhead_bits_per_symbol == pytest.approx(0.1)


def test_every_prefix_scheme_has_a_bitarray_peer_with_our_bits(rows):
    for row in ours(rows):
        bitarray_rows = [p for p in peers_of(rows, row) if p.peer == "bitarray"]
        if row.scheme in PREFIX_SCHEMES:
            assert len(bitarray_rows) == 1, row
            peer = bitarray_rows[0]
            assert peer.same_bits is True and peer.verified
            assert peer.bits_per_symbol == row.bits_per_symbol
            assert (peer.scheme, peer.source, peer.length) == (row.scheme, row.source, row.length)
        else:  # block codes code tuples, stream coders have no codewords: nothing for bitarray to do
            assert bitarray_rows == []


def test_ratios_are_our_throughput_over_the_peers(rows):
    for row in ours(rows):
        for peer in peers_of(rows, row):
            enc = row.encode_symbols_per_second / peer.encode_symbols_per_second
            dec = row.decode_symbols_per_second / peer.decode_symbols_per_second
            assert (peer.encode_ratio, peer.decode_ratio) == (pytest.approx(enc), pytest.approx(dec))


@settings(max_examples=40, deadline=None)
@given(q=prob_vectors(max_size=40), scheme=st.sampled_from(PREFIX_SCHEMES),
       n=st.integers(0, 3000), seed=st.integers(0, 2**32 - 1))
def test_bitarray_encodes_exactly_our_bits_and_decodes_them(q, scheme, n, seed):
    coder = SchemeSpec.of(scheme).build(q)
    stream = Distribution.from_probs(q).sample(n, seed)
    (run,) = run_peers(coder, q, stream, coder.encode(stream))
    assert run.peer == "bitarray" and run.same_bits is True and run.verified
    assert run.bits == int(coder.lengths[stream].sum())


def test_bitarray_matches_our_codewords_after_the_jump_table_of_a_stream_in_lanes():
    """A stream long enough for lanes (here made short by shrinking the lanes) opens with a jump table."""
    coder = SchemeSpec.of("huffman").build(SOURCES["nasa"]())
    coder.symbols_per_lane, coder.min_lanes = 64, 2
    stream = SOURCES["nasa"]().sample(5000, 3)
    ours = coder.encode(stream)
    assert coder.lanes_for(stream.size) > 1 and coder.jump_table_bits(ours, stream.size) > 0
    (run,) = run_peers(coder, SOURCES["nasa"](), stream, ours)
    assert run.same_bits is True and run.verified
    assert run.bits == len(ours) - coder.jump_table_bits(ours, stream.size)


def test_constriction_peers_stand_beside_rans_and_arithmetic(rows):
    pytest.importorskip("constriction")
    expected = {"rans": "constriction ans", "arithmetic": "constriction range"}
    for row in ours(rows):
        names = [p.peer for p in peers_of(rows, row)]
        if row.scheme not in expected:
            assert not any(name.startswith("constriction") for name in names)
            continue
        assert names == [expected[row.scheme]]
        (peer,) = peers_of(rows, row)
        assert peer.verified
        # Both code to within a few thousandths of a bit of the stream's -log2 q; 0.05 is generous.
        assert abs(peer.bits_per_symbol - peer.ideal_bits_per_symbol) < 0.05
        assert abs(row.bits_per_symbol - row.ideal_bits_per_symbol) < 0.05


def invoke(*args):
    return CliRunner().invoke(main, ["bench", "-n", "1e4", *args])


def test_cli_bench_without_peers_prints_our_rows_only():
    result = invoke("--no-peers")
    assert result.exit_code == 0, result.output
    assert "huffman" in result.stdout and "rans" in result.stdout
    assert "bitarray" not in result.stdout and "constriction" not in result.stdout
    assert "ours/peer" not in result.stdout and result.stderr == ""


def test_cli_bench_with_peers_prints_them_with_ratios():
    result = invoke("--scheme", "huffman", "--scheme", "rans", "--scheme", "arithmetic")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "enc ours/peer" in out and "dec ours/peer" in out
    assert "bitarray" in out and "same bits" in out
    if bench._constriction() is not None:
        assert "constriction ans" in out and "constriction range" in out and result.stderr == ""


def test_cli_bench_json_with_peers_is_json():
    result = invoke("--scheme", "fixed", "--source", "nasa", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)["results"]
    assert [d["peer"] for d in data] == [None, "bitarray"]
    assert data[1]["same_bits"] is True and data[1]["encode_ratio"] > 0


@pytest.fixture
def no_constriction(monkeypatch):
    """Make ``import constriction`` fail as it does where the extra is not installed."""
    monkeypatch.setitem(sys.modules, "constriction", None)


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_cli_bench_without_constriction_says_how_to_install_it(no_constriction, fmt):
    result = invoke("--scheme", "huffman", "--scheme", "rans", "--format", fmt)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [bench.INSTALL_HINT]
    assert "pip install 'codesim[bench]'" in bench.INSTALL_HINT
    assert "constriction ans" not in result.stdout and "bitarray" in result.stdout
    if fmt == "json":
        # huffman and its bitarray peer, then rans alone, on each of the two sources
        assert [d["peer"] for d in json.loads(result.stdout)["results"]] == [None, "bitarray", None] * 2


def test_cli_bench_without_peers_does_not_mention_constriction(no_constriction):
    result = invoke("--scheme", "huffman", "--no-peers")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# -- throughput against length ------------------------------------------------------------------------
LENGTHS = (1000, 3000, 10_000)


@pytest.fixture(scope="module")
def sweep():
    return benchmark(["huffman", "rans", "arithmetic"], lengths=LENGTHS, peers=True)


def test_a_sweep_times_every_scheme_at_every_length_in_order_and_verifies_each_row(sweep):
    assert sweep.skipped == [] and all(r.verified for r in sweep.rows)
    ours_at = [(r.source, r.length, r.scheme) for r in ours(sweep.rows)]
    assert ours_at == [(s, n, x) for s in DEFAULT_SOURCES for n in LENGTHS for x in ("huffman", "rans", "arithmetic")]


def test_each_length_times_the_first_symbols_of_one_stream_which_is_that_lengths_own_draw():
    """A sweep draws the longest stream once; a shorter length's bits are those of its own draw."""
    p = SOURCES["nasa"]()
    run = benchmark(["huffman"], sources=["nasa"], lengths=(500, 2000))
    coder = SchemeSpec.of("huffman").build(p)
    for row in run.rows:
        assert row.bits_per_symbol * row.length == len(coder.encode(p.sample(row.length, 0)))


def test_a_length_predicted_over_the_row_budget_is_left_out_and_named(monkeypatch):
    monkeypatch.setattr(bench, "ROW_SECONDS", 0.0)
    run = benchmark(["huffman"], sources=["nasa"], lengths=(100, 200_000))
    assert [r.length for r in run.rows] == [100]  # the shortest has nothing to predict from
    (skipped,) = run.skipped
    assert (skipped.scheme, skipped.source, skipped.length) == ("huffman", "nasa", 200_000)
    assert skipped.seconds > 0
    assert "huffman on nasa: not timed at 2e+05" in report.bench_table(run)


def test_a_long_length_alone_is_predicted_from_probes_ten_times_apart(monkeypatch):
    """With nothing shorter timed, probes from PROBE_LENGTH up (each ten times the last) predict it."""
    seen = []
    monkeypatch.setattr(bench, "ROW_SECONDS", 1e9)
    monkeypatch.setattr(bench, "PROBE_LENGTH", 100)
    coder = SchemeSpec.of("huffman").build(SOURCES["nasa"]())
    real = coder.encode
    monkeypatch.setattr(coder, "encode", lambda s: seen.append(s.size) or real(s))
    timed: dict[int, float] = {}
    stream = SOURCES["nasa"]().sample(50_000, 0)
    assert bench._predicted_seconds(coder, stream, timed, repeats=2) > 0
    assert seen == [100, 1000, 10_000] and sorted(timed) == [100, 1000, 10_000]


def test_the_by_length_table_has_a_column_per_length_and_a_row_per_coder(sweep):
    text = report.bench_table(sweep, by_length=True)
    for source in DEFAULT_SOURCES:
        assert f"{source}: encoding / decoding" in text
    heads = [line.split() for line in text.splitlines() if line.startswith("scheme")]
    assert len(heads) == len(DEFAULT_SOURCES)
    for head in heads:
        assert head == ["scheme", "coder", "1e+03", "3e+03", "1e+04", "verified"]
    coders = len({(r.scheme, r.peer) for r in sweep.rows})
    body = [line for line in text.splitlines() if line.split()[:1] in (["huffman"], ["rans"], ["arithmetic"])]
    assert len(body) == coders * len(DEFAULT_SOURCES)
    assert all(line.rstrip().endswith("yes") for line in body)
    assert all(line.count(" / ") == len(LENGTHS) for line in body)
    assert json.loads(report.bench_table(sweep, "json", by_length=True)) == json.loads(report.bench_table(sweep, "json"))


def test_a_cell_under_half_its_rows_best_is_marked():
    row = lambda n, enc, dec: BenchRow("huffman", "nasa", n, enc, dec, 2.0, 2.0, True)
    run = bench.BenchRun([row(10, 1e6, 9e6), row(100, 3e6, 10e6)], [])
    (line,) = [line for line in report.bench_table(run, by_length=True).splitlines() if line.startswith("huffman")]
    assert line.split()[1:4] == ["1.00*", "/", "9.00"] and line.split()[4:7] == ["3.00", "/", "10.00"]


def test_the_lane_threshold_is_named_when_prefix_codes_were_timed_on_both_sides_of_it(monkeypatch):
    monkeypatch.setattr(PrefixCode, "symbols_per_lane", 16)
    monkeypatch.setattr(PrefixCode, "min_lanes", 128)
    run = benchmark(["huffman", "rans"], sources=["zipf256"], lengths=(1000, 4096))
    assert run.lane_threshold == 2048 and all(r.verified for r in run.rows)
    notes = report.bench_table(run).splitlines()
    said = "Too short for lanes: huffman at 1e+03. It splits a stream into lanes from 2048 symbols (2^11)"
    assert said in "\n".join(notes)
    assert not any(line.startswith("Too short for lanes") and "huffman at 1e+03, 4096" in line for line in notes)
    assert benchmark(["huffman"], sources=["nasa"], lengths=(1000,)).lane_threshold is None
    assert benchmark(["rans"], sources=["nasa"], lengths=(1000, 4096)).lane_threshold is None


def test_the_bench_figure_is_written(sweep, tmp_path):
    pytest.importorskip("matplotlib")
    from codesim.present import plots

    target = tmp_path / "bench.png"
    plots.save(plots.bench_figure(sweep.rows, lane_threshold=2**21), target)
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_cli_sweep_prints_throughput_against_length_and_draws_it(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "sweep.svg"
    result = CliRunner().invoke(main, ["bench", "--sweep", "-n", "1e3", "-n", "1e4", "--scheme", "huffman",
                                       "--source", "nasa", "--plot", str(target)])
    assert result.exit_code == 0, result.output
    assert "nasa: encoding / decoding" in result.stdout and "1e+03" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == f"figure: {target}"
    assert target.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize("args, message", [
    (["--sweep", "--pipeline"], "give one"),
    (["--pipeline", "--plot", "x.png"], "not --pipeline"),
    (["--pipeline", "-n", "1e3", "-n", "1e4"], "give -n once"),
    (["-n", "2e8"], "over the limit of 1e+08"),
])
def test_cli_bench_refuses_conflicting_or_oversized_requests_in_one_line(args, message):
    result = CliRunner().invoke(main, ["bench", *args])
    assert result.exit_code == 2 and message in result.stderr


# -- the pipeline of a run ----------------------------------------------------------------------------
def test_the_pipeline_times_each_scheme_against_one_peer_run_per_source():
    schemes = ("huffman", "arithmetic", "rans")
    rows = bench.pipeline(schemes, "huffman", length=30_000)
    assert [(r.source, r.scheme) for r in rows] == [(s, x) for s in DEFAULT_SOURCES for x in schemes]
    for r in rows:
        assert r.verified and r.peer_verified and r.length == 30_000
        assert r.ratio == pytest.approx(r.peer_seconds / r.seconds)
    for source in DEFAULT_SOURCES:  # the peer ran once per source
        assert len({r.peer_seconds for r in rows if r.source == source}) == 1


def test_the_peer_pipeline_draws_with_choice_and_decodes_its_blocks(monkeypatch):
    monkeypatch.setattr(bench, "BLOCK", 1000)
    p = SOURCES["zipf256"]()
    seconds, ok = bench._numpy_bitarray_run(p, SchemeSpec.of("huffman").build(p), 2500, seed=3)
    assert ok and seconds > 0


def test_the_peer_pipeline_needs_a_code_with_codewords():
    with pytest.raises(CodesimError, match="scheme 'rans' has none bitarray can use"):
        bench.pipeline(["huffman"], "rans", length=1000)


def test_cli_pipeline_prints_the_comparison():
    result = CliRunner().invoke(main, ["bench", "--pipeline", "-n", "2e4", "--scheme", "huffman",
                                       "--source", "nasa", "--format", "json", "--repeats", "2"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["results"]
    assert row["scheme"] == "huffman" and row["peer"] == "numpy+bitarray" and row["verified"] is True


def test_sources_with_memory_time_context_codes_and_learners_with_peers_asked_for():
    """On the chains, context codes and learners name no peer, and asking for peers runs them without one."""
    run = benchmark(["arithmetic", "ctw", "adaptive-arithmetic"], ["weather", "nasa-chain"], [2000], 1, 0, peers=True)
    assert {(r.scheme, r.source) for r in run.rows} == {(s, c) for s in ("arithmetic", "ctw", "adaptive-arithmetic")
                                                        for c in ("weather", "nasa-chain")}
    assert all(r.verified and r.peer is None for r in run.rows)


def test_a_fast_path_applies_from_the_length_where_the_fixed_cost_is_half_the_time_or_lanes_begin():
    """The rule, on figures given rather than timed: a message costs 1e-4 s plus 1e-8 s a symbol, so the
    fixed cost is half the time at 10^4 symbols; lanes, where the coder has them, start where it says."""
    path = bench.FastPath("rans", "nasa", fixed_seconds=1e-4, symbol_seconds=1e-8, longest=10**6, lanes_from=8193)
    assert path.fixed_from == 10**4
    assert path.short_for_fixed(9999) and not path.short_for_fixed(10**4) and not path.short_for_fixed(10**6)
    assert path.short_for_lanes(8192) and not path.short_for_lanes(8193)
    # A longest stream that took no longer than a one-symbol message: every length timed was all fixed cost.
    flat = bench.FastPath("zlib", "nasa", fixed_seconds=1e-4, symbol_seconds=0.0, longest=1000)
    assert flat.fixed_from is None and flat.short_for_fixed(1000) and not flat.short_for_lanes(1)


def test_a_short_length_is_named_under_the_table_with_its_coder_and_a_long_one_is_not():
    row = lambda scheme, n: BenchRow(scheme, "nasa", n, 1e6, 1e6, 2.0, 2.0, True)
    paths = [bench.FastPath("rans", "nasa", 1e-4, 1e-8, 10**6), bench.FastPath("huffman", "nasa", 1e-6, 1e-9, 10**6,
                                                                                lanes_from=2**21)]
    short = bench.BenchRun([row("rans", 1000), row("huffman", 1000)], [], fast_paths=paths)
    text = report.bench_table(short)
    assert "Too short for the fast path" in text and "rans at 1e+03 (0.100 ms a message; fast from about 1e+04" in text
    assert "Too short for lanes: huffman at 1e+03. It splits a stream into lanes from 2097152 symbols (2^21)" in text
    long = bench.BenchRun([row("rans", 10**6)], [], fast_paths=paths[:1])
    assert "Too short" not in report.bench_table(long)
    both = report.bench_table(bench.BenchRun([row("rans", 1000), row("rans", 10**6)], [], fast_paths=paths[:1]))
    assert "rans at 1e+03 (" in both and "1e+06" not in both.split("Too short", 1)[1]


def test_the_bench_names_a_prefix_code_too_short_for_its_lanes_from_the_coder_itself():
    """Which lengths are too short for lanes comes from the coder's own lanes_for, not from timing."""
    run = benchmark(["huffman"], sources=["nasa"], lengths=(1000,))
    (path,) = run.fast_paths
    assert path.lanes_from == PrefixCode.symbols_per_lane * PrefixCode.min_lanes and path.fixed_seconds > 0
    assert f"huffman at 1e+03. It splits a stream into lanes from {path.lanes_from} symbols" in report.bench_table(run)
    nasa = SOURCES["nasa"]()
    rans = SchemeSpec.parse("rans").build(nasa)
    assert bench.lanes_from(rans) == rans.symbols_per_lane + 1 and rans.lanes_for(rans.symbols_per_lane) == 1
    assert bench.lanes_from(SchemeSpec.parse("elias-gamma").build(nasa)) is None  # one stream, always
    assert bench.lanes_from(SchemeSpec.parse("zlib").build(nasa)) is None  # no lanes at all


def test_a_bench_of_plain_python_kernels_says_so_under_the_table():
    """Without numba the figures are 40 to 150 times below what the coders do compiled: the table says why."""
    from codesim import jit

    with jit.interpreted():
        run = benchmark(["rans"], sources=["nasa"], lengths=(1000,))
    assert not run.compiled and report.PLAIN_KERNELS_NOTE in report.bench_table(run)
    compiled = benchmark(["rans"], sources=["nasa"], lengths=(1000,))
    assert compiled.compiled == jit.enabled()
    assert (report.PLAIN_KERNELS_NOTE in report.bench_table(compiled)) != jit.enabled()


@pytest.mark.parametrize("n, shown", [(1, "1"), (100, "100"), (1000, "1e+03"), (10**6, "1e+06"),
                                      (2**20, "1048576"), (1500, "1500")])
def test_bench_lengths_are_shown_as_powers_of_ten_only_from_1000(n, shown):
    assert report._length(n) == shown
