"""Symbol streams as files (text: one label per line; npy), input files read safely, and output
files written atomically.

A stream file holds *labels*; the library works on *indices* into the alphabet. Reading maps each
distinct label once (not each line) and names the first label that is not in the alphabet with its
line. What :func:`read_symbols` saw of the file's layout (format, line ending, final newline, npy
dtype) comes back as a small dict, so that writing the decoded stream reproduces the file byte for byte.

Every input goes through :func:`open_input`: it opens without blocking (a FIFO with no writer would
hang an ordinary open), reads only a regular file, and refuses one over the caller's size limit before
reading a byte of it. Standard input is read up to the same kind of limit.

Every output goes to a temporary file in the target's directory and is moved into place only when
complete: an error or an interrupt never leaves a partial file, an existing file is replaced only when
asked (``force``), and only a regular file is ever replaced (never a device, a FIFO, a directory, a
socket, or a symbolic link). Symbols are written a chunk at a time, so writing n symbols needs memory
for the indices and one chunk, whatever the labels' lengths.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Sequence

import numpy as np

from ..sources.iid import Label, index_dtype
from ..errors import CodesimError, StandardOutputError, StreamFileError

FORMATS = ("text", "npy")
#: The file name endings that name a format; any other name (and standard output) names none.
EXTENSIONS = {".txt": "text", ".npy": "npy"}
#: The formats that are not text, which are never written to a terminal.
BINARY = ("npy",)

#: The largest symbol file read (text or .npy, a file or standard input): the 2^24 symbols a .csim file
#: holds as text labels of up to 63 characters, or as any .npy (an int64 one takes 128 MiB); reading holds
#: the file and a few index arrays of its length.
MAX_SYMBOL_FILE_BYTES = 1 << 30
#: How much of a symbol file is built in memory at a time when writing it: at most this many symbols,
#: and at most CHUNK_BYTES of labels (a chunk holds at least one symbol).
CHUNK_SYMBOLS = 1 << 18
CHUNK_BYTES = 1 << 22
#: Characters that end a line in a text symbol file, so never part of a label written to one.
_LINE_BREAKS = ("\n", "\r")
#: A name longer than this is shortened in messages (the start, and how long it is).
_SHOWN_NAME = 200


def format_label(label: Label) -> str:
    """How a label is written in a text stream: repr for floats (exact round trip), str otherwise."""
    return repr(label) if isinstance(label, float) else str(label)


def named_format(path: str) -> str | None:
    """The format a file's name ends in (see EXTENSIONS), else None."""
    return EXTENSIONS.get(Path(str(path)).suffix.lower()) if path != "-" else None


def guess_format(path: str, given: str | None) -> str:
    """The stream format: as given, else the one the file name ends in, else text."""
    return given or named_format(path) or "text"


def shown(path: str | os.PathLike) -> str:
    """A file name as messages show it: NUL bytes escaped, a very long name shortened."""
    name = os.fsdecode(path) if not isinstance(path, str) else path
    if "\0" in name or not name:
        name = repr(name) if not name else repr(name)[1:-1]
    if len(name) > _SHOWN_NAME:
        name = f"{name[:_SHOWN_NAME // 2]}... ({len(name)} characters)"
    return name


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))
    return next((what for test, what in kinds if test(mode)), "not a regular file")


