"""The .csim container: round trips for every scheme, a refusal for every named problem, a decoder fuzz
that meets hostile bytes, and golden files that pin what this format version reads.

Files are built here by hand too (``assemble``), from the layout the module docstring specifies, so the
tests check the specification as well as the code.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import math
import struct
import tracemalloc
import zlib
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from bitarray import bitarray
from hypothesis import HealthCheck, example, given, settings, strategies as st

from codesim.files import container
from codesim.coders import available, build
from codesim.files.container import MAGIC, MAX_HEADER_BYTES, MAX_PAYLOAD_BITS, MAX_SYMBOLS, decode_file, decode_payload, dumps, loads, parse, read, read_bytes
from codesim.errors import CodesimError, ContainerError, DecodeError

from ..conftest import NASA_LEVELS, NASA_P, prob_vectors, streams_for

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
NAMES = [s.name for s in available()]
PARAMS = {
    "huffman-limited": {"max_length": st.integers(8, 16)},
    "block-huffman": {"k": st.integers(1, 2)},
    "rans": {"lanes": st.integers(1, 64)},
    "arithmetic": {"precision": st.integers(16, 24)},
}
#: Per-example bound for anything that reads hostile input: a hang or a slow path fails the test.
HOSTILE = settings(max_examples=300, deadline=timedelta(seconds=2),
                   suppress_health_check=[HealthCheck.too_slow])


# -- building files by hand, from the specification ----------------------------------------------------


def assemble(header, payload: bytes, symbols: int, payload_bits: int, *, version: int = 1,
             flags: bytes = b"\0\0\0") -> bytes:
    """A file with correct CRCs around any header (a dict, or raw bytes) and payload."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode("utf-8")
    lead = struct.pack("<8sB3sIQQ", MAGIC, version, flags, len(raw), symbols, payload_bits)
    return lead + raw + _crc(lead[8:] + raw) + payload + _crc(payload)


def _crc(data: bytes) -> bytes:
    return struct.pack("<I", zlib.crc32(data))


