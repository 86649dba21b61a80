"""Symbol files: labels map to indices and back byte for byte; outputs are atomic and never clobbered."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from codesim.errors import StreamFileError
from codesim.files.streamio import _umask, read_symbols, render_symbols, write_output

ALPHABETS = [
    (100, 105, 110, 145, 160, 162, 174, 180),
    ("dog", "panda"),
    (0.5, 1.25, 2.0),
    (-3, "x", 2.5),
]


@pytest.mark.parametrize("alphabet", ALPHABETS, ids=str)
@pytest.mark.parametrize("fmt", ["text", "npy"])
@given(data=st.data())
@settings(max_examples=25, deadline=None)
def test_written_streams_read_back_to_the_same_indices_and_bytes(tmp_path_factory, alphabet, fmt, data):
    n = data.draw(st.integers(0, 50))
    indices = np.array(data.draw(st.lists(st.integers(0, len(alphabet) - 1), min_size=n, max_size=n)), dtype=np.uint8)
    path = tmp_path_factory.mktemp("s") / f"s.{'npy' if fmt == 'npy' else 'txt'}"
    raw = render_symbols(indices, alphabet, {"format": fmt})
    path.write_bytes(raw)
    back, layout = read_symbols(str(path), alphabet)
    assert back.tolist() == indices.tolist()
    assert render_symbols(back, alphabet, layout) == raw


def test_text_layout_crlf_and_missing_final_newline_are_reproduced(tmp_path):
    for raw in (b"dog\r\npanda\r\n", b"dog\npanda", b"panda"):
        path = tmp_path / "s.txt"
        path.write_bytes(raw)
        back, layout = read_symbols(str(path), ("dog", "panda"))
        assert render_symbols(back, ("dog", "panda"), layout) == raw


def test_foreign_npy_dtype_is_kept(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.array([100, 180, 105], dtype=np.int32))
    back, layout = read_symbols(str(path), (100, 105, 180))
    assert back.tolist() == [0, 2, 1] and layout["dtype"] == "<i4"
    assert render_symbols(back, (100, 105, 180), layout) == path.read_bytes()


def test_unknown_label_is_named_with_its_line(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("dog\npanda\ncat\ndog\n")
    with pytest.raises(StreamFileError, match=r"s.txt: line 3: label 'cat' is not in the alphabet"):
        read_symbols(str(path), ("dog", "panda"))


@pytest.mark.parametrize(
    "raw, match",
    [(b"\xff\n", "not UTF-8"), (b"\x93NUMPY garbage", "not a readable .npy")],
)
def test_unreadable_symbol_files(tmp_path, raw, match):
    path = tmp_path / ("s.npy" if raw.startswith(b"\x93") else "s.txt")
    path.write_bytes(raw)
    with pytest.raises(StreamFileError, match=match):
        read_symbols(str(path), ("a",))
    with pytest.raises(StreamFileError, match="no such file"):
        read_symbols(str(tmp_path / "none.txt"), ("a",))


def test_two_dimensional_npy_is_refused(tmp_path):
    path = tmp_path / "s.npy"
    np.save(path, np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(StreamFileError, match="one-dimensional"):
        read_symbols(str(path), (0,))


def test_output_is_not_overwritten_without_force_and_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.txt"
    write_output(str(target), b"first")
    with pytest.raises(StreamFileError, match="already exists; use --force"):
        write_output(str(target), b"second")
    write_output(str(target), b"second", force=True)
    assert target.read_bytes() == b"second"
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()  # an ordinary file, not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    import os

    def boom(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        write_output(str(tmp_path / "out.txt"), b"data")
    assert list(tmp_path.iterdir()) == []


label_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=6)


@given(alphabet=st.lists(st.one_of(label_text, st.integers(-1000, 1000)), min_size=1, max_size=8,
                         unique_by=lambda lab: str(lab)),
       lines=st.lists(st.one_of(label_text, st.sampled_from(["0", "", "\x00", "a\x00"])), max_size=30),
       crlf=st.booleans(), final=st.booleans())
@settings(max_examples=300, deadline=None)
def test_text_lines_match_labels_as_a_line_by_line_lookup_would(tmp_path_factory, alphabet, lines, crlf, final):
    """Lines grouped by length and compared as fixed-width bytes give what a dict of each label's text
    gives line by line: the same indices, or the same first line that is not a label."""
    newline = "\r\n" if crlf else "\n"
    text = newline.join(lines) + (newline if final and lines else "")
    path = tmp_path_factory.mktemp("s") / "s.txt"
    path.write_bytes(text.encode("utf-8"))
    if crlf and "\r\n" not in text:
        newline = "\n"  # a file's line ending is what it holds
    body = text[: -len(newline)] if text.endswith(newline) else text
    expected_lines = body.split(newline) if body or text.endswith(newline) else []
    position = {str(lab): i for i, lab in enumerate(alphabet)}
    bad = next((i for i, line in enumerate(expected_lines) if line not in position), None)
    if bad is None:
        back, _ = read_symbols(str(path), alphabet)
        assert back.tolist() == [position[line] for line in expected_lines]
    else:
        with pytest.raises(StreamFileError, match=f": line {bad + 1}: label "):
            read_symbols(str(path), alphabet)
