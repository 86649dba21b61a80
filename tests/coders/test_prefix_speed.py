"""The fast prefix-code paths: the word packer writes bitarray's bits exactly, long streams split into lanes
that decode in lock-step to what the sequential decoder gives, and a decoder that trusts no jump table."""

import math
import tracemalloc
from contextlib import contextmanager

import numpy as np
import pytest
from bitarray import bitarray, decodetree
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

import codesim.coders.lanes as lane_format
from codesim.coders import PrefixCode, build
from codesim.coders.lanes import (
    JUMP_FIELD_BITS, LANE_CODEWORD_BITS, LOOKUP_BITS, MAX_LANES, MIN_LANES, SYMBOLS_PER_LANE, WordPacker,
)
from codesim.coders.block import block_huffman
from codesim.errors import DecodeError

from ..conftest import NASA_P, prob_vectors

SCHEMES = ["huffman", "shannon", "fixed", "shannon-fano-elias", "huffman-limited"]


def reference_bits(code: PrefixCode, stream) -> bitarray:
    """bitarray's own C encoder with the code's canonical codewords: the single-stream format."""
    out = bitarray(endian="big")
    out.encode({i: bitarray(code.codeword(i)) for i in range(code.size)}, np.asarray(stream).tolist())
    return out


def reference_symbols(code: PrefixCode, bits: bitarray, n: int) -> np.ndarray:
    """bitarray's own C decoder on a single stream."""
    tree = decodetree({i: bitarray(code.codeword(i)) for i in range(code.size)})
    return np.fromiter(bits.decode(tree), dtype=np.int64, count=n)


def with_lanes(code: PrefixCode, per_lane: int, min_lanes: int = 2) -> PrefixCode:
    """The code with lanes of ``per_lane`` symbols from ``min_lanes`` lanes on, so short streams get many."""
    code.symbols_per_lane, code.min_lanes = per_lane, min_lanes
    return code


