"""Encoded streams as files: the .csim container, format version 1.

A .csim file holds one encoded message stream and all a decoder needs besides: the coder's config
(integer code lengths or integer quantised frequencies, exactly what ``coder.get_config()`` returns),
the alphabet's labels, the symbol count and the payload's length in bits. The model q and the source p
may ride along as floats, for display only: the decoder never rebuilds a code from floats.

>>> import numpy as np
>>> from codesim.coders import build
>>> code = build("huffman", [0.5, 0.25, 0.25])
>>> data = dumps(code, code.encode(np.array([0, 2, 1])), 3, ["a", "b", "c"], meta={"seed": 7})
>>> header, coder, bits = loads(data)
>>> header.alphabet, header.meta, coder.decode(bits, header.symbols).tolist()
(('a', 'b', 'c'), {'seed': 7}, [0, 2, 1])

Layout
------
Integers are unsigned and little-endian (as in zstd and xz). J is the header's length in bytes and
P = ceil(payload_bits / 8)::

    offset    size  field
    0         8     magic: 89 43 53 4D 0D 0A 1A 0A (0x89, "CSM", CR LF, Ctrl-Z, LF)
    8         1     version: 1
    9         3     flags: reserved, every bit 0
    12        4     J: header length in bytes, 2 .. MAX_HEADER_BYTES
    16        8     n: symbol count, 0 .. MAX_SYMBOLS
    24        8     payload_bits: 0 .. MAX_PAYLOAD_BITS
    32        J     header: one JSON object, UTF-8 (below)
    32+J      4     header CRC-32 of bytes 8 .. 32+J-1 (version to the end of the header)
    36+J      P     payload: the coder's bits, the first in the most significant bit of the first
                    byte; the last byte's unused low bits are zero
    36+J+P    4     payload CRC-32 of the P payload bytes
    40+J+P          end of file: nothing may follow

The magic is PNG's signature with "CSM" for "PNG": the non-ASCII first byte is damaged by a channel
that strips the eighth bit, CR LF and the final LF are damaged by line-ending conversion in either
direction, and Ctrl-Z stops a DOS ``type``. The version byte comes right after it, so a later version
may change everything that follows; a reader refuses a version it does not know, and reserved flags
that are set, instead of guessing (xz refuses set reserved bits in its stream flags, zstd its frame
header's reserved bit, for the same reason: they may mean a feature the reader does not have).
CRC-32 is ``zlib.crc32``, the CRC of PNG, gzip and xz; like xz, which checks its stream header with a
CRC of its own, the header and the payload are checked apart, so a damaged payload still shows its
header. The sizes sit in fixed fields before the JSON (as zstd puts the content size in its frame
header), so a reader compares them with the file's length before it parses or allocates anything.

Header
------
::

    {"coder":    {"scheme": "huffman", "params": {}, "lengths": [2, 1, 5, 4, 4, 5, 5, 5]},
     "alphabet": [100, 105, 110, 145, 160, 162, 174, 180],
     "model":    [0.3, 0.4, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05],
     "source":   null,
     "meta":     {"scenario": "NASA planet temperatures", "model": "matched", "seed": 1948}}

``coder`` and ``alphabet`` are required; ``model`` and ``source`` (one float per symbol, or null) and
``meta`` (any JSON object) are optional; no other key is allowed. Labels keep their JSON type: an
integer (``1``), a number with a fraction or exponent (``1.0``, a Python float) or a string. NaN and
Infinity are not JSON and are refused, as are duplicate keys.

``coder`` is the coder's config, as its class's ``get_config`` writes it: ``scheme``, ``params`` and
the table the decoder rebuilds the code from (code lengths, integer frequencies, an alphabet size),
which the coder's module specifies together with its payload (:mod:`codesim.coders.prefix_code`,
:mod:`codesim.coders.block`, :mod:`codesim.coders.frequencies` and the coders that use it,
:mod:`codesim.coders.adaptive`). A coder whose bitstream changes records the new bitstream's
``version`` inside its config (absent: version 1; see :mod:`codesim.coders.base`, "Config versions"),
so the version byte of this container changes only when the framing does, and every file written
before keeps decoding.

Checks
------
:func:`parse` checks the structure: magic, version, flags, sizes against the limits and the file's
length, the header's UTF-8, JSON and field types, the labels' lengths and meta's size, and the
payload's padding; it computes both CRCs and reports a mismatch in its result (``codesim inspect``
shows a damaged file as far as it can). :func:`loads` also refuses a CRC mismatch, a symbol count over
the scheme's own limit (``Coder.symbol_limit``: what its decoder gets through in a few seconds), and
a coder config that its coder class refuses (``Coder.check_config``: an unknown scheme, parameters
the scheme does not take, a table whose size is not the alphabet's, code lengths that are
over-subscribed or incomplete where the scheme only builds complete codes, frequencies with a zero or
not summing to 2^P, ...), or whose payload is too short or too long for n symbols by the code's own
bounds (``Coder.bit_bounds``). Then it rebuilds the coder. Every failure is a
:class:`~codesim.errors.ContainerError` (a payload that does not decode, a DecodeError) whose one-line
message names the file and the problem.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import sys
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from bitarray import bitarray

from ..coders import Coder, check_config, from_config
from ..coders.base import MAX_SYMBOLS as CODER_MAX_SYMBOLS
from ..errors import CodesimError, ConfigError, ContainerError, DecodeError, json_key, json_kind, one_line, show_json
from .streamio import open_input, read_at_most, shown

MAGIC = b"\x89CSM\r\n\x1a\n"
VERSION = 1
#: Versions this module reads.
SUPPORTED_VERSIONS = (1,)
#: The most symbols a file may claim (checked from the fixed fields, before the JSON is read; see
#: coders.base for why); each scheme may hold fewer, as its coder's ``symbol_limit()`` says (checked
#: once the header names the scheme, before decoding).
MAX_SYMBOLS = CODER_MAX_SYMBOLS
#: The most symbols in an alphabet: the largest table rans (2^16 frequency slots) and block-huffman
#: (2^16 tuples) build, and a prefix code of that size rebuilds in a tenth of a second.
MAX_ALPHABET = 1 << 16
#: The longest label, in characters (of a number: of its JSON text). A decoded stream is written one
#: label per symbol, and text that long is no symbol's name.
MAX_LABEL_CHARS = 256
#: The most characters all labels together may have: 16 per label of the largest alphabet. It bounds
#: what every copy of the alphabet costs (tables, the labels of each written chunk of symbols).
MAX_ALPHABET_CHARS = 1 << 20
#: The largest ``meta`` object (and ``coder.params``), in characters of compact JSON: ``inspect`` shows
#: them whole, and what codesim writes there (the scenario's title, the model, a seed or an input
#: file's name and layout; two parameters) takes a few hundred.
MAX_META_CHARS = 1 << 16
#: The largest JSON header: the largest alphabet with the longest labels (up to 4 MiB of UTF-8), its
#: code table and q and p (about 3.5 MiB of JSON numbers), and meta. The bound matters because the JSON
#: parser's objects can take over 20 times the text they come from, and ``inspect`` prints it all: a
#: valid 8 MiB header inspects in about 2 seconds and a few hundred MB.
MAX_HEADER_BYTES = 8 << 20
#: The largest payload, 128 MiB. Prefix and block codes decode at 2 to 3 ns per bit here (codewords of
#: 31 to 256 bits), so 2^30 bits take about 3 seconds; the stream coders spend at most 32 bits per
#: symbol within their limits (arithmetic: 2^21 symbols; rans at precision 16 and the longest prefix
#: codes reach it with 2^24 symbols of 64 bits on average).
MAX_PAYLOAD_BITS = 1 << 30

#: magic, version, flags, header length, symbol count, payload bits.
_LEAD = struct.Struct("<8sB3sIQQ")
LEAD_BYTES = _LEAD.size
_CRC = struct.Struct("<I")
CRC_BYTES = _CRC.size
#: The smallest file: the fixed fields, "{}" and two CRCs.
MIN_FILE_BYTES = LEAD_BYTES + 2 + 2 * CRC_BYTES
#: The largest file: the largest header and payload with the fixed fields and CRCs. A larger one is
#: refused before it is read; a smaller one must have exactly the size its fields give.
MAX_FILE_BYTES = LEAD_BYTES + MAX_HEADER_BYTES + CRC_BYTES + MAX_PAYLOAD_BITS // 8 + CRC_BYTES

_KEYS = ("coder", "alphabet", "model", "source", "meta")


@dataclass(frozen=True)
class Header:
    """What a .csim file says about its stream, besides the payload bits."""

    version: int
    coder: dict  # the coder's get_config()
    alphabet: tuple  # labels: int, float or str
    model: tuple[float, ...] | None
    source: tuple[float, ...] | None
    meta: dict
    symbols: int
    payload_bits: int


@dataclass(frozen=True)
class Parsed:
    """A structurally valid file; the CRCs are those stored in it, ``*_ok`` whether they match."""

    header: Header
    payload: bitarray
    header_crc: int
    header_crc_ok: bool
    payload_crc: int
    payload_crc_ok: bool


class _Invalid(Exception):
    """A header field that fails a check; the reader adds the file name, the writer its own prefix."""

    def __init__(self, message: str, corrupt: bool = False):
        super().__init__(message)
        self.message = message
        self.corrupt = corrupt  # ill-formed rather than well-formed but impossible

    def reading(self, where: str) -> ContainerError:
        return ContainerError(f"{where}: {'header corrupt: ' if self.corrupt else ''}{self.message}")


# -- writing ------------------------------------------------------------------------------------------


def dumps(coder: Coder, bits: bitarray, symbols: int, alphabet, *, model=None, source=None,
          meta: dict | None = None) -> bytes:
    """The .csim file for ``bits``, the encoding of ``symbols`` symbols by ``coder``.

    ``alphabet`` has one label per symbol; ``model`` and ``source`` (probability vectors or
    Distributions) and ``meta`` (a JSON-able dict) are stored for display. Whatever a reader would
    refuse is refused here, as a ContainerError.
    """

    def refuse(problem: str) -> ContainerError:
        return ContainerError(f"cannot write a .csim file: {problem}")

    if not isinstance(coder, Coder):
        raise refuse(f"expected a Coder, got {type(coder).__name__}")
    if not isinstance(bits, bitarray):
        raise refuse(f"expected the encoded bits as a bitarray, got {type(bits).__name__}")
    if (isinstance(symbols, bool) or not isinstance(symbols, (int, np.integer))
            or not 0 <= symbols <= MAX_SYMBOLS):
        raise refuse(f"the symbol count is {symbols!r}: an integer from 0 to {MAX_SYMBOLS}")
    if len(bits) > MAX_PAYLOAD_BITS:
        raise refuse(f"{len(bits)} payload bits are over the limit of {MAX_PAYLOAD_BITS} (2^30)")
    problem = coder.check_message_size(int(symbols))
    if problem:
        raise refuse(problem)
    if meta is not None and (not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta)):
        raise refuse("meta must be a dict with string keys")
    try:
        labels = [_plain(label) for label in alphabet]
        header = {
            "coder": coder.get_config(),
            "alphabet": list(_check_alphabet(labels, "alphabet")),
            "model": _vector_out(model, "model", len(labels)),
            "source": _vector_out(source, "source", len(labels)),
            "meta": {} if meta is None else meta,
        }
    except _Invalid as exc:
        raise refuse(exc.message) from None
    except TypeError:
        raise refuse(f"the alphabet must be a sequence of labels, got {type(alphabet).__name__}") from None
    try:
        raw = json.dumps(header, ensure_ascii=False, allow_nan=False, separators=(",", ":"),
                         default=_plain_default).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as exc:
        raise refuse(f"the header is not JSON ({one_line(exc)})") from None
    if len(raw) > MAX_HEADER_BYTES:
        raise refuse(f"the header takes {len(raw)} bytes, over the limit of {MAX_HEADER_BYTES}")
    # Check what a reader will see, the JSON just written, with the reader's own checks.
    try:
        written = _header_fields(_json_object(raw))
        _check_coder(written["coder"], len(written["alphabet"]))
        _check_span(coder, int(symbols), len(bits))
    except _Invalid as exc:
        raise refuse(exc.message) from None
    big = bits if bits.endian == "big" else bitarray(bits, endian="big")
    payload = big.tobytes()  # bitarray pads the last byte with zeros
    lead = _LEAD.pack(MAGIC, VERSION, bytes(3), len(raw), int(symbols), len(bits))
    covered = lead[8:] + raw
    return b"".join((lead, raw, _CRC.pack(zlib.crc32(covered)), payload, _CRC.pack(zlib.crc32(payload))))


def _plain(value):
    """numpy scalars as the Python values JSON writes; anything else as it is."""
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        return value.item()
    return value


def _plain_default(value):
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-able")


def _vector_out(values, name: str, size: int) -> list[float] | None:
    if values is None:
        return None
    values = getattr(values, "probs", values)
    try:
        vec = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise _Invalid(f"{name} must be a vector of probabilities") from None
    if vec.ndim != 1:
        raise _Invalid(f"{name} must be a flat vector of probabilities")
    return list(_check_vector(vec.tolist(), name, size))


# -- reading ------------------------------------------------------------------------------------------


def parse(data: bytes, where: str = "file") -> Parsed:
    """The structure of a .csim file, checked; CRC mismatches are reported in the result, not raised."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"parse() takes the file's bytes, not {type(data).__name__}")
    data = bytes(data)
    flags, hlen, n, nbits = _lead(data[:LEAD_BYTES], len(data), where)
    end = LEAD_BYTES + hlen
    header_crc = _CRC.unpack_from(data, end)[0]
    header_ok = zlib.crc32(memoryview(data)[8:end]) == header_crc
    try:
        if flags != bytes(3):
            raise ContainerError(
                f"{where}: reserved flags are set ({flags.hex()}): written by a newer codesim, or not "
                f"by codesim (version {VERSION} writes zeros)"
            )
        try:
            fields = _header_fields(_json_object(data[LEAD_BYTES:end]))
        except _Invalid as exc:
            raise exc.reading(where) from None
    except ContainerError as exc:
        if header_ok:
            raise
        raise ContainerError(f"{exc} (and the header CRC does not match: the file is damaged)") from None
    start = end + CRC_BYTES
    size = -(-nbits // 8)
    raw = data[start : start + size]
    payload_crc = _CRC.unpack_from(data, start + size)[0]
    payload_ok = zlib.crc32(raw) == payload_crc
    spare = size * 8 - nbits
    if payload_ok and spare and raw[-1] & ((1 << spare) - 1):
        raise ContainerError(
            f"{where}: non-zero padding bits: the last payload byte is {raw[-1]:08b} but its low {spare} "
            f"bits, after the {nbits}-bit payload, must be zeros"
        )
    payload = bitarray(endian="big")
    payload.frombytes(raw)
    del payload[nbits:]
    header = Header(VERSION, fields["coder"], fields["alphabet"], fields["model"], fields["source"],
                    fields["meta"], n, nbits)
    return Parsed(header, payload, header_crc, header_ok, payload_crc, payload_ok)


def loads(data: bytes, where: str = "file") -> tuple[Header, Coder, bitarray]:
    """The header, the rebuilt coder and the payload bits of a .csim file; ContainerError if anything
    is wrong with it (decoding the payload is :func:`decode_payload`'s job)."""
    return checked(parse(data, where), where)


def checked(parsed: Parsed, where: str = "file") -> tuple[Header, Coder, bitarray]:
    """:func:`loads` of a file that :func:`parse` has read: its checksums must match and its code be valid."""
    header = parsed.header
    if not parsed.header_crc_ok:
        raise ContainerError(
            f"{where}: header corrupt: its CRC-32 does not match (stored {parsed.header_crc:08x})"
        )
    if not parsed.payload_crc_ok:
        raise ContainerError(
            f"{where}: payload corrupt: its CRC-32 does not match (stored {parsed.payload_crc:08x})"
        )
    try:
        _check_coder(header.coder, len(header.alphabet))
    except _Invalid as exc:
        raise exc.reading(where) from None
    coder = _rebuild(header, where)
    problem = coder.check_message_size(header.symbols)
    if problem:  # before anything of the claimed size is allocated or decoded
        raise ContainerError(f"{where}: {problem}")
    try:
        _check_span(coder, header.symbols, header.payload_bits)
    except _Invalid as exc:
        raise exc.reading(where) from None
    return header, coder, parsed.payload


def decode_payload(header: Header, coder: Coder, bits: bitarray, where: str = "file") -> np.ndarray:
    """The symbol indices the payload encodes; DecodeError (or ContainerError) naming ``where``."""
    scheme = header.coder.get("scheme")
    try:
        out = coder.decode(bits, header.symbols)
    except DecodeError as exc:
        raise DecodeError(f"{where}: the payload does not decode: {one_line(exc)}") from None
    except CodesimError as exc:
        raise ContainerError(f"{where}: the payload does not decode: {one_line(exc)}") from None
    except Exception as exc:  # a coder's own bug on hostile bits must still reach the user as one line
        raise ContainerError(
            f"{where}: the payload does not decode (scheme {scheme!r} raised {type(exc).__name__}: "
            f"{one_line(exc)})"
        ) from None
    if len(out) != header.symbols:
        raise DecodeError(f"{where}: the payload decoded to {len(out)} symbols, not {header.symbols}")
    return out


def read(path) -> tuple[Header, Coder, bitarray]:
    """:func:`loads` of a file."""
    return loads(read_bytes(path), os.fsdecode(os.fspath(path)))


def read_bytes(path) -> bytes:
    """A file's bytes, for :func:`parse` or :func:`loads`: a regular file only, no larger than
    MAX_FILE_BYTES, whose first 32 bytes are checked (magic, version, limits, and against them the
    file's size) before the rest is read."""
    where = shown(path)
    with open_input(path, "a codesim file", ContainerError, MAX_FILE_BYTES) as (f, size):
        lead = f.read(LEAD_BYTES)
        _lead(lead, size, where)
        # The size matched the fields; one byte more shows a file that grew meanwhile.
        return lead + read_at_most(f, size - len(lead), where, "what its fields describe", ContainerError)


def decode_file(path) -> tuple[Header, np.ndarray]:
    """The header of a .csim file and the symbol indices it decodes to."""
    header, coder, bits = read(path)
    return header, decode_payload(header, coder, bits, os.fsdecode(os.fspath(path)))


def _lead(head: bytes, size: int | None, where: str) -> tuple[bytes, int, int, int]:
    """(flags, header length, symbols, payload bits) from the first bytes, with the file's size
    (None: not known yet) checked against them."""
    if len(head) < LEAD_BYTES:
        size = len(head)
    magic = head[:8]
    short = f"{where}: truncated: a codesim file needs at least {MIN_FILE_BYTES} bytes, has {size}"
    if magic != MAGIC:
        if not magic:
            raise ContainerError(f"{where}: not a codesim file: it is empty")
        if MAGIC.startswith(magic):
            raise ContainerError(short)
        found = f"{magic.hex(' ')}, expected {MAGIC.hex(' ')}"
        damage = _transfer_damage(magic)
        if damage:
            raise ContainerError(f"{where}: damaged signature ({found}): {damage}")
        raise ContainerError(f"{where}: not a codesim file (bad magic: {found})")
    if len(head) < 9:
        raise ContainerError(short)
    if head[8] not in SUPPORTED_VERSIONS:
        known = ", ".join(map(str, SUPPORTED_VERSIONS))
        newer = " (written by a newer codesim?)" if head[8] > VERSION else ""
        raise ContainerError(
            f"{where}: unsupported version {head[8]}: this codesim reads version {known}{newer}"
        )
    if len(head) < LEAD_BYTES:
        raise ContainerError(f"{where}: truncated: the fixed header needs {LEAD_BYTES} bytes, has {size}")
    _, _, flags, hlen, n, nbits = _LEAD.unpack(head)
    if hlen > MAX_HEADER_BYTES:
        raise ContainerError(f"{where}: header length {hlen} bytes is over the limit of {MAX_HEADER_BYTES} "
                             "(8 MiB)")
    if n > MAX_SYMBOLS:
        raise ContainerError(f"{where}: symbol count {n} is over the limit of {MAX_SYMBOLS} (2^24)")
    if nbits > MAX_PAYLOAD_BITS:
        raise ContainerError(
            f"{where}: payload length {nbits} bits is over the limit of {MAX_PAYLOAD_BITS} (2^30)"
        )
    nbytes = -(-nbits // 8)
    total = LEAD_BYTES + hlen + CRC_BYTES + nbytes + CRC_BYTES
    if size is not None and size < total:
        raise ContainerError(f"{where}: truncated: a {hlen}-byte header and a {nbits}-bit payload need "
                             f"{total} bytes, has {size}")
    if size is not None and size > total:
        extra = size - total
        raise ContainerError(
            f"{where}: {extra} trailing byte{'s' if extra > 1 else ''} after the payload CRC (the file "
            f"has {size} bytes, its fields account for {total})"
        )
    return flags, hlen, n, nbits


def _transfer_damage(magic: bytes) -> str:
    """A hint when the magic is PNG-style damaged rather than foreign (see the module notes)."""
    if magic[1:4] != MAGIC[1:4]:
        return ""
    if magic[0] == MAGIC[0] & 0x7F:
        return "its first byte lost its high bit (copied through a 7-bit channel?)"
    if magic[0] == MAGIC[0]:
        return "its line-ending bytes were changed (copied in text mode?)"
    return ""


# -- header fields ------------------------------------------------------------------------------------


#: The deepest nesting of lists and objects in a header. codesim's own headers nest three deep
#: (``coder.params``); the bound keeps every reader and printer of a header (inspect's text and JSON)
#: far from Python's recursion limit.
MAX_JSON_DEPTH = 32
#: The most digits of an integer in a header: labels up to 2^128 fit. Python refuses to convert
#: integers past 4300 digits with a message about its own settings; this refuses them plainly.
MAX_INTEGER_DIGITS = 40


def _json_object(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Invalid(f"not valid UTF-8 (at header byte {exc.start})", corrupt=True) from None
    out_of_range: list[_OutOfRange] = []

    def kept(value):
        if isinstance(value, _OutOfRange):
            out_of_range.append(value)
        return value

    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
                         parse_int=lambda t: kept(_integer(t)), parse_float=lambda t: kept(_finite_float(t)))
    except RecursionError:
        raise _Invalid(f"not valid JSON (nested deeper than {MAX_JSON_DEPTH} levels)", corrupt=True) from None
    except ValueError as exc:  # bad JSON, a duplicate key or NaN
        raise _Invalid(f"not valid JSON ({one_line(exc)})", corrupt=True) from None
    # The walk that names the offending field costs seconds on millions of small objects, so it runs only
    # when the text shows something to find: a number out of range, an escaped surrogate, deep nesting.
    if out_of_range or _SURROGATE_ESCAPE.search(text) or _nesting(text) > MAX_JSON_DEPTH:
        _check_plain(obj)
    return obj


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def _nesting(text: str) -> int:
    """How deep the lists and objects of a JSON text nest (brackets inside strings do not count)."""
    marks = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8"), dtype=np.uint8)
    steps = (np.isin(marks, (ord("["), ord("{"))).astype(np.int64)
             - np.isin(marks, (ord("]"), ord("}"))).astype(np.int64))
    return int(np.cumsum(steps).max(initial=0))


class _OutOfRange:
    """Stands in for a number the header may not hold (an integer of more than MAX_INTEGER_DIGITS
    digits, or one like 1e999 that a float reads as infinity), so that the walk over the parsed header
    can name its field; Python would refuse an integer of 4300 digits inside the parser."""

    def __init__(self, problem: str):
        self.problem = problem


def _integer(text: str) -> int | _OutOfRange:
    digits = len(text.lstrip("-"))
    if digits > MAX_INTEGER_DIGITS:
        return _OutOfRange(f"an integer of {digits} digits, over the limit of {MAX_INTEGER_DIGITS}")
    return int(text)


def _finite_float(text: str) -> float | _OutOfRange:
    value = float(text)
    if math.isinf(value):
        shown = text if len(text) <= 24 else text[:21] + "..."
        return _OutOfRange(f"{shown}, beyond the range of a double (the format has no Infinity)")
    return value


def _check_plain(obj: Any) -> None:
    """Refuse nesting deeper than MAX_JSON_DEPTH, integers longer than MAX_INTEGER_DIGITS, and strings
    that UTF-8 cannot encode (JSON's ``\\ud800`` escapes a lone surrogate: valid JSON, but no text),
    so that whatever the reader accepts every command can print. Each is named by its field."""
    stack: list[tuple[Any, int, str, int | None]] = [(obj, 0, "", None)]
    def field(keys: str, entry: int | None) -> str:  # formed only for a message: the walk meets millions
        return (f"field {keys!r}" if keys else "the header") + (f" entry {entry}" if entry else "")

    while stack:
        value, depth, keys, entry = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise _Invalid(f"{field(keys, entry)} is nested deeper than {MAX_JSON_DEPTH} levels of lists and "
                               "objects", corrupt=True)
            if isinstance(value, dict):
                for key, item in value.items():
                    if not _is_text(key):
                        raise _Invalid(f"a key in {field(keys, entry)} holds a lone surrogate, which UTF-8 cannot "
                                       "encode", corrupt=True)
                    stack.append((item, depth + 1, f"{keys}.{json_key(key)}" if keys else json_key(key), None))
            else:  # a list within a list keeps the outer entry's number: the field is named, not the path
                stack.extend((item, depth + 1, keys, entry or i) for i, item in enumerate(value, 1))
        elif isinstance(value, _OutOfRange):
            raise _Invalid(f"{field(keys, entry)} is {value.problem}", corrupt=True)
        elif isinstance(value, str) and not _is_text(value):
            raise _Invalid(f"{field(keys, entry)} holds a lone surrogate, which UTF-8 cannot encode", corrupt=True)


def _is_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unique_keys(pairs: list) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:  # json would keep the last silently; a writer never repeats a key
            raise ValueError(f"key {show_json(key)} appears twice")
        out[key] = value
    return out


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _header_fields(obj: Any) -> dict[str, Any]:
    """The header's fields, typed and checked (the coder config only for its shape)."""
    if not isinstance(obj, dict):
        raise _Invalid(f"the header is {json_kind(obj)}, not a JSON object", corrupt=True)
    for key in obj:
        if key not in _KEYS:
            raise _Invalid(f"unknown field {show_json(key)} (a version {VERSION} header has {', '.join(_KEYS)})",
                           corrupt=True)
    for key in ("coder", "alphabet"):
        if key not in obj:
            raise _Invalid(f"field {key!r} is missing", corrupt=True)
    coder = obj["coder"]
    if not isinstance(coder, dict) or not isinstance(coder.get("scheme"), str):
        raise _Invalid(f"field 'coder' is {show_json(coder)}, not an object with a 'scheme' name", corrupt=True)
    if not isinstance(coder.get("params", {}), dict):
        raise _Invalid(f"field 'coder.params' is {json_kind(coder['params'])}, not an object", corrupt=True)
    alphabet = _check_alphabet(obj["alphabet"], "field 'alphabet'")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise _Invalid(f"field 'meta' is {json_kind(meta)}, not an object", corrupt=True)
    _check_json_size(meta, "meta")
    if "params" in coder:  # shown by inspect even when the rest of the config is not valid
        _check_json_size(coder["params"], "coder.params")
    return {
        "coder": coder,
        "alphabet": alphabet,
        "model": _check_vector(obj.get("model"), "field 'model'", len(alphabet)),
        "source": _check_vector(obj.get("source"), "field 'source'", len(alphabet)),
        "meta": meta,
    }


def _check_json_size(value: Any, name: str) -> None:
    """A free-form field (shown whole by inspect) within MAX_META_CHARS characters of compact JSON."""
    try:
        chars = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_plain_default))
    except (TypeError, ValueError, RecursionError):
        return  # not JSON: the writer's own check names the problem
    if chars > MAX_META_CHARS:
        raise _Invalid(f"field {name!r} takes {chars} characters of JSON, over the limit of {MAX_META_CHARS}")


