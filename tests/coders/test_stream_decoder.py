"""The compiled single-stream prefix decoder (codesim.coders.kernels.prefix): compiled and interpreted
alike, and the same symbols and refusals as bitarray's decoder, which a plain install uses."""

import numpy as np
from bitarray import bitarray
from hypothesis import event, given, settings, strategies as st

from codesim import jit
from codesim.coders import PrefixCode
from codesim.coders.kernels import prefix as stream_kernel
from codesim.errors import DecodeError
from codesim.sources.iid import index_dtype

from .test_prefix_speed import coded_streams, reference_symbols, sample


@st.composite
def any_codes(draw):
    """Prefix codes of 1 to 300 symbols with lengths 1 to WINDOW, complete or not: each wanted length is
    lengthened until it fits under Kraft's sum, and the symbols that no longer fit are left out."""
    room = 1 << stream_kernel.WINDOW  # Kraft's sum left, in units of 2^-WINDOW
    lengths = []
    for wanted in draw(st.lists(st.integers(1, stream_kernel.WINDOW), min_size=1, max_size=300)):
        while wanted <= stream_kernel.WINDOW and 1 << (stream_kernel.WINDOW - wanted) > room:
            wanted += 1
        if wanted > stream_kernel.WINDOW:
            break
        lengths.append(wanted)
        room -= 1 << (stream_kernel.WINDOW - wanted)
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


def bitarray_decode(code: PrefixCode, bits: bitarray, n: int):
    """What a plain install's decoder gives: the symbols, or None for a DecodeError."""
    with jit.interpreted():
        try:
            return code.decode(bits, n).tolist()
        except DecodeError:
            return None


def kernel_run(kernel, as_arrays: bool, code: PrefixCode, bits: bitarray, n: int):
    """(decoded, position, status) and the symbols of ``kernel`` over arrays or over lists."""
    raw = bits.tobytes() + bytes(stream_kernel.WINDOW // 8)
    tables = code._stream_tables
    if as_arrays:  # (lists too where the kernels run as Python: numpy's uint8 scalars would overflow)
        out = jit.scratch(n)
        result = kernel(jit.plain(np.frombuffer(raw, dtype=np.uint8)), len(bits), out, tables[0],
                        *map(jit.plain, tables[1:]))
    else:
        out = [0] * n
        result = kernel(raw, len(bits), out, tables[0], *(t.tolist() for t in tables[1:]))
    return tuple(int(v) for v in result), [int(v) for v in out]


@given(code=any_codes(), n=st.integers(0, 400), seed=st.integers(0, 2**32 - 1), data=st.data())
@settings(max_examples=150, deadline=None)
def test_the_compiled_decoder_decodes_and_refuses_as_bitarray_does(code, n, seed, data):
    """On any code (long codewords found by canonical search, incomplete codes with bits that start no
    codeword) and any stream, intact or damaged: the compiled loop and its Python source give the same
    result, and the coder gives bitarray's symbols, or a DecodeError exactly where bitarray refuses."""
    stream = sample(np.full(code.size, 1 / code.size), n, seed)
    bits = damaged(code.encode(stream), data)
    assert kernel_run(stream_kernel.decode, True, code, bits, n) == \
        kernel_run(stream_kernel.decode.py_func, False, code, bits, n)
    expected = bitarray_decode(code, bits, n)
    event("refused" if expected is None else "decoded")
    try:
        got = code.decode(bits, n).tolist()
    except DecodeError:
        got = None
    assert got == expected


@given(coded_streams(max_len=2000))
@settings(max_examples=100, deadline=None)
def test_every_scheme_decodes_to_bitarrays_symbols(case):
    """Each prefix scheme's stream decodes to the symbols bitarray's decoder reads from it."""
    code, stream = case
    bits = code.encode(stream)
    decoded = code.decode(bits, stream.size)
    assert decoded.dtype == index_dtype(code.size)
    assert decoded.tolist() == reference_symbols(code, bits, stream.size).tolist() == stream.tolist()


def test_the_compiled_decoder_takes_the_short_streams_of_codes_it_can_hold(monkeypatch):
    """With the fast extra, a single stream of a code with codewords up to WINDOW bits goes through
    the compiled loop; a code with a longer codeword, and a long stream in lanes, do not."""
    calls = []
    original = stream_kernel.decode
    monkeypatch.setattr(stream_kernel, "decode", lambda *a: calls.append(len(a[2])) or original(*a))
    short = PrefixCode([1, 2, 3, stream_kernel.WINDOW, stream_kernel.WINDOW])
    longer = PrefixCode([1, 2, 3, stream_kernel.WINDOW + 1, stream_kernel.WINDOW + 1])
    stream = np.array([0, 4, 3, 2, 1, 0])
    for code in (short, longer):
        assert code.decode(code.encode(stream), stream.size).tolist() == stream.tolist()
    lanes = PrefixCode([1, 2, 2])
    lanes.symbols_per_lane, lanes.min_lanes = 4, 2
    assert lanes.decode(lanes.encode(np.arange(40) % 3), 40).tolist() == (np.arange(40) % 3).tolist()
    assert calls == ([stream.size] if jit.enabled() else [])
