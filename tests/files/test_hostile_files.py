"""Hostile input and output files: every input is read only if it is a regular file within its limit, every
.npy header is checked before anything is allocated for it, outputs replace only regular files and never
leave a partial or temporary file, symbols are written a chunk at a time, and no text symbol file is
written or read for an alphabet it cannot tell apart.

Each refusal is one ``Error:`` line naming the file, with the exit code, no traceback and nothing left
behind; the cases where a real process matters (FIFOs, devices, file-size limits, closed pipes, peak
memory) run in a child process with a time and memory bound.
"""

from __future__ import annotations

import errno
import io
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from numpy.lib import format as npy

from codesim.files import container, streamio
from codesim import scenario
from codesim.sources import files as textsource
from codesim.coders import build
from codesim.files.container import MAX_SYMBOLS
from codesim.errors import StreamFileError
from codesim.files.streamio import FORMATS, read_symbols, render_symbols, symbol_chunks

from ..conftest import SCENARIOS
from ..hostile import assert_one_line_error, assert_refused, files_in, invoke, run_cli

NASA = str(SCENARIOS / "nasa-temperature.toml")
UNIFORM = ("encode", NASA, "--model", "uniform")



def scenario_with_file(tmp_path, where: str, path) -> str:
    """A scenario that reads ``path`` as its source's file, or as a model's file."""
    text = str(path).replace("\\", "\\\\").replace("\0", "\\u0000").replace('"', '\\"')
    (tmp_path / "text.txt").write_text("abracadabra")
    body = (f'source = {{ file = "{text}" }}\nmodels.u.uniform = true\n' if where == "source" else
            f'source = {{ file = "text.txt" }}\nmodels.u.file = "{text}"\n')
    out = tmp_path / "file-source.toml"
    out.write_text(body)
    return str(out)


def places(tmp_path, path):
    """Every command-line place a file is read from, each as (arguments, what the file should be)."""
    return {
        "scenario": (("run", path, "-n", 10, "--scheme", "huffman", "-q"), "a scenario file"),
        "file source": (("run", scenario_with_file(tmp_path, "source", path), "--scheme", "huffman", "-q"),
                        "a file to read units from"),
        "model file": (("run", scenario_with_file(tmp_path, "model", path), "--scheme", "huffman", "-q"),
                       "a file to read units from"),
        "encode --input": ((*UNIFORM, "--input", path, "-o", tmp_path / "out.csim"), "a symbol file"),
        "decode": (("decode", path, "-o", tmp_path / "out.txt"), "a codesim file"),
        "inspect": (("inspect", path), "a codesim file"),
    }


PLACES = ["scenario", "file source", "model file", "encode --input", "decode", "inspect"]


# -- special input files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_a_fifo_or_a_device_is_refused_at_once_wherever_a_file_is_read(tmp_path, place, special):
    """A FIFO with no writer would block an ordinary open forever; /dev/zero would be read until memory
    runs out. Both are named with what they are, at once, in a real process."""
    if special == "fifo":
        path, what = tmp_path / "pipe", "is a FIFO, not a regular file"
        os.mkfifo(path)
    else:
        path, what = special, "is a character device, not a regular file"
    args, kind = places(tmp_path, str(path))[place]
    before = files_in(tmp_path)
    outcome = run_cli(*args, cwd=tmp_path, timeout=20)
    assert_refused(outcome, f"{path}: {what} ({kind} must be one)", max_seconds=5, max_mb=150)
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("special, what", [
    ("directory", "is a directory, not a regular file"),
    ("/dev/urandom", "is a character device, not a regular file"),
    ("nul", "a file name cannot contain a NUL byte"),
    ("long", "(File name too long)"),
    ("socket", "(No such device or address)"),
])
def test_every_special_path_is_one_line_naming_it(tmp_path, place, special, what):
    if special == "directory":
        path = str(tmp_path / "folder")
        os.mkdir(path)
    elif special == "nul":
        path = str(tmp_path / "a\0b.toml")
    elif special == "long":
        path = str(tmp_path / ("x" * 5000))
    elif special == "socket":
        path = str(tmp_path / "sock")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)  # the socket's file stays when it is closed
    else:
        path = special
    args, _ = places(tmp_path, path)[place]
    before = files_in(tmp_path)
    r = invoke(*args)
    assert_one_line_error(r, 1, what)
    shown = r.stderr.split(": ")[1] if place in ("file source", "model file") else r.stderr.split(": ")[0]
    assert "\0" not in r.stderr and len(r.stderr) < 500, r.stderr  # the name shown escaped, a long one shortened
    assert shown, r.stderr
    assert files_in(tmp_path) == before


