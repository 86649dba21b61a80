"""The compiled prefix decoder (codesim.coders.kernels.prefix): compiled and interpreted alike, and the
same symbols and refusals as a plain install's decoders: bitarray's on a single stream, the numpy lock-step
in lanes."""

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import event, given, settings, strategies as st

from codesim import jit
from codesim.coders import PrefixCode
from codesim.coders.kernels import prefix as stream_kernel
from codesim.coders.lanes import LANE_CODEWORD_BITS, lane_layout
from codesim.errors import DecodeError
from codesim.sources.iid import index_dtype

from .test_prefix_speed import coded_streams, reference_symbols, sample


@st.composite
def any_codes(draw, longest=stream_kernel.WINDOW):
    """Prefix codes of 1 to 300 symbols with lengths 1 to ``longest``, complete or not: each wanted length
    is lengthened until it fits under Kraft's sum, and the symbols that no longer fit are left out."""
    room = 1 << longest  # Kraft's sum left, in units of 2^-longest
    lengths = []
    for wanted in draw(st.lists(st.integers(1, longest), min_size=1, max_size=300)):
        while wanted <= longest and 1 << (longest - wanted) > room:
            wanted += 1
        if wanted > longest:
            break
        lengths.append(wanted)
        room -= 1 << (longest - wanted)
    return PrefixCode(lengths)


def damaged(bits: bitarray, data) -> bitarray:
    """The bits with up to three flips, drops or insertions, or cut short, or extended."""
    bits = bitarray(bits, endian="big")
    for _ in range(data.draw(st.integers(0, 3), label="edits")):
        action = data.draw(st.sampled_from(["flip", "drop", "insert", "cut", "extend"]), label="action")
        at = data.draw(st.integers(0, max(len(bits) - 1, 0)), label="at")
        if action == "extend" or not bits:
            bits.extend(data.draw(st.lists(st.booleans(), min_size=1, max_size=40), label="extra"))
        elif action == "flip":
            bits[at] = not bits[at]
        elif action == "drop":
            del bits[at]
        elif action == "insert":
            bits.insert(at, data.draw(st.booleans(), label="bit"))
        else:
            del bits[at:]
    return bits


def plain_decode(code: PrefixCode, bits: bitarray, n: int):
    """What a plain install's decoder gives (bitarray's on a single stream, the numpy lock-step in lanes):
    the symbols, or None for a DecodeError."""
    with jit.interpreted():
        return decoded_or_none(code, bits, n)


def decoded_or_none(code: PrefixCode, bits: bitarray, n: int):
    try:
        return code.decode(bits, n).tolist()
    except DecodeError:
        return None


