"""Interleaved rANS: exact round trips, the documented length bounds, a decoder that trusts no input, the
compiled kernels equal to their plain Python, and version-1 streams coded as they always were."""

import json
import math

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

import codesim.coders.rans  # noqa: F401  (registers the scheme)
from codesim import jit
from codesim.coders import rans_v1
from codesim.coders.frequencies import quantise
from codesim.coders.kernels import rans as kernel
from codesim.coders.rans import (MAX_MESSAGE_SYMBOLS, MAX_PRECISION, STATE_BITS, STATE_LOW, SYMBOLS_PER_LANE,
                                 RansCoder)
from codesim.coders.registry import SchemeSpec, build, from_config
from codesim.sources.iid import index_dtype
from codesim.errors import CodesimError, DecodeError, SchemeError

from ..conftest import NASA_P, prob_vectors

ZIPF_256 = 1 / np.arange(1, 257) / np.sum(1 / np.arange(1, 257))


def coder(q, lanes=8, precision=None, per_lane=None, version=2) -> RansCoder:
    """A rans coder; ``per_lane`` shrinks the symbols per lane so that short streams use many lanes."""
    q = np.asarray(q, dtype=np.float64)
    precision = precision or max(12, math.ceil(math.log2(q.size)))
    if version == 2:
        c = build("rans", q, lanes=lanes, precision=precision)
    else:
        c = RansCoder(quantise(q, precision), precision, params={"lanes": lanes}, version=version)
    if per_lane is not None:
        c.symbols_per_lane = per_lane
    return c


def sample(q, n, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).choice(len(q), n, p=q).astype(np.uint32)


def ideal_quantised(c: RansCoder, stream) -> float:
    """sum of log2(M / f(x)): the stream's ideal length under the coder's own integer model."""
    return float(np.sum(c.precision - np.log2(c.freqs[stream].astype(np.float64))))


def length_bound(c: RansCoder, stream) -> float:
    """The module's bound: I + n log2(1 + 2^(precision-31)) + 64 L (version 1: 16, 32 for 31, 64)."""
    n = len(stream)
    low, state = (31, 64) if c.version == 2 else (16, 32)
    return ideal_quantised(c, stream) + n * math.log2(1 + 2.0 ** (c.precision - low)) + state * c.lanes_for(n)


@st.composite
def cases(draw, max_len=2000, version=2):
    """(q, stream, coder): q with zeros the stream still emits, any valid lanes and precision."""
    q = draw(prob_vectors(max_size=50))
    lowest = max(1, math.ceil(math.log2(q.size)))
    precision = draw(st.integers(lowest, MAX_PRECISION))
    c = coder(q, lanes=draw(st.integers(1, 64)), precision=precision, per_lane=draw(st.integers(1, 16)),
              version=version)
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
@settings(max_examples=200, deadline=None)
def test_length_is_within_the_documented_bound(case):
    """bits < sum log2(M/f(x)) + n log2(1 + 2^(precision-31)) + 64 L, and a whole number of words."""
    _, stream, c = case
    bits = c.encode(stream)
    assert len(bits) <= length_bound(c, stream) + 1e-6
    assert len(bits) % 32 == 0
    assert len(bits) >= 64 * c.lanes_for(len(stream)) * (len(stream) > 0)


