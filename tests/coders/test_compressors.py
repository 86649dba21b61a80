"""The reference compressors as schemes: their bits are the libraries' own output of the packed symbols,
they round trip through the container, and any payload a file can hold decodes to exactly the message or
is refused with a DecodeError, quickly and in bounded memory."""

from __future__ import annotations

import bz2
import importlib
import lzma
import subprocess
import sys
import time
import tracemalloc
import zlib
from datetime import timedelta

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import HealthCheck, example, given, settings, strategies as st

from codesim.coders import build, check_config, compressors, from_config, get
from codesim.coders.registry import SchemeSpec, select
from codesim.errors import ConfigError, ContainerError, DecodeError, SchemeError
from codesim.files import container, inspection
from codesim.simulation.simulate import simulate_many, trial_streams
from codesim.sources.iid import Distribution

from ..conftest import SCENARIOS
from ..hostile import assert_one_line_error, invoke

NAMES = ["zlib", "bz2", "lzma", "zstd", "brotli"]
LEVELS = {"zlib": (1, 9), "bz2": (1, 9), "lzma": (0, 9), "zstd": (1, 22), "brotli": (0, 11)}
SIZES = [1, 2, 256, 257, 65536]
#: Per-example bound for anything that reads a hostile payload: a hang or a slow path fails the test.
HOSTILE = settings(max_examples=60, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])


def uniform(k: int) -> np.ndarray:
    return np.full(k, 1.0 / k)


def bits_of(data: bytes) -> bitarray:
    bits = bitarray(endian="big")
    bits.frombytes(data)
    return bits


def packed(stream, k: int) -> bytes:
    """The packing, written out independently: a byte per symbol up to 256 symbols, else two, high first."""
    return b"".join(int(s).to_bytes(1 if k <= 256 else 2, "big") for s in stream)


def library_output(name: str, data: bytes, level: int) -> bytes:
    """What each library makes of ``data`` when called directly, with the documented settings."""
    if name == "zlib":
        return zlib.compress(data, level)
    if name == "bz2":
        return bz2.compress(data, level)
    if name == "lzma":
        preset = lzma._decode_filter_properties(
            lzma.FILTER_LZMA2, lzma._encode_filter_properties({"id": lzma.FILTER_LZMA2, "preset": level}))
        dictionary = min(max(4096, 1 << (len(data) - 1).bit_length()), preset["dict_size"])
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                             filters=[{"id": lzma.FILTER_LZMA2, "preset": level, "dict_size": dictionary}])
    if name == "zstd":
        import zstandard
        return zstandard.ZstdCompressor(level=level, write_checksum=True).compress(data)
    import brotli
    return brotli.compress(data, quality=level, lgwin=24)


