"""Interleaved rANS: exact round trips, the documented length bound, and a decoder that trusts no input."""

import json
import math

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

import codesim.coders.rans  # noqa: F401  (registers the scheme)
from codesim.coders.rans import MAX_PRECISION, STATE_BITS, RansCoder, floor_reciprocals
from codesim.coders.registry import SchemeSpec, build, from_config
from codesim.sources.iid import index_dtype
from codesim.errors import CodesimError, DecodeError, SchemeError

from ..conftest import NASA_P, prob_vectors

ZIPF_256 = 1 / np.arange(1, 257) / np.sum(1 / np.arange(1, 257))


def coder(q, lanes=8, precision=None, per_lane=None) -> RansCoder:
    """A rans coder; ``per_lane`` shrinks the symbols per lane so that short streams use many lanes."""
    q = np.asarray(q, dtype=np.float64)
    precision = precision or max(12, math.ceil(math.log2(q.size)))
    c = build("rans", q, lanes=lanes, precision=precision)
    if per_lane is not None:
        c.symbols_per_lane = per_lane
    return c


def sample(q, n, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).choice(len(q), n, p=q).astype(np.uint32)


def ideal_quantised(c: RansCoder, stream) -> float:
    """sum of log2(M / f(x)): the stream's ideal length under the coder's own integer model."""
    return float(np.sum(c.precision - np.log2(c.freqs[stream].astype(np.float64))))


def length_bound(c: RansCoder, stream) -> float:
    """The module's bound: I + n log2(1 + 2^(precision-16)) + 32 L."""
    n = len(stream)
    return ideal_quantised(c, stream) + n * math.log2(1 + 2.0 ** (c.precision - 16)) + 32 * c.lanes_for(n)


@st.composite
def cases(draw, max_len=2000):
    """(q, stream, coder): q with zeros the stream still emits, any valid lanes and precision."""
    q = draw(prob_vectors(max_size=50))
    lowest = max(1, math.ceil(math.log2(q.size)))
    precision = draw(st.integers(lowest, MAX_PRECISION))
    c = coder(q, lanes=draw(st.integers(1, 64)), precision=precision, per_lane=draw(st.integers(1, 16)))
    n = draw(st.integers(0, max_len))
    stream = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).integers(0, q.size, n)
    return q, stream, c


@given(cases())
@settings(max_examples=300, deadline=None)
def test_round_trip_over_random_models_streams_lanes_and_precisions(case):
    """decode(encode(s)) == s, in the alphabet's index dtype, for symbols q rules out too."""
    q, stream, c = case
    bits = c.encode(stream)
    out = c.decode(bits, len(stream))
    assert out.dtype == index_dtype(q.size)
    assert out.tolist() == stream.tolist()


@given(cases())
@settings(max_examples=100, deadline=None)
def test_length_is_within_the_documented_bound(case):
    """bits < sum log2(M/f(x)) + n log2(1 + 2^(precision-16)) + 32 L, and a whole number of words."""
    _, stream, c = case
    bits = c.encode(stream)
    assert len(bits) <= length_bound(c, stream) + 1e-6
    assert len(bits) % 16 == 0
    assert len(bits) >= 32 * c.lanes_for(len(stream)) * (len(stream) > 0)


