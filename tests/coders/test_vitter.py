"""adaptive-huffman's coding loop (codesim.coders.kernels.vitter.code): compiled and interpreted alike,
the bitstream unchanged, and the same bits whatever the coder's buffers and chunks."""

import hashlib

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import given, settings, strategies as st

from codesim import jit
from codesim.coders import build
from codesim.coders import vitter as coder_module
from codesim.coders.kernels import vitter
from codesim.coders.vitter import _VitterTree
from codesim.errors import DecodeError

from .test_adaptive import skewed_streams


def tables(k: int, as_arrays: bool) -> list:
    """A fresh tree's tables, as int64 arrays (what the compiled loop takes) or lists of ints."""
    return [np.array(t, dtype=np.int64) if as_arrays else [int(v) for v in t] for t in _VitterTree(k).tables()]


def encode_with(kernel, as_arrays: bool, k: int, stream: np.ndarray, out_bytes: int):
    """Encode through ``kernel`` in a buffer of ``out_bytes`` (resuming where it stops): the bits, each
    call's (done, bits written), the codeword lengths and the tables afterwards."""
    tree = tables(k, as_arrays)
    symbols = stream.astype(np.int64)
    buffer = np.zeros(out_bytes, dtype=np.uint8) if as_arrays else [0] * out_bytes
    lengths = np.zeros(stream.size, dtype=np.int64) if as_arrays else [0] * stream.size
    bits, calls, first = bitarray(endian="big"), [], 0
    while first < stream.size:
        part = symbols[first:] if as_arrays else symbols[first:].tolist()
        record = lengths[first:] if as_arrays else [0] * (stream.size - first)
        done, written = kernel(False, part, buffer, 8 * out_bytes, 0, record, *tree)
        calls.append((int(done), int(written)))
        lengths[first : first + done] = record[:done]
        used = (written + 7) // 8
        chunk = bitarray(endian="big")
        chunk.frombytes(bytes(buffer[:used]))
        bits += chunk[:written]
        buffer[:used] = [0] * used
        first += done
    return bits, calls, [int(v) for v in lengths], [[int(v) for v in t] for t in tree]


def decode_with(kernel, as_arrays: bool, k: int, bits: bitarray, n: int):
    """Decode n symbols through ``kernel``: (decoded, bit position), the symbols and the tables."""
    tree = tables(k, as_arrays)
    data = np.frombuffer(bits.tobytes(), dtype=np.uint8).copy() if as_arrays else bits.tobytes()
    out = np.zeros(n, dtype=np.int64) if as_arrays else [0] * n
    done, pos = kernel(True, out, data, len(bits), 0, out[:0], *tree)
    return (int(done), int(pos)), [int(v) for v in out], [[int(v) for v in t] for t in tree]


@given(case=skewed_streams(max_k=40, max_n=400), out_bytes=st.integers(3, 40), data=st.data())
@settings(max_examples=80, deadline=None)
def test_the_compiled_loop_codes_as_its_python_source_does(case, out_bytes, data):
    """The loop compiled over int64 arrays and its plain source (.py_func) over lists give the same
    bits, the same stops when the buffer is full, the same lengths and tables; decoding, the same
    symbols, and the same stop where the bits run out."""
    k, stream = case
    if k == 1:
        return  # one symbol codes in 0 bits, without the loop
    out_bytes += (2 * k + 21) // 8  # room for the longest codeword a tree of k symbols can have
    compiled = encode_with(vitter.code, True, k, stream, out_bytes)
    plain = encode_with(vitter.code.py_func, False, k, stream, out_bytes)
    assert compiled == plain
    bits = compiled[0]
    assert len(bits) == sum(compiled[2])
    cut = data.draw(st.integers(0, len(bits)), label="bits kept")
    for kept in (bits, bits[:cut]):
        decoded = decode_with(vitter.code, True, k, kept, stream.size)
        assert decoded == decode_with(vitter.code.py_func, False, k, kept, stream.size)
        (done, pos), symbols, _ = decoded
        assert symbols[:done] == stream[:done].tolist() and pos <= len(kept)
    assert decode_with(vitter.code, True, k, bits, stream.size)[:2] == ((stream.size, len(bits)), stream.tolist())


@given(case=skewed_streams(max_k=300, max_n=3000), chunk=st.integers(1, 500), out_bytes=st.integers(1, 64))
@settings(max_examples=40, deadline=None)
def test_the_coder_gives_the_same_bits_whatever_its_chunks_and_buffer(case, chunk, out_bytes):
    """Symbols given to the loop a chunk at a time and bits taken out of a small buffer whenever it
    fills make the same bitstream and lengths as one pass, and decode chunk by chunk to the stream."""
    k, stream = case
    coder = build("adaptive-huffman", np.full(k, 1 / k))
    whole, lengths = coder.encode(stream), coder.codeword_lengths(stream)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coder_module, "SYMBOL_CHUNK", chunk)
        patch.setattr(coder_module, "OUT_BYTES", out_bytes)
        assert coder.encode(stream) == whole
        assert np.array_equal(coder.codeword_lengths(stream), lengths)
        assert np.array_equal(coder.decode(whole, stream.size), stream)


def test_the_plain_path_runs_the_whole_coder_as_the_compiled_one():
    """With the interpreted path forced in this process (lists, the kernel's .py_func), the coder
    writes the same bits and decodes them: the callers hand the loop lists as well as arrays."""
    rng = np.random.default_rng(5)
    stream = rng.choice(50, 5000, p=rng.dirichlet(np.full(50, 0.3)))
    coder = build("adaptive-huffman", np.full(50, 1 / 50))
    bits = coder.encode(stream)
    with jit.interpreted():
        assert coder.encode(stream) == bits
        assert np.array_equal(coder.decode(bits, stream.size), stream)
        with pytest.raises(DecodeError, match="too short"):
            coder.decode(bits[:-1], stream.size)


def pinned_streams():
    rng = np.random.default_rng(1987)
    yield 2, rng.choice(2, 20000, p=[0.97, 0.03])
    yield 8, rng.choice(8, 20000, p=[0.4, 0.2, 0.15, 0.1, 0.06, 0.05, 0.03, 0.01])
    zipf = 1 / np.arange(1, 301)
    yield 300, rng.choice(300, 20000, p=zipf / zipf.sum())
    yield 1000, rng.integers(0, 1000, 5000)


def test_the_bitstream_is_the_one_files_hold():
    """Seeded streams (a skewed pair, the NASA source, Zipf over 300, uniform over 1000: escapes, leader
    exchanges and slides past blocks of every kind) encode to the bits the coder has always written
    (their length and a hash), and decode back."""
    pinned = {2: (20000, "0934b20df04180b0"), 8: (49543, "8c88bc5b57143837"),
              300: (131013, "e688a0b35f9584d5"), 1000: (57822, "ba9c8988dca1ba5f")}
    for k, stream in pinned_streams():
        coder = build("adaptive-huffman", np.full(k, 1 / k))
        bits = coder.encode(stream)
        assert (len(bits), hashlib.sha256(bits.tobytes()).hexdigest()[:16]) == pinned[k], k
        assert np.array_equal(coder.decode(bits, stream.size), stream)
