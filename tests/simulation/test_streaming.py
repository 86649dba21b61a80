"""Streams drawn and coded in blocks: the same stream, the same bits and measures as one-shot
processing, the same results in several processes, and bounded memory at any length."""

import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from codesim import Distribution, simulate_many
from codesim.cli import main
from codesim.coders import SchemeSpec, available, get
from codesim.measures import ideal_length, log_likelihood_ratio
from codesim.present.progress import DELAY_SECONDS, Progress
from codesim.simulation.simulate import BLOCK, MAX_BLOCKS, MAX_LENGTH, block_for, trial_seeds

from ..conftest import NASA_P, SCENARIOS
from ..hostile import run_cli

P = Distribution.from_probs(NASA_P)
Q = Distribution.from_probs([0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1])
NAMES = [s.name for s in available()]


@given(st.integers(1, 5000), st.integers(1, 3000), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_blocks_joined_are_the_one_shot_stream(length, block, seed):
    child = trial_seeds(seed, 1)[0]
    joined = np.concatenate(list(P.blocks(length, child, block)))
    assert np.array_equal(joined, P.sample(length, np.random.default_rng(child)))


@pytest.mark.parametrize("name", NAMES)
@given(length=st.integers(1, 3000), block=st.integers(1, 4000), seed=st.integers(0, 2**16))
@settings(max_examples=15, deadline=None)
def test_block_by_block_equals_coding_the_one_shot_stream_in_the_same_blocks(name, length, block, seed):
    """Bits are those of each block of the one-shot stream coded as a message (blocks rounded up to
    a multiple of the scheme's unit, a block code's k); the measures are those of the whole stream."""
    [m] = simulate_many(P, {"q": Q}, [name], length=length, trials=1, seed=seed, block=block)
    stream = P.sample(length, np.random.default_rng(trial_seeds(seed, 1)[0]))
    coder = SchemeSpec.of(name).build(Q)
    cut = block_for(block, [SchemeSpec.of(name)])
    assert m.bits[0] == sum(len(coder.encode(stream[lo:lo + cut])) for lo in range(0, length, cut))
    if get(name).learns:  # no model: no model figures
        assert m.model is None and m.ideal_bits_per_symbol is None and m.sample_kl_bits is None
    else:
        assert m.ideal_bits_per_symbol == pytest.approx(ideal_length(stream, Q) / length, rel=1e-12)
        assert m.sample_kl_bits == pytest.approx(log_likelihood_ratio(stream, P, Q), rel=1e-9, abs=1e-12)
    assert m.verified


@pytest.mark.parametrize("name", ["fixed", "shannon", "huffman", "shannon-fano", "huffman-limited", "block-huffman"])
@given(block=st.integers(1, 3000), seed=st.integers(0, 2**16))
@settings(max_examples=15, deadline=None)
def test_prefix_code_bits_do_not_depend_on_the_block_size(name, block, seed):
    """A prefix code's messages concatenate: any block size gives the one-shot bit count."""
    one_shot = simulate_many(P, {"q": Q}, [name], length=2000, trials=2, seed=seed, block=2000)[0]
    blocked = simulate_many(P, {"q": Q}, [name], length=2000, trials=2, seed=seed, block=block)[0]
    assert blocked.bits == one_shot.bits


def test_two_processes_give_the_same_json_as_one():
    args = ["run", str(SCENARIOS / "nasa-temperature.toml"), "-n", "20000", "--trials", "4", "--block", "7000",
            "--format", "json"]
    one = CliRunner().invoke(main, args + ["--jobs", "1"])
    two = CliRunner().invoke(main, args + ["--jobs", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert json.loads(one.stdout) == json.loads(two.stdout)


def test_a_long_run_stays_within_the_documented_memory_bound():
    """2e8 symbols in a subprocess: peak resident memory under 512 MiB (held whole, the stream and
    its decoded copy alone would take 400 MB, and drawing it at once 1.6 GB of uniforms). The child
    reports its own peak, so no other process of the test run is counted."""
    outcome = run_cli("run", SCENARIOS / "nasa-temperature.toml", "-n", "2e8", "--trials", 1, "--model", "matched",
                      "--scheme", "fixed", "--format", "csv", "--quiet", timeout=600)
    assert outcome.exit_code == 0, outcome.stderr
    assert ",fixed,200000000,1,3.0," in outcome.stdout
    assert outcome.peak_mb < 512


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_appears_only_on_a_terminal_and_only_after_the_delay():
    now = [0.0]
    term = FakeTerminal()
    with Progress(1000, stream=term, clock=lambda: now[0]) as advance:
        advance(100)
        assert term.getvalue() == ""  # under DELAY_SECONDS: nothing yet
        now[0] = DELAY_SECONDS + 1
        advance(400)
        assert "50%" in term.getvalue() and "5.0e+02/1.0e+03 symbols" in term.getvalue()
    assert term.getvalue().endswith("\r\x1b[K")  # the line is cleared at the end
    piped = io.StringIO()
    with Progress(1000, stream=piped, clock=lambda: now[0] + 100) as advance:
        advance(1000)
    assert piped.getvalue() == ""
    quiet = FakeTerminal()
    with Progress(1000, stream=quiet, enabled=False, clock=lambda: now[0] + 100) as advance:
        advance(1000)
    assert quiet.getvalue() == ""


def test_the_default_block_is_decoded_in_lanes_by_a_prefix_code_and_within_the_blocks_limit():
    """A run's full blocks take a prefix code's lane decoder (a jump table in front of lanes), and the
    default block still reaches the longest stream within the most blocks."""
    coder = SchemeSpec.of("huffman").build(P)
    assert BLOCK % (coder.symbols_per_lane * coder.min_lanes) == 0
    assert coder.lanes_for(BLOCK) > 1 and coder.lanes_for(BLOCK - 1) > 1
    stream = P.sample(BLOCK, 1)
    bits = coder.encode(stream)
    assert coder.jump_table_bits(bits, BLOCK) > 0
    assert np.array_equal(coder.decode(bits, BLOCK), stream)
    assert -(-MAX_LENGTH // BLOCK) <= MAX_BLOCKS
