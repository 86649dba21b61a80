"""The arithmetic (range) coder: exact round trips, the documented length bound, strict decoding."""

import json
import math

import numpy as np
import pytest
from bitarray import bitarray, frozenbitarray
from bitarray.util import ba2int
from hypothesis import given, settings, strategies as st

import codesim.coders.rangecoder as rangecoder_module  # registers the scheme
from codesim.coders import rangecoder_v1
from codesim.coders.rangecoder import DEFAULT_PRECISION, ArithmeticCoder
from codesim.coders.frequencies import quantise
from codesim.coders.registry import build, from_config, get
from codesim.sources.iid import index_dtype
from codesim.errors import CodesimError, DecodeError

from ..conftest import NASA_P, prob_vectors, streams_for


class OneBitDigits(ArithmeticCoder):
    """Moves one bit per renormalisation step, so carries run through long chains of 1s."""

    registers = {1: (12, 1), 2: (12, 1)}


class TwoBitDigits(ArithmeticCoder):
    """A narrow state where carries and all-ones digits are everyday events."""

    registers = {1: (15, 3), 2: (15, 2)}


class Version1(ArithmeticCoder):
    """The coder of configs without a version: 96-bit registers and 32-bit digits, in plain Python."""

    def __init__(self, freqs, precision, scheme="arithmetic", params=None, version=1):
        super().__init__(freqs, precision, scheme, params, version)


class NarrowVersion1(TwoBitDigits, Version1):
    """Version 1's loops (and its carry output) with 3-bit digits in a 15-bit state."""


SMALL_PRECISION = 8
NARROW = [OneBitDigits, TwoBitDigits, NarrowVersion1]
CODER_CLASSES = [ArithmeticCoder, Version1, *NARROW]


def make(cls, q, precision=None):
    precision = precision or (SMALL_PRECISION if cls in NARROW else DEFAULT_PRECISION)
    return cls(quantise(np.asarray(q, dtype=np.float64), precision), precision)


def ideal_bits(coder, stream):
    """sum of -log2(f(x) / 2^P), computed independently of the coder, in exact-ish float."""
    return sum(coder.precision - math.log2(int(coder.freqs[x])) for x in stream.tolist())


@st.composite
def models_and_streams(draw, max_size=50, max_len=300):
    q = draw(prob_vectors(max_size=max_size))
    return q, draw(streams_for(q.size, max_len=max_len))


@settings(max_examples=150)
@given(models_and_streams(), st.sampled_from(CODER_CLASSES))
def test_round_trip_any_model_including_symbols_q_rules_out(case, cls):
    """decode(encode(x)) == x for alphabets of 1..50 symbols, streams using symbols with q(x) = 0 too."""
    q, stream = case
    coder = make(cls, q)
    bits = coder.encode(stream)
    out = coder.decode(bits, stream.size)
    assert out.dtype == index_dtype(q.size)
    np.testing.assert_array_equal(out, stream)


@settings(max_examples=150)
@given(models_and_streams(), st.sampled_from(CODER_CLASSES))
def test_length_within_documented_bound(case, cls):
    """ideal <= bits < ideal + 2 + n * eps, ideal = sum -log2(f(x)/2^P) from the quantised table."""
    q, stream = case
    coder = make(cls, q)
    n_bits = len(coder.encode(stream))
    ideal = ideal_bits(coder, stream)
    eps = -math.log2(1 - 2.0 ** (coder.precision + coder.digit_bits - coder.state_bits))
    assert ideal - 1e-6 <= n_bits < ideal + 2 + stream.size * eps + 1e-6
    assert coder.max_bits(stream) == pytest.approx(ideal + 2 + stream.size * eps)


def test_default_rounding_loss_is_negligible():
    """With the 62-bit state and 8-bit digits (range >= 2^54), the division loses under 1.4e-9 bits per
    symbol at precision 24, and under 3.5e-7 at precision 32; version 1's 96-bit state under 1.4e-12."""
    coder = build("arithmetic", NASA_P)
    assert coder.precision == DEFAULT_PRECISION == 24 and (coder.state_bits, coder.digit_bits) == (62, 8)
    assert coder.rounding_loss < 1.4e-9
    assert build("arithmetic", NASA_P, precision=32).rounding_loss < 3.5e-7
    assert Version1(coder.freqs, 24).rounding_loss < 1.4e-12