def kernel_run(as_arrays: bool, code: PrefixCode, bits: bitarray, n: int):
    """(decoded, position, status) and the symbols of the single-stream kernel compiled over arrays, or
    as Python over lists."""
    raw = bits.tobytes() + bytes(stream_kernel.WINDOW // 8)
    tables = code._stream_tables
    if as_arrays:  # (lists too where the kernels run as Python: numpy's uint8 scalars would overflow)
        out = jit.scratch(n)
        result = stream_kernel.decode(jit.plain(np.frombuffer(raw, dtype=np.uint8)), 0, len(bits), out, 0, n,
                                      tables[0], *map(jit.plain, tables[1:]))
    else:
        out = [0] * n
        with jit.interpreted():
            result = stream_kernel.decode(raw, 0, len(bits), out, 0, n, tables[0],
                                          *(t.tolist() for t in tables[1:]))
    return tuple(int(v) for v in result), [int(v) for v in out]


@given(code=any_codes(), n=st.integers(0, 400), seed=st.integers(0, 2**32 - 1), data=st.data())
@settings(max_examples=150, deadline=None)
def test_the_compiled_decoder_decodes_and_refuses_as_bitarray_does(code, n, seed, data):
    """On any code (long codewords found by canonical search, incomplete codes with bits that start no
    codeword) and any stream, intact or damaged: the compiled loop and its Python source give the same
    result, and the coder gives bitarray's symbols, or a DecodeError exactly where bitarray refuses."""
    stream = sample(np.full(code.size, 1 / code.size), n, seed)
    bits = damaged(code.encode(stream), data)
    assert kernel_run(True, code, bits, n) == kernel_run(False, code, bits, n)
    expected = plain_decode(code, bits, n)
    event("refused" if expected is None else "decoded")
    assert decoded_or_none(code, bits, n) == expected


@given(coded_streams(max_len=2000))
@settings(max_examples=100, deadline=None)
def test_every_scheme_decodes_to_bitarrays_symbols(case):
    """Each prefix scheme's stream decodes to the symbols bitarray's decoder reads from it."""
    code, stream = case
    bits = code.encode(stream)
    decoded = code.decode(bits, stream.size)
    assert decoded.dtype == index_dtype(code.size)
    assert decoded.tolist() == reference_symbols(code, bits, stream.size).tolist() == stream.tolist()


def lanes_kernel_run(code: PrefixCode, bits: bitarray, n: int, group: int | None = None):
    """(lanes, index, position, status) and the symbols up to that index (past it, a group's later lanes
    may have written some) of the lane kernel: compiled over arrays, or with ``group`` as Python (its
    source and the kernels it calls, decoding ``group`` lanes together) over lists; None if the jump
    table is refused."""
    try:
        head, lane_bits, sizes = lane_layout(bits, n, code.lanes_for(n), code._shortest, code._longest)
    except DecodeError:
        return None
    stops, ends = head + np.cumsum(lane_bits), np.cumsum(sizes)
    raw = bits.tobytes() + bytes(stream_kernel.WINDOW // 8)
    tables = code._stream_tables
    if group is None:
        out = jit.scratch(n)
        result = stream_kernel.decode_lanes(jit.plain(np.frombuffer(raw, dtype=np.uint8)), head,
                                            jit.plain(stops), jit.plain(ends), out,
                                            jit.scratch(stream_kernel.GROUP), jit.scratch(stream_kernel.GROUP),
                                            tables[0], *map(jit.plain, tables[1:]))
    else:
        out = [0] * n
        with jit.interpreted(), pytest.MonkeyPatch.context() as patch:
            patch.setattr(stream_kernel, "GROUP", group)
            result = stream_kernel.decode_lanes(raw, head, stops.tolist(), ends.tolist(), out, [0] * group,
                                                [0] * group, tables[0], *(t.tolist() for t in tables[1:]))
    return tuple(int(v) for v in result), [int(v) for v in out[: result[1]]]


@given(code=any_codes(LANE_CODEWORD_BITS), per_lane=st.integers(1, 80), group=st.integers(1, 4),
       seed=st.integers(0, 2**32 - 1), data=st.data())
@settings(max_examples=200, deadline=None)
def test_lanes_decode_and_refuse_alike_compiled_and_in_lock_step(code, per_lane, group, seed, data):
    """A stream in lanes, intact or damaged (lane bits or jump table), of any code the lanes take: the
    compiled lane loop and its Python source give the same result, decoding lanes in groups of any size
    or one at a time; the coder gives the lock-step decoder's symbols, or a DecodeError exactly where it refuses; and
    what it decodes is bitarray's reading of the bits after the jump table, and encodes back to exactly
    the bits."""
    code.symbols_per_lane, code.min_lanes = per_lane, 2
    n = data.draw(st.integers(2 * per_lane, 800), label="n")
    assert code.lanes_for(n) > 1
    stream = sample(np.full(code.size, 1 / code.size), n, seed)
    bits = damaged(code.encode(stream), data)
    compiled = lanes_kernel_run(code, bits, n)
    assert compiled == lanes_kernel_run(code, bits, n, group) == lanes_kernel_run(code, bits, n, 1)
    expected = plain_decode(code, bits, n)
    event("jump table refused" if compiled is None else "refused" if expected is None else "decoded")
    got = decoded_or_none(code, bits, n)
    assert got == expected
    if got is not None:
        skip = code.jump_table_bits(bits, n)
        assert reference_symbols(code, bits[skip:], n).tolist() == got
        assert code.encode(np.array(got)) == bits
    if bits == code.encode(stream):
        assert got == stream.tolist()


def test_a_lane_that_runs_past_its_end_stops_where_lane_after_lane_does():
    """Lane 0's bits flipped from the shortest codeword to the longest: its symbols run on into lane 1 with
    many left to decode, where a group's steps must stop short of the lane's end as a lone lane's do."""
    code = PrefixCode([1, 2, 3, 4, 5, 6, 7, 7])
    code.symbols_per_lane, code.min_lanes = 60, 2
    stream = np.concatenate((np.zeros(60, dtype=np.int64), np.arange(120) % 8))
    bits = code.encode(stream)
    head = code.jump_table_bits(bits, stream.size)
    bits[head : head + 60] = 1
    compiled = lanes_kernel_run(code, bits, stream.size)
    assert compiled[0][0] == 0 and compiled[0][3] == stream_kernel.PAST_END
    for group in (1, 2, 3):
        assert lanes_kernel_run(code, bits, stream.size, group) == compiled
    with pytest.raises(DecodeError, match="lane 0 of 3: "):
        code.decode(bits, stream.size)
    assert plain_decode(code, bits, stream.size) is None


def test_the_compiled_decoder_takes_every_stream_of_codes_it_can_hold(monkeypatch):
    """With the fast extra, a single stream of a code with codewords up to WINDOW bits goes through the
    compiled loop, and so does a long stream in lanes; a code with a longer codeword does not."""
    lanes = PrefixCode([1, 2, 2])
    lanes.symbols_per_lane, lanes.min_lanes = 4, 2
    lanes.prepare(40)  # both kernels compiled before they are wrapped
    PrefixCode([1, 1]).prepare(1)
    calls = []
    for name in ("decode", "decode_lanes"):
        original = getattr(stream_kernel, name)
        monkeypatch.setattr(stream_kernel, name,
                            lambda *a, name=name, original=original: calls.append(name) or original(*a))
    short = PrefixCode([1, 2, 3, stream_kernel.WINDOW, stream_kernel.WINDOW])
    longer = PrefixCode([1, 2, 3, stream_kernel.WINDOW + 1, stream_kernel.WINDOW + 1])
    stream = np.array([0, 4, 3, 2, 1, 0])
    for code in (short, longer):
        assert code.decode(code.encode(stream), stream.size).tolist() == stream.tolist()
    assert lanes.decode(lanes.encode(np.arange(40) % 3), 40).tolist() == (np.arange(40) % 3).tolist()
    assert calls == (["decode", "decode_lanes"] if jit.enabled() else [])
