"""tANS: zstd's spread pinned, its exact expected length against the measured bits and against an independent
walk of the state chain, its loss split into quantisation and spread, round trips through the container and
both kernel paths, and hostile bits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim.coders import build, check_config
from codesim.coders.tans import TansCode, spread
from codesim.errors import ConfigError, SchemeError
from codesim.measures import cross_entropy

from ..conftest import NASA_P, decodes_to_its_own_encoding_or_is_refused, round_trips_everywhere


def test_the_spread_is_zstds():
    """L = 32: step 16 + 4 + 3 = 23; symbol 0's 23 states at 0, 23, 14, 5, ..., then symbol 1's, then 2's."""
    table = spread(np.array([23, 6, 3]), 5)
    positions = [(23 * i) % 32 for i in range(32)]
    assert [table[pos] for pos in positions] == [0] * 23 + [1] * 6 + [2] * 3
    assert sorted(np.bincount(table).tolist()) == [3, 6, 23]


def walk(code: TansCode, p: np.ndarray, steps: int, seed: int) -> float:
    """Bits per symbol of the encoder's state machine driven by i.i.d. symbols from p, stepped in plain
    Python from the definition (X in [L, 2L): emit nb bits with X >> nb in [f, 2f), go to the state of
    that rank among the symbol's states)."""
    L = 1 << code.precision
    states = {s: [u for u in range(L) if code.table[u] == s] for s in range(code.size)}
    rng = np.random.default_rng(seed)
    x, total = L, 0
    for s in rng.choice(code.size, steps, p=p):
        f = int(code.freqs[s])
        nb = 0
        while (x >> nb) >= 2 * f:
            nb += 1
        total += nb
        x = L + states[s][(x >> nb) - f]
    return total / steps


@pytest.mark.parametrize("table_log", [5, 7, 11])
def test_the_exact_expected_length_matches_the_state_machine_and_the_measured_bits(table_log):
    p = np.array(NASA_P)
    code = build("tans", p, table_log=table_log)
    expected = code.expected_length(p)
    assert walk(code, p, 200_000, 1) == pytest.approx(expected, abs=0.01)
    stream = np.random.default_rng(2).choice(8, 200_000, p=p)
    assert len(code.encode(stream)) / stream.size == pytest.approx(expected, abs=0.01)


@given(q=st.lists(st.floats(0.01, 1), min_size=2, max_size=6), table_log=st.integers(5, 9))
@settings(max_examples=30)
def test_the_loss_splits_into_quantisation_and_spread(q, table_log):
    """E_p[bits] - H(p, q) = [H(p, q_hat) - H(p, q)] + [E_p[bits] - H(p, q_hat)]; on p = q the quantisation
    part is >= 0 (q_hat is another model of p) and the whole stays within 2 bits a symbol of H(p, q_hat)."""
    q = np.array(q) / sum(q)
    code = build("tans", q, table_log=table_log)
    quantisation, spread_loss = code.loss_split(q, q)
    expected = code.expected_length(q)
    assert quantisation + spread_loss == pytest.approx(expected - cross_entropy(q, q))
    assert quantisation >= -1e-12
    assert abs(spread_loss) < 1.0


def test_a_larger_table_loses_less():
    p = np.array(NASA_P)
    losses = [sum(build("tans", p, table_log=t).loss_split(p, p)) for t in (5, 8, 11, 14)]
    assert losses[0] > losses[1] > losses[2] >= 0 and losses[2] < 1e-4


@given(size=st.sampled_from([1, 2, 3, 8, 300]), data=st.data())
@settings(max_examples=40)
def test_round_trips_through_the_coder_the_container_and_both_kernel_paths(size, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    q = rng.dirichlet(np.full(size, 0.5))
    code = build("tans", q, table_log=data.draw(st.integers(max(5, (size - 1).bit_length()), 12), label="log"))
    stream = rng.choice(size, data.draw(st.integers(0, 500), label="n"), p=q)
    bits = round_trips_everywhere(code, stream)
    low, high = code.bit_bounds(stream.size)
    assert low <= len(bits) <= high


@given(st.data())
@settings(max_examples=60)
def test_hostile_bits_decode_to_their_encoding_or_are_refused(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    code = build("tans", rng.dirichlet(np.ones(4)), table_log=5)
    n = data.draw(st.integers(1, 40))
    bits = bitarray(rng.integers(0, 2, data.draw(st.integers(0, 300))).tolist(), endian="big")
    decodes_to_its_own_encoding_or_is_refused(code, bits, n)


def test_alphabets_and_configs_it_cannot_take_are_refused():
    with pytest.raises(SchemeError, match="table_log >= 12"):
        build("tans", np.full(3000, 1 / 3000))
    config = build("tans", [0.5, 0.3, 0.2], table_log=6).get_config()
    for field, value in (("precision", 7), ("precision", 4), ("freqs", [60, 3, 0]), ("freqs", [1, 2, 3])):
        bad = {**config, field: value}
        if field == "precision" and value == 4:
            bad["params"] = {"table_log": 4}
        with pytest.raises(ConfigError):
            check_config(bad, 3)
    assert math.isclose(sum(build("tans", [0.5, 0.5]).implied), 1.0)