def test_empty_stream_is_zero_bits():
    """An empty stream encodes to 0 bits, and 0 bits decode to an empty array of the index dtype."""
    coder = build("arithmetic", NASA_P)
    bits = coder.encode(np.array([], dtype=np.uint8))
    assert len(bits) == 0 and bits.endian == "big"
    out = coder.decode(bitarray(endian="big"), 0)
    assert out.size == 0 and out.dtype == index_dtype(8)


def test_one_symbol_alphabet_costs_nothing():
    """With one symbol (frequency 2^P) every stream is 0 bits; bits handed to it are trailing bits."""
    coder = build("arithmetic", [1.0])
    assert coder.freqs.tolist() == [1 << coder.precision]
    stream = np.zeros(1000, dtype=np.uint8)
    bits = coder.encode(stream)
    assert len(bits) == 0
    np.testing.assert_array_equal(coder.decode(bits, 1000), stream)
    with pytest.raises(DecodeError, match="trailing"):
        coder.decode(bitarray("0"), 1000)


def test_large_alphabet_round_trip():
    """An alphabet of 1500 symbols (uint16 indices) round-trips and stays within the bound."""
    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.full(1500, 0.3))
    coder = build("arithmetic", q)
    stream = rng.choice(1500, 20000, p=q).astype(np.uint16)
    stream[:50] = np.arange(1450, 1500)  # the rarest corners of the table too
    bits = coder.encode(stream)
    out = coder.decode(bits, stream.size)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, stream)
    assert len(bits) < coder.max_bits(stream)


def test_classifier_example_costs_cross_entropy():
    """p = (1, 0) coded with q = (0.3, 0.7): log2(1/0.3) = 1.7370 bits per symbol (D(p||q), H(p) = 0)."""
    coder = build("arithmetic", [0.3, 0.7])
    n = 100_000
    bits = coder.encode(np.zeros(n, dtype=np.uint8))
    assert len(bits) / n == pytest.approx(math.log2(1 / 0.3), abs=0.002)
    assert np.all(coder.decode(bits, n) == 0)


def test_nasa_stream_within_1e4_of_float_ideal():
    """On NASA's p with q = p, bits per symbol are within 1e-4 of the stream's sum -log2 q(x) / n."""
    p = np.array(NASA_P)
    stream = np.random.default_rng(11).choice(8, 100_000, p=p).astype(np.uint8)
    coder = build("arithmetic", p)
    bits = coder.encode(stream)
    ideal = float(-np.log2(p[stream]).sum())
    assert abs(len(bits) - ideal) / stream.size < 1e-4
    np.testing.assert_array_equal(coder.decode(bits, stream.size), stream)


@settings(max_examples=40)
@given(models_and_streams(max_size=12, max_len=100), st.sampled_from(CODER_CLASSES))
def test_config_round_trip_decodes_the_same_bits(case, cls):
    """A coder rebuilt from its JSON config decodes the original's bits and encodes identically."""
    q, stream = case
    coder = make(cls, q)
    config = json.loads(json.dumps(coder.get_config()))
    again = cls.from_config(config)
    bits = coder.encode(stream)
    np.testing.assert_array_equal(again.decode(bits, stream.size), stream)
    assert again.encode(stream) == bits


def test_registered_scheme_restores_from_config():
    """The registry builds 'arithmetic' with a precision parameter and restores it from its config."""
    coder = build("arithmetic", NASA_P, precision=16)
    assert coder.scheme == "arithmetic" and coder.params == {"precision": 16}
    assert coder.freqs.sum() == 1 << 16
    restored = from_config(coder.get_config())
    assert isinstance(restored, ArithmeticCoder)
    np.testing.assert_array_equal(restored.freqs, coder.freqs)
    assert [p.name for p in get("arithmetic").params] == ["precision"]


