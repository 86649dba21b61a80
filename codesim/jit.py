"""Compiled kernels when numba is installed (the ``fast`` extra), the same functions as plain Python without.

A per-symbol loop (a range coder, an adaptive model, Vitter's tree, a rANS lane) is written once, as a
function decorated with :func:`kernel`. With numba, ``kernel`` is numba's ``njit`` with an on-disk
cache, so the loop runs as machine code; without it, ``kernel`` returns the function itself and the
interpreter runs it. Both paths run the same source, so they give the same bits: the tests call each
kernel compiled and through its ``.py_func`` and compare.

What makes one source serve both:

- A kernel uses only integer arithmetic that stays below 2^63 (int64 in numba, exact ints in Python),
  indexing, ``len`` and loops: no objects, no numpy calls, no exceptions. It reports a failure by its
  return value.
- Its arrays are given by the caller, preallocated, and updated in place. Compiled, they are numpy
  arrays; interpreted, they are Python lists (:func:`plain` and :func:`scratch`), because indexing a
  numpy array from Python returns a numpy scalar, several times slower than a list's int.

``NUMBA_DISABLE_JIT=1`` (numba's own switch) runs the interpreted path with numba installed.

Compiling takes a few seconds per kernel the first time a process uses it; numba caches the machine
code beside the module (or in its user cache directory when that is not writable), so later runs load
it in milliseconds. A compilation that takes longer than :data:`NOTICE_AFTER` seconds says so in one
line on stderr, once per process.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable

import numpy as np

try:
    import numba
    from numba.core import event as _event
except (ImportError, OSError):  # the plain install, or a numba that cannot load its compiler: Python
    numba = None

#: True when the kernels run compiled.
ENABLED = numba is not None and not numba.config.DISABLE_JIT
#: Seconds of compiling after which a run says that it is compiling.
NOTICE_AFTER = 1.5
NOTICE = "codesim: compiling the fast coders' kernels (once: numba caches them for later runs) ..."


def kernel(function: Callable) -> Callable:
    """``function`` compiled by numba (cached on disk), or ``function`` itself without numba.

    Either way the result has ``.py_func``, the plain function, for comparing the two paths.
    """
    if not ENABLED:
        function.py_func = function
        return function
    return numba.njit(cache=True)(function)


def plain(array: np.ndarray) -> Any:
    """An input array as the kernels want it: itself when compiled, a list of Python ints otherwise."""
    return array if ENABLED else array.tolist()


def scratch(n: int, dtype=np.int64) -> Any:
    """A zeroed buffer of n entries a kernel writes into: an array when compiled, a list otherwise."""
    return np.zeros(n, dtype=dtype) if ENABLED else [0] * n


if ENABLED:

    class _CompileNotice(_event.Listener):
        """Says once on stderr that kernels are compiling, if a compilation runs past NOTICE_AFTER seconds.

        numba announces each compilation (not a load from its cache) as a "numba:compile" event; nested
        compilations (a kernel calling a kernel) count as one.
        """

        def __init__(self):
            self.depth = 0
            self.timer: threading.Timer | None = None
            self.said = False
            self.lock = threading.Lock()

        def on_start(self, event) -> None:
            with self.lock:
                self.depth += 1
                if self.depth == 1 and not self.said:
                    self.timer = threading.Timer(NOTICE_AFTER, self.say)
                    self.timer.daemon = True
                    self.timer.start()

        def on_end(self, event) -> None:
            with self.lock:
                self.depth -= 1
                if self.depth == 0 and self.timer is not None:
                    self.timer.cancel()
                    self.timer = None

        def say(self) -> None:
            with self.lock:
                if self.said:
                    return
                self.said = True
            print(NOTICE, file=sys.stderr, flush=True)

    _notice = _CompileNotice()
    _event.register("numba:compile", _notice)