def _label_chars(label) -> int:
    """A label's length in characters; a number's, as its JSON text (an integer without converting one
    of hundreds of digits: each decimal digit is worth over 3.3 bits)."""
    if isinstance(label, str):
        return len(label)
    if isinstance(label, int) and abs(label).bit_length() > 4 * MAX_LABEL_CHARS:
        return MAX_LABEL_CHARS + 1 + abs(label).bit_length() // 4
    return len(json.dumps(label))


def _check_alphabet(labels: Any, name: str) -> tuple:
    if not isinstance(labels, list):
        raise _Invalid(f"{name} is {json_kind(labels)}, not a list of labels", corrupt=True)
    if not 1 <= len(labels) <= MAX_ALPHABET:
        raise _Invalid(f"{name} has {len(labels)} labels: an alphabet has 1 to {MAX_ALPHABET}", corrupt=True)
    seen: dict = {}
    total = 0
    for i, label in enumerate(labels):
        if isinstance(label, bool) or not isinstance(label, (int, float, str)):
            raise _Invalid(f"{name} entry {i + 1} is {show_json(label)}: labels are integers, numbers or strings",
                           corrupt=True)
        if isinstance(label, float) and not math.isfinite(label):
            raise _Invalid(f"{name} entry {i + 1} is {label}: labels must be finite", corrupt=True)
        chars = _label_chars(label)
        if chars > MAX_LABEL_CHARS:
            over = "" if isinstance(label, str) else "over "
            raise _Invalid(f"{name} entry {i + 1} is {show_json(label)}: {over}{chars} characters, over the limit "
                           f"of {MAX_LABEL_CHARS} for one label")
        total += chars
        if total > MAX_ALPHABET_CHARS:
            raise _Invalid(f"{name} has over {MAX_ALPHABET_CHARS} characters of labels (the limit, at entry "
                           f"{i + 1})")
        if label in seen:  # as Distribution has it: 1 and 1.0 are the same label
            raise _Invalid(f"{name} entries {seen[label] + 1} and {i + 1} are both {show_json(label)}: labels "
                           "must be distinct", corrupt=True)
        seen[label] = i
    return tuple(labels)


