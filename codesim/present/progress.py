"""A progress line on stderr for long runs: shown only on a terminal, and only after two seconds.

Short runs print nothing extra; output piped to a file or another program is never interleaved with
progress (it goes to stderr, and only when stderr is a terminal). The line names what is running and
always fits the terminal's width: a line that wrapped could not be redrawn in place (a carriage return
goes back to the start of its last row only), and would leave its first rows behind.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Callable, Sequence, TextIO

from .report import printable

#: A run shorter than this shows no progress at all.
DELAY_SECONDS = 2.0
#: At most this many redraws a second.
REFRESH_SECONDS = 0.2
#: The bar's width in characters, and the least it is shrunk to on a narrow terminal before it is left out.
BAR = 30
MIN_BAR = 10
#: Back to the start of the line, and erase from the cursor to its end.
CLEAR = "\r\x1b[K"


def terminal_width(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to (stderr's own size, as stdout may be redirected);
    where it has none (or says 0, as a terminal whose size was never set does), what the environment
    says (COLUMNS) or 80."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns if columns > 0 else shutil.get_terminal_size().columns


def running(command: str, schemes: Sequence[str], models: Sequence[str] = ()) -> str:
    """What a command runs, for the progress line: ``run: huffman, rans / models uniform, swapped``. A name
    that holds a character a terminal acts on (a file's name as a model's: a line break, an escape
    sequence) is shown escaped, so the line stays one line."""
    what = f"{command}: {', '.join(map(printable, schemes))}"
    if models:
        what += f" / model{'s' if len(models) > 1 else ''} {', '.join(map(printable, models))}"
    return what


class Progress:
    """Counts work done out of ``total`` (in ``unit``) and redraws one line naming ``what`` runs; use as
    a context manager. ``width`` gives the terminal's width (default: measured at each redraw, so a
    resized terminal is followed).

    >>> import io
    >>> with Progress(100, stream=io.StringIO()) as advance:
    ...     advance(40)
    """

    def __init__(self, total: int, unit: str = "symbols", stream: TextIO | None = None,
                 enabled: bool | None = None, clock: Callable[[], float] = time.monotonic, what: str = "",
                 width: Callable[[], int] | None = None):
        self.total = max(1, int(total))
        self.unit = unit
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.width = width if width is not None else lambda: terminal_width(self.stream)
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None

    def __enter__(self) -> Callable[[int], None]:
        return self.advance

    def __exit__(self, *exc) -> None:
        if self.drawn_at is not None:  # leave the terminal line clean for what follows
            self.stream.write(CLEAR)
            self.stream.flush()

    def advance(self, amount: int) -> None:
        self.done += amount
        if not self.enabled:
            return
        now = self.clock()
        elapsed = now - self.started
        if elapsed < DELAY_SECONDS or (self.drawn_at is not None and now - self.drawn_at < REFRESH_SECONDS):
            return
        self.drawn_at = now
        self.stream.write(CLEAR + self.line(elapsed, self.width()))
        self.stream.flush()

    def line(self, elapsed: float, width: int = 200) -> str:
        """``huffman / model q  [#####-----]  50%  5.0e+07/1.0e+08 symbols  12 s left``, shortened to
        fewer than ``width`` characters (the last column stays free, so that no terminal wraps): the
        counts go first, then the bar shrinks and goes, then the time left, and what runs is cut last;
        nothing at all where not even the percentage fits (a part of it would misread)."""
        fraction = min(1.0, self.done / self.total)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        eta = f"{left:.0f} s left" if left == left else ""
        percent = f"{100 * fraction:3.0f}%"
        counts = f"{self.done:.1e}/{self.total:.1e} {self.unit}"
        bar = lambda n: "[" + ("#" * int(n * fraction)).ljust(n, "-") + "]"
        room = max(1, width - 1)
        layouts = ([self.what, bar(BAR), percent, counts, eta], [self.what, bar(BAR), percent, eta],
                   [self.what, bar(MIN_BAR), percent, eta], [self.what, percent, eta])
        for parts in layouts:
            text = "  ".join(p for p in parts if p)
            if len(text) <= room:
                return text
        for tail in (f"  {percent}  {eta}" if eta else f"  {percent}", f"  {percent}"):
            cut = room - len(tail)  # what runs, cut short with "..."
            if cut >= 6:
                return f"{self.what[:cut - 3]}...{tail}"
        return percent.strip() if len(percent.strip()) <= room else ""
