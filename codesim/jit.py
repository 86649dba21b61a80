"""Compiled kernels when numba is installed (the ``fast`` extra), the same functions as plain Python without.

A per-symbol loop (a range coder, an adaptive model, Vitter's tree, a rANS lane) is written once, as a
function decorated with :func:`kernel`. With numba, the kernel runs as numba's ``njit`` compiles it
(cached on disk), as machine code; without it, the interpreter runs the function itself. Both paths run
the same source, so they give the same bits: the tests call each kernel compiled and through its
``.py_func`` and compare (:func:`interpreted` runs whole coders on the plain path).

What makes one source serve both:

- A kernel uses only integer arithmetic that stays below 2^63 (int64 in numba, exact ints in Python;
  a float only where the kernel proves the rounding harmless), indexing, ``len`` and loops: no objects,
  no numpy calls, no exceptions. It reports a failure by its return value.
- Compiled code checks no index, so a kernel keeps every index in range by construction, whatever the
  bits it is given: a hostile file must end in a return value, not in memory it does not own.
- Its arrays are given by the caller, preallocated, and updated in place. Compiled, they are numpy
  arrays; interpreted, they are Python lists (:func:`plain` and :func:`scratch`), because indexing a
  numpy array from Python returns a numpy scalar, several times slower than a list's int.

``NUMBA_DISABLE_JIT=1`` (numba's own switch) runs the interpreted path with numba installed.

Compiling takes a few seconds per kernel the first time a process uses it; numba caches the machine
code beside the module (or in its user cache directory when that is not writable), so later runs load
it in milliseconds. A compilation that takes longer than :data:`NOTICE_AFTER` seconds says so in one
line on stderr, once per process. A cache that cannot be written costs only the next compilation, and
numba is imported only when a kernel is first needed (:func:`enabled`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from typing import Any, Callable

import numpy as np

#: Seconds of compiling after which a run says that it is compiling.
NOTICE_AFTER = 1.5
NOTICE = "codesim: compiling the fast coders' kernels (once: numba caches them for later runs) ..."

_numba = None
_enabled: bool | None = None  # decided on first need: importing numba costs 0.2 s and 100 MB
_kernels: list[Kernel] = []
_rebound: list[tuple[dict, str, Kernel]] = []  # module globals where a compiled kernel replaced its Kernel
_interpreted = False


def enabled() -> bool:
    """True when the kernels run compiled: numba imports and ``NUMBA_DISABLE_JIT`` is not set.

    numba is imported here, the first time a kernel or its input is needed, so that a command that codes
    nothing sequential (``--help``, a refused file, a prefix code's encoding) does not pay for it.
    """
    global _numba, _enabled
    if _interpreted:
        return False
    if _enabled is None and os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        _enabled = False  # numba's switch, read without paying for numba's import
    if _enabled is None:
        try:
            import numba
        except (ImportError, OSError):  # the plain install, or LLVM's library cannot be mapped
            _enabled = False
        else:
            _numba, _enabled = numba, not numba.config.DISABLE_JIT
            if _enabled:
                _listen(numba)
    return _enabled


class Kernel:
    """A kernel: calls ``py_func`` compiled by numba (cached on disk) when :func:`enabled`, else as is.

    The decision, and numba's dispatcher for every kernel, are made at the first call of any kernel.
    The dispatchers then replace the kernels in their modules' globals, so that a kernel calling
    another calls the compiled one, as numba requires.
    """

    def __init__(self, function: Callable):
        functools.update_wrapper(self, function)
        self.py_func = function
        self._run: Callable | None = None
        _kernels.append(self)

    def __call__(self, *args):
        if _interpreted:
            return self.py_func(*args)
        if self._run is None:
            _bind()
        return self._run(*args)


def _bind() -> None:
    compiled = enabled()
    new = [k for k in _kernels if k._run is None]
    for k in new:
        k._run = _compile(k.py_func) if compiled else k.py_func
    for k in new if compiled else ():
        names = k.py_func.__globals__
        for name, value in list(names.items()):
            if isinstance(value, Kernel) and value._run is not None:
                names[name] = value._run
                _rebound.append((names, name, value))


def _compile(function: Callable) -> Callable:
    """numba's dispatcher for ``function``, cached on disk where numba can write.

    A cache is a saving, never a requirement: without a writable cache directory the kernel compiles in
    every process, and a cache file that cannot be written (a full disk, a file-size limit) is left
    unwritten, where numba would raise from the kernel's first call.
    """
    try:
        dispatcher = _numba.njit(cache=True)(function)
    except RuntimeError:  # no writable cache directory anywhere numba looks
        return _numba.njit(function)
    cache, save = dispatcher._cache, dispatcher._cache.save_overload

    def save_if_possible(signature, result):
        try:
            save(signature, result)
        except OSError:
            pass  # the compiled code is loaded all the same; the next process compiles it again

    cache.save_overload = save_if_possible
    return dispatcher


@contextlib.contextmanager
def interpreted():
    """Inside the block every kernel runs as plain Python over lists, as in a plain install, numba or
    not: for comparing the two paths through whole coders."""
    global _interpreted
    was = _interpreted
    _interpreted = True
    for names, name, k in _rebound:
        names[name] = k
    try:
        yield
    finally:
        _interpreted = was
        if not was:
            for names, name, k in _rebound:
                names[name] = k._run


def kernel(function: Callable) -> Kernel:
    """``function`` as a :class:`Kernel`: compiled by numba when it is installed, plain Python otherwise.

    Either way ``.py_func`` is the plain function, for comparing the two paths.
    """
    return Kernel(function)


def plain(array: np.ndarray) -> Any:
    """An input array as the kernels want it: itself when compiled, a list of Python ints otherwise."""
    return array if enabled() else array.tolist()


def scratch(n: int, dtype=np.int64) -> Any:
    """A zeroed buffer of n entries a kernel writes into: an array when compiled, a list otherwise."""
    return np.zeros(n, dtype=dtype) if enabled() else [0] * n


def _listen(numba) -> None:
    """Say once on stderr that kernels are compiling, if a compilation runs past NOTICE_AFTER seconds.

    numba announces each compilation (not a load from its cache) as a "numba:compile" event; nested
    compilations (a kernel calling a kernel) count as one.
    """
    from numba.core import event

    class CompileNotice(event.Listener):
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

    global _notice
    _notice = CompileNotice()
    event.register("numba:compile", _notice)
