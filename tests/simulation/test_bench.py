"""codesim bench: every row is a verified round trip, and peers do the same job (properties, not timings)."""

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from codesim.simulation import bench
from codesim.simulation.bench import SOURCES, BenchRow, benchmark, run_peers
from codesim.cli import main
from codesim.coders import PrefixCode, SchemeSpec, available
from codesim.sources.iid import Distribution
from codesim.coders.registry import ALL, select

from ..conftest import prob_vectors

N = 10_000
PREFIX_SCHEMES = [s.name for s in available()
                  if isinstance(SchemeSpec.of(s.name).build(np.array([0.5, 0.5])), PrefixCode)]


@pytest.fixture(scope="module")
def rows():
    return benchmark(select([ALL])[0], lengths=(N,), peers=True)


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
    assert [(r.source, r.scheme) for r in ours(rows)] == [(s, x) for s in SOURCES for x in labels]
    for r in rows:
        assert r.length == N and r.encode_symbols_per_second > 0 and r.decode_symbols_per_second > 0


def test_peers_are_off_unless_asked_for_and_old_rows_still_build():
    plain = benchmark([SchemeSpec.of("huffman")], sources=["nasa"], lengths=(1000,))
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
    data = json.loads(result.stdout)
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
        assert [d["peer"] for d in json.loads(result.stdout)] == [None, "bitarray", None] * 2


def test_cli_bench_without_peers_does_not_mention_constriction(no_constriction):
    result = invoke("--scheme", "huffman", "--no-peers")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