def reference_encode(c: RansCoder, stream) -> bitarray:
    """The documented format, one symbol at a time in plain integers: lane i mod L, 32-bit states
    in [2^16, 2^32), a 16-bit word out before coding when x >= f * 2^(32 - precision)."""
    lanes = c.lanes_for(len(stream))
    state = [1 << 16] * lanes
    word = {}
    for i in reversed(range(len(stream))):
        s = int(stream[i])
        f, start, x = int(c.freqs[s]), int(c.starts[s]), state[i % lanes]
        if x >= f << (32 - c.precision):
            word[i] = x & 0xFFFF
            x >>= 16
        state[i % lanes] = (x // f << c.precision) + x % f + start
    out = bitarray(endian="big")
    for x in state if len(stream) else []:
        out.extend(format(x, "032b"))
    for i in sorted(word):  # the decoder reads symbol by symbol, lane order within a step
        out.extend(format(word[i], "016b"))
    return out


@given(cases(max_len=300))
@settings(max_examples=100, deadline=None)
def test_bits_match_a_one_symbol_at_a_time_reference_of_the_documented_format(case):
    _, stream, c = case
    assert c.encode(stream) == reference_encode(c, stream)


def test_floor_reciprocals_divide_exactly_for_every_frequency():
    """floor(x * r(f)) == x // f for all f in 1..2^16 at the x where rounding is closest to failing."""
    f = np.arange(1, (1 << 16) + 1, dtype=np.uint64)
    r = floor_reciprocals(f)
    top = np.uint64(2**32 - 1) // f
    rng = np.random.default_rng(0)
    for k in (top, top - np.uint64(1), top // np.uint64(2) + np.uint64(1), np.ones_like(f),
              rng.integers(1, 2**32, f.size).astype(np.uint64) // f + np.uint64(1)):
        for x in (k * f, k * f - np.uint64(1), np.full_like(f, 2**32 - 1)):
            x = np.minimum(x, np.uint64(2**32 - 1))
            assert np.array_equal(np.floor(x.astype(np.float64) * r).astype(np.uint64), x // f)


@pytest.mark.parametrize("name, q", [("nasa", NASA_P), ("zipf", ZIPF_256)])
def test_default_coder_is_close_to_the_float_models_ideal_length(name, q):
    """Default parameters: within 1% of sum -log2 q(x) at 10^4 symbols, 0.01 bit/symbol at 10^5."""
    c = build("rans", q)
    for n, within in ((10_000, lambda ideal: 0.01 * ideal), (100_000, lambda ideal: 0.01 * n)):
        stream = sample(q, n, seed=n)
        ideal = float(-np.log2(np.asarray(q)[stream]).sum())
        bits = c.encode(stream)
        assert c.decode(bits, n).tolist() == stream.tolist()
        assert len(bits) - ideal < within(ideal), (name, n, len(bits), ideal)


def test_empty_stream_is_zero_bits_and_decodes_to_an_empty_array():
    c = coder(NASA_P)
    assert len(c.encode(np.array([], dtype=np.uint8))) == 0
    out = c.decode(bitarray(endian="big"), 0)
    assert out.size == 0 and out.dtype == np.uint8
    with pytest.raises(DecodeError, match="trailing"):
        c.decode(bitarray("0" * 32, endian="big"), 0)


@pytest.mark.parametrize("n", [1, 7, 4096, 50_000])
def test_one_symbol_alphabet_costs_only_the_lane_states(n):
    """k = 1: every symbol is free, the stream is the lanes' final states (all the initial state)."""
    c = build("rans", [1.0], lanes=4, precision=16)
    bits = c.encode(np.zeros(n, dtype=np.uint8))
    assert len(bits) == STATE_BITS * c.lanes_for(n)
    assert c.decode(bits, n).tolist() == [0] * n
    bad = bits.copy()
    bad[STATE_BITS - 1] = not bad[STATE_BITS - 1]
    with pytest.raises(DecodeError, match="ends in state"):
        c.decode(bad, n)


def test_alphabet_of_1500_symbols_round_trips_in_uint16():
    q = 1 / np.arange(1, 1501) ** 0.8
    q /= q.sum()
    c = build("rans", q, lanes=16, precision=16)
    stream = sample(q, 80_000, seed=3)
    out = c.decode(c.encode(stream), stream.size)
    assert out.dtype == np.uint16
    assert np.array_equal(out, stream)


@pytest.mark.parametrize("n", [1, 2, 5, 63, 64, 65, 127, 1000, 4097, 12_289])
def test_stream_lengths_not_multiple_of_the_lane_count(n):
    """The last step has fewer symbols than lanes; it must still round trip, with and without lane sharing."""
    for per_lane in (1, 3, 4096):
        c = coder(NASA_P, lanes=64, per_lane=per_lane)
        stream = sample(NASA_P, n, seed=n)
        assert c.lanes_for(n) == max(1, min(64, -(-n // per_lane)))
        assert c.decode(c.encode(stream), n).tolist() == stream.tolist()


def test_short_streams_use_few_lanes():
    """Lanes used = min(lanes, ceil(n / 4096)): 1 lane below 4097 symbols, the maximum for long streams."""
    c = build("rans", NASA_P, lanes=3)
    assert [c.lanes_for(n) for n in (0, 1, 4096, 4097, 8193, 10**9)] == [1, 1, 1, 2, 3, 3]


def test_config_round_trip_decodes_the_same_bits():
    c = build("rans", ZIPF_256, lanes=5, precision=13)
    stream = sample(ZIPF_256, 30_000, seed=5)
    bits = c.encode(stream)
    config = json.loads(json.dumps(c.get_config()))
    assert config["scheme"] == "rans" and config["params"] == {"lanes": 5, "precision": 13}
    for again in (RansCoder.from_config(config), from_config(config)):
        assert np.array_equal(again.freqs, c.freqs)
        assert again.decode(bits, stream.size).tolist() == stream.tolist()
        assert again.encode(stream) == bits


def test_scheme_parameters_are_validated():
    """Precision above 16 (the slot table and the 16-bit words) or below log2 k is refused."""
    assert SchemeSpec.parse("rans:lanes=64,precision=12").label == "rans:lanes=64,precision=12"
    with pytest.raises(SchemeError):
        SchemeSpec.parse("rans:precision=17")
    with pytest.raises(SchemeError):
        SchemeSpec.parse("rans:lanes=0")
    with pytest.raises(CodesimError, match="precision"):
        build("rans", np.full(300, 1 / 300), precision=8)
    with pytest.raises(CodesimError, match="lanes"):
        RansCoder([1, 1], 1, params={"lanes": 0})


@pytest.mark.parametrize("per_lane", [1, 4096])
def test_truncated_or_extended_bits_raise_decode_error(per_lane):
    """Any bit missing or added is an error naming the problem, never a wrong answer."""
    c = coder(NASA_P, lanes=8, per_lane=per_lane)
    stream = sample(NASA_P, 500, seed=9)
    bits = c.encode(stream)
    for cut in (1, 8, 16, 48, len(bits) - 16, len(bits)):
        with pytest.raises(DecodeError, match="needs? at least|whole number"):
            c.decode(bits[: len(bits) - cut], stream.size)
    for extra in ("0", "1" * 8, "0" * 16, "1" * 48):
        with pytest.raises(DecodeError, match="trailing"):
            c.decode(bits + bitarray(extra), stream.size)
    with pytest.raises(DecodeError):
        c.decode(bits, stream.size + 1)
    with pytest.raises(DecodeError):
        c.decode(bits, -1)


def test_corrupt_states_raise_decode_error():
    """A state below 2^16 is refused at the start; a changed state ends away from the initial state."""
    c = coder(NASA_P, lanes=4, per_lane=100)
    stream = sample(NASA_P, 400, seed=1)
    bits = c.encode(stream)
    low = bits.copy()
    low[0:16] = bitarray("0" * 16)
    with pytest.raises(DecodeError, match="below 2\\^16"):
        c.decode(low, stream.size)
    for bit in range(16, 4 * 32):
        flipped = bits.copy()
        flipped[bit] = not flipped[bit]
        with pytest.raises(DecodeError, match="ends in state|too short|trailing"):
            c.decode(flipped, stream.size)


def test_an_absurd_symbol_count_is_refused_not_allocated():
    """n far beyond memory (the count comes from an untrusted header too) is a DecodeError."""
    for q in ([1.0], NASA_P):
        c = build("rans", q, lanes=2)
        bits = bitarray("01" * 64, endian="big")
        for n in (10**15, 2**64):
            with pytest.raises(DecodeError, match="memory"):
                c.decode(bits, n)


def test_little_endian_bitarray_decodes_as_the_same_bit_sequence():
    c = coder(NASA_P)
    stream = sample(NASA_P, 200)
    bits = c.encode(stream)
    assert c.decode(bitarray(bits, endian="little"), stream.size).tolist() == stream.tolist()


@given(
    prob_vectors(max_size=20),
    st.integers(1, 64),
    st.integers(0, 300),
    st.integers(0, 2**32 - 1),
    st.integers(0, 40),
)
@settings(max_examples=300, deadline=None)
def test_garbage_bits_raise_decode_error_or_return_symbols(q, lanes, n, seed, words):
    """Random bits: a DecodeError or n valid symbols, never another exception or a hang."""
    c = coder(q, lanes=lanes, per_lane=4)
    rng = np.random.default_rng(seed)
    bits = bitarray(rng.integers(0, 2, 16 * words + int(rng.integers(0, 2)) * int(rng.integers(0, 16))).tolist())
    try:
        out = c.decode(bits, n)
    except DecodeError:
        return
    assert out.shape == (n,) and out.dtype == index_dtype(q.size)
    assert n == 0 or int(out.max()) < q.size


@pytest.mark.parametrize("precision", [0, 17, True, 12.0, "12"])
def test_rans_refuses_a_precision_outside_1_to_16(precision):
    with pytest.raises(CodesimError, match="rans precision is .*: it must be an integer from 1 to 16"):
        RansCoder([1, 1], precision)


def test_a_one_symbol_alphabet_costs_only_the_final_state():
    """f = 2^P: every symbol multiplies the state by 1, so the state never leaves 2^16 and no word is
    written; the stream is the lane's 32-bit final state."""
    coder = build("rans", np.array([1.0]), lanes=1)
    bits = coder.encode(np.zeros(5000, dtype=np.uint8))
    assert len(bits) == STATE_BITS
    assert coder.decode(bits, 5000).tolist() == [0] * 5000


def test_trailing_bits_are_refused_with_the_count_the_symbols_use():
    coder = build("rans", np.array(NASA_P), lanes=1)
    stream = np.random.default_rng(3).choice(8, size=300, p=NASA_P)
    bits = coder.encode(stream)
    with pytest.raises(DecodeError, match=f"300 symbols use {len(bits)} bits, but the rans stream has "
                                          f"{len(bits) + 16}"):
        coder.decode(bits + bitarray(16), 300)
