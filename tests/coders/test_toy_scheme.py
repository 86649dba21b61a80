"""A coder family added from inside the test suite: its module (here, this file's first half) is all that
encode, decode, inspect and compare need, and a change of its bitstream is a version inside its config.

The toy scheme ``toy-repeat`` writes each symbol's fixed-width index ``copies`` times; version 2 of its
bitstream writes the copies inverted. It declares its config's table (``size``), checks a config read from
a file, gives its bit bounds and its rows for inspect, and registers itself; nothing else in codesim is
told about it.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import numpy as np
import pytest
from bitarray import bitarray
from click.testing import CliRunner

from codesim.cli import main
from codesim.coders import Coder, Param, Scheme, available, register, unregister
from codesim.coders.base import table_columns_with
from codesim.coders.config import strict_int, versioned
from codesim.errors import ConfigError, DecodeError
from codesim.files import container

from ..conftest import NASA_LEVELS, NASA_P, SCENARIOS
from ..files.test_container import refused, with_header

NAME = "toy-repeat"


class RepeatCode(Coder):
    """Each symbol's ceil(log2 k)-bit index, ``copies`` times over (inverted from version 2 on)."""

    config_fields: ClassVar[tuple[str, ...]] = ("size",)
    versions: ClassVar[tuple[int, ...]] = (1, 2)
    trace_note: ClassVar[str] = "each symbol's copies of its index"
    table_columns = table_columns_with(("codeword", "codeword"), ("index_bits", "index bits"))

    def __init__(self, size: int, copies: int, version: int = 2):
        self._size, self.copies, self.version = size, copies, version
        self.width = max(1, (size - 1).bit_length())
        self.scheme, self.params = NAME, {"copies": copies}

    @property
    def size(self) -> int:
        return self._size

    @property
    def implied(self) -> np.ndarray:
        return np.full(self._size, 1.0 / self._size)

    def _word_bits(self, stream: np.ndarray) -> np.ndarray:
        shifts = np.arange(self.width - 1, -1, -1)
        digits = (stream.astype(np.int64)[:, None] >> shifts) & 1
        return np.tile(digits, self.copies) ^ (self.version >= 2)

    def encode(self, stream: np.ndarray) -> bitarray:
        stream = self._check_stream(stream)
        out = bitarray(endian="big")
        out.pack(self._word_bits(stream).astype(np.uint8).tobytes())
        return out

    def decode(self, bits: bitarray, n: int) -> np.ndarray:
        per = self.width * self.copies
        if len(bits) != n * per:
            raise DecodeError(f"{n} symbols take {n * per} bits, the stream has {len(bits)}")
        digits = np.frombuffer(bits.unpack(), dtype=np.uint8).reshape(n, self.copies, self.width)
        digits = digits ^ np.uint8(self.version >= 2)
        if (digits != digits[:, :1]).any():
            raise DecodeError("the copies of a symbol differ")
        out = digits[:, 0].astype(np.int64) @ (1 << np.arange(self.width - 1, -1, -1))
        if n and out.max() >= self._size:
            raise DecodeError(f"index {int(out.max())} is outside the alphabet")
        return out

    def get_config(self) -> dict[str, Any]:
        return versioned({"scheme": NAME, "params": dict(self.params), "size": self._size}, self.version)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "RepeatCode":
        return cls(config["size"], config["params"]["copies"], config.get("version", 1))

    @classmethod
    def check_table(cls, config: dict[str, Any], params: dict[str, Any], size: int) -> None:
        if strict_int(config["size"], "size", 1, 1 << 16) != size:
            raise ConfigError(f"field 'coder.size' is {config['size']}, but the alphabet has {size} labels")

    def bit_bounds(self, n: int) -> tuple[int, int]:
        return n * self.width * self.copies, n * self.width * self.copies

    def table_entry(self, i: int) -> dict[str, Any]:
        return {"codeword": format(i, f"0{self.width}b") * self.copies, "index_bits": self.width}


TOY = Scheme(
    name=NAME,
    summary="each symbol's fixed-width index, written copies times",
    build=lambda q, copies: RepeatCode(len(q), copies),
    restore=RepeatCode.from_config,
    params=(Param("copies", int, 2, "times each index is written", minimum=1, maximum=3),),
)


@pytest.fixture
def toy():
    """The toy scheme, registered for one test."""
    register(TOY)
    try:
        yield TOY
    finally:
        unregister(NAME)