def reference_encode(c: RansCoder, stream) -> bitarray:
    """The documented version-2 format, one symbol at a time in plain integers and integer division:
    lane i mod L, 64-bit states in [2^31, 2^63), a 32-bit word out before coding when
    x >= (2^31 / M) f 2^32."""
    lanes = c.lanes_for(len(stream))
    state = [1 << 31] * lanes
    word = {}
    for i in reversed(range(len(stream))):
        s = int(stream[i])
        f, start, x = int(c.freqs[s]), int(c.starts[s]), state[i % lanes]
        if x >= (1 << 31 >> c.precision << 32) * f:
            word[i] = x & 0xFFFFFFFF
            x >>= 32
        state[i % lanes] = (x // f << c.precision) + x % f + start
    out = bitarray(endian="big")
    for x in state if len(stream) else []:
        out.extend(format(x, "064b"))
    for i in sorted(word):  # the decoder reads symbol by symbol
        out.extend(format(word[i], "032b"))
    return out


@given(cases(max_len=3000))
@settings(max_examples=150, deadline=None)
def test_bits_match_a_one_symbol_at_a_time_reference_of_the_documented_format(case):
    _, stream, c = case
    assert c.encode(stream) == reference_encode(c, stream)


def test_the_encoders_float_quotient_is_exact_where_it_is_used():
    """From precision 12 the kernel takes x // f as floor(x * (1/f)) corrected by one: within one at the
    extremes of every state the encoder codes from, [(2^31/M) f, (2^31/M) f 2^32), for every f."""
    for precision in range(kernel.RECIPROCAL_PRECISION, MAX_PRECISION + 1):
        f = np.arange(1, (1 << precision) + 1, dtype=np.int64)
        low = (STATE_LOW >> precision) * f
        high = np.minimum((STATE_LOW >> precision << 32) * f, (1 << 63) - 1) - 1
        rng = np.random.default_rng(precision)
        for x in (low, high, high - f, (high // f) * f, (high // f) * f - 1,
                  low + rng.integers(0, 1 << 62, f.size) % (high - low)):
            xs, fs = x.tolist(), f.tolist()
            for xi, fi in zip(xs[:: max(1, f.size // 4096)], fs[:: max(1, f.size // 4096)]):
                q = int(xi * (1.0 / fi))
                assert abs(q - xi // fi) <= 1, (precision, xi, fi)


@pytest.mark.skipif(not jit.enabled(), reason="compares the compiled kernels with their plain Python")
@given(cases(max_len=600))
@settings(max_examples=60, deadline=None)
def test_compiled_kernels_give_the_plain_pythons_bits_and_symbols(case):
    """Both kernels, compiled and through .py_func on the same inputs: the same states, words and symbols."""
    _, stream, c = case
    if not len(stream):
        return
    lanes = c.lanes_for(len(stream))
    symbols = stream.astype(c.symbol_dtype)
    tables = [np.asarray(t) for t in c._encode_tables]
    results = []
    for run in (kernel.encode, kernel.encode.py_func):
        states, words = np.zeros(lanes, np.int64), np.zeros(len(stream) + 1, np.uint32)
        first = run(symbols, lanes, c.precision, *tables, states, words)
        results.append((first, states.tolist(), words[first:].tolist()))
    assert results[0] == results[1]
    first, states, words = results[0]
    count = len(words)
    decoded = []
    for run in (kernel.decode, kernel.decode.py_func):
        s, out = np.array(states, np.int64), np.zeros(len(stream), c.symbol_dtype)
        read = run(np.array(words + [0], np.uint32), count, s, out, c.precision,
                   *[np.asarray(t) for t in c._decode_tables])
        decoded.append((read, s.tolist(), out.tolist()))
    assert decoded[0] == decoded[1] == (count, [STATE_LOW] * lanes, stream.tolist())


@pytest.mark.skipif(not jit.enabled(), reason="compares the compiled kernels with their plain Python")
@given(cases(max_len=300), st.integers(0, 2**32 - 1), st.integers(0, 400))
@settings(max_examples=60, deadline=None)
def test_compiled_and_plain_decoders_agree_on_garbage(case, seed, count):
    """Random first states in [2^31, 2^63) and random words: the same symbols, states and words read
    (or the same symbol where the words ran out) on both paths, and every state still in range."""
    _, stream, c = case
    rng = np.random.default_rng(seed)
    lanes = c.lanes_for(len(stream))
    first = rng.integers(STATE_LOW, 1 << 63, lanes, dtype=np.int64)
    words = np.append(rng.integers(0, 1 << 32, count, dtype=np.uint64).astype(np.uint32), np.uint32(0))
    results = []
    for run in (kernel.decode, kernel.decode.py_func):
        states, out = first.copy(), np.zeros(len(stream), c.symbol_dtype)
        read = run(words, count, states, out, c.precision, *[np.asarray(t) for t in c._decode_tables])
        results.append((read, states.tolist(), out.tolist()))
    assert results[0] == results[1]
    assert all(STATE_LOW <= x < 1 << 63 for x in results[0][1])


@pytest.mark.parametrize("name, q", [("nasa", NASA_P), ("zipf", ZIPF_256)])
def test_overhead_at_2_to_the_20_symbols_is_under_a_thousandth_of_a_bit(name, q):
    """Default parameters, 2^20 symbols from q (seed 20): the encoded bits exceed the stream's ideal
    length sum -log2 q(x) under the float model by less than 0.001 bits per symbol."""
    c = build("rans", q)
    n = 1 << 20
    stream = sample(q, n, seed=20)
    bits = c.encode(stream)
    ideal = float(-np.log2(np.asarray(q)[stream]).sum())
    assert c.decode(bits, n).tolist() == stream.tolist()
    assert 0 < (len(bits) - ideal) / n < 0.001, (name, len(bits) - ideal)


@pytest.mark.parametrize("name, q", [("nasa", NASA_P), ("zipf", ZIPF_256)])
def test_default_coder_is_close_to_the_float_models_ideal_length(name, q):
    """Default parameters: within 1% of sum -log2 q(x) at 10^4 symbols; at 10^5 within the lanes' final
    states, 64 bits each, and 10^-4 bits per symbol."""
    c = build("rans", q)
    for n, within in ((10_000, lambda ideal: 0.01 * ideal), (100_000, lambda ideal: 64 * 4 + 1e-4 * n)):
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
        c.decode(bitarray("0" * 64, endian="big"), 0)


@pytest.mark.parametrize("n", [1, 7, 8192, 50_000])
def test_one_symbol_alphabet_costs_only_the_lane_states(n):
    """k = 1: every symbol is free, the stream is the lanes' final states (all the initial state)."""
    c = build("rans", [1.0], lanes=4, precision=16)
    bits = c.encode(np.zeros(n, dtype=np.uint8))
    assert len(bits) == STATE_BITS * c.lanes_for(n)
    assert bits[:STATE_BITS] == bitarray(format(STATE_LOW, "064b"))
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


@pytest.mark.parametrize("n", [1, 2, 5, 63, 64, 65, 127, 1000, 8193, 12_289])
def test_stream_lengths_not_multiple_of_the_lane_count(n):
    """The last step has fewer symbols than lanes; it must still round trip, with and without lane sharing."""
    for per_lane in (1, 3, SYMBOLS_PER_LANE):
        c = coder(NASA_P, lanes=64, per_lane=per_lane)
        stream = sample(NASA_P, n, seed=n)
        assert c.lanes_for(n) == max(1, min(64, -(-n // per_lane)))
        assert c.decode(c.encode(stream), n).tolist() == stream.tolist()


def test_short_streams_use_few_lanes():
    """Lanes used = min(lanes, ceil(n / 8192)); version 1 took one per 4096 symbols."""
    c = build("rans", NASA_P, lanes=3)
    assert [c.lanes_for(n) for n in (0, 1, 8192, 8193, 16385, 10**9)] == [1, 1, 1, 2, 3, 3]
    assert build("rans", NASA_P).lanes_for(10**9) == 4  # the default
    old = coder(NASA_P, lanes=3, version=1)
    assert [old.lanes_for(n) for n in (0, 1, 4096, 4097, 8193, 10**9)] == [1, 1, 1, 2, 3, 3]


def test_config_round_trip_decodes_the_same_bits():
    c = build("rans", ZIPF_256, lanes=5, precision=13)
    stream = sample(ZIPF_256, 30_000, seed=5)
    bits = c.encode(stream)
    config = json.loads(json.dumps(c.get_config()))
    assert config["scheme"] == "rans" and config["params"] == {"lanes": 5, "precision": 13}
    assert config["version"] == 2
    for again in (RansCoder.from_config(config), from_config(config)):
        assert again.version == 2 and np.array_equal(again.freqs, c.freqs)
        assert again.decode(bits, stream.size).tolist() == stream.tolist()
        assert again.encode(stream) == bits


def test_a_config_without_a_version_is_the_version_1_bitstream():
    """A config as files written before version 2 hold it: it codes the version-1 format, and says so
    by leaving the version out when written again."""
    c = build("rans", ZIPF_256, lanes=5, precision=13)
    config = {key: value for key, value in c.get_config().items() if key != "version"}
    old = RansCoder.from_config(config)
    assert old.version == 1 and "version" not in old.get_config()
    stream = sample(ZIPF_256, 30_000, seed=5)
    bits = old.encode(stream)
    assert bits == v1_reference_encode(old, stream) and bits != c.encode(stream)
    assert old.decode(bits, stream.size).tolist() == stream.tolist()
    with pytest.raises(CodesimError, match="rans version is 3"):
        RansCoder(c.freqs, 13, version=3)


def test_scheme_parameters_are_validated():
    """Precision above 16 (the slot table) or below log2 k is refused."""
    assert SchemeSpec.parse("rans:lanes=64,precision=12").label == "rans:lanes=64,precision=12"
    with pytest.raises(SchemeError):
        SchemeSpec.parse("rans:precision=17")
    with pytest.raises(SchemeError):
        SchemeSpec.parse("rans:lanes=0")
    with pytest.raises(CodesimError, match="precision"):
        build("rans", np.full(300, 1 / 300), precision=8)
    with pytest.raises(CodesimError, match="lanes"):
        RansCoder([1, 1], 1, params={"lanes": 0})


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("per_lane", [1, 4096])
def test_truncated_or_extended_bits_raise_decode_error(per_lane, version):
    """Any bit missing or added is an error naming the problem, never a wrong answer."""
    c = coder(NASA_P, lanes=8, per_lane=per_lane, version=version)
    stream = sample(NASA_P, 500, seed=9)
    bits = c.encode(stream)
    for cut in (1, 8, 16, 32, 48, 64, len(bits) - 32, len(bits)):
        with pytest.raises(DecodeError, match="needs? at least|whole number"):
            c.decode(bits[: len(bits) - cut], stream.size)
    for extra in ("0", "1" * 8, "0" * 16, "0" * 32, "1" * 48, "1" * 64):
        with pytest.raises(DecodeError, match="trailing"):
            c.decode(bits + bitarray(extra), stream.size)
    with pytest.raises(DecodeError):
        c.decode(bits, stream.size + 1)
    with pytest.raises(DecodeError):
        c.decode(bits, -1)


def test_more_words_than_symbols_are_refused_before_decoding():
    """A symbol moves at most one word, so n symbols with more than n words are refused at once."""
    c = coder(NASA_P, lanes=1)
    bits = c.encode(sample(NASA_P, 10, seed=2)) + bitarray(32 * 11)
    with pytest.raises(DecodeError, match="10 symbols use at most 384 bits, but the rans stream has"):
        c.decode(bits, 10)


def test_corrupt_states_raise_decode_error():
    """A first state outside [2^31, 2^63) is refused at the start; a changed state ends away from the
    initial state, or runs out of words, or leaves some unread."""
    c = coder(NASA_P, lanes=4, per_lane=100)
    stream = sample(NASA_P, 400, seed=1)
    bits = c.encode(stream)
    for first in ("0" * 33, "1"):
        bad = bits.copy()
        bad[0 : len(first)] = bitarray(first)
        with pytest.raises(DecodeError, match=r"lane 0 starts in state \d+, outside \[2\^31, 2\^63\)"):
            c.decode(bad, stream.size)
    for bit in range(1, 4 * 64):
        flipped = bits.copy()
        flipped[bit] = not flipped[bit]
        try:
            out = c.decode(flipped, stream.size)
        except DecodeError as exc:
            assert any(m in str(exc) for m in ("ends in state", "too short", "trailing", "outside")), exc
        else:
            raise AssertionError(f"flipping bit {bit} decoded to {out[:10]}...")


def test_an_absurd_symbol_count_is_refused_not_allocated():
    """n far beyond memory (the count comes from an untrusted header too) is a DecodeError."""
    for q in ([1.0], NASA_P):
        c = build("rans", q, lanes=2)
        bits = bitarray("01" * 64, endian="big")
        for n in (10**15, 2**64):
            with pytest.raises(DecodeError, match="memory"):
                c.decode(bits, n)


def test_the_symbol_limit_is_the_documented_one():
    """Version 2: 2^22 symbols a message, whatever the lanes; version 1 as before, lanes x 2^18."""
    assert build("rans", NASA_P, lanes=1).symbol_limit() == MAX_MESSAGE_SYMBOLS == 1 << 22
    assert coder(NASA_P, lanes=1, version=1).symbol_limit() == 1 << 18


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
    st.sampled_from([1, 2]),
)
@settings(max_examples=300, deadline=None)
def test_garbage_bits_raise_decode_error_or_return_symbols(q, lanes, n, seed, words, version):
    """Random bits: a DecodeError or n valid symbols, never another exception or a hang."""
    c = coder(q, lanes=lanes, per_lane=4, version=version)
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


def test_trailing_bits_are_refused_with_the_count_the_symbols_use():
    coder = build("rans", np.array(NASA_P), lanes=1)
    stream = np.random.default_rng(3).choice(8, size=300, p=NASA_P)
    bits = coder.encode(stream)
    with pytest.raises(DecodeError, match=f"300 symbols use {len(bits)} bits, but the rans stream has "
                                          f"{len(bits) + 32}"):
        coder.decode(bits + bitarray(32), 300)


# -- version 1: the files written before version 2 ----------------------------------------------------

def v1_reference_encode(c: RansCoder, stream) -> bitarray:
    """The documented version-1 format, one symbol at a time in plain integers: lane i mod L, 32-bit
    states in [2^16, 2^32), a 16-bit word out before coding when x >= f * 2^(32 - precision)."""
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


@given(cases(max_len=300, version=1))
@settings(max_examples=100, deadline=None)
def test_version_1_bits_match_its_reference_and_round_trip(case):
    q, stream, c = case
    bits = c.encode(stream)
    assert bits == v1_reference_encode(c, stream)
    assert len(bits) <= length_bound(c, stream) + 1e-6
    assert c.decode(bits, len(stream)).tolist() == stream.tolist()


def test_version_1_floor_reciprocals_divide_exactly_for_every_frequency():
    """floor(x * r(f)) == x // f for all f in 1..2^16 at the x where rounding is closest to failing."""
    f = np.arange(1, (1 << 16) + 1, dtype=np.uint64)
    r = rans_v1.floor_reciprocals(f)
    top = np.uint64(2**32 - 1) // f
    rng = np.random.default_rng(0)
    for k in (top, top - np.uint64(1), top // np.uint64(2) + np.uint64(1), np.ones_like(f),
              rng.integers(1, 2**32, f.size).astype(np.uint64) // f + np.uint64(1)):
        for x in (k * f, k * f - np.uint64(1), np.full_like(f, 2**32 - 1)):
            x = np.minimum(x, np.uint64(2**32 - 1))
            assert np.array_equal(np.floor(x.astype(np.float64) * r).astype(np.uint64), x // f)


def test_version_1_corrupt_states_raise_decode_error():
    c = coder(NASA_P, lanes=4, per_lane=100, version=1)
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


def test_version_1_one_symbol_alphabet_costs_only_its_32_bit_states():
    c = coder([1.0], lanes=4, precision=16, version=1)
    bits = c.encode(np.zeros(50_000, dtype=np.uint8))
    assert len(bits) == 32 * 4
    assert c.decode(bits, 50_000).tolist() == [0] * 50_000
