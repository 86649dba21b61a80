"""sample / encode / decode / inspect: streams survive the file round trip byte for byte, and bad
files or outputs give one line and leave nothing behind."""

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

from codesim.cli import main

from .conftest import SCENARIOS
from .hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")
DOG = str(SCENARIOS / "dog-or-panda.toml")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("scheme", ["huffman", "arithmetic", "rans", "block-huffman:k=2", "shannon"])
@pytest.mark.parametrize("ext", ["txt", "npy"])
def test_sample_encode_decode_reproduces_the_stream_file_byte_for_byte(tmp_path, scheme, ext):
    symbols, packed, back = tmp_path / f"s.{ext}", tmp_path / "s.csim", tmp_path / f"back.{ext}"
    assert invoke("sample", NASA, "-n", 777, "--seed", 3, "-o", symbols).exit_code == 0
    r = invoke("encode", NASA, "--model", "swapped", "--scheme", scheme, "--input", symbols, "-o", packed)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("777 symbols -> ") and "D(p||q) = 0.0834" in r.stdout
    assert invoke("decode", packed, "-o", back).exit_code == 0
    assert back.read_bytes() == symbols.read_bytes()


def test_sample_is_the_first_trial_of_run(tmp_path):
    from codesim import load
    from codesim.simulation.simulate import trial_streams

    out = tmp_path / "s.npy"
    assert invoke("sample", DOG, "-n", 50, "-o", out).exit_code == 0
    s = load(DOG)
    expected = next(trial_streams(s.source, 50, 1, s.run.seed))
    assert np.load(out).tolist() == [s.alphabet[i] for i in expected]


def test_encode_draws_a_stream_when_no_input_and_decode_writes_text(tmp_path):
    packed, out = tmp_path / "d.csim", tmp_path / "d.txt"
    r = invoke("encode", DOG, "--model", "unsure", "--scheme", "arithmetic", "-n", 20000, "-o", packed)
    assert r.exit_code == 0, r.output
    bits_per_symbol = float(r.stdout.split("(")[1].split()[0])
    assert bits_per_symbol == pytest.approx(1.737, abs=0.002)
    assert invoke("decode", packed, "-o", out).exit_code == 0
    assert out.read_text().splitlines() == ["dog"] * 20000


def test_encode_needs_model_when_several_and_refuses_unknown_labels(tmp_path):
    assert_one_line_error(invoke("encode", NASA, "-o", tmp_path / "x.csim"), 2, "--model is needed")
    bad = tmp_path / "bad.txt"
    bad.write_text("100\n105\n999\n")
    assert_one_line_error(invoke("encode", NASA, "--model", "uniform", "--input", bad, "-o", tmp_path / "x.csim"),
                          1, "line 3: label '999' is not in the alphabet")
    assert_one_line_error(invoke("encode", NASA, "--model", "uniform", "--input", bad, "-n", 5,
                                 "-o", tmp_path / "x.csim"), 2, "give one or the other")
    assert not (tmp_path / "x.csim").exists()


def test_existing_outputs_need_force(tmp_path):
    out = tmp_path / "s.txt"
    out.write_text("keep me")
    assert_one_line_error(invoke("sample", NASA, "-n", 10, "-o", out), 1, "already exists; use --force")
    assert out.read_text() == "keep me"
    assert invoke("sample", NASA, "-n", 10, "-o", out, "--force").exit_code == 0
    assert len(out.read_text().splitlines()) == 10


