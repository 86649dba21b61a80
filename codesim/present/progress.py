"""A progress line on stderr for long runs: shown only on a terminal, and only after two seconds.

Short runs print nothing extra; output piped to a file or another program is never interleaved with
progress (it goes to stderr, and only when stderr is a terminal).
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

#: A run shorter than this shows no progress at all.
DELAY_SECONDS = 2.0
#: At most this many redraws a second.
REFRESH_SECONDS = 0.2


class Progress:
    """Counts work done out of ``total`` and redraws one line; use as a context manager.

    >>> import io
    >>> with Progress(100, stream=io.StringIO()) as advance:
    ...     advance(40)
    """

    def __init__(self, total: int, label: str = "symbols", stream: TextIO | None = None,
                 enabled: bool | None = None, clock: Callable[[], float] = time.monotonic):
        self.total = max(1, int(total))
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.clock = clock
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None

    def __enter__(self) -> Callable[[int], None]:
        return self.advance

    def __exit__(self, *exc) -> None:
        if self.drawn_at is not None:  # leave the terminal line clean for what follows
            self.stream.write("\r\x1b[K")
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
        self.stream.write("\r" + self.line(elapsed))
        self.stream.flush()

    def line(self, elapsed: float) -> str:
        """``[#####-----]  50%  5.0e+07/1.0e+08 symbols  12 s left``"""
        fraction = min(1.0, self.done / self.total)
        bar = "#" * int(30 * fraction)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        eta = f"{left:.0f} s left" if left == left else ""
        return f"[{bar:<30}] {100 * fraction:3.0f}%  {self.done:.1e}/{self.total:.1e} {self.label}  {eta}"