def cli(*args) -> str:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def test_the_registry_takes_a_scheme_and_gives_it_back(toy):
    assert available()[-1] is TOY
    unregister(NAME)
    assert NAME not in [s.name for s in available()]
    register(TOY)


def test_a_toy_scheme_runs_through_encode_decode_inspect_and_compare(toy, tmp_path):
    """encode writes its file, decode gives back the drawn labels, inspect shows its table and trace,
    compare ranks it beside huffman: with nothing but the scheme's own module."""
    nasa = SCENARIOS / "nasa-temperature.toml"
    csim, symbols = tmp_path / "toy.csim", tmp_path / "symbols.txt"
    cli("sample", nasa, "-n", 40, "--seed", 3, "-o", symbols)
    cli("encode", nasa, "--model", "matched", "--scheme", f"{NAME}:copies=3", "--input", symbols, "-o", csim)
    header, coder, bits = container.read(csim)
    assert header.coder == {"scheme": NAME, "params": {"copies": 3}, "size": 8, "version": 2}
    assert header.payload_bits == 40 * 3 * 3

    decoded = tmp_path / "decoded.txt"
    cli("decode", csim, "-o", decoded)
    assert decoded.read_bytes() == symbols.read_bytes()

    doc = json.loads(cli("inspect", csim, "--format", "json", "-k", 5))
    assert [row["symbol"] for row in doc["table"]] == NASA_LEVELS
    assert doc["table"][1]["codeword"] == "001001001"
    assert len(doc["trace"]) == 5 and doc["trace_note"] == RepeatCode.trace_note
    assert doc["trace"][-1]["total_cost"] == pytest.approx(5 * 3.0)
    assert doc["table_columns"][3:5] == [["codeword", "codeword"], ["index_bits", "index bits"]]
    view = cli("inspect", csim)
    assert "each symbol's copies of its index" in view
    # The toy's own column is shown under its own heading, in the place it declares.
    assert re.search(r"^symbol +p +q +codeword +index bits +-log2 q$", view, re.M)
    assert re.search(r"^105 +0\.4000 +0\.4000 +001001001 +3 +1\.3219$", view, re.M)

    table = cli("compare", nasa, "--scheme", NAME, "--scheme", "huffman", "-n", 200, "--trials", 2, "--quiet")
    assert re.search(rf"{NAME} +6\.0000 ", table) and re.search(r"huffman +2\.\d{4} ", table)


def test_a_config_of_the_old_version_still_decodes_and_unknown_versions_are_refused(toy):
    """Version 2 inverts the bits; a file written by version 1 carries no version and decodes as it
    did. A version the coder does not read, or version 1 written out, is refused naming the field."""
    stream = np.random.default_rng(1).choice(8, size=30, p=NASA_P)
    old = RepeatCode(8, 2, version=1)
    data = container.dumps(old, old.encode(stream), stream.size, NASA_LEVELS)
    header, coder, bits = container.loads(data)
    assert "version" not in header.coder and coder.version == 1
    assert container.decode_payload(header, coder, bits).tolist() == stream.tolist()
    new = RepeatCode(8, 2)
    assert new.encode(stream) == ~old.encode(stream)

    refused(with_header(data, lambda h: h["coder"].update(version=3)),
            r"field 'coder.version' is 3: scheme 'toy-repeat' reads version 1, 2 \(written by a newer codesim\?\)")
    refused(with_header(data, lambda h: h["coder"].update(version=1)),
            "header corrupt: field 'coder.version' is 1, which a config says by leaving the field out")
    refused(with_header(data, lambda h: h["coder"].update(version="2")),
            "header corrupt: field 'coder.version' is a string, not an integer")


def test_the_toy_checks_its_own_table_and_bounds(toy):
    stream = np.arange(8)
    code = RepeatCode(8, 1)
    data = container.dumps(code, code.encode(stream), 8, NASA_LEVELS)
    refused(with_header(data, lambda h: h["coder"].update(size=9)),
            "field 'coder.size' is 9, but the alphabet has 8 labels")
    refused(with_header(data, lambda h: h["coder"].pop("size")), "header corrupt: field 'coder.size' is missing")
    refused(with_header(data, lambda h: h["coder"]["params"].update(copies=4)),
            "field 'coder.params.copies' is 4: scheme 'toy-repeat' takes copies from 1 to 3")
    with pytest.raises(container.ContainerError, match="payload too long for 7 symbols: at most 21 bits"):
        container.dumps(code, code.encode(stream), 7, NASA_LEVELS)