# -- reading ------------------------------------------------------------------------------------------
@contextmanager
def open_input(path: str | os.PathLike, kind: str, error: type[CodesimError], limit: int
               ) -> Iterator[tuple[BinaryIO, int]]:
    """The open regular file at ``path`` and its size, or ``error`` saying in one line why not.

    ``kind`` says what the file should be ("a scenario file"); ``limit`` is the largest size accepted,
    checked before anything is read. The open does not block (O_NONBLOCK), so a FIFO with no writer is
    refused like a device or a directory instead of hanging; an error while reading is reported the same way.
    """
    where = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except ValueError:  # os.open's answer to a NUL byte in the name
        raise error(f"{where}: a file name cannot contain a NUL byte") from None
    except FileNotFoundError:
        raise error(f"{where}: no such file") from None
    except OSError as exc:
        raise error(f"{where}: cannot open {kind} ({exc.strerror or exc})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise error(f"{where}: is {_file_kind(info.st_mode)}, not a regular file ({kind} must be one)")
    if info.st_size > limit:
        os.close(fd)
        raise error(f"{where}: {info.st_size} bytes is over the limit of {limit} bytes for {kind}")
    with os.fdopen(fd, "rb") as f:
        try:
            yield f, info.st_size
        except OSError as exc:
            raise error(f"{where}: cannot read ({exc.strerror or exc})") from None


def read_input(path: str | os.PathLike, kind: str, error: type[CodesimError], limit: int) -> bytes:
    """A regular file's bytes (see :func:`open_input`); a file that grew past ``limit`` is refused too."""
    with open_input(path, kind, error, limit) as (f, size):
        data = f.read(size + 1)  # at once: the size is known, and within the limit
        if len(data) <= size:
            return data
        return read_at_most(f, limit, shown(path), kind, error, head=data)  # it grew meanwhile


def read_at_most(f: BinaryIO, limit: int, where: str, kind: str, error: type[CodesimError],
                 head: bytes = b"") -> bytes:
    """``head`` and everything ``f`` still holds, or ``error`` if that is more than ``limit`` bytes.

    Read in pieces, so a stream of unknown length (standard input) costs only what it holds."""
    chunks, have = [head], len(head)
    while have <= limit:
        chunk = f.read(min(1 << 20, limit + 1 - have))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        have += len(chunk)
    raise error(f"{where}: more than {limit} bytes, over the limit for {kind}")


def read_symbols(path: str, alphabet: Sequence[Label], fmt: str | None = None,
                 max_symbols: int | None = None) -> tuple[np.ndarray, dict]:
    """The stream in ``path`` (``-``: standard input) as alphabet indices, and its layout (for writing it
    back identically). A file over MAX_SYMBOL_FILE_BYTES, or holding more than ``max_symbols``, is refused
    before its symbols are looked at."""
    fmt = guess_format(path, fmt)
    kind = "a symbol file"
    if path == "-":
        if sys.stdin is None:  # closed (<&-), where an empty one (</dev/null) is a stream of no symbols
            raise StreamFileError("standard input: is closed: give the symbol file's name, or redirect it")
        raw = read_at_most(sys.stdin.buffer, MAX_SYMBOL_FILE_BYTES, "standard input", kind, StreamFileError)
    else:
        raw = read_input(path, kind, StreamFileError, MAX_SYMBOL_FILE_BYTES)
    where = "standard input" if path == "-" else shown(path)
    if fmt == "npy":
        return _read_npy(where, raw, alphabet, max_symbols)
    return _read_text(where, raw, alphabet, max_symbols)


def _too_many(where: str, count: int, max_symbols: int | None, unit: str) -> None:
    if max_symbols is not None and count > max_symbols:
        raise StreamFileError(f"{where}: {count} {unit}s are over the limit of {max_symbols} symbols")


def _read_text(where: str, raw: bytes, alphabet: Sequence[Label], max_symbols: int | None
               ) -> tuple[np.ndarray, dict]:
    check_labels(where, alphabet, "text")
    _check_utf8(where, raw)
    newline = b"\r\n" if b"\r\n" in raw else b"\n"
    final = raw.endswith(newline)
    end = len(raw) - len(newline) if final else len(raw)
    # A final newline ends the last line, so "\n" is one empty line and only an empty file has none.
    count = raw.count(newline, 0, end) + 1 if final or end else 0
    _too_many(where, count, max_symbols, "line")
    layout = {"format": "text", "newline": newline.decode(), "final_newline": final or not count}
    buf = np.frombuffer(raw, dtype=np.uint8, count=end)
    if newline == b"\n":
        breaks = np.flatnonzero(buf == 10)
    else:
        breaks = np.flatnonzero((buf[:-1] == 13) & (buf[1:] == 10))
    starts = np.concatenate(([0], breaks + len(newline))) if count else np.zeros(0, dtype=np.int64)
    stops = np.concatenate((breaks, [end])) if count else np.zeros(0, dtype=np.int64)
    return _match_lines(where, buf, starts, stops - starts, alphabet), layout


def _check_utf8(where: str, raw: bytes) -> None:
    """Refuse bytes that are not UTF-8, without holding the decoded text (a piece at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 20
    for offset in range(0, len(raw), step):
        try:
            decoder.decode(raw[offset:offset + step], final=offset + step >= len(raw))
        except UnicodeDecodeError as exc:
            # The decoder keeps up to 3 bytes of an unfinished character from the previous piece.
            bad = offset + exc.start - len(exc.object) + len(raw[offset:offset + step])
            raise StreamFileError(f"{where}: not UTF-8 text (bad byte at offset {bad})") from None


def _match_lines(where: str, buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                 alphabet: Sequence[Label]) -> np.ndarray:
    """Each line's index in the alphabet, comparing bytes.

    Lines are grouped by length, and a group is compared with the labels of that length as fixed-width
    byte strings a chunk at a time: memory stays a small multiple of the file's size, however long the
    longest line, and a line of a length no label has is not in the alphabet without being looked at.
    """
    forms = [format_label(lab).encode("utf-8") for lab in alphabet]
    sizes = sorted({len(f) for f in forms})
    group_of = np.full(sizes[-1] + 2, -1, dtype=np.int64)
    group_of[sizes] = np.arange(len(sizes))
    groups = group_of[np.minimum(lengths, sizes[-1] + 1)]
    out = np.empty(lengths.size, dtype=index_dtype(len(alphabet)))
    first_bad = int(np.argmax(groups < 0)) if (groups < 0).any() else lengths.size
    # Group g's lines in file order: a stable sort on g + 1 (0: no label is that long), linear for keys
    # under 2^16.
    key = (groups + 1).astype(np.uint16 if len(sizes) < (1 << 16) - 1 else np.int64)
    order = np.argsort(key, kind="stable")
    offsets = np.concatenate(([0], np.cumsum(np.bincount(key, minlength=len(sizes) + 1))))
    for g, size in enumerate(sizes):
        rows = order[offsets[g + 1]:offsets[g + 2]]
        if not rows.size:
            continue
        members = [i for i, f in enumerate(forms) if len(f) == size]
        if size == 0:
            out[rows] = members[0]
            continue
        table = np.array([forms[i] for i in members], dtype=f"S{size}")
        sort = np.argsort(table)
        table, members = table[sort], np.asarray(members)[sort]
        step = max(1, CHUNK_BYTES // size)
        for lo in range(0, rows.size, step):
            part = rows[lo:lo + step]
            cells = buf[starts[part, None] + np.arange(size)]
            values = np.ascontiguousarray(cells).view(f"S{size}").ravel()
            at = np.minimum(np.searchsorted(table, values), table.size - 1)
            found = table[at] == values
            if not found.all():
                first_bad = min(first_bad, int(part[np.argmin(found)]))
            out[part] = members[at]
    if first_bad < lengths.size:
        line = bytes(buf[starts[first_bad]:starts[first_bad] + lengths[first_bad]]).decode("utf-8", "replace")
        label = line if len(line) <= _SHOWN_NAME else f"{line[:_SHOWN_NAME // 2]}... ({len(line)} characters)"
        raise StreamFileError(f"{where}: line {first_bad + 1}: label {label!r} is not in the alphabet")
    return out


def _read_npy(where: str, raw: bytes, alphabet: Sequence[Label], max_symbols: int | None
              ) -> tuple[np.ndarray, dict]:
    dtype, count = _npy_header(where, raw, max_symbols)
    if dtype.kind == "U":
        check_labels(where, alphabet, "npy")
    values = np.frombuffer(raw, dtype=dtype, count=count, offset=len(raw) - count * dtype.itemsize)
    layout = {"format": "npy", "dtype": dtype.str}
    if dtype.kind == "U":
        return _indices(where, values, alphabet, "element"), layout
    return _indices(where, values, alphabet, "element", numeric=True), layout


def _npy_header(where: str, raw: bytes, max_symbols: int | None) -> tuple[np.dtype, int]:
    """The dtype and element count an .npy file's header claims, checked against the limit and the bytes
    present before anything is allocated for them."""
    from numpy.lib import format as npy

    f = io.BytesIO(raw)
    try:
        version = npy.read_magic(f)
        if version not in ((1, 0), (2, 0), (3, 0)):
            raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
        # Versions 2 and 3 differ only in the header's text encoding, which is ASCII for any header numpy
        # could take for a symbol array.
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, dtype = read_header(f)  # a one-dimensional array is the same in either order
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise StreamFileError(f"{where}: not a readable .npy array ({_first_line(exc)})") from None
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None:
        shown_dtype = dtype.descr if dtype.names else dtype
        raise StreamFileError(f"{where}: symbols must be numbers or strings, not {shown_dtype}")
    if dtype.kind not in "iufU" or dtype.itemsize == 0:
        raise StreamFileError(f"{where}: symbols must be numbers or strings, not {dtype}")
    if len(shape) != 1:
        raise StreamFileError(f"{where}: a symbol array must be one-dimensional, this one has shape {shape}")
    count = shape[0]
    if count < 0:
        raise StreamFileError(f"{where}: not a readable .npy array (its header claims {count} elements)")
    _too_many(where, count, max_symbols, "element")
    present = len(raw) - f.tell()
    if count * dtype.itemsize != present:
        raise StreamFileError(f"{where}: the header claims {count} elements of {dtype.itemsize} bytes "
                              f"({count * dtype.itemsize} bytes), the file holds {present} after it")
    return dtype, count


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _indices(where: str, values: np.ndarray, alphabet: Sequence[Label], unit: str, numeric: bool = False
             ) -> np.ndarray:
    """Map labels to indices: np.unique once, then one dict lookup per distinct label."""
    keys = {(lab if numeric else format_label(lab)): i for i, lab in enumerate(alphabet)
            if not numeric or not isinstance(lab, str)}
    distinct, inverse = np.unique(values, return_inverse=True)
    table = np.empty(distinct.size, dtype=np.int64)
    for j, value in enumerate(distinct.tolist()):
        index = keys.get(value)
        if index is None:
            at = int(np.flatnonzero(inverse == j)[0]) + 1
            text = value if isinstance(value, str) else format_label(value)
            raise StreamFileError(f"{where}: {unit} {at}: label {text!r} is not in the alphabet")
        table[j] = index
    return table[inverse.reshape(-1)].astype(index_dtype(len(alphabet)))


def check_labels(where: str, alphabet: Sequence[Label], fmt: str) -> None:
    """Refuse an alphabet whose labels a symbol file of format ``fmt`` cannot tell apart.

    Two labels with the same written form (``1`` and ``"1"``, ``1.0`` and ``"1.0"``) would read back as
    one, in a text file and in an .npy file of strings alike; in a text file a label with a line break
    would read back as two lines. An .npy file of numbers tells any numeric alphabet apart.
    """
    if fmt == "npy" and not any(isinstance(lab, str) for lab in alphabet):
        return
    seen: dict[str, Label] = {}
    for label in alphabet:
        form = format_label(label)
        if fmt == "text" and any(c in form for c in _LINE_BREAKS):
            raise StreamFileError(f"{where}: label {label!r} contains a line break, which a text symbol file "
                                  "cannot hold: use .npy (--format npy)")
        if form in seen:
            kind = "a text symbol file" if fmt == "text" else "an .npy file of strings"
            raise StreamFileError(f"{where}: labels {seen[form]!r} and {label!r} are both written {form!r}, so "
                                  f"{kind} cannot tell them apart (nor can any symbol file): rename one of them")
        seen[form] = label


# -- writing ------------------------------------------------------------------------------------------
def symbol_chunks(indices: np.ndarray, alphabet: Sequence[Label], layout: dict[str, Any] | None = None
                  ) -> Iterator[bytes]:
    """The bytes of a stream file for these indices (text by default, or as ``layout`` says), a chunk at
    a time: at most CHUNK_SYMBOLS symbols and about CHUNK_BYTES (at least one symbol) each.

    ``layout`` is what :func:`read_symbols` reported; a part of it that is not what that gives (it comes
    back from a .csim file's header) is ignored, and so is an .npy dtype that cannot hold every label the
    stream uses exactly."""
    layout = _clean_layout(layout)
    n = int(indices.size)
    if layout["format"] == "npy":
        from numpy.lib import format as npy

        values = _npy_values(indices, alphabet, layout.get("dtype"))
        head = io.BytesIO()
        npy.write_array_header_1_0(head, {"descr": npy.dtype_to_descr(values.dtype), "fortran_order": False,
                                          "shape": (n,)})
        yield head.getvalue()
        step = max(1, min(CHUNK_SYMBOLS, CHUNK_BYTES // max(1, values.dtype.itemsize)))
        for lo in range(0, n, step):
            yield values[indices[lo:lo + step]].tobytes()
        return
    newline = layout["newline"].encode()
    lines = np.empty(len(alphabet), dtype=object)
    lines[:] = [format_label(lab).encode("utf-8") + newline for lab in alphabet]
    step = max(1, min(CHUNK_SYMBOLS, CHUNK_BYTES // max(map(len, lines))))
    for lo in range(0, n, step):
        piece = b"".join(lines[indices[lo:lo + step]].tolist())
        yield piece if layout["final_newline"] or lo + step < n else piece[: -len(newline)]


def _clean_layout(layout: dict[str, Any] | None) -> dict[str, Any]:
    layout = layout if isinstance(layout, dict) and layout.get("format") in FORMATS else {"format": "text"}
    if layout["format"] == "npy":
        dtype = layout.get("dtype")
        return {"format": "npy", "dtype": dtype if isinstance(dtype, str) else None}
    newline, final = layout.get("newline", "\n"), layout.get("final_newline", True)
    return {"format": "text", "newline": newline if newline in ("\n", "\r\n") else "\n",
            "final_newline": final if isinstance(final, bool) else True}


def _npy_values(indices: np.ndarray | None, alphabet: Sequence[Label], dtype: str | None) -> np.ndarray:
    """The labels as an array of the .npy file's dtype: ``dtype`` (the file read had it) when it holds
    every label the stream uses (``indices``; None: every label) exactly, else the alphabet's own."""
    if indices is None:
        used = range(len(alphabet))
    else:
        used = np.flatnonzero(np.bincount(indices, minlength=len(alphabet))).tolist()
    labels = list(alphabet)
    natural = np.array(labels)
    lost = None
    for candidate in ((dtype,) if dtype else ()) + (natural.dtype.str,):
        try:
            values = natural.astype(np.dtype(candidate))
        except (TypeError, ValueError, OverflowError):
            continue
        if values.dtype.kind not in "iufU" or values.dtype.itemsize == 0:
            continue
        back = values.tolist()
        if values.dtype.kind == "U":
            lost = next((i for i in used if back[i] != format_label(labels[i])), None)
        else:
            lost = next((i for i in used if isinstance(labels[i], str) or back[i] != labels[i]), None)
        if lost is None:
            return values
    shown = f"label {labels[lost]!r} " if lost is not None else "the labels "
    raise StreamFileError(f"{shown}cannot be written exactly to an .npy file (an integer beyond 64 bits, integers "
                          "and floats that float64 does not tell apart, or a string ending in a NUL character, "
                          "which numpy drops): use text")


def render_symbols(indices: np.ndarray, alphabet: Sequence[Label], layout: dict[str, Any] | None = None) -> bytes:
    """The whole stream file in memory (see :func:`symbol_chunks`; :func:`write_symbols` writes it)."""
    return b"".join(symbol_chunks(indices, alphabet, layout))


def check_writable(path: str, alphabet: Sequence[Label], layout: dict[str, Any] | None = None,
                   indices: np.ndarray | None = None) -> None:
    """Refuse an alphabet whose labels a symbol file written as ``layout`` says could not tell apart or
    hold exactly (of the labels in ``indices``; None: of them all), so that it is refused before any work."""
    layout = _clean_layout(layout)
    where = "standard output" if path == "-" else shown(path)
    check_terminal(path, layout["format"])
    if layout["format"] == "text":
        check_labels(where, alphabet, "text")
        return
    try:
        values = _npy_values(indices, alphabet, layout.get("dtype"))
    except StreamFileError as exc:
        raise StreamFileError(f"{where}: {exc}") from None
    if values.dtype.kind == "U":
        check_labels(where, alphabet, "npy")


def check_terminal(path: str, fmt: str) -> None:
    """Refuse to write a binary format (an .npy stream) to standard output when it is a terminal."""
    if path == "-" and fmt in BINARY and _terminal():
        raise StreamFileError(f"standard output is a terminal, and {fmt} is a binary format: write it to a file "
                              "(-o FILE) or as text (--format text)")


def _terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed: not a terminal
        return False


def write_symbols(path: str, indices: np.ndarray, alphabet: Sequence[Label], layout: dict[str, Any] | None = None,
                  force: bool = False) -> None:
    """Write the stream to ``path`` (``-``: standard output) as :func:`write_output` does, a chunk at a time."""
    check_writable(path, alphabet, layout, indices)
    write_output(path, symbol_chunks(indices, alphabet, layout), force)


def check_target(path: str, force: bool = False) -> None:
    """Refuse an output path that must not be written: an existing file without ``force``, and anything
    but a regular file even with it (a device, a FIFO, a directory, a socket, a symbolic link); ``-``, standard
    output, where it is closed (``>&-``: what is written there is lost)."""
    if path == "-":
        if sys.stdout is None:
            raise StreamFileError("standard output: is closed, so what is written there is lost: give -o FILE, or "
                                  "redirect it")
        return
    where = shown(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except ValueError:
        raise StreamFileError(f"{where}: a file name cannot contain a NUL byte") from None
    except OSError as exc:
        raise StreamFileError(f"{where}: cannot write ({exc.strerror or exc})") from None
    if stat.S_ISLNK(info.st_mode):
        raise StreamFileError(f"{where}: is a symbolic link; outputs are never written through one: give the "
                              "path of the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise StreamFileError(f"{where}: is {_file_kind(info.st_mode)}; only a regular file is ever replaced: "
                              "give another name")
    if not force:
        raise StreamFileError(f"{where}: already exists; use --force to overwrite it")


def write_output(path: str, data: bytes | Iterable[bytes], force: bool = False) -> None:
    """Write ``data`` (bytes, or pieces of them) to ``path`` atomically (``-``: standard output); refuse to
    overwrite unless forced, and refuse to replace anything but a regular file (:func:`check_target`)."""
    write_outputs([(path, data)], force)


def write_outputs(outputs: Sequence[tuple[str, bytes | Iterable[bytes]]], force: bool = False) -> None:
    """Write several outputs all or nothing: every target is checked, then every one written to its
    temporary file, and only then are they moved into place."""
    for path, _ in outputs:
        check_target(path, force)
    written: list[tuple[str, str]] = []
    try:
        for path, data in outputs:
            if path == "-":
                _to_stdout(data)
            else:
                written.append((path, _write_temporary(path, data)))
        for path, _ in written:
            check_target(path, force)  # again: something may have appeared there meanwhile
        for path, tmp in written:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise StreamFileError(f"{shown(path)}: cannot write ({exc.strerror or exc})") from None
    finally:
        for _, tmp in written:
            Path(tmp).unlink(missing_ok=True)  # a no-op once moved into place


def _pieces(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    return (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data


def _to_stdout(data: bytes | Iterable[bytes]) -> None:
    out = sys.stdout.buffer
    try:
        for piece in _pieces(data):
            out.write(piece)
        out.flush()
    except BrokenPipeError:
        raise  # the reader stopped reading: the command line ends quietly (see cli.OneLineErrors)
    except OSError as exc:
        raise StandardOutputError(f"standard output: cannot write ({exc.strerror or exc})") from None


def _write_temporary(path: str, data: bytes | Iterable[bytes]) -> str:
    """``data`` in a new temporary file beside ``path``; its name. Nothing is left if writing fails."""
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise StreamFileError(f"{shown(path)}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            for piece in _pieces(data):
                f.write(piece)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; an output is an ordinary file
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StreamFileError(f"{shown(path)}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