def split(data: bytes) -> tuple[dict, bytes, int, int]:
    """(header object, payload bytes, symbols, payload bits), read at the documented offsets."""
    hlen, n, nbits = struct.unpack_from("<IQQ", data, 12)
    payload = data[36 + hlen : 36 + hlen + -(-nbits // 8)]
    return json.loads(data[32 : 32 + hlen]), payload, n, nbits


def small_file(name: str, n: int = 20) -> bytes:
    """A valid file of n symbols over four labels, coded by scheme ``name``."""
    q = np.array([0.5, 0.25, 0.15, 0.1])
    params = {"k": 2} if name == "block-huffman" else {"lanes": 4} if name == "rans" else {}
    coder = build(name, q, **params)
    stream = np.random.default_rng(len(name)).integers(0, 4, n)
    return dumps(coder, coder.encode(stream), n, ["a", "b", 3, 4.5], model=q, meta={"seed": 1})


def nasa_file(n: int = 40) -> bytes:
    """A huffman-coded NASA stream with the NASA alphabet (8 integer labels)."""
    coder = build("huffman", np.array(NASA_P))
    stream = np.random.default_rng(1948).choice(8, size=n, p=NASA_P)
    return dumps(coder, coder.encode(stream), n, NASA_LEVELS, model=NASA_P, source=NASA_P,
                 meta={"scenario": "NASA", "seed": 1948})


SMALL = {name: small_file(name) for name in NAMES}
NASA_FILE = nasa_file()


def full_decode(data: bytes, where: str = "file"):
    """What ``codesim decode`` does with a file's bytes: the header and the decoded symbols."""
    header, coder, bits = loads(data, where)
    return header, decode_payload(header, coder, bits, where)


def refused(data: bytes, match: str, error=ContainerError) -> str:
    """The message with which the full decode of ``data`` is refused; it must name the file."""
    with pytest.raises(error, match=match) as info:
        full_decode(data, "x.csim")
    message = str(info.value)
    assert message.startswith("x.csim: ") and "\n" not in message
    return message


def with_header(data: bytes, change) -> bytes:
    """``data`` with its header object changed by ``change`` (in place), CRCs recomputed."""
    header, payload, n, nbits = split(data)
    change(header)
    return assemble(header, payload, n, nbits)


# -- round trips ----------------------------------------------------------------------------------------

labels = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@pytest.mark.parametrize("name", NAMES)
@given(q=prob_vectors(max_size=10), data=st.data())
@settings(max_examples=40, deadline=None)
def test_every_scheme_round_trips_through_bytes(name, q, data):
    """loads(dumps(...)) gives back the exact stream, and every header field as written: labels keep
    their types (1.0 stays a float, 1 an int), model and source their floats, meta its JSON values."""
    params = {key: data.draw(s, label=key) for key, s in PARAMS.get(name, {}).items()}
    coder = build(name, q, **params)
    stream = data.draw(streams_for(q.size, max_len=200), label="stream")
    alphabet = data.draw(st.lists(labels, min_size=q.size, max_size=q.size, unique=True), label="alphabet")
    p = data.draw(prob_vectors(min_size=q.size, max_size=q.size), label="p")
    meta = data.draw(st.dictionaries(st.text(max_size=8), json_values, max_size=3), label="meta")
    bits = coder.encode(stream)

    header, decoded = full_decode(dumps(coder, bits, stream.size, alphabet, model=q, source=p, meta=meta))

    assert decoded.tolist() == stream.tolist()
    assert header.version == container.VERSION
    assert header.coder == coder.get_config()
    assert header.alphabet == tuple(alphabet)
    assert [type(x) for x in header.alphabet] == [type(x) for x in alphabet]
    assert header.model == tuple(q.tolist()) and header.source == tuple(p.tolist())
    assert header.meta == meta
    assert (header.symbols, header.payload_bits) == (stream.size, len(bits))


@pytest.mark.parametrize("name", NAMES)
def test_every_scheme_round_trips_through_a_file(name, tmp_path):
    """decode_file(path) of what dumps wrote gives back the stream; an empty stream too."""
    q = np.array(NASA_P)
    for n in (0, 500):
        coder = build(name, q)
        stream = np.random.default_rng(n).choice(8, size=n, p=q)
        path = tmp_path / f"{name}-{n}.csim"
        path.write_bytes(dumps(coder, coder.encode(stream), n, NASA_LEVELS))
        header, decoded = decode_file(path)
        assert decoded.tolist() == stream.tolist() and header.alphabet == tuple(NASA_LEVELS)
        assert read(path)[0] == header


def test_optional_fields_may_be_absent():
    """A header with only coder and alphabet reads, with model, source None and meta {}."""
    data = with_header(NASA_FILE, lambda h: [h.pop(k) for k in ("model", "source", "meta")])
    header, _ = full_decode(data)
    assert header.model is None and header.source is None and header.meta == {}


def test_parse_reports_crc_mismatches_instead_of_raising():
    """parse() shows a damaged file as far as it can; loads() refuses it."""
    damaged = bytearray(NASA_FILE)
    damaged[-5] ^= 0x01  # last payload byte
    parsed = parse(bytes(damaged), "x.csim")
    assert parsed.header_crc_ok and not parsed.payload_crc_ok
    assert parsed.header == parse(NASA_FILE).header
    assert parsed.payload_crc == struct.unpack("<I", NASA_FILE[-4:])[0]
    header_hit = bytearray(NASA_FILE)
    header_hit[NASA_FILE.index(b'"huffman"') + 1] ^= 0x20  # "Huffman": still a well-formed header
    parsed = parse(bytes(header_hit))
    assert not parsed.header_crc_ok and parsed.payload_crc_ok


# -- every named refusal --------------------------------------------------------------------------------


def test_bad_magic_is_not_a_codesim_file():
    refused(b'{"scheme": "huffman"}' + bytes(60), r"not a codesim file \(bad magic: 7b 22")
    refused(b"", "not a codesim file: it is empty")


@pytest.mark.parametrize("damage, hint", [
    (lambda d: d.replace(b"\r\n", b"\n", 1), "line-ending bytes were changed"),
    (lambda d: d.replace(b"\x1a\n", b"\x1a\r\n", 1), "line-ending bytes were changed"),
    (lambda d: bytes([d[0] & 0x7F]) + d[1:], "lost its high bit"),
])
def test_a_signature_damaged_in_transfer_says_how(damage, hint):
    """The PNG-style signature tells text-mode and 7-bit transfers apart from foreign files."""
    refused(damage(NASA_FILE), f"damaged signature .*{hint}")


def test_unsupported_version_names_the_supported_ones():
    data = NASA_FILE[:8] + b"\x02" + NASA_FILE[9:]
    refused(data, "unsupported version 2: this codesim reads version 1")
    refused(NASA_FILE[:8] + b"\x00" + NASA_FILE[9:], "unsupported version 0")


def test_reserved_flags_must_be_zero():
    header, payload, n, nbits = split(NASA_FILE)
    refused(assemble(header, payload, n, nbits, flags=b"\x00\x04\x00"), r"reserved flags are set \(000400\)")
    flipped = NASA_FILE[:10] + b"\x01" + NASA_FILE[11:]  # the same, but the CRC no longer matches
    assert "header CRC does not match" in refused(flipped, "reserved flags are set")


def test_header_crc_mismatch_is_header_corrupt():
    data = bytearray(NASA_FILE)
    data[NASA_FILE.index(b'"huffman"') + 1] ^= 0x20
    refused(bytes(data), "header corrupt: its CRC-32 does not match")


def test_payload_crc_mismatch_is_payload_corrupt():
    data = bytearray(NASA_FILE)
    data[-6] ^= 0x10
    refused(bytes(data), "payload corrupt: its CRC-32 does not match")


@pytest.mark.parametrize("raw, match", [
    (b"\xff\xfe{}", r"header corrupt: not valid UTF-8 \(at header byte 0\)"),
    (b'{"coder": ', r"header corrupt: not valid JSON \(Expecting value"),
    (b"[1, 2]", "header corrupt: the header is a list, not a JSON object"),
    (b'{"alphabet": [1], "alphabet": [2]}', "header corrupt: not valid JSON .*appears twice"),
    (b"[" * 100_000 + b"]" * 100_000, "header corrupt: not valid JSON"),
    (b'{"coder": {"scheme": "huffman"}, "alphabet": [NaN]}', "NaN is not a JSON number"),
    (b'{"alphabet": [' + b"9" * 5000 + b"]}", "header corrupt: field 'alphabet' entry 1 is an integer of 5000 digits"),
])
def test_a_header_that_is_not_utf8_json_is_corrupt(raw, match):
    refused(assemble(raw, b"", 0, 0), match)


@pytest.mark.parametrize("change, match", [
    (lambda h: h.update(extra=1), "header corrupt: unknown field \"extra\""),
    (lambda h: h.pop("alphabet"), "header corrupt: field 'alphabet' is missing"),
    (lambda h: h.pop("coder"), "header corrupt: field 'coder' is missing"),
    (lambda h: h.update(coder=[1]), "header corrupt: field 'coder' is \\[1\\], not an object"),
    (lambda h: h["alphabet"].__setitem__(2, True), "field 'alphabet' entry 3 is true: labels are"),
    (lambda h: h["alphabet"].__setitem__(2, None), "field 'alphabet' entry 3 is null"),
    (lambda h: h["alphabet"].__setitem__(1, 100.0), "entries 1 and 2 are both 100.0"),
    (lambda h: h.update(alphabet="abc"), "field 'alphabet' is a string, not a list"),
    (lambda h: h.update(alphabet=[]), "field 'alphabet' has 0 labels"),
    (lambda h: h.update(model=[0.5, 0.5]), "field 'model' has 2 entries, the alphabet 8"),
    (lambda h: h["model"].__setitem__(0, -0.25), "field 'model' entry 1 is -0.25: probabilities"),
    (lambda h: h["model"].__setitem__(0, 10**400), "field 'model' entry 1 is an integer of 401 digits"),
    (lambda h: h.update(source="p"), "field 'source' is a string, not a list"),
    (lambda h: h.update(meta=[1]), "field 'meta' is a list, not an object"),
    (lambda h: h["coder"].pop("lengths"), "header corrupt: field 'coder.lengths' is missing"),
    (lambda h: h["coder"].update(freqs=[1]), "field 'coder.freqs' is not part of a 'huffman' config"),
    (lambda h: h["coder"].update(params=5), "field 'coder.params' is an integer, not an object"),
    (lambda h: h["coder"].update(lengths=7), "field 'coder.lengths' is 7, not a non-empty list"),
    (lambda h: h["coder"]["lengths"].__setitem__(0, "2"), "'coder.lengths' entry 1 is \"2\", not an int"),
    (lambda h: h["coder"]["lengths"].__setitem__(0, 0), "field 'coder.lengths' entry 1 is 0: code lengths"),
    (lambda h: h["coder"]["lengths"].__setitem__(0, 2.0), "entry 1 is 2.0, not an integer"),
])
def test_missing_or_ill_typed_fields_are_named(change, match):
    refused(with_header(NASA_FILE, change), match)


def test_a_label_beyond_float_range_is_refused():
    """JSON allows 1e400, which Python reads as inf: not a label a Distribution could have."""
    header, payload, n, nbits = split(NASA_FILE)
    header["alphabet"][2] = "PLACEHOLDER"
    raw = json.dumps(header).encode().replace(b'"PLACEHOLDER"', b"1e400")
    refused(assemble(raw, payload, n, nbits), "field 'alphabet' entry 3 is 1e400, beyond the range of a double")


def test_an_unknown_scheme_is_named():
    def rename(h):
        h["coder"]["scheme"] = "hufman"

    refused(with_header(NASA_FILE, rename), r"unknown scheme 'hufman' \(did you mean 'huffman'\?\)")


def params(**values):
    return lambda c: c["params"].update(values)


@pytest.mark.parametrize("name, change, match", [
    ("huffman-limited", params(depth=3), "'coder.params.depth' is not a parameter"),
    ("huffman-limited", lambda c: c["params"].pop("max_length"), "'coder.params.max_length' is missing"),
    ("rans", params(lanes="4"), "'coder.params.lanes' is \"4\", not an integer"),
    ("rans", params(lanes=0), "'coder.params.lanes' is 0: scheme 'rans' takes lanes from 1 to 65536"),
    ("rans", params(lanes=10**400), "'coder.params.lanes' is an integer of 401 digits"),
    ("rans", params(precision=13), "'coder.precision' is 14 but 'coder.params.precision' is 13"),
    ("arithmetic", lambda c: c.update(precision=2**40), "'coder.precision' is 1099511627776: an integer"),
    ("block-huffman", params(k=1.0), "'coder.params.k' is 1.0, not an integer"),
])
def test_parameters_are_checked_against_the_scheme(name, change, match):
    refused(with_header(SMALL[name], lambda h: change(h["coder"])), match)


def set_lengths(lengths):
    return lambda h: h["coder"].update(lengths=lengths)


def test_over_subscribed_lengths_are_not_a_prefix_code():
    data = with_header(NASA_FILE, set_lengths([1, 2, 2, 3, 3, 3, 3, 3]))
    refused(data, r"field 'coder.lengths' is not a prefix code: .*over-subscribed \(Kraft sum 13/8 > 1\)")


def test_huffman_codes_must_be_complete_shannon_codes_need_not():
    """huffman, huffman-limited, shannon-fano and block-huffman build complete codes (one symbol: one
    1-bit codeword); shannon's may leave room, so the same lengths pass there."""
    incomplete = [2, 2, 3, 3, 3, 4, 5, 6]
    refused(with_header(NASA_FILE, set_lengths(incomplete)),
            r"incomplete prefix code \(Kraft sum 63/64 < 1\), but scheme 'huffman' only builds complete")
    stream = np.zeros(3, dtype=np.uint8)
    shannon = build("shannon", np.array(NASA_P))
    data = dumps(shannon, shannon.encode(stream), 3, NASA_LEVELS)
    assert full_decode(with_header(data, set_lengths(incomplete)))[1].tolist() == [0, 0, 0]
    block = SMALL["block-huffman"]
    refused(with_header(block, lambda h: h["coder"]["leftover_lengths"].__setitem__(0, 3)),
            "'coder.leftover_lengths' is an incomplete prefix code")
    single = build("huffman", np.array([1.0]))
    assert full_decode(dumps(single, single.encode(stream), 3, ["only"]))[1].tolist() == [0, 0, 0]


def test_fixed_and_length_limited_codes_keep_their_shape():
    fixed = build("fixed", np.array(NASA_P))
    data = dumps(fixed, fixed.encode(np.zeros(4, dtype=np.uint8)), 4, NASA_LEVELS)
    refused(with_header(data, set_lengths([3, 3, 3, 3, 3, 3, 3, 4])),
            "not a fixed-length code: 8 symbols take 3 bits")
    limited = build("huffman-limited", np.array(NASA_P), max_length=4)
    data = dumps(limited, limited.encode(np.zeros(4, dtype=np.uint8)), 4, NASA_LEVELS)
    refused(with_header(data, set_lengths([1, 2, 3, 4, 5, 6, 7, 7])),
            "has a 7-bit codeword, over max_length=4")


@pytest.mark.parametrize("name", ["arithmetic", "rans"])
def test_quantised_frequencies_must_be_positive_and_sum_to_a_power_of_two(name):
    def zero(h):
        f = h["coder"]["freqs"]
        f[0], f[1] = f[0] + f[1], 0

    refused(with_header(SMALL[name], zero), "'coder.freqs' entry 2 is 0: every symbol needs a frequency >= 1")

    def off_by_one(h):
        h["coder"]["freqs"][0] += 1

    refused(with_header(SMALL[name], off_by_one), r"'coder.freqs' adds up to \d+, not 2\^\d+ = \d+")


@pytest.mark.parametrize("name, table", [
    ("huffman", "lengths"), ("arithmetic", "freqs"), ("block-huffman", "leftover_lengths"),
])
def test_an_alphabet_that_disagrees_with_the_code_table(name, table):
    refused(with_header(SMALL[name], lambda h: h.update(alphabet=["a", "b", 3], model=None)),
            f"field 'coder.{table}' has 4 entries, but the alphabet has 3 labels")


def test_a_block_table_must_have_one_length_per_tuple():
    refused(with_header(SMALL["block-huffman"], lambda h: h["coder"]["tuple_lengths"].pop()),
            "'coder.tuple_lengths' has 15 entries, but k=2 over 4 symbols makes 16 tuples")
    refused(with_header(SMALL["block-huffman"], lambda h: h["coder"]["params"].update(k=16)),
            r"'coder.params.k' is 16: 4\^16 tuples are over the limit of 65536")


def test_truncated_files_say_how_many_bytes_they_need():
    assert "needs at least 42 bytes, has 5" in refused(NASA_FILE[:5], "truncated")
    assert "needs 32 bytes, has 20" in refused(NASA_FILE[:20], "truncated: the fixed header")
    cut = len(NASA_FILE) - 1
    refused(NASA_FILE[:cut],
            f"truncated: a \\d+-byte header and a \\d+-bit payload need {cut + 1} bytes, has {cut}")


def test_trailing_bytes_after_the_payload_crc_are_refused():
    refused(NASA_FILE + b"\n", "1 trailing byte after the payload CRC")
    refused(NASA_FILE + bytes(7), "7 trailing bytes after the payload CRC")


def test_padding_bits_must_be_zero():
    header, payload, n, nbits = split(NASA_FILE)
    assert nbits % 8, "the test needs a payload that ends inside a byte"
    dirty = payload[:-1] + bytes([payload[-1] | 1])
    refused(assemble(header, dirty, n, nbits), "non-zero padding bits: the last payload byte is")


@pytest.mark.parametrize("field, value, match", [
    ("symbols", 10**18, f"symbol count 1000000000000000000 is over the limit of {MAX_SYMBOLS}"),
    ("symbols", MAX_SYMBOLS + 1, f"symbol count {MAX_SYMBOLS + 1} is over the limit"),
    ("payload_bits", MAX_PAYLOAD_BITS + 1, f"payload length {MAX_PAYLOAD_BITS + 1} bits is over the limit"),
    ("header", MAX_HEADER_BYTES + 1, f"header length {MAX_HEADER_BYTES + 1} bytes is over the limit"),
])
def test_sizes_beyond_the_limits_are_refused_before_allocating(field, value, match):
    """A file claiming absurd sizes is refused from its 32 fixed bytes: memory stays small."""
    n, nbits, hlen = 5, 8, 2
    if field == "symbols":
        n = value
    elif field == "payload_bits":
        nbits = value
    else:
        hlen = value
    data = struct.pack("<8sB3sIQQ", MAGIC, 1, bytes(3), hlen, n, nbits) + b"{}" + bytes(9)
    tracemalloc.start()
    try:
        refused(data, match)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


@pytest.mark.parametrize("name", ["huffman", "block-huffman", "arithmetic", "rans", "lz78"])
def test_a_symbol_count_the_payload_cannot_hold_is_refused_without_allocating_it(name):
    """As many symbols as the scheme allows (2^24 for most) over a handful of payload bits: refused
    before they are allocated."""
    data = with_header(SMALL[name], lambda h: None)
    header, payload, _, nbits = split(data)
    hostile = assemble(header, payload, loads(data)[1].symbol_limit(), nbits)
    tracemalloc.start()
    try:
        message = refused(hostile, "too short|truncated", CodesimError)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak} bytes allocated to refuse: {message}"


def test_a_payload_too_short_or_too_long_for_its_symbols_is_refused():
    """Prefix codes spend between n * shortest and n * longest bits on n symbols."""
    header, payload, n, nbits = split(NASA_FILE)
    refused(assemble(header, payload, 100, nbits),
            f"payload too short for 100 symbols: needs at least 100 bits under this code, has {nbits}")
    refused(assemble(header, payload, 1, nbits),
            f"payload too long for 1 symbol: at most 5 bits under this code, has {nbits}")


def test_a_payload_that_does_not_decode_is_a_decode_error():
    coder = build("huffman", np.array([0.5, 0.5]))
    bits = bitarray("1" * 16)
    data = dumps(coder, bits, 16, ["x", "y"])
    assert full_decode(data)[1].tolist() == [1] * 16
    rans = build("rans", np.array([0.5, 0.5]), lanes=1)
    data = assemble(split(dumps(rans, rans.encode(np.zeros(8, dtype=np.uint8)), 8, [0, 1]))[0],
                    b"\x00" * 7 + b"\x01", 8, 64)
    refused(data, "x.csim: the payload does not decode: lane 0 starts in state 1", DecodeError)


def test_read_checks_the_size_before_reading_the_rest(tmp_path):
    path = tmp_path / "claims.csim"
    path.write_bytes(struct.pack("<8sB3sIQQ", MAGIC, 1, bytes(3), 2, 10, MAX_PAYLOAD_BITS) + b"{}" + bytes(8))
    with pytest.raises(ContainerError, match=rf"^{path}: truncated: .* need {MAX_PAYLOAD_BITS // 8 + 42} bytes, has 42$"):
        read_bytes(path)
    with pytest.raises(ContainerError, match=rf"^{tmp_path / 'missing.csim'}: no such file$"):
        decode_file(tmp_path / "missing.csim")
    with pytest.raises(ContainerError, match=rf"^{tmp_path}: is a directory, not a regular file"):
        read(tmp_path)
    with pytest.raises(ContainerError, match="^/dev/null: is a character device, not a regular file"):
        read("/dev/null")


@pytest.mark.parametrize("args, match", [
    (dict(alphabet=[1, 2, True, 4, 5, 6, 7, 8]), "alphabet entry 3 is true"),
    (dict(alphabet=[1, 2, 3]), "field 'coder.lengths' has 8 entries, but the alphabet has 3 labels"),
    (dict(alphabet=[1, 1.0, 3, 4, 5, 6, 7, 8]), "alphabet entries 1 and 2 are both 1.0"),
    (dict(model=[math.nan] * 8), "model entry 1 is NaN"),
    (dict(source=[0.5, 0.5]), "source has 2 entries, the alphabet 8"),
    (dict(meta={1: "x"}), "meta must be a dict with string keys"),
    (dict(meta={"x": {1, 2}}), r"the header is not JSON \(set is not JSON-able\)"),
    (dict(symbols=MAX_SYMBOLS + 1), f"the symbol count is {MAX_SYMBOLS + 1}"),
    (dict(symbols=3), "payload too long for 3 symbols: at most 15 bits"),
])
def test_dumps_refuses_what_a_reader_would(args, match):
    coder = build("huffman", np.array(NASA_P))
    stream = np.arange(8)
    call = dict(alphabet=NASA_LEVELS, symbols=8, model=None, source=None, meta=None) | args
    with pytest.raises(ContainerError, match="cannot write a .csim file: " + match):
        dumps(coder, coder.encode(stream), call["symbols"], call["alphabet"], model=call["model"],
              source=call["source"], meta=call["meta"])


def test_files_hold_at_most_what_the_simulator_can_draw():
    """A file's stream is held in memory whole; the simulator streams in blocks and goes further."""
    from codesim.simulation.simulate import MAX_LENGTH

    assert MAX_SYMBOLS <= MAX_LENGTH


# -- the decoder fuzz -----------------------------------------------------------------------------------


def outcome(data: bytes) -> None:
    """Decode completely; any failure must be a CodesimError (anything else fails the test)."""
    try:
        full_decode(data, "fuzz.csim")
    except CodesimError as exc:
        message = str(exc)
        assert message.startswith("fuzz.csim: ") and "\n" not in message and len(message) < 600


@given(st.binary(max_size=300) | st.binary(max_size=300).map(lambda b: MAGIC + b"\x01" + b))
@HOSTILE
def test_random_bytes_are_refused_with_a_codesim_error(data):
    with pytest.raises(CodesimError):
        full_decode(data)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@HOSTILE
def test_every_flip_of_one_to_three_bits_is_caught(name, data):
    """The magic, the fixed fields and both CRCs leave no 1-3 bit error unnoticed in a small file."""
    blob = bytearray(SMALL[name])
    for pos in data.draw(st.lists(st.integers(0, len(blob) * 8 - 1), min_size=1, max_size=3, unique=True)):
        blob[pos // 8] ^= 0x80 >> (pos % 8)
    with pytest.raises(CodesimError):
        full_decode(bytes(blob))


@pytest.mark.parametrize("name", ["huffman", "block-huffman", "arithmetic", "rans", "lz78"])
def test_every_truncation_is_refused(name):
    blob = SMALL[name]
    for cut in range(len(blob)):
        with pytest.raises(CodesimError, match="truncated|empty"):
            full_decode(blob[:cut])


hostile_values = st.one_of(
    st.none(), st.booleans(), st.text(max_size=4),
    st.integers(-3, 300), st.sampled_from([2**16, 2**31, 2**32, 2**63, 2**64, 10**18, -(2**63), 10**400]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(-2, 70), max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(obj, list):
        for i in sorted({0, 1, len(obj) - 1} & set(range(len(obj)))):
            yield from _paths(obj[i], prefix + (i,))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@HOSTILE
@example(data=None)  # the unchanged file decodes
def test_hostile_header_values_with_valid_crcs_end_in_a_codesim_error(name, data):
    """A header changed anywhere (value replaced, nudged by one, removed or added), CRCs recomputed,
    so that the checks and the coders themselves meet it: it decodes or raises a CodesimError."""
    header, payload, n, nbits = split(SMALL[name])
    if data is not None:
        header = copy.deepcopy(header)
        path = data.draw(st.sampled_from(list(_paths(header))[1:]), label="path")
        parent = header
        for key in path[:-1]:
            parent = parent[key]
        old, key = parent[path[-1]], path[-1]
        action = data.draw(st.sampled_from(["replace", "nudge", "remove", "add"]), label="action")
        if action == "nudge" and isinstance(old, int) and not isinstance(old, bool):
            parent[key] = old + data.draw(st.sampled_from([-1, 1, 2]))
        elif action == "remove":
            del parent[key]
        elif action == "add" and isinstance(old, (list, dict)):
            value = data.draw(hostile_values, label="value")
            if isinstance(old, list):
                old.append(value)
            else:
                old[data.draw(st.text(max_size=3), label="new key")] = value
        else:
            parent[key] = data.draw(hostile_values, label="value")
    outcome(assemble(header, payload, n, nbits))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
@HOSTILE
def test_hostile_counts_and_payloads_with_valid_crcs_end_in_a_codesim_error(name, data):
    """Symbol count, payload length and payload bits changed, CRCs recomputed: the coders' decoders
    face bits they never wrote, and must answer with a CodesimError or a stream."""
    header, payload, n, nbits = split(SMALL[name])
    bits = bitarray(endian="big")
    bits.frombytes(payload)
    del bits[nbits:]
    n = data.draw(st.just(n) | st.integers(0, 3 * n) | st.sampled_from([MAX_SYMBOLS, 2**64 - 1]), label="n")
    for pos in data.draw(st.lists(st.integers(0, max(0, len(bits) - 1)), max_size=4), label="flips"):
        if len(bits):
            bits[pos] ^= 1
    size = data.draw(st.one_of(st.just(len(bits)), st.integers(0, len(bits) + 40)), label="payload bits")
    bits = (bits + bitarray(max(0, size - len(bits)), endian="big"))[:size]
    outcome(assemble(header, bits.tobytes(), n, size))


# -- golden files ---------------------------------------------------------------------------------------

GOLDEN_FILES = sorted(GOLDEN.glob("*.csim"))


def test_every_registered_scheme_has_a_golden_file():
    """So that no scheme's bitstream can change unnoticed."""
    covered = {parse(path.read_bytes()).header.coder["scheme"] for path in GOLDEN_FILES}
    assert covered == set(NAMES)


def test_every_golden_case_has_its_file_and_every_file_its_symbols():
    """As numcodecs' fixtures: make_golden writes each case's file once and never again, so a case
    without its file, or a file without the symbols it decodes to, is an unfinished fixture."""
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN / "make_golden.py")
    make_golden = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_golden)
    assert {path.stem for path in GOLDEN_FILES} == set(make_golden.CASES)
    assert sorted(GOLDEN.glob("*.symbols.json")) == [path.with_suffix(".symbols.json") for path in GOLDEN_FILES]


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_golden_files_still_decode_to_their_symbols(path):
    """Files written by format version 1 read back to the same labels and symbols, and writing what
    was read gives the same bytes: a change that breaks old files, or the writer, fails here."""
    expected = json.loads(path.with_suffix(".symbols.json").read_text())
    header, stream = decode_file(path)
    assert stream.tolist() == expected["symbols"]
    assert list(header.alphabet) == expected["alphabet"]
    assert [type(x) for x in header.alphabet] == [type(x) for x in expected["alphabet"]]
    _, coder, _ = read(path)
    again = dumps(coder, coder.encode(stream), header.symbols, header.alphabet, model=header.model,
                  source=header.source, meta=header.meta)
    assert again == path.read_bytes()


@pytest.mark.parametrize("path", GOLDEN_FILES, ids=lambda p: p.stem)
def test_golden_files_match_the_documented_layout(path):
    """Read by hand at the documented offsets: magic, version, zero flags, sizes, CRCs, zero padding."""
    data = path.read_bytes()
    magic, version, flags, hlen, n, nbits = struct.unpack_from("<8sB3sIQQ", data, 0)
    assert magic == b"\x89CSM\r\n\x1a\n" and version == 1 and flags == bytes(3)
    nbytes = -(-nbits // 8)
    assert len(data) == 40 + hlen + nbytes
    assert struct.unpack_from("<I", data, 32 + hlen)[0] == zlib.crc32(data[8 : 32 + hlen])
    payload = data[36 + hlen : 36 + hlen + nbytes]
    assert struct.unpack_from("<I", data, 36 + hlen + nbytes)[0] == zlib.crc32(payload)
    assert nbits % 8 == 0 or payload[-1] & (0xFF >> (nbits % 8)) == 0
    header = json.loads(data[32 : 32 + hlen].decode("utf-8"))
    assert set(header) == {"coder", "alphabet", "model", "source", "meta"} and n == parse(data).header.symbols