def test_precision_too_small_for_alphabet_is_a_clear_error():
    """2^precision slots must hold every symbol: 5 symbols at precision 2 are refused, saying why."""
    with pytest.raises(CodesimError, match="precision >= 3"):
        build("arithmetic", [0.2] * 5, precision=2)
    with pytest.raises(CodesimError, match="precision"):
        build("arithmetic", [0.5, 0.5], precision=40)


@settings(max_examples=60)
@given(models_and_streams(max_size=10, max_len=40), st.sampled_from(CODER_CLASSES))
def test_every_truncation_is_refused(case, cls):
    """Each proper prefix of an encoding raises DecodeError: the code is prefix-free for a given n."""
    q, stream = case
    coder = make(cls, q)
    bits = coder.encode(stream)
    for cut in range(len(bits)):
        with pytest.raises(DecodeError):
            coder.decode(bits[:cut], stream.size)


@settings(max_examples=60)
@given(models_and_streams(max_size=10, max_len=60), st.sampled_from(CODER_CLASSES),
       st.lists(st.booleans(), min_size=1, max_size=40))
def test_trailing_bits_are_refused(case, cls, extra):
    """Any bits appended after a complete encoding raise DecodeError."""
    q, stream = case
    coder = make(cls, q)
    bits = coder.encode(stream) + bitarray(extra, endian="big")
    with pytest.raises(DecodeError):
        coder.decode(bits, stream.size)