@st.composite
def messages(draw, name: str):
    """(coder, stream): a level of the scheme's range, an alphabet of the listed sizes, a stream random or
    with repeats (so that the compressor finds matches)."""
    k = draw(st.sampled_from(SIZES), label="k")
    level = draw(st.integers(*LEVELS[name]), label="level")
    n = draw(st.integers(0, 300), label="n")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    stream = rng.integers(0, k, n)
    if draw(st.booleans(), label="repeats"):
        stream = np.resize(stream[: max(1, n // 7)], n) if n else stream
    return build(name, uniform(k), level=level), stream


# -- what the bits are -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_the_bits_are_the_library_s_own_output_of_the_packed_symbols(name, data):
    """8 bits a byte of what the library, called directly on the independently packed symbols, writes."""
    coder, stream = data.draw(messages(name))
    bits = coder.encode(stream)
    expected = library_output(name, packed(stream, coder.size), coder.level)
    assert len(bits) == 8 * len(expected) and bits.tobytes() == expected


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@settings(max_examples=25, deadline=None)
def test_every_level_and_alphabet_round_trips_directly_through_its_config_and_through_the_container(name, data):
    coder, stream = data.draw(messages(name))
    bits = coder.encode(stream)
    assert coder.decode(bits, stream.size).tolist() == stream.tolist()
    check_config(coder.get_config(), coder.size)
    again = from_config(coder.get_config())
    assert again.decode(bits, stream.size).tolist() == stream.tolist() and again.encode(stream) == bits
    labels = list(range(coder.size))
    header, restored, payload = container.loads(container.dumps(coder, bits, stream.size, labels))
    assert header.coder == {"scheme": name, "params": {"level": coder.level}, "size": coder.size}
    assert header.model is None or header.model == ()
    assert container.decode_payload(header, restored, payload).tolist() == stream.tolist()


def test_the_packing_is_a_byte_per_symbol_up_to_256_symbols_and_two_high_first_above():
    stream = np.array([0, 1, 255, 256, 299])
    wide = build("zlib", uniform(300))
    assert zlib.decompress(wide.encode(stream).tobytes()) == bytes.fromhex("0000 0001 00ff 0100 012b")
    assert wide.packing == "1 symbol per 2 bytes, high byte first" and wide.symbol_limit() == 2**19
    narrow = build("zlib", uniform(256))
    assert zlib.decompress(narrow.encode(stream[:3]).tobytes()) == bytes.fromhex("0001ff")
    assert narrow.packing == "1 symbol per byte" and narrow.symbol_limit() == 2**20
    with pytest.raises(SchemeError, match=r"^scheme 'zlib' packs a symbol in at most 2 bytes: at most 65536 "
                                          r"symbols, not 65537$"):
        SchemeSpec.parse("zlib").check_alphabet(65537)


def test_each_level_defaults_to_the_library_s_strongest_and_is_bounded_by_its_range():
    for name, (low, high) in LEVELS.items():
        (param,) = get(name).params
        assert (param.name, param.default, param.minimum, param.maximum) == ("level", high, low, high)
        assert build(name, uniform(3)).level == high
        with pytest.raises(SchemeError, match=f"scheme '{name}': parameter level must be an integer from {low} "
                                              f"to {high}, got {high + 1}"):
            build(name, uniform(3), level=high + 1)
        assert get(name).learns and get(name).groups == ("compressors",)


def test_an_empty_message_costs_the_framing_documented():
    """The whole output for no symbols is each library's framing alone, as the README's table gives it."""
    empty = np.zeros(0, dtype=np.int64)
    sizes = {name: len(build(name, uniform(2)).encode(empty)) // 8 for name in NAMES}
    assert sizes == {"zlib": 8, "bz2": 14, "lzma": 32, "zstd": 13, "brotli": 1}


def test_the_lzma_dictionary_holds_the_message_within_the_preset_s():
    """The presets' dictionaries are liblzma's; a message's is the least power of two holding it (at least
    4 KiB); and limiting it changes nothing but the header's record of it (same length)."""
    for preset, log in enumerate(compressors.PRESET_DICTIONARY_BITS):
        props = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA2, "preset": preset})
        assert lzma._decode_filter_properties(lzma.FILTER_LZMA2, props)["dict_size"] == 1 << log
    coder = build("lzma", uniform(4))
    assert [coder.dictionary(n) for n in (0, 1, 4096, 4097, 70000, 2**20)] == [4096, 4096, 4096, 8192, 2**17, 2**20]
    assert build("lzma", uniform(4), level=0).dictionary(2**20) == 2**18
    rng = np.random.default_rng(7)
    for stream in (rng.integers(0, 4, 70000), np.resize(rng.integers(0, 4, 999), 50000)):
        ours = coder.encode(stream).tobytes()
        whole = lzma.compress(packed(stream, 4), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                              filters=[{"id": lzma.FILTER_LZMA2, "preset": 9}])
        assert len(ours) == len(whole) and sum(a != b for a, b in zip(ours, whole)) <= 5


@pytest.mark.parametrize("k", [256, 300])
def test_a_message_at_the_limit_decodes_within_lzma_s_memory_limit(k):
    """2^20 packed bytes of random symbols at preset 9: the decoder's memory limit (the message's
    dictionary plus 1 MiB) holds what the encoder wrote."""
    coder = build("lzma", uniform(k))
    stream = np.random.default_rng(k).integers(0, k, coder.symbol_limit())
    assert coder.decode(coder.encode(stream), stream.size).tolist() == stream.tolist()


def test_a_compressor_has_no_closed_form_limit_and_a_uniform_initial_model():
    coder = build("bz2", uniform(4))
    assert coder.expected_length(np.array([0.5, 0.5, 0, 0])) is None and coder.code_divergence(uniform(4)) is None
    assert coder.implied.tolist() == [0.25] * 4


# -- hostile payloads ------------------------------------------------------------------------------------


def refused(coder, bits, n: int, match: str | None = None) -> str:
    """The one-line DecodeError decoding ``bits`` as n symbols gives, within a second and 16 MB of Python
    allocations (the output is cut at the message's size)."""
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(DecodeError, match=match) as info:
            coder.decode(bits, n)
        seconds, peak = time.monotonic() - start, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(info.value) and seconds < 1.0 and peak < 16 << 20, (seconds, peak)
    return str(info.value)


@pytest.fixture(scope="module")
def bombs():
    """Per scheme, 64 MiB of zeros compressed by the library itself: 300 kB at most."""
    zeros = bytes(1 << 26)
    made = {"zlib": zlib.compress(zeros, 1), "bz2": bz2.compress(zeros, 1), "lzma": lzma.compress(zeros, preset=0)}
    made["zstd"] = importlib.import_module("zstandard").ZstdCompressor(level=1).compress(zeros)
    made["brotli"] = importlib.import_module("brotli").compress(zeros, quality=0)
    return made


@pytest.mark.parametrize("name", NAMES)
def test_a_decompression_bomb_stops_at_the_message_s_size(name, bombs):
    coder = build(name, uniform(4))
    if name == "zstd":  # its frame states 64 MiB, which is refused before anything is decompressed
        refused(coder, bits_of(bombs[name]), 100, "the zstd frame's header gives a content size of 67108864 bytes, "
                                                  "and the message needs 100 bytes")
        return
    if name == "lzma":  # xz wraps any LZMA2 stream: this one is not the scheme's (check and dictionary)
        coder = build(name, uniform(4), level=0)
    refused(coder, bits_of(bombs[name]), 100, f"the {name} stream decompresses to more than 100 bytes")


def test_a_zstd_frame_of_the_right_content_size_that_writes_more_stops_at_it(bombs):
    """The frame's content size patched to the message's: the output buffer is that size, so the bomb's
    next block is refused, not written."""
    zstandard = importlib.import_module("zstandard")
    frame = zstandard.ZstdCompressor(level=1, write_checksum=True).compress(bytes(1 << 24))
    start = zstandard.frame_header_size(frame)
    # Magic, then a header without the single-segment flag: a 4-byte content size and a 1 KiB window.
    header = compressors.ZSTD_MAGIC + bytes([0b10000100, 0x00]) + (1000).to_bytes(4, "little")
    refused(build("zstd", uniform(4)), bits_of(header + frame[start:]), 1000, "does not decompress")


def test_a_header_claiming_a_huge_window_or_dictionary_is_refused_before_it_is_allocated():
    stream = np.random.default_rng(3).integers(0, 4, 1000)
    xz = bytearray(build("lzma", uniform(4)).encode(stream).tobytes())
    assert xz[12:16] == bytes([0x02, 0x00, 0x21, 0x01])  # a 12-byte block header: flags, LZMA2, 1 property byte
    xz[16] = 40  # the property byte: a dictionary of 4 GiB - 1
    xz[20:24] = zlib.crc32(bytes(xz[12:20])).to_bytes(4, "little")
    refused(build("lzma", uniform(4)), bits_of(bytes(xz)), 1000, "Memory usage limit")
    zstandard = importlib.import_module("zstandard")
    frame = build("zstd", uniform(4)).encode(stream).tobytes()
    start = zstandard.frame_header_size(frame)
    # Not single-segment, a window of 2^26 (zstd's own default limit allows it), the 2-byte content size.
    header = compressors.ZSTD_MAGIC + bytes([0b01000100, 16 << 3]) + (1000 - 256).to_bytes(2, "little")
    refused(build("zstd", uniform(4)), bits_of(header + frame[start:]), 1000,
            "the zstd frame's window of 67108864 bytes is over the 1024 a message of 1000 bytes needs")
    assert len(build("zstd", uniform(4)).decode(bits_of(frame), 1000)) == 1000


@pytest.mark.parametrize("name", NAMES)
def test_a_stream_cut_short_or_with_bytes_after_it_or_with_bits_over_whole_bytes_is_refused(name):
    coder = build(name, uniform(4))
    stream = np.random.default_rng(len(name)).integers(0, 4, 2000)
    bits = coder.encode(stream)
    for cut in (8, len(bits) // 2, len(bits) - 8):
        refused(coder, bits[:cut], stream.size)
    refused(coder, bitarray(0), stream.size)
    refused(coder, bits + bits_of(b"\0"), stream.size)
    refused(coder, bits + bits, stream.size)
    refused(coder, bits + bitarray("1"), stream.size, f"a {name} stream is whole bytes, and {len(bits) + 1} bits "
                                                       "are not")
    if name in ("zlib", "bz2", "lzma"):  # their decoders say so themselves for zstd and brotli
        refused(coder, bits + bits_of(b"\0\0\0"), stream.size, f"3 bytes follow the end of the {name} stream")
        refused(coder, bits[:-8], stream.size, f"the {name} stream is cut short")


@pytest.mark.parametrize("n", [32751, 32752, 32753, 98272])
def test_bytes_after_a_brotli_stream_are_refused_where_its_output_buffer_grows(n):
    """brotli's decompressor fills its output in blocks (32752 bytes, then more): a message ending at a
    block's end, or just past it, still has the bytes after its stream read and refused."""
    coder = build("brotli", uniform(256), level=1)
    bits = coder.encode(np.random.default_rng(n).integers(0, 256, n))
    assert coder.decode(bits, n).size == n
    refused(coder, bits + bits_of(b"\0"), n)
    refused(coder, bits + bits[:64], n)


@pytest.mark.parametrize("name", NAMES)
def test_a_stream_of_another_symbol_count_or_an_index_outside_the_alphabet_is_refused(name):
    coder = build(name, uniform(3))
    bits = coder.encode(np.array([0, 1, 2] * 10))
    if name == "zstd":
        refused(coder, bits, 29, "the zstd frame's header gives a content size of 30 bytes, and the message needs 29 "
                                 "bytes")
        refused(coder, bits, 31, "gives a content size of 30 bytes, and the message needs 31 bytes")
    else:
        refused(coder, bits, 29, f"the {name} stream decompresses to more than 29 bytes, and 29 symbols need 29 bytes")
        refused(coder, bits, 31, f"the {name} stream decompresses to 30 bytes, and 31 symbols need 31 bytes")
    outside = bits_of(library_output(name, bytes([0, 1, 2, 5, 1]), LEVELS[name][1]))
    refused(coder, outside, 5, r"symbol 3 decompresses to index 5, outside the alphabet 0..2")
    wide = build(name, uniform(300))
    refused(wide, bits_of(library_output(name, bytes([0, 1, 1, 44]), LEVELS[name][1])), 2,
            "symbol 1 decompresses to index 300, outside the alphabet 0..299")


def _xz_check_field(xz: bytes) -> int:
    """Where a one-block xz stream's CRC-64 starts: before the index, whose size the footer gives."""
    index = (int.from_bytes(xz[-8:-4], "little") + 1) * 4
    return len(xz) - 12 - index - 8


@pytest.mark.parametrize("name, where, match", [
    ("zlib", lambda data: len(data) - 1, "incorrect data check"),
    ("bz2", lambda data: len(data) - 2, "Invalid data stream"),
    ("lzma", _xz_check_field, "Corrupt input data"),
    ("zstd", lambda data: len(data) - 1, "doesn't match checksum"),
])
def test_a_corrupted_checksum_is_refused(name, where, match):
    """Each library's checksum over the data (brotli has none) fails when one of its bits is flipped."""
    coder = build(name, uniform(4))
    data = bytearray(coder.encode(np.random.default_rng(1).integers(0, 4, 3000)).tobytes())
    data[where(data)] ^= 0x10
    refused(coder, bits_of(bytes(data)), 3000, match)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@HOSTILE
@example(data=None)
def test_any_payload_decodes_to_exactly_the_message_or_is_a_decode_error(name, data):
    """Random bytes, and valid streams with bytes changed, cut or added: nothing else escapes, quickly."""
    k = 5
    coder = build(name, uniform(k))
    if data is None:
        payload, n = b"", 0
    else:
        n = data.draw(st.integers(0, 200), label="n")
        valid = coder.encode(np.random.default_rng(n).integers(0, k, n)).tobytes()
        payload = data.draw(st.binary(max_size=300) | st.builds(_mutate, st.just(valid), st.randoms(use_true_random=False)),
                            label="payload")
    try:
        out = coder.decode(bits_of(payload), n)
    except DecodeError as exc:
        assert "\n" not in str(exc)
    else:
        assert out.size == n and (out.size == 0 or int(out.max()) < k)


def _mutate(valid: bytes, rng) -> bytes:
    data = bytearray(valid)
    for _ in range(rng.randint(1, 3)):
        what = rng.randrange(3)
        if what == 0 and data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif what == 1 and data:
            del data[rng.randrange(len(data)):]
        else:
            data.insert(rng.randrange(len(data) + 1), rng.randrange(256))
    return bytes(data)


# -- configs read from files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_hostile_config_is_refused_naming_its_field(name):
    config = build(name, uniform(4)).get_config()
    low, high = LEVELS[name]
    check_config(config, 4)
    for level, match in [(high + 1, f"field 'coder.params.level' is {high + 1}: scheme '{name}' takes level from "
                                     f"{low} to {high}"),
                         (low - 1, "field 'coder.params.level' is"),
                         (float(high), f"field 'coder.params.level' is {float(high)}, not an integer"),
                         ("9", "field 'coder.params.level' is \"9\", not an integer"),
                         (True, "field 'coder.params.level' is true, not an integer")]:
        with pytest.raises(ConfigError, match=match):
            check_config({**config, "params": {"level": level}}, 4)
    with pytest.raises(ConfigError, match="field 'coder.params.level' is missing"):
        check_config({**config, "params": {}}, 4)
    with pytest.raises(ConfigError, match=f"field 'coder.params.window' is not a parameter of scheme '{name}'"):
        check_config({**config, "params": {"level": high, "window": 24}}, 4)
    with pytest.raises(ConfigError, match="field 'coder.size' is 4, but the alphabet has 5 labels"):
        check_config(config, 5)
    with pytest.raises(ConfigError, match=f"field 'coder.size' is 70000: scheme '{name}' packs at most 65536"):
        check_config({**config, "size": 70000}, 70000)


# -- the optional extra ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, package", [("zstd", "zstandard"), ("brotli", "brotli")])
def test_a_missing_optional_package_is_a_scheme_error_saying_what_to_install(name, package, monkeypatch):
    config = build(name, uniform(4)).get_config()
    bits = build(name, uniform(4)).encode(np.array([1, 2, 3]))
    data = container.dumps(build(name, uniform(4)), bits, 3, ["a", "b", "c", "d"])
    monkeypatch.setitem(sys.modules, package, None)  # an import of it now fails
    expected = rf"^scheme '{name}' needs the package '{package}': pip install 'codesim\[compressors\]'$"
    with pytest.raises(SchemeError, match=expected):
        build(name, uniform(4))
    with pytest.raises(SchemeError, match=expected):
        from_config(config)
    with pytest.raises(SchemeError, match=expected):
        SchemeSpec.parse(name).check_alphabet(4)
    chosen, unfit = select(["compressors"], 4)
    assert [s.name for s in chosen] == [n for n in NAMES if n != name]
    assert "pip install 'codesim[compressors]'" in unfit[name]
    with pytest.raises(ContainerError, match=r"x.csim: field 'coder' is not a valid .* pip install"):
        container.loads(data, "x.csim")


def test_codesim_imports_and_codes_without_the_optional_packages():
    code = ("import sys; sys.modules['zstandard'] = sys.modules['brotli'] = None\n"
            "import numpy as np, codesim\n"
            "from codesim.coders import build\n"
            "c = build('lzma', [0.5, 0.5]); s = np.array([0, 1, 1])\n"
            "assert c.decode(c.encode(s), 3).tolist() == [0, 1, 1]\n"
            "try:\n    build('brotli', [0.5, 0.5])\nexcept codesim.errors.SchemeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "scheme 'brotli' needs the package 'brotli': pip install 'codesim[compressors]'"


# -- in a simulation, a file and inspect ---------------------------------------------------------------


def test_a_simulation_runs_the_compressors_once_per_stream_beside_a_model_s_code():
    """One row per compressor, with no model and no model figures, verified; its bits are the library's
    output of each trial's stream."""
    p = Distribution.from_probs([0.5, 0.25, 0.125, 0.125])
    schemes, unfit = select(["huffman", "compressors"], 4)
    assert not unfit
    rows = simulate_many(p, {"p": p}, schemes, length=3000, trials=2, seed=5)
    assert [(r.model, r.scheme) for r in rows] == [("p", "huffman")] + [(None, name) for name in NAMES]
    assert rows[0].verified and rows[0].expected_bits_per_symbol == pytest.approx(1.75)
    streams = list(trial_streams(p, 3000, 2, 5))
    for row in rows[1:]:
        assert row.verified and row.model is None
        assert row.expected_bits_per_symbol is None and row.code_kl_bits is None and row.kl_bits is None
        level = LEVELS[row.scheme][1]
        assert row.bits == tuple(8 * len(library_output(row.scheme, packed(s, 4), level)) for s in streams)
        assert row.bits_per_symbol == pytest.approx(np.mean(row.bits) / 3000)


def test_inspect_shows_each_symbol_s_packed_bytes_and_no_cost_of_its_own(tmp_path):
    coder = build("zstd", uniform(300))
    stream = np.array([299, 0, 256, 256, 1])
    path = tmp_path / "z.csim"
    path.write_bytes(container.dumps(coder, coder.encode(stream), 5, [f"s{i}" for i in range(300)]))
    doc, error = inspection.inspect_file(str(path), 3)
    assert error is None
    assert doc["table"][299]["packed"] == "01 2b" and doc["table"][1]["packed"] == "00 01"
    assert [row["packed"] for row in doc["trace"]] == ["01 2b", "00 00", "01 00"]
    assert all("cost" not in key and "total_cost" not in row for row in doc["trace"] for key in row)
    assert "no symbol has bits of its own" in doc["trace_note"]


def test_a_message_over_the_limit_is_refused_by_the_container():
    coder = build("zlib", uniform(300))
    bits = coder.encode(np.zeros(10, dtype=np.int64))
    with pytest.raises(ContainerError, match=r"524289 symbols are over scheme 'zlib''s limit of 524288 symbols per "
                                             r"message \(2\^20 bytes at 1 symbol per 2 bytes, high byte first\)$"):
        container.dumps(coder, bits, 2**19 + 1, list(range(300)))


@pytest.mark.parametrize("scheme", ["zlib", "bz2:level=1", "lzma:level=6", "zstd:level=3", "brotli"])
def test_codesim_encode_decode_and_inspect_a_compressor_s_file(tmp_path, scheme):
    """Through the command line as every learner: no --model, the symbols back byte for byte, and inspect
    showing the packed bytes; a file cut short is one line and no output."""
    nasa = SCENARIOS / "nasa-temperature.toml"
    symbols, packed_file, back = tmp_path / "s.txt", tmp_path / "s.csim", tmp_path / "back.txt"
    assert invoke("sample", nasa, "-n", 3000, "--seed", 4, "-o", symbols).exit_code == 0
    result = invoke("encode", nasa, "--scheme", scheme, "--input", symbols, "-o", packed_file)
    assert result.exit_code == 0 and "learning as it codes (no model)" in result.stdout, result.output
    assert invoke("decode", packed_file, "-o", back).exit_code == 0
    assert back.read_bytes() == symbols.read_bytes()
    shown = invoke("inspect", packed_file, "--symbols", 3).stdout
    assert "packed bytes" in shown and "no symbol has bits of its own" in shown and "cost" not in shown
    header, coder, bits = container.loads(packed_file.read_bytes())
    cut = tmp_path / "cut.csim"
    cut.write_bytes(container.dumps(coder, bits[:-16], 3000, list(header.alphabet)))
    assert_one_line_error(invoke("decode", cut, "-o", tmp_path / "out.txt"), 1, "the payload does not decode")
    assert not (tmp_path / "out.txt").exists()