def _check_vector(values: Any, name: str, size: int) -> tuple[float, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list):
        raise _Invalid(f"{name} is {json_kind(values)}, not a list of probabilities or null", corrupt=True)
    if len(values) != size:
        raise _Invalid(f"{name} has {len(values)} entries, the alphabet {size}", corrupt=True)
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= sys.float_info.max:
            raise _Invalid(f"{name} entry {i + 1} is {show_json(v)}: probabilities are finite numbers >= 0",
                           corrupt=True)
    return tuple(float(v) for v in values)


# -- the coder config ---------------------------------------------------------------------------------


def _check_coder(config: dict, size: int) -> None:
    """The coder config checked by its own coder class (``check_config``) before anything is built."""
    try:
        check_config(config, size)
    except ConfigError as exc:
        raise _Invalid(str(exc), corrupt=exc.corrupt) from None
    except CodesimError as exc:
        raise _Invalid(f"field 'coder': {one_line(exc)}") from None
    except Exception as exc:  # a coder's check that lets a hostile config through as another error
        raise _Invalid(f"field 'coder' is not a valid {config['scheme']!r} code ({type(exc).__name__}: "
                       f"{one_line(exc)})") from None


def _check_span(coder: Coder, n: int, nbits: int) -> None:
    """A symbol count the payload cannot hold, by the code's own bounds (``bit_bounds``, for codes with
    whole-bit codewords), is refused before the decoder allocates for it."""
    bounds = coder.bit_bounds(n)
    if bounds is None:
        return  # a stream coder may spend almost nothing on a likely symbol; its decoder checks
    least, most = bounds
    symbols = f"{n} symbol{'' if n == 1 else 's'}"
    if nbits < least:
        raise _Invalid(f"payload too short for {symbols}: needs at least {least} bits under this code, "
                       f"has {nbits}")
    if nbits > most:
        raise _Invalid(f"payload too long for {symbols}: at most {most} bits under this code, has {nbits}")


def _rebuild(header: Header, where: str) -> Coder:
    config, name = header.coder, header.coder["scheme"]
    try:
        coder = from_config(config)
    except CodesimError as exc:
        raise ContainerError(
            f"{where}: field 'coder' is not a valid {name!r} code: {one_line(exc)}"
        ) from None
    except Exception as exc:  # a coder's restore() that lets a hostile config through as another error
        raise ContainerError(
            f"{where}: field 'coder' is not a valid {name!r} code ({type(exc).__name__}: {one_line(exc)})"
        ) from None
    if coder.size != len(header.alphabet):
        raise ContainerError(f"{where}: the code has {coder.size} symbols but the alphabet "
                             f"{len(header.alphabet)} labels")
    if coder.get_config() != config:
        raise ContainerError(f"{where}: field 'coder' is not the config scheme {name!r} writes for its code")
    return coder
