"""Symbol streams as files (text: one label per line; npy), and output files written atomically.

A stream file holds *labels*; the library works on *indices* into the alphabet. Reading maps each
distinct label once (not each line) and names the first label that is not in the alphabet with its
line. What :func:`read_symbols` saw of the file's layout (format, line ending, final newline, npy
dtype) comes back as a small dict, so that writing the decoded stream reproduces the file byte for byte.

Every output goes to a temporary file in the target's directory and is moved into place only when
complete: an error or an interrupt never leaves a partial file, and an existing file is replaced only
when asked (``force``).
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .distributions import Label, index_dtype
from .errors import CodesimError

FORMATS = ("text", "npy")


class StreamFileError(CodesimError):
    """A symbol file that cannot be read, or an output that cannot be written."""


def format_label(label: Label) -> str:
    """How a label is written in a text stream: repr for floats (exact round trip), str otherwise."""
    return repr(label) if isinstance(label, float) else str(label)


def guess_format(path: str, given: str | None) -> str:
    """The stream format: as given, else from the file name (.npy), else text."""
    if given:
        return given
    return "npy" if str(path).endswith(".npy") else "text"


# -- reading ------------------------------------------------------------------------------------------
def read_input(path: str | Path, kind: str, error: type[CodesimError]) -> bytes:
    """A file's bytes, or ``error`` saying in one line why it cannot be read (``kind``: what it should be)."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not {kind}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None


def read_symbols(path: str, alphabet: Sequence[Label], fmt: str | None = None) -> tuple[np.ndarray, dict]:
    """The stream in ``path`` as alphabet indices, and its layout (for writing it back identically)."""
    fmt = guess_format(path, fmt)
    raw = sys.stdin.buffer.read() if path == "-" else read_input(path, "a symbol file", StreamFileError)
    if fmt == "npy":
        return _read_npy(path, raw, alphabet)
    return _read_text(path, raw, alphabet)


def _read_text(path: str, raw: bytes, alphabet: Sequence[Label]) -> tuple[np.ndarray, dict]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StreamFileError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from None
    newline = "\r\n" if "\r\n" in text else "\n"
    final = text.endswith(newline)
    body = text[: -len(newline)] if final else text
    lines = body.split(newline) if body else []
    layout = {"format": "text", "newline": newline, "final_newline": final or not lines}
    return _indices(path, np.array(lines, dtype=str), alphabet, "line"), layout


def _read_npy(path: str, raw: bytes, alphabet: Sequence[Label]) -> tuple[np.ndarray, dict]:
    try:
        values = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise StreamFileError(f"{path}: not a readable .npy array ({exc})") from None
    if values.ndim != 1:
        raise StreamFileError(f"{path}: a symbol array must be one-dimensional, this one has shape {values.shape}")
    if values.dtype.kind not in "iufU":
        raise StreamFileError(f"{path}: symbols must be numbers or strings, not {values.dtype}")
    layout = {"format": "npy", "dtype": values.dtype.str}
    if values.dtype.kind == "U":
        return _indices(path, values, alphabet, "element"), layout
    return _indices(path, values, alphabet, "element", numeric=True), layout


def _indices(path: str, values: np.ndarray, alphabet: Sequence[Label], unit: str, numeric: bool = False) -> np.ndarray:
    """Map labels to indices: np.unique once, then one dict lookup per distinct label."""
    keys = {(lab if numeric else format_label(lab)): i for i, lab in enumerate(alphabet)
            if not numeric or not isinstance(lab, str)}
    distinct, inverse = np.unique(values, return_inverse=True)
    table = np.empty(distinct.size, dtype=np.int64)
    for j, value in enumerate(distinct.tolist()):
        index = keys.get(value)
        if index is None:
            where = int(np.flatnonzero(inverse == j)[0]) + 1
            shown = value if isinstance(value, str) else format_label(value)
            raise StreamFileError(f"{path}: {unit} {where}: label {shown!r} is not in the alphabet")
        table[j] = index
    return table[inverse.reshape(-1)].astype(index_dtype(len(alphabet)))


# -- writing ------------------------------------------------------------------------------------------
def render_symbols(indices: np.ndarray, alphabet: Sequence[Label], layout: dict[str, Any] | None = None) -> bytes:
    """The bytes of a stream file for these indices (text by default, or as ``layout`` says)."""
    layout = layout or {"format": "text"}
    labels = np.array([format_label(lab) for lab in alphabet] if layout["format"] == "text" else list(alphabet))
    if layout["format"] == "npy":
        dtype = np.dtype(layout.get("dtype") or _natural_dtype(alphabet))
        buf = io.BytesIO()
        np.save(buf, np.asarray(labels[indices] if indices.size else np.empty(0), dtype=dtype), allow_pickle=False)
        return buf.getvalue()
    newline = layout.get("newline", "\n")
    body = newline.join(labels[indices].tolist()) if indices.size else ""
    final = layout.get("final_newline", True) and indices.size > 0
    return (body + (newline if final else "")).encode("utf-8")


def _natural_dtype(alphabet: Sequence[Label]) -> np.dtype:
    if any(isinstance(lab, str) for lab in alphabet):
        return np.array([str(lab) for lab in alphabet]).dtype
    if any(isinstance(lab, float) for lab in alphabet):
        return np.dtype(np.float64)
    return np.dtype(np.int64)


def write_output(path: str, data: bytes, force: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (``-``: standard output); refuse to overwrite unless forced."""
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise StreamFileError(f"{path}: is a directory; give a file name")
    if target.exists() and not force:
        raise StreamFileError(f"{path}: already exists; use --force to overwrite it")
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=directory)
    except OSError as exc:
        raise StreamFileError(f"{path}: cannot write here ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; an output is an ordinary file
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