def test_long_stream_truncated_or_extended_is_refused():
    """Cutting one or many bits off a 10000-symbol encoding, or adding one, is a DecodeError saying so."""
    p = np.array(NASA_P)
    coder = build("arithmetic", p)
    stream = np.random.default_rng(3).choice(8, 10_000, p=p)
    bits = coder.encode(stream)
    with pytest.raises(DecodeError, match="too short"):
        coder.decode(bits[:-1], stream.size)
    with pytest.raises(DecodeError, match="too short"):
        coder.decode(bits[: len(bits) // 2], stream.size)
    with pytest.raises(DecodeError, match="trailing"):
        coder.decode(bits + bitarray("0"), stream.size)


@settings(max_examples=200)
@given(prob_vectors(max_size=8), st.sampled_from(CODER_CLASSES),
       st.lists(st.booleans(), max_size=300), st.integers(0, 200))
def test_garbage_is_refused_or_is_an_exact_encoding(q, cls, raw, n):
    """Random bits decode only if they are exactly encode(result); otherwise DecodeError, never a hang."""
    coder = make(cls, q)
    bits = bitarray(raw, endian="big")
    try:
        out = coder.decode(bits, n)
    except DecodeError:
        return
    assert out.size == n
    assert coder.encode(out) == bits


def test_impossible_symbol_count_is_refused_at_once():
    """Asking for 10^12 symbols from 100 bits fails before decoding (no huge allocation, no long loop)."""
    coder = build("arithmetic", NASA_P)
    with pytest.raises(DecodeError, match="at least"):
        coder.decode(bitarray(100), 10**12)
    with pytest.raises(DecodeError):
        coder.decode(bitarray(), -1)
    with pytest.raises(DecodeError, match="bitarray"):
        coder.decode("0101", 2)


def test_little_endian_and_frozen_input_decode_the_same():
    """The decoder reads bits in order whatever the bitarray's endianness, frozen or not."""
    coder = build("arithmetic", NASA_P)
    stream = np.random.default_rng(5).integers(0, 8, 500)
    bits = coder.encode(stream)
    np.testing.assert_array_equal(coder.decode(bitarray(bits, endian="little"), stream.size), stream)
    np.testing.assert_array_equal(coder.decode(frozenbitarray(bits), stream.size), stream)


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_carries_across_chunk_boundaries(monkeypatch, chunk):
    """With 1- or 2-bit digits, carries are everyday events; with an encoder buffer that starts nearly
    empty and grows, a decoder that stops every 1-3 symbols, and version 1's chunks of 1-3 symbols,
    carries often arrive after the digits they change were handed over, including through runs of
    all-ones digits: the round trip still holds, within the bound."""
    monkeypatch.setattr(rangecoder_module, "DECODE_CHUNK", chunk)
    monkeypatch.setattr(ArithmeticCoder, "_expected_bits", lambda self, model: 0.0)
    monkeypatch.setattr(rangecoder_v1, "SYMBOL_CHUNK", chunk)
    monkeypatch.setattr(rangecoder_v1, "DIGIT_CHUNK", chunk)
    narrow = [type("OneBit", (ArithmeticCoder,), {"registers": {2: (10, 1)}}),
              type("TwoBit", (ArithmeticCoder,), {"registers": {2: (12, 2)}}),
              type("TwoBitVersion1", (ArithmeticCoder,), {"registers": {1: (12, 2)}})]
    rng = np.random.default_rng(chunk)
    for trial in range(600):
        q = rng.dirichlet(np.full(int(rng.integers(2, 6)), 0.5))
        cls = narrow[trial % 3]
        coder = cls(quantise(q, SMALL_PRECISION), SMALL_PRECISION, version=2 if trial % 3 < 2 else 1)
        stream = rng.choice(q.size, int(rng.integers(1, 120)), p=q)
        bits = coder.encode(stream)
        np.testing.assert_array_equal(coder.decode(bits, stream.size), stream)
        assert len(bits) < coder.max_bits(stream)


def test_long_run_of_ones_round_trips():
    """A stream of the last symbol writes one long run of 1 bits (held as a count while a carry could
    still come): 200000 symbols of q = (0.5, 0.5) give exactly 200000 ones and decode back."""
    coder = build("arithmetic", [0.5, 0.5])
    stream = np.ones(200_000, dtype=np.uint8)
    bits = coder.encode(stream)
    assert len(bits) == 200_000 and bits.all()
    np.testing.assert_array_equal(coder.decode(bits, stream.size), stream)


def test_encode_rejects_indices_outside_the_alphabet():
    """encode checks its input like every coder: an index >= k is a CodesimError."""
    coder = build("arithmetic", [0.5, 0.5])
    with pytest.raises(CodesimError, match="outside the alphabet"):
        coder.encode(np.array([0, 2]))


def test_trace_follows_the_nested_intervals():
    """trace: one entry per symbol up to limit; intervals nest in [0, 1), their width matches the ideal
    cost, and the emitted bits are the final output's prefix up to a pending carry of one."""
    p = np.array(NASA_P)
    coder = build("arithmetic", p)
    stream = np.random.default_rng(9).choice(8, 200, p=p)
    steps = coder.trace(stream, limit=150)
    assert len(steps) == 150 and len(coder.trace(stream[:3], limit=10)) == 3
    final = coder.encode(stream)
    prev_low, prev_high = 0.0, 1.0
    for i, step in enumerate(steps):
        assert step["position"] == i and step["symbol"] == stream[i]
        assert prev_low <= step["low_float"] <= step["high_float"] <= prev_high
        assert step["low"] < step["high"]
        assert step["interval_bits"] == pytest.approx(step["ideal_bits"], abs=1e-6)
        pos = step["bits"]
        assert len(step["emitted"]) == pos
        if pos:
            assert ba2int(final[:pos]) - int(step["emitted"], 2) in (0, 1)
        prev_low, prev_high = step["low_float"], step["high_float"]
    assert steps[0]["high_float"] - steps[0]["low_float"] == pytest.approx(p[stream[0]], rel=1e-6)


def test_a_stream_shorter_than_any_encoding_of_n_symbols_is_refused_before_decoding():
    """Each symbol narrows the interval by at least f_max / 2^P, so n symbols need at least
    n (P - log2 f_max) bits, less one for the final interval's slack: fewer is refused at once."""
    coder = build("arithmetic", np.array([0.75, 0.25]), precision=8)
    n = 1000
    least = n * (8 - math.log2(int(coder.freqs.max())))
    short = math.ceil(least - 1) - 1  # the longest stream that is still too short
    with pytest.raises(DecodeError, match=f"the stream is too short: {n} symbols need at least "
                                          f"{math.floor(least)} bits under this model, it has {short}"):
        coder.decode(bitarray(short), n)
