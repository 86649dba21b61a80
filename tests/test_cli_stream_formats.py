"""decode and sample write the format the output's name ends in (--format overriding, the stored layout
for any other name), and never write a binary stream to a terminal."""

import os
import pty
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from codesim.cli import main
from codesim.files import streamio

from .conftest import SCENARIOS
from .hostile import assert_one_line_error

NASA = str(SCENARIOS / "nasa-temperature.toml")


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def from_npy(tmp_path):
    """A .csim file encoded from an .npy symbol file, and that file."""
    symbols, packed = tmp_path / "s.npy", tmp_path / "s.csim"
    assert invoke("sample", NASA, "-n", 300, "--seed", 2, "-o", symbols).exit_code == 0
    assert invoke("encode", NASA, "--model", "uniform", "--input", symbols, "-o", packed).exit_code == 0
    return packed, symbols


@pytest.mark.parametrize("name, fmt, written", [
    ("d.txt", None, "text"), ("d.TXT", None, "text"), ("d.npy", None, "stored"), ("d.dat", None, "stored"),
    ("d", None, "stored"), ("d.npy", "text", "text"), ("d.txt", "npy", "stored"),
])
def test_decode_writes_what_the_name_says_else_the_stored_layout(tmp_path, from_npy, name, fmt, written):
    packed, symbols = from_npy
    out = tmp_path / name
    result = invoke("decode", packed, "-o", out, *(["--format", fmt] if fmt else []))
    assert result.exit_code == 0, result.output
    if written == "stored":
        assert out.read_bytes() == symbols.read_bytes()
    else:
        assert out.read_text().splitlines() == [str(x) for x in np.load(symbols)]


def test_a_text_stream_decodes_to_npy_by_name(tmp_path):
    symbols, packed, out = tmp_path / "s.txt", tmp_path / "s.csim", tmp_path / "d.npy"
    assert invoke("sample", NASA, "-n", 300, "--seed", 2, "-o", symbols).exit_code == 0
    assert invoke("encode", NASA, "--model", "uniform", "--input", symbols, "-o", packed).exit_code == 0
    assert invoke("decode", packed, "-o", out).exit_code == 0
    assert [str(x) for x in np.load(out)] == symbols.read_text().splitlines()


def test_standard_output_that_is_no_terminal_takes_the_stored_npy(from_npy):
    packed, symbols = from_npy
    result = invoke("decode", packed, "-o", "-")
    assert result.exit_code == 0 and result.stdout_bytes == symbols.read_bytes()


def _on_a_terminal(*args) -> tuple[int, str, bytes]:
    """codesim run in a child whose standard output is a terminal (a pseudo-terminal): its exit code,
    its stderr, and what reached the terminal."""
    leader, follower = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-m", "codesim", *map(str, args)], stdout=follower,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
        os.close(follower)
        shown = b""
        try:
            while chunk := os.read(leader, 1 << 16):
                shown += chunk
        except OSError:  # the terminal's other end is closed: all was read
            pass
    finally:
        os.close(leader)
    return proc.returncode, proc.stderr.decode(), shown


@pytest.mark.parametrize("command", ["decode", "sample"])
def test_a_binary_stream_is_not_written_to_a_terminal(from_npy, command):
    packed, _ = from_npy
    args = [packed, "-o", "-"] if command == "decode" else [NASA, "-n", 10, "--format", "npy", "-o", "-"]
    code, err, shown = _on_a_terminal(command, *args)
    lines = err.strip().splitlines()
    assert code == 1 and len(lines) == 1, err
    assert lines[0] == ("Error: standard output is a terminal, and npy is a binary format: write it to a file "
                        "(-o FILE) or as text (--format text)")
    assert b"NUMPY" not in shown


def test_text_is_written_to_a_terminal(from_npy):
    packed, symbols = from_npy
    code, err, shown = _on_a_terminal("decode", packed, "-o", "-", "--format", "text")
    assert code == 0, err
    assert shown.decode().split() == [str(x) for x in np.load(symbols)]


def test_the_names_that_name_a_format():
    assert [streamio.named_format(n) for n in ("a.txt", "a.npy", "a.NPY", "a.csv", "a", "-")] == \
        ["text", "npy", "npy", None, None, None]
    assert [streamio.guess_format(n, None) for n in ("a.npy", "a.csv")] == ["npy", "text"]


def test_sample_refuses_the_terminal_before_drawing(monkeypatch, tmp_path):
    monkeypatch.setattr(streamio, "_terminal", lambda: True)
    assert_one_line_error(invoke("sample", NASA, "--format", "npy", "-o", "-"), 1, "standard output is a terminal")
    assert invoke("sample", NASA, "-n", 5, "-o", "-").exit_code == 0  # text is fine