def sample(q, n, seed=0) -> np.ndarray:
    """n symbols drawn from q (a symbol q rules out still appears now and then, as in a mismatched run)."""
    q = np.asarray(q, dtype=np.float64)
    rng = np.random.default_rng(seed)
    stream = rng.choice(q.size, n, p=q)
    if n:
        stream[rng.integers(0, n, max(1, n // 50))] = rng.integers(0, q.size, max(1, n // 50))
    return stream


@st.composite
def coded_streams(draw, max_size=300, max_len=3000):
    """(code, stream): any scheme over 1 to ``max_size`` symbols, a stream of any integer dtype."""
    q = draw(prob_vectors(min_size=1, max_size=max_size))
    scheme = draw(st.sampled_from(SCHEMES))
    code = build(scheme, q, max_length=max(15, math.ceil(math.log2(q.size)))) if scheme == "huffman-limited" \
        else build(scheme, q)
    n = draw(st.integers(0, max_len))
    stream = sample(q, n, draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.uint8, np.uint16, np.int32, np.int64]))
    assume(q.size <= np.iinfo(dtype).max + 1)
    return code, stream.astype(dtype)


# -- encoding ------------------------------------------------------------------------------------------

@given(coded_streams(), st.booleans())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_packed_encoder_writes_exactly_bitarrays_bits(case, strided):
    """Pair table, joined groups and word packing together: bit for bit bitarray's encode, for alphabets of
    1 to 300 symbols (with and without the byte-pair table), any dtype, contiguous or not."""
    code, stream = case
    if strided:
        stream = np.repeat(stream, 2)[::2]
    assert code.lanes_for(stream.size) == 1
    assert code.encode(stream) == reference_bits(code, stream)


@contextmanager
def packing_steps(step):
    """The packer's step (PACK_CHUNK symbols) shrunk, so that short streams take many steps."""
    saved = lane_format.PACK_CHUNK
    lane_format.PACK_CHUNK = step
    try:
        yield
    finally:
        lane_format.PACK_CHUNK = saved


@given(coded_streams(max_len=600), st.integers(1, 70))
@settings(max_examples=60, deadline=None)
def test_packing_in_any_step_size_gives_the_same_bits(case, step):
    """The packer's steps carry a partial word across: the step size never shows in the bits."""
    code, stream = case
    expected = reference_bits(code, stream)
    with packing_steps(step):
        assert code.encode(stream) == expected


@given(prob_vectors(min_size=1, max_size=256), st.integers(0, 2000), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_pair_table_packer_equals_the_plain_symbol_by_symbol_packer(q, n, seed):
    """Groups from the byte-pair table and joined neighbours pack to what one codeword per item packs to."""
    code = build("huffman", q)
    stream = sample(q, n, seed).astype(np.uint8)
    fast = WordPacker(code._codes, code.lengths)
    plain = WordPacker(code._codes, code.lengths)
    plain.pair_words, plain.group = None, 1
    assert fast.pack(stream)[0] == plain.pack(stream)[0]


@given(coded_streams(max_len=2000), st.data())
@settings(max_examples=60, deadline=None)
def test_mark_offsets_are_where_the_marked_symbols_begin(case, data):
    """The packer's bit offsets for marked symbols (lane starts) are the sums of the codewords before them."""
    code, stream = case
    marks = np.unique(np.array(data.draw(st.lists(st.integers(0, max(0, stream.size - 1)), max_size=20)),
                             dtype=np.int64))
    marks = marks[marks < stream.size]
    _, offsets = code._packer.pack(stream, marks)
    before = np.concatenate(([0], np.cumsum(code.lengths[stream.astype(np.int64)])))
    assert offsets.tolist() == before[marks].tolist()


def test_codewords_over_64_bits_still_go_through_bitarray():
    q = 2.0 ** -np.arange(1, 71)
    code = with_lanes(build("huffman", q / q.sum()), per_lane=2)
    assert code.lengths.max() > 64 and code.lanes_for(1000) == 1
    stream = np.array([0, 69, 68, 1, 69] * 200)
    bits = code.encode(stream)
    assert bits == reference_bits(code, stream)
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


def test_encoding_scratch_memory_is_bounded_by_the_step_not_the_stream():
    """4M symbols: beyond its output, the encoder's peak is a few packing steps, not bytes per symbol, and the
    decoder's a few copies of the bits."""
    code = with_lanes(build("huffman", NASA_P), per_lane=1 << 14, min_lanes=2)
    stream = sample(NASA_P, 1 << 22, seed=3).astype(np.uint8)
    warm = stream[: 1 << 16]  # four lanes: both tables are built outside the measurement
    code.decode(code.encode(warm), warm.size)
    tracemalloc.start()
    bits = code.encode(stream)
    encoding = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    decoded = code.decode(bits, stream.size)
    decoding = tracemalloc.get_traced_memory()[1] - decoded.nbytes
    tracemalloc.stop()
    payload = len(bits) // 8
    assert encoding - payload < 16 * 2**20  # 8 bytes per symbol would be 32 MiB
    assert decoding - payload < 6 * payload + 2**20  # the bits in 64-bit windows, per-lane state


# -- the lane layout -------------------------------------------------------------------------------------

def test_lane_rule_from_n_and_the_code_alone():
    code = build("huffman", NASA_P)
    threshold = MIN_LANES * SYMBOLS_PER_LANE
    assert code.lanes_for(threshold - 1) == 1 and code.lanes_for(threshold) == MIN_LANES
    assert code.lanes_for(10**7) == 10**7 // SYMBOLS_PER_LANE
    assert code.lanes_for(10**12) == MAX_LANES
    long_code = PrefixCode([1] + list(range(2, LANE_CODEWORD_BITS + 1)) + [LANE_CODEWORD_BITS + 1] * 2)
    assert long_code.lanes_for(10**9) == 1  # a codeword over LANE_CODEWORD_BITS: always one stream
    n = 10**7 + 123
    sizes = np.diff(np.append(code.lane_starts(n), n))  # runs of consecutive symbols, the first ones longer
    assert sizes.size == code.lanes_for(n) and sizes.sum() == n
    longer = n % sizes.size
    assert sizes.tolist() == [n // sizes.size + 1] * longer + [n // sizes.size] * (sizes.size - longer)


@given(coded_streams(max_len=1500), st.integers(1, 64), st.integers(2, 8))
@settings(max_examples=120, deadline=None)
def test_short_streams_are_exactly_the_single_stream(case, per_lane, min_lanes):
    """Below min_lanes lanes a stream is just its codewords: the format of every small file written so far."""
    code, stream = case
    code = with_lanes(code, per_lane, min_lanes)
    stream = stream[: min_lanes * per_lane - 1]  # the longest stream that still has one lane
    assert code.lanes_for(stream.size) == 1
    bits = code.encode(stream)
    assert bits == reference_bits(code, stream) and code.jump_table_bits(bits, stream.size) == 0
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


@given(coded_streams(max_len=3000), st.integers(1, 40))
@settings(max_examples=150, deadline=None)
def test_lane_decoder_equals_the_sequential_decoder(case, per_lane):
    """Many lanes on short streams: jump table, then exactly the single stream, decoded in lock-step to it."""
    code, stream = case
    code = with_lanes(code, per_lane)
    n = stream.size
    bits = code.encode(stream)
    skip = code.jump_table_bits(bits, n)
    assert bits[skip:] == reference_bits(code, stream)
    event(f"lanes > 1: {code.lanes_for(n) > 1}")
    decoded = code.decode(bits, n)
    assert decoded.tolist() == reference_symbols(code, bits[skip:], n).tolist() == stream.tolist()
    least, most = code.bit_bounds(n)
    assert least <= len(bits) <= most


@given(st.integers(20, 600), st.integers(LOOKUP_BITS + 1, LANE_CODEWORD_BITS), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_codes_longer_than_the_lookup_round_trip_in_lanes(k, max_length, seed):
    """Codewords of more than LOOKUP_BITS bits are decoded by canonical search, inside the lock-step."""
    q = 0.6 ** np.arange(k)
    code = with_lanes(build("huffman-limited", q / q.sum(), max_length=max_length), per_lane=3)
    assert code.lengths.max() > LOOKUP_BITS and code.lanes_for(1000) > 1
    stream = np.random.default_rng(seed).integers(0, k, 1000)  # uniform: the long codewords are frequent
    bits = code.encode(stream)
    assert code.decode(bits, stream.size).tolist() == stream.tolist()


def test_long_codewords_and_incomplete_codes_in_lanes():
    q = 0.55 ** np.arange(40)
    code = with_lanes(build("huffman-limited", q / q.sum(), max_length=24), per_lane=5)
    assert LOOKUP_BITS < code.lengths.max() <= LANE_CODEWORD_BITS
    stream = np.random.default_rng(1).integers(0, 40, 5000)
    assert code.decode(code.encode(stream), 5000).tolist() == stream.tolist()
    for lengths in ([1], [2, 2, 3], [3] * 5, [1, 3, 3, 20]):  # Kraft sums below 1
        code = with_lanes(PrefixCode(lengths), per_lane=2)
        stream = np.random.default_rng(2).integers(0, len(lengths), 777)
        bits = code.encode(stream)
        assert code.decode(bits, 777).tolist() == stream.tolist()
        assert code.decode(bitarray(bits, endian="little"), 777).tolist() == stream.tolist()


def test_one_length_codes_need_no_jump_table():
    """Every lane of a fixed-length code is its symbol count times the length: nothing to store."""
    code = with_lanes(build("fixed", np.full(8, 1 / 8)), per_lane=10)
    stream = np.random.default_rng(0).integers(0, 8, 5000)
    bits = code.encode(stream)
    assert code.lanes_for(5000) == 500 and len(bits) == 3 * 5000 and code.jump_table_bits(bits, 5000) == 0
    assert code.decode(bits, 5000).tolist() == stream.tolist()
    with pytest.raises(DecodeError):
        code.decode(bits[:-1], 5000)


def test_block_codes_encode_their_tuples_in_one_piece():
    """A block code's tuple stream has one jump table, so it must not be encoded in pieces: 2^20 + 5
    tuples (more than the 2^20 a block code used to hand over at a time) still round trip in lanes."""
    code = block_huffman(np.array(NASA_P), 2)
    with_lanes(code.tuple_code, per_lane=1 << 12)
    stream = sample(NASA_P, 2 * (1 << 20) + 11, seed=5).astype(np.uint8)
    assert code.tuple_code.lanes_for(stream.size // 2) > 1
    assert np.array_equal(code.decode(code.encode(stream), stream.size), stream)


def test_jump_table_costs_under_a_thousandth_of_a_bit_per_symbol_at_ten_million():
    """NASA, 10^7 symbols, the default layout: the table is its fields' bits, under 10^4 in all."""
    code = build("huffman", NASA_P)
    n = 10**7
    stream = sample(NASA_P, n, seed=11).astype(np.uint8)
    bits = code.encode(stream)
    table = code.jump_table_bits(bits, n)
    lanes = code.lanes_for(n)
    width = int(bits[:JUMP_FIELD_BITS].to01(), 2)
    base_bits = int(bits[JUMP_FIELD_BITS : 2 * JUMP_FIELD_BITS].to01(), 2)
    assert table == 2 * JUMP_FIELD_BITS + base_bits + (lanes - 1) * width
    assert len(bits) - table == int(code.lengths[stream].sum())
    assert table / n < 0.001


# -- a decoder that trusts no input ------------------------------------------------------------------------

NASA_LANES = with_lanes(build("huffman", NASA_P), per_lane=7)
NASA_STREAM = sample(NASA_P, 700, seed=9)
NASA_BITS = NASA_LANES.encode(NASA_STREAM)


def fields(width, base_bits, base, deviations) -> bitarray:
    out = bitarray(f"{width:06b}{base_bits:06b}" + (f"{base:0{base_bits}b}" if base_bits else ""))
    for d in deviations:
        out += bitarray(f"{d:0{width}b}") if width else bitarray()
    return out


def test_truncated_or_extended_streams_are_refused():
    n = NASA_STREAM.size
    table = NASA_LANES.jump_table_bits(NASA_BITS, n)
    for cut in (0, 5, 12, 40, table, table + 1, len(NASA_BITS) // 2, len(NASA_BITS) - 1):
        with pytest.raises(DecodeError):
            NASA_LANES.decode(NASA_BITS[:cut], n)
    for extra in ("0", "1", "0" * 64):
        with pytest.raises(DecodeError):
            NASA_LANES.decode(NASA_BITS + bitarray(extra), n)
    for wrong_n in (n - 1, n + 1, n - 7, 10**18):
        with pytest.raises(DecodeError):
            NASA_LANES.decode(NASA_BITS, wrong_n)


def test_hostile_jump_tables_are_refused_before_any_large_allocation():
    n, lanes = NASA_STREAM.size, NASA_LANES.lanes_for(NASA_STREAM.size)
    payload = NASA_BITS[NASA_LANES.jump_table_bits(NASA_BITS, n):]
    hostile = [
        fields(63, 0, 0, []),                                  # deviations of 63 bits: far more than there is
        fields(0, 63, 2**62, []) + payload,                    # a lane longer than the payload
        fields(0, 3, 5, []) + payload,                         # lanes too short for their 7 symbols
        fields(0, 5, 16, []) + payload,                        # so the last lane is too long for its 7
        fields(4, 5, 16, [0] * (lanes - 1)) + payload,         # zero deviations in 4 bits instead of 0
        fields(6, 3, 4, [0] + [16] * (lanes - 2)) + payload,   # a deviation wider than it needs
        fields(1, 5, 16, [1] * (lanes - 1)) + payload,         # base below the shortest lane: no 0
        fields(0, 6, 7, []) + payload,                         # base written with a leading zero
        fields(0, 11, 1024, []) + payload,                     # lanes adding up past the payload
    ]
    for bits in hostile:
        with pytest.raises(DecodeError, match="jump table|symbols of this code take at least"):
            NASA_LANES.decode(bits, n)


def test_bit_bounds_include_the_jump_table():
    """A mismatched model can make every symbol a longest codeword: with the table, more than n times the
    longest length, and still within bit_bounds (which a container should check instead)."""
    code = with_lanes(build("huffman", NASA_P), per_lane=50)
    longest = int(np.argmax(code.lengths))
    stream = np.full(5000, longest)
    bits = code.encode(stream)
    least, most = code.bit_bounds(5000)
    assert 5000 * code.lengths.max() < len(bits) <= most and least <= len(bits)
    assert code.decode(bits, 5000).tolist() == stream.tolist()


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_a_corrupted_stream_is_refused_or_is_exactly_an_encoding(data):
    """Flip, drop or insert bits anywhere (jump table or lanes): decoding raises DecodeError, or returns
    symbols whose encoding is exactly the corrupted bits (a stream decodes only in its one canonical form)."""
    bits = bitarray(NASA_BITS)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(bits) - 1))
        action = data.draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            bits[at] = not bits[at]
        elif action == "drop":
            del bits[at]
        else:
            bits.insert(at, data.draw(st.booleans()))
    try:
        decoded = NASA_LANES.decode(bits, NASA_STREAM.size)
    except DecodeError:
        return
    assert NASA_LANES.encode(decoded) == bits


@given(st.binary(max_size=400), st.integers(0, 3000))
@settings(max_examples=200, deadline=None)
def test_random_bytes_never_raise_anything_but_decode_error(raw, n):
    q = 0.7 ** np.arange(30)
    code = with_lanes(build("huffman", q / q.sum()), per_lane=4)
    bits = bitarray(endian="big")
    bits.frombytes(raw)
    try:
        decoded = code.decode(bits, n)
    except DecodeError:
        return
    assert code.encode(decoded) == bits