def test_corrupt_truncated_and_foreign_files_give_one_line_and_no_output(tmp_path):
    packed = tmp_path / "s.csim"
    assert invoke("encode", NASA, "--model", "uniform", "-n", 500, "-o", packed).exit_code == 0
    data = bytearray(packed.read_bytes())
    cases = {
        "flipped.csim": bytes(data[:-8]) + bytes([data[-8] ^ 0x10]) + bytes(data[-7:]),
        "short.csim": bytes(data[: len(data) // 2]),
        "long.csim": bytes(data) + b"\0",
        "foreign.csim": b"not a codesim file at all",
    }
    for name, raw in cases.items():
        (tmp_path / name).write_bytes(raw)
        out = tmp_path / f"{name}.txt"
        assert_one_line_error(invoke("decode", tmp_path / name, "-o", out), 1, name)
        assert not out.exists()
    assert_one_line_error(invoke("decode", tmp_path / "missing.csim", "-o", tmp_path / "o.txt"), 1, "missing.csim")


def test_inspect_shows_header_table_and_annotated_symbols(tmp_path):
    packed = tmp_path / "s.csim"
    assert invoke("encode", NASA, "--model", "swapped", "--scheme", "huffman", "-n", 100, "--seed", 1,
                  "-o", packed).exit_code == 0
    r = invoke("inspect", packed, "--symbols", 5)
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "scheme          huffman" in out and "symbols         100" in out
    assert "header CRC32" in out and "(ok)" in out and "MISMATCH" not in out
    assert "Code table:" in out and "codeword" in out and "-log2 q" in out
    assert "First 5 symbols" in out and "bits so far" in out and "ideal so far" in out

    doc = json.loads(invoke("inspect", packed, "--symbols", 5, "--format", "json").stdout)
    assert doc["scheme"] == "huffman" and doc["symbols"] == 100 and doc["checksums"]["payload"]["ok"]
    assert [row["symbol"] for row in doc["table"]] == [100, 105, 110, 145, 160, 162, 174, 180]
    rows = doc["trace"]
    assert len(rows) == 5 and rows[0]["position"] == 0
    for a, b in zip(rows, rows[1:]):
        assert b["position"] == a["position"] + a["bits"]  # codewords follow one another
        assert b["total_bits"] == pytest.approx(a["total_bits"] + b["bits"])
    assert all(row["bits"] == len(row["codeword"]) for row in rows)


@pytest.mark.parametrize("scheme, key", [("arithmetic", "low"), ("rans", "lane"), ("block-huffman:k=3", "symbols"),
                                         ("adaptive-arithmetic", "model_prob"), ("adaptive-huffman", "bits")])
def test_inspect_shows_what_makes_sense_for_each_coder(tmp_path, scheme, key):
    packed = tmp_path / "s.csim"
    model = [] if scheme.startswith("adaptive") else ["--model", "matched"]  # a scheme that learns takes none
    assert invoke("encode", NASA, *model, "--scheme", scheme, "-n", 100, "-o", packed).exit_code == 0
    doc = json.loads(invoke("inspect", packed, "--format", "json").stdout)
    assert doc["trace"] and key in doc["trace"][0]
    assert doc["trace"][-1]["total_ideal"] > 0
    # The table view shows the columns the coder declares that its rows have (no q where the file
    # stores no model), under its headings, in its order.
    lines = invoke("inspect", packed).stdout.splitlines()
    for title, declared, rows in (("Code table:", doc["table_columns"], doc["table"]),
                                  ("First 20 symbols", doc["trace_columns"], doc["trace"])):
        heading = lines[next(i for i, line in enumerate(lines) if line.startswith(title)) + 1]
        assert re.split(r" {2,}", heading.strip()) == [name for key, name, *_ in declared if key in rows[0]]
    assert ("q" in doc["table"][0]) == (not scheme.startswith("adaptive"))
    # A column declared with its decimals is shown to them: the arithmetic coder's interval to 10.
    decimals = {key: digits[0] for key, _, *digits in doc["trace_columns"] if digits}
    assert decimals == ({"low": 10, "high": 10} if key == "low" else {})
    assert bool(re.search(r" 0\.\d{10} ", "\n".join(lines))) == (key == "low")


def test_inspect_reports_a_checksum_mismatch_and_exits_1(tmp_path):
    packed = tmp_path / "s.csim"
    assert invoke("encode", NASA, "--model", "uniform", "-n", 200, "-o", packed).exit_code == 0
    data = bytearray(packed.read_bytes())
    data[-6] ^= 0x01  # a payload bit
    packed.write_bytes(bytes(data))
    r = invoke("inspect", packed)
    assert r.exit_code == 1 and "MISMATCH" in r.stdout
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