@pytest.mark.parametrize("module, limit, args_for", [
    (scenario, "MAX_SCENARIO_BYTES", lambda tmp, p: ("run", p, "-q")),
    (textsource, "MAX_UNIT_FILE_BYTES", lambda tmp, p: ("run", scenario_with_file(tmp, "source", p), "-q")),
    (streamio, "MAX_SYMBOL_FILE_BYTES", lambda tmp, p: (*UNIFORM, "--input", p, "-o", tmp / "o.csim")),
    (container, "MAX_FILE_BYTES", lambda tmp, p: ("decode", p, "-o", tmp / "o.txt")),
])
def test_a_file_over_its_limit_is_refused_before_it_is_read(tmp_path, module, limit, args_for):
    """A sparse file one byte over each reader's limit: refused by its size alone, in a fraction of the
    time and memory reading it would take."""
    size = getattr(module, limit) + 1
    path = tmp_path / "huge"
    with open(path, "wb") as f:
        f.truncate(size)
    args = args_for(tmp_path, path)
    before = files_in(tmp_path)
    outcome = run_cli(*args, cwd=tmp_path)
    assert_refused(outcome, f"huge: {size} bytes is over the limit of {size - 1} bytes", max_seconds=5,
                   max_mb=150)
    assert files_in(tmp_path) == before


def test_standard_input_is_read_up_to_the_symbol_file_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(streamio, "MAX_SYMBOL_FILE_BYTES", 4000)
    out = tmp_path / "o.csim"
    r = invoke(*UNIFORM, "--input", "-", "-o", out, input=b"100\n" * 1001)
    assert_one_line_error(r, 1, "standard input: more than 4000 bytes, over the limit for a symbol file")
    assert invoke(*UNIFORM, "--input", "-", "-o", out, input=b"100\n" * 1000).exit_code == 0


def test_standard_input_of_endless_zeros_is_refused_within_bounds(tmp_path):
    with open("/dev/zero", "rb") as zeros:
        outcome = run_cli(*UNIFORM, "--input", "-", "-o", tmp_path / "o.csim", stdin=zeros, timeout=60)
    # The whole limit is read (1 GiB at memory speed), and no more.
    assert_refused(outcome, "standard input: more than 1073741824 bytes", max_seconds=30,
                   max_mb=streamio.MAX_SYMBOL_FILE_BYTES / 2**20 + 300)
    assert files_in(tmp_path) == set()


# -- .npy headers ----------------------------------------------------------------------------------------
def npy_file(path, header: dict, body: bytes = b"", version=(1, 0)) -> None:
    buf = io.BytesIO()
    (npy.write_array_header_1_0 if version == (1, 0) else npy.write_array_header_2_0)(buf, header)
    path.write_bytes(buf.getvalue() + body)


def header(descr="<i8", shape=(3,), fortran=False) -> dict:
    return {"descr": descr, "fortran_order": fortran, "shape": shape}


@pytest.mark.parametrize("head, body, match", [
    (header(shape=(10**12,)), b"", f"1000000000000 elements are over the limit of {MAX_SYMBOLS} symbols"),
    (header(shape=(10**7,)), b"\0" * 16, "claims 10000000 elements of 8 bytes (80000000 bytes), the file holds 16"),
    (header(shape=(3,)), b"\0" * 32, "claims 3 elements of 8 bytes (24 bytes), the file holds 32"),
    (header(descr="<U40", shape=(2,)), b"\0" * 8, "claims 2 elements of 160 bytes"),
    (header(shape=(-5,)), b"", "its header claims -5 elements"),
    (header(descr="|O", shape=(1,)), b"\0" * 8, "symbols must be numbers or strings, not object"),
    (header(descr=[("a", "<i4"), ("b", "<f8")], shape=(1,)), b"\0" * 12, "not [('a', '<i4'), ('b', '<f8')]"),
    (header(descr="<U0", shape=(4,)), b"", "not <U0"),
    (header(descr="|b1", shape=(2,)), b"\0\1", "not bool"),
    (header(descr="<c16", shape=(1,)), b"\0" * 16, "not complex128"),
    (header(shape=()), b"\0" * 8, "one-dimensional, this one has shape ()"),
    (header(shape=(2, 2), fortran=True), b"\0" * 32, "one-dimensional, this one has shape (2, 2)"),
])
def test_npy_headers_are_checked_before_anything_is_allocated(tmp_path, head, body, match):
    path = tmp_path / "s.npy"
    npy_file(path, head, body)
    r = invoke(*UNIFORM, "--input", path, "-o", tmp_path / "o.csim")
    assert_one_line_error(r, 1, match)
    assert r.stderr.startswith(f"Error: {path}: ")
    assert files_in(tmp_path) == {"s.npy"}


@pytest.mark.parametrize("raw, match", [
    (b"\x93NUMPY\x09\x00garbage", "unsupported .npy version 9.0"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': 5}    ", "not a readable .npy array"),
    (b"\x93NUMPY\x01\x00\xff\xff{", "not a readable .npy array"),
    (b"\x93NUMP", "not a readable .npy array"),
])
def test_damaged_npy_headers(tmp_path, raw, match):
    path = tmp_path / "s.npy"
    path.write_bytes(raw)
    assert_one_line_error(invoke(*UNIFORM, "--input", path, "-o", tmp_path / "o.csim"), 1, match)


def test_a_huge_npy_claim_costs_neither_time_nor_memory(tmp_path):
    npy_file(tmp_path / "s.npy", header(shape=(10**12,)))
    outcome = run_cli(*UNIFORM, "--input", tmp_path / "s.npy", "-o", tmp_path / "o.csim", address_space_mb=2048)
    assert_refused(outcome, f"over the limit of {MAX_SYMBOLS} symbols", max_seconds=5, max_mb=150)


def test_npy_versions_and_a_one_dimensional_fortran_array_are_read(tmp_path):
    values = np.array([100, 180, 105], dtype=">i4")
    for version, fortran in (((1, 0), True), ((2, 0), False)):
        path = tmp_path / "s.npy"
        npy_file(path, header(">i4", (3,), fortran), values.tobytes(), version)
        back, layout = read_symbols(str(path), (100, 105, 180))
        assert back.tolist() == [0, 2, 1] and layout["dtype"] == ">i4"
    # Without a symbol limit the bytes present still bound what is read.
    npy_file(tmp_path / "s.npy", header(shape=(10**12,)))
    with pytest.raises(StreamFileError, match="the file holds 0 after it"):
        read_symbols(str(tmp_path / "s.npy"), (1,))


# -- text symbol files -----------------------------------------------------------------------------------
def test_a_long_line_among_short_ones_costs_memory_of_the_file_not_lines_times_longest(tmp_path):
    """Reading used to build one fixed-width array of every line, as wide as the longest: 10^5 short lines
    and one of 10^6 characters would take 400 GB. A line no label is as long as cannot be one."""
    path = tmp_path / "s.txt"
    path.write_bytes(b"100\n" * 100_000 + b"1" * 1_000_000 + b"\n" + b"105\n" * 10)
    outcome = run_cli(*UNIFORM, "--input", path, "-o", tmp_path / "o.csim")
    assert_refused(outcome, "line 100001: label '1111111111", max_seconds=5, max_mb=200)
    assert "(1000000 characters)" in outcome.stderr and len(outcome.stderr) < 400


@pytest.mark.parametrize("raw, match", [
    (b"100\n105\n1000\n", "line 3: label '1000' is not in the alphabet"),  # a length some label has
    (b"100\n105\n99\n100\n", "line 3: label '99' is not in the alphabet"),  # a length no label has
    (b"100\n\n105\n", "line 2: label '' is not in the alphabet"),
    (b"100\r\n105\n\r\n", "line 2: label '105\\n' is not in the alphabet"),
    (b"100\n10\xff\n", "not UTF-8 text (bad byte at offset 6)"),
    (b"\xe2\x82" * 1000, "not UTF-8 text (bad byte at offset 0)"),
])
def test_the_first_bad_line_is_named(tmp_path, raw, match):
    path = tmp_path / "s.txt"
    path.write_bytes(raw)
    with pytest.raises(StreamFileError, match=rf"^{path}: {__import__('re').escape(match)}"):
        read_symbols(str(path), (100, 105, 110, 145, 160, 162, 174, 180))


def test_a_bad_utf8_byte_is_found_across_the_readers_pieces(tmp_path):
    path = tmp_path / "s.txt"
    start = (1 << 20) - 1  # a three-byte character split across the first two pieces, then a bad byte
    path.write_bytes(b"a" * start + "\u20ac".encode() + b"\xff")
    with pytest.raises(StreamFileError, match=f"bad byte at offset {start + 3}"):
        read_symbols(str(path), ("a",))


def test_too_many_lines_are_refused_before_they_are_matched(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes(b"100\n" * 11)
    with pytest.raises(StreamFileError, match="11 lines are over the limit of 10 symbols"):
        read_symbols(str(path), (100,), max_symbols=10)


# -- ambiguous alphabets ---------------------------------------------------------------------------------
def two_label_scenario(tmp_path, labels: str) -> str:
    path = tmp_path / "two.toml"
    path.write_text(f"alphabet = {labels}\n[source]\nprobs = [0.5, 0.5]\n[models.u]\nuniform = true\n")
    return str(path)


@pytest.mark.parametrize("labels, named", [
    ('[1, "1"]', "labels 1 and '1' are both written '1'"),
    ('["1.0", 1.0]', "labels '1.0' and 1.0 are both written '1.0'"),
    ('[-3, "-3"]', "labels -3 and '-3' are both written '-3'"),
])
def test_labels_with_one_written_form_are_refused_by_every_symbol_file(tmp_path, labels, named):
    """Written as one, two labels would read back as one: exit 0 with a different stream. Sample refuses
    before drawing, for text and .npy alike (an .npy file of strings has the same forms); encode refuses to
    read such a file; decode refuses to write one."""
    sc = two_label_scenario(tmp_path, labels)
    for out in ("s.txt", "s.npy", "-"):
        assert_one_line_error(invoke("sample", sc, "-n", 10, "-o", tmp_path / out if out != "-" else out), 1, named)
    (tmp_path / "s.txt").write_text("1\n")
    r = invoke("encode", sc, "--input", tmp_path / "s.txt", "-o", tmp_path / "s.csim")
    assert_one_line_error(r, 1, f"s.txt: {named}")
    assert invoke("encode", sc, "-n", 10, "-o", tmp_path / "s.csim").exit_code == 0
    for fmt in FORMATS:
        out = tmp_path / f"d.{fmt}"
        assert_one_line_error(invoke("decode", tmp_path / "s.csim", "--format", fmt, "-o", out), 1, f"{out}: {named}")
    assert files_in(tmp_path) == {"two.toml", "s.txt", "s.csim"}


@pytest.mark.parametrize("labels, label", [('["a\\nb", "c"]', "'a\\nb'"), ('["c", "a\\rb"]', "'a\\rb'")])
def test_labels_with_line_breaks_go_to_npy_only(tmp_path, labels, label):
    sc = two_label_scenario(tmp_path, labels)
    assert_one_line_error(invoke("sample", sc, "-n", 10, "-o", tmp_path / "s.txt"), 1,
                          f"label {label} contains a line break, which a text symbol file cannot hold: use .npy")
    assert invoke("sample", sc, "-n", 50, "--seed", 1, "-o", tmp_path / "s.npy").exit_code == 0
    assert invoke("encode", sc, "--input", tmp_path / "s.npy", "-o", tmp_path / "s.csim").exit_code == 0
    assert_one_line_error(invoke("decode", tmp_path / "s.csim", "--format", "text", "-o", tmp_path / "d.txt"), 1,
                          "line break")
    assert invoke("decode", tmp_path / "s.csim", "-o", tmp_path / "d.npy").exit_code == 0
    assert (tmp_path / "d.npy").read_bytes() == (tmp_path / "s.npy").read_bytes()
    (tmp_path / "t.txt").write_text("c\n")
    assert_one_line_error(invoke("encode", sc, "--input", tmp_path / "t.txt", "-o", tmp_path / "t.csim"), 1,
                          "line break")


@pytest.mark.parametrize("stream", [[], [0], [0, 0], [1, 0], [0, 1, 0], [1, 0, 0]])
@pytest.mark.parametrize("layout", [{"format": "text"}, {"format": "text", "newline": "\r\n"},
                                    {"format": "text", "final_newline": False}])
def test_an_empty_label_is_a_line_of_its_own(tmp_path, stream, layout):
    """A final newline ends the last line, so "\\n" is one empty label and only an empty file has none."""
    alphabet = ("", "x")
    if not layout.get("final_newline", True) and stream and stream[-1] == 0:
        return  # a file without a final newline never ends in an empty line when it is read
    raw = render_symbols(np.array(stream, dtype=np.uint8), alphabet, layout)
    path = tmp_path / "s.txt"
    path.write_bytes(raw)
    back, read_layout = read_symbols(str(path), alphabet)
    assert back.tolist() == stream
    assert render_symbols(back, alphabet, read_layout) == raw


def test_a_layout_from_a_file_header_is_only_a_hint(tmp_path):
    """The layout comes back from a .csim header, which anyone can write: an unknown one gives plain text,
    and an .npy dtype that would cut or round a label gives the alphabet's own dtype."""
    alphabet, stream = ("dog", "panda"), np.array([1, 0, 1])
    for layout in ({"format": "zip"}, {"format": "text", "newline": 5, "final_newline": "yes"}, [], None):
        assert render_symbols(stream, alphabet, layout) == b"panda\ndog\npanda\n"
    for dtype in ("<U1", "object", "<i4", "V8", 17, "nonsense"):
        raw = render_symbols(stream, alphabet, {"format": "npy", "dtype": dtype})
        assert np.load(io.BytesIO(raw)).tolist() == ["panda", "dog", "panda"]
    raw = render_symbols(np.array([0, 1]), (0.5, 1.25), {"format": "npy", "dtype": "<f2"})
    assert np.load(io.BytesIO(raw)).dtype == np.float16  # holds both exactly, as the file it came from did
    raw = render_symbols(np.array([0, 1]), (0.1, 1.25), {"format": "npy", "dtype": "<f2"})
    assert np.load(io.BytesIO(raw)).tolist() == [0.1, 1.25]
    with pytest.raises(StreamFileError, match="the labels cannot be written exactly to an .npy file"):
        render_symbols(np.array([0, 1]), (2**70, 1), {"format": "npy"})


@pytest.mark.parametrize("alphabet, named", [
    (("a", "a\0"), "label 'a\\x00' cannot be written exactly"),
    (("", "\0"), "label '\\x00' cannot be written exactly"),
    ((2**53 + 1, 0.5), f"label {2**53 + 1} cannot be written exactly"),
])
def test_a_label_npy_cannot_hold_is_named_with_the_reason(tmp_path, alphabet, named):
    """numpy drops a string's trailing NUL characters, and float64 rounds a large integer beside floats: the
    decode to .npy is refused naming that label and both reasons, and nothing is written."""
    coder = build("huffman", np.array([0.5, 0.5]))
    stream = np.array([0, 1, 1])
    (tmp_path / "in.csim").write_bytes(container.dumps(coder, coder.encode(stream), 3, list(alphabet)))
    result = invoke("decode", tmp_path / "in.csim", "-o", tmp_path / "out.npy")
    assert_one_line_error(result, 1, named)
    assert "a string ending in a NUL character" in result.stderr
    assert files_in(tmp_path) == {"in.csim"}


@pytest.mark.parametrize("brk", ["\n", "\r", "\r\n", "\v", "\f", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_line_break_in_a_file_name_is_escaped_in_the_one_line(tmp_path, brk):
    """A message quotes the file name as given; whatever line break it holds, stderr stays one line."""
    missing = str(tmp_path / f"no{brk}such.toml")
    shown = str(tmp_path / "no") + repr(brk)[1:-1] + "such.toml"
    for args in (("run", missing, "-q"), ("decode", missing, "-o", tmp_path / "out.txt"),
                 ("sample", NASA, "-n", 5, "-o", tmp_path / f"nodir{brk}x" / "out.txt")):
        result = invoke(*args)
        assert_one_line_error(result, 1, shown if args[0] != "sample" else repr(brk)[1:-1] + "x")
    assert files_in(tmp_path) == set()


# -- outputs ---------------------------------------------------------------------------------------------
def special_output(tmp_path, kind: str, name: str) -> str:
    path = tmp_path / name
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        try:
            os.mknod(path, 0o600 | 0o020000, os.makedev(1, 3))  # a character device like /dev/null
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif kind == "directory":
        path.mkdir()
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(str(path))
    elif kind == "symlink":
        (tmp_path / "real.txt").write_text("kept\n")
        path.symlink_to(tmp_path / "real.txt")
    elif kind == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere.txt")
    return str(path)


@pytest.mark.parametrize("kind, what", [
    ("fifo", "is a FIFO; only a regular file is ever replaced"),
    ("device", "is a character device; only a regular file is ever replaced"),
    ("directory", "is a directory; only a regular file is ever replaced"),
    ("socket", "is a socket; only a regular file is ever replaced"),
    ("symlink", "is a symbolic link; outputs are never written through one"),
    ("dangling symlink", "is a symbolic link; outputs are never written through one"),
])
@pytest.mark.parametrize("command", ["sample", "encode", "decode", "report", "plot"])
def test_force_replaces_only_a_regular_file(tmp_path, kind, what, command):
    target = special_output(tmp_path, kind, "out.png" if command == "plot" else "out")
    packed = tmp_path / "in.csim"
    if command == "decode":
        assert invoke(*UNIFORM, "-n", 10, "-o", packed).exit_code == 0
    if command == "plot":
        pytest.importorskip("matplotlib")
    args = {"sample": ("sample", NASA, "-n", 10, "-o", target),
            "encode": (*UNIFORM, "-n", 10, "-o", target),
            "decode": ("decode", packed, "-o", target),
            "report": ("report", NASA, "-n", 10, "-o", target),
            "plot": ("converge", NASA, "-n", 10, "--plot", target)}[command]

    def state():
        return {p: (os.lstat(tmp_path / p).st_mode, os.lstat(tmp_path / p).st_ino) for p in files_in(tmp_path)}

    before = state()
    for force in ((), ("--force",)):
        assert_one_line_error(invoke(*args, *force), 1, what)
        assert state() == before


def test_a_write_over_the_file_size_limit_leaves_nothing(tmp_path):
    """EFBIG from RLIMIT_FSIZE, in a real process: one line naming the output, no partial or temporary file."""
    packed = tmp_path / "s.csim"
    assert invoke(*UNIFORM, "-n", 20_000, "-o", packed).exit_code == 0
    for args, out in ((("sample", NASA, "-n", 20_000), "s.txt"), (("decode", packed), "d.txt"),
                      ((*UNIFORM, "-n", 200_000), "big.csim")):
        outcome = run_cli(*args, "-o", tmp_path / out, file_size_bytes=50_000, timeout=30)
        # 320 MB: decode loads numba (about 115 MB) for its compiled decoder
        assert_refused(outcome, f"{out}: cannot write (File too large)", max_seconds=10, max_mb=320)
        assert files_in(tmp_path) == {"s.csim"}


def test_a_full_disk_leaves_nothing_and_an_existing_file_untouched(tmp_path, monkeypatch):
    """ENOSPC in the middle of writing a chunked output, simulated in the file object the writer gets."""
    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, f):
            self.f, self.left = f, 3000

        def writable(self):
            return True

        def write(self, b):
            if len(b) > self.left:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.left -= len(b)
            return self.f.write(b)

        def close(self):
            self.f.close()
            super().close()

    monkeypatch.setattr(streamio.os, "fdopen", lambda fd, mode="r", *a, **k: io.BufferedWriter(
        Full(real_fdopen(fd, mode, buffering=0)), buffer_size=1024) if "w" in mode else real_fdopen(fd, mode, *a, **k))
    monkeypatch.setattr(streamio, "CHUNK_SYMBOLS", 100)
    existing = tmp_path / "s.txt"
    existing.write_text("kept\n")
    r = invoke("sample", NASA, "-n", 10_000, "-o", existing, "--force")
    assert_one_line_error(r, 1, f"{existing}: cannot write (No space left on device)")
    assert existing.read_text() == "kept\n" and files_in(tmp_path) == {"s.txt"}


def test_an_output_in_a_missing_directory(tmp_path):
    assert_one_line_error(invoke("sample", NASA, "-n", 10, "-o", tmp_path / "no" / "s.txt"), 1,
                          "s.txt: cannot write here (No such file or directory)")


def test_an_encode_whose_figures_are_refused_leaves_no_file(tmp_path, monkeypatch):
    """The model's figures are worked out before the file is written, so a refusal there (a model whose
    rates would need more contexts than a table holds, say) leaves nothing behind."""
    from codesim.errors import CodesimError
    from codesim.files import coding

    def refused(*args, **kwargs):
        raise CodesimError("the model's rates need more contexts than a table holds")

    monkeypatch.setattr(coding, "model_figures", refused)
    result = invoke("encode", NASA, "--model", "uniform", "--scheme", "arithmetic", "-n", 100, "-o", tmp_path / "w.csim")
    assert_one_line_error(result, 1, "the model's rates need more contexts than a table holds")
    assert files_in(tmp_path) == set()


def test_existing_outputs_are_refused_before_any_work(tmp_path, monkeypatch):
    """Nothing is drawn, read or decoded for an output that could not be written."""
    from codesim import cli
    from codesim.files import coding

    def no_work(*args, **kwargs):
        raise AssertionError("work was done before the output was checked")

    monkeypatch.setattr(coding, "_stream", no_work)
    monkeypatch.setattr(coding, "load", no_work)
    monkeypatch.setattr(container, "decode_file", no_work)
    monkeypatch.setattr(cli, "_simulate", no_work)
    out = tmp_path / "exists"
    out.write_text("kept\n")
    for args in (("sample", NASA, "-n", 10), (*UNIFORM, "-n", 10), ("decode", out), ("report", NASA)):
        assert_one_line_error(invoke(*args, "-o", out), 1, "already exists; use --force")
    assert out.read_text() == "kept\n"


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`codesim ... -o - | head -1`: the reader stops, and codesim stops without a traceback."""
    packed = tmp_path / "s.csim"
    assert invoke(*UNIFORM, "-n", 1_000_000, "-o", packed).exit_code == 0
    for args in (("sample", NASA, "-n", 1_000_000), ("decode", packed)):
        child = subprocess.Popen([sys.executable, "-m", "codesim", *map(str, args), "-o", "-"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        assert child.stdout.readline().strip() in {b"100", b"105", b"110", b"145", b"160", b"162", b"174", b"180"}
        child.stdout.close()
        with child.stderr:
            stderr = child.stderr.read().decode()
        assert child.wait(timeout=30) == 1
        assert stderr == "", stderr


@pytest.mark.parametrize("args", [("sample", NASA, "-n", 10, "-o", "-"), ("sample", NASA, "-n", 100_000, "-o", "-"),
                                  ("run", NASA, "-n", 100, "--scheme", "huffman", "-q"), ("schemes",)])
def test_a_full_standard_output_is_one_line(args):
    """Results or symbols sent to a full device: one line, and no second complaint from the flush at exit."""
    with open("/dev/full", "wb") as full:
        child = subprocess.run([sys.executable, "-m", "codesim", *map(str, args)], stdout=full,
                               stderr=subprocess.PIPE, timeout=30)
    assert child.returncode == 1
    assert child.stderr.decode() == "Error: standard output: cannot write (No space left on device)\n"


@pytest.mark.parametrize("args", [("sample", NASA, "-n", 10, "-o", "-"), ("decode", "s.csim", "-o", "-"),
                                  ("run", NASA, "-n", 100, "--scheme", "huffman", "-q"), ("schemes",)])
def test_a_closed_standard_output_is_one_line_before_the_work(tmp_path, args):
    """`codesim ... >&-`: what would be written to standard output is lost, so it is an error (not a
    traceback, nor results dropped with exit 0)."""
    assert invoke(*UNIFORM, "-n", 10, "-o", tmp_path / "s.csim").exit_code == 0
    child = subprocess.run([sys.executable, "-m", "codesim", *map(str, args)], cwd=tmp_path, stderr=subprocess.PIPE,
                           preexec_fn=lambda: os.close(1), timeout=30)
    assert child.returncode == 1
    assert child.stderr.decode() == ("Error: standard output: is closed, so what is written there is lost: give -o "
                                     "FILE, or redirect it\n")


def test_a_closed_standard_input_is_one_line(tmp_path):
    child = subprocess.run([sys.executable, "-m", "codesim", *UNIFORM, "--input", "-", "-o", tmp_path / "o.csim"],
                           stderr=subprocess.PIPE, preexec_fn=lambda: os.close(0), timeout=30)
    assert child.returncode == 1
    assert child.stderr.decode() == ("Error: standard input: is closed: give the symbol file's name, or redirect "
                                     "it\n")
    assert files_in(tmp_path) == set()


# -- --plot ----------------------------------------------------------------------------------------------
PLOT_COMMANDS = {
    # One model: the likelihood-ratio figure draws a row per model, and each row costs time to render.
    "run": ("run", NASA, "-n", 200, "--trials", 1, "--scheme", "huffman", "--model", "uniform", "-q"),
    "compare": ("compare", NASA, "-n", 200, "--trials", 1, "--scheme", "huffman", "--model", "uniform", "-q"),
    "converge": ("converge", NASA, "--model", "uniform", "--lengths", "10,100", "--trials", 2, "--scheme",
                 "huffman", "-q"),
    "sweep": ("sweep", NASA, "--model", "uniform", "--mix", "0:1:2", "-n", 100, "--trials", 1, "--scheme",
              "huffman", "-q"),
    "inspect": ("inspect", "packed.csim"),
}


@pytest.mark.parametrize("command", list(PLOT_COMMANDS))
@pytest.mark.parametrize("taken", ["FILE", "FILE-distributions", "FILE-likelihood-ratio"])
def test_plot_never_overwrites_without_force(tmp_path, monkeypatch, command, taken):
    """Every target of --plot is checked before any work; with --force every one is replaced."""
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    if command == "inspect":
        assert invoke(*UNIFORM, "-n", 100, "-o", "packed.csim").exit_code == 0
    two = command in ("run", "compare")
    if taken != "FILE" and not two:
        return
    targets = ["fig.png", "fig-distributions.png", "fig-likelihood-ratio.png"] if two else ["fig.png"]
    (tmp_path / f"{taken.replace('FILE', 'fig')}.png").write_bytes(b"old")
    before = {p: (tmp_path / p).read_bytes() for p in files_in(tmp_path)}
    r = invoke(*PLOT_COMMANDS[command], "--plot", "fig.png")
    assert_one_line_error(r, 1, f"{taken.replace('FILE', 'fig')}.png: already exists; use --force")
    assert r.stdout == ""  # refused before any work: no results printed
    assert {p: (tmp_path / p).read_bytes() for p in files_in(tmp_path)} == before
    r = invoke(*PLOT_COMMANDS[command], "--plot", "fig.png", "--force")
    assert r.exit_code == 0, r.output
    for name in targets:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert files_in(tmp_path) == set(before) | set(targets)


@pytest.mark.parametrize("fails", ["render", "write"])
def test_two_figures_are_written_all_or_nothing(tmp_path, monkeypatch, fails):
    """run and compare write FILE and FILE-distributions: when the second fails, the first is not left behind."""
    pytest.importorskip("matplotlib")
    from codesim.present import plots

    calls = []
    if fails == "render":
        real = plots.render

        def render(fig, fmt="png"):
            calls.append(fmt)
            if len(calls) == 2:
                raise plots.CodesimError("the second figure failed")
            return real(fig, fmt)

        monkeypatch.setattr(plots, "render", render)
        match = "the second figure failed"
    else:
        real = streamio._write_temporary

        def write(path, data):
            calls.append(path)
            if len(calls) == 2:
                raise StreamFileError(f"{path}: cannot write (No space left on device)")
            return real(path, data)

        monkeypatch.setattr(streamio, "_write_temporary", write)
        match = "fig-distributions.png: cannot write"
    r = invoke(*PLOT_COMMANDS["run"], "--plot", tmp_path / "fig.png")
    assert_one_line_error(r, 1, match)
    assert files_in(tmp_path) == set()


# -- streaming output ------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["text", "npy"])
@pytest.mark.parametrize("label_chars", [1, 3000])
def test_symbols_are_written_in_bounded_chunks(monkeypatch, fmt, label_chars):
    """Each chunk holds at most CHUNK_SYMBOLS symbols and about CHUNK_BYTES (at least one symbol), and the
    chunks joined are the file."""
    monkeypatch.setattr(streamio, "CHUNK_SYMBOLS", 1000)
    monkeypatch.setattr(streamio, "CHUNK_BYTES", 1 << 16)
    alphabet = tuple(c * label_chars for c in "abc")
    stream = np.random.default_rng(1).integers(0, 3, 20_000 // label_chars + 5_000).astype(np.uint8)
    chunks = list(symbol_chunks(stream, alphabet, {"format": fmt}))
    widest = max(len(c) for c in chunks[1:] if fmt == "npy") if fmt == "npy" else max(map(len, chunks))
    per_symbol = (label_chars + 1) if fmt == "text" else 4 * label_chars
    assert widest <= max(1 << 16, per_symbol) and widest <= 1000 * per_symbol
    joined = b"".join(chunks)
    if fmt == "npy":
        assert np.array_equal(np.load(io.BytesIO(joined)), np.array(alphabet)[stream])
    else:
        assert joined.decode().split("\n")[:-1] == [alphabet[i] for i in stream]


def test_decode_memory_does_not_grow_with_the_labels_length(tmp_path):
    """10^6 symbols of 256-character labels (the longest a file may hold): writing them as one array of
    labels took n x 256 x 4 bytes (1 GB); written a chunk at a time, decode peaks within a few MB of the
    same decode with 1-character labels (whose resting size includes numba's, about 115 MB, where the
    compiled decoder runs)."""
    peaks = []
    for width in (1, 256):
        labels = ", ".join(f'"{c * width}"' for c in "abcdefgh")
        sc = tmp_path / f"labels-{width}.toml"
        sc.write_text(f"alphabet = [{labels}]\n[source]\nprobs = [0.3, 0.4, 0.05, 0.06, 0.07, 0.02, 0.05, 0.05]\n"
                      "[models.uniform]\nuniform = true\n")
        packed = tmp_path / f"labels-{width}.csim"
        assert invoke("encode", sc, "-n", 1_000_000, "--seed", 1, "-o", packed).exit_code == 0
        outcome = run_cli("decode", packed, "-o", "-", keep_stdout=False, timeout=20)
        assert outcome.exit_code == 0, outcome.stderr
        peaks.append(outcome.peak_mb)
    assert peaks[1] - peaks[0] < 40, f"decode peaked at {peaks[1]:.0f} MB with long labels, {peaks[0]:.0f} MB with short"


def test_an_empty_scenario_name_is_named_as_such():
    assert_one_line_error(invoke("run", ""), 1, "the scenario's file name is empty")
