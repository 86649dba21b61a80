"""codesim.jit: one source per kernel, compiled with the ``fast`` extra, plain Python without."""

from __future__ import annotations

import importlib.util
import os
import time

import numpy as np
import pytest

from codesim import jit


def _sum_below(values, limit):
    total = 0
    for i in range(len(values)):
        if values[i] < limit:
            total += values[i]
    return total


def test_a_kernel_keeps_its_plain_function_and_both_paths_agree():
    compiled = jit.kernel(_sum_below)
    values = np.array([5, 1, 7, 2**40, 3], dtype=np.int64)
    assert compiled.py_func is _sum_below
    assert compiled(jit.plain(values), 2**41) == compiled.py_func(values.tolist(), 2**41) == 2**40 + 16


def test_the_interpreted_path_takes_lists_and_the_compiled_path_arrays():
    buffer, given = jit.scratch(3), jit.plain(np.arange(3))
    if jit.enabled():
        assert isinstance(buffer, np.ndarray) and buffer.dtype == np.int64 and isinstance(given, np.ndarray)
    else:
        assert buffer == [0, 0, 0] and given == [0, 1, 2] and type(given[0]) is int


def test_the_fast_extra_compiles():
    """CI installs the test extra, which installs numba: the suite then runs the compiled path."""
    pytest.importorskip("numba")
    import numba
    assert jit.enabled() == (not numba.config.DISABLE_JIT)


def test_numba_is_imported_only_when_a_kernel_is_needed():
    """Importing numba costs 0.2 s and 100 MB: a command that codes nothing sequential does not pay it."""
    import subprocess
    import sys
    code = ("import sys, codesim.cli, codesim.coders; assert 'numba' not in sys.modules; "
            "from codesim import jit; jit.enabled(); print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    disabled = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")  # then numba is not imported at all
    assert out.strip() == str(importlib.util.find_spec("numba") is not None and not disabled)


@pytest.mark.skipif(not jit.enabled(), reason="numba is not installed (or NUMBA_DISABLE_JIT is set)")
@pytest.mark.parametrize("after, said", [(0.0, True), (60.0, False)])
def test_a_slow_compilation_says_so_once_and_a_quick_one_says_nothing(monkeypatch, capsys, after, said):
    import numba
    monkeypatch.setattr(jit, "NOTICE_AFTER", after)
    monkeypatch.setattr(jit._notice, "said", False)
    for offset in (1, 2):  # a new function each time: numba compiles it afresh, nothing is cached
        function = numba.njit(lambda values, offset=offset: len(values) + offset)
        assert function(np.arange(4)) == 4 + offset
        time.sleep(0.05)  # the notice comes from a timer thread
    err = capsys.readouterr().err
    assert err.count(jit.NOTICE) == (1 if said else 0)


def test_the_test_extra_installs_the_fast_extra():
    """So CI, which installs the test extra, runs the compiled path; and the README's first command
    installs it too."""
    import tomllib
    from .conftest import ROOT
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.startswith("numba") for requirement in extras["fast"])
    assert any("fast" in requirement and requirement.startswith("codesim[") for requirement in extras["test"])
    assert "pip install '.[fast]'" in (ROOT / "README.md").read_text().split("```")[1]


def _twice(x):
    return 2 * x


_twice_kernel = _twice_kernel_object = jit.kernel(_twice)


def _twice_plus_one(values):
    total = 0
    for i in range(len(values)):
        total += _twice_kernel(values[i]) + 1
    return total


def test_a_kernel_calls_another_on_either_path():
    """numba can call only compiled functions from compiled code: binding the kernels puts each one's
    compiled form in its module's globals, where the plain functions find it too."""
    outer = jit.kernel(_twice_plus_one)
    values = np.array([1, 2, 3], dtype=np.int64)
    assert outer(jit.plain(values)) == outer.py_func(values.tolist()) == 15
    assert isinstance(globals()["_twice_kernel"], jit.Kernel) != jit.enabled()


def test_inside_interpreted_every_kernel_runs_its_plain_function():
    outer = jit.kernel(_twice_plus_one)
    outer(jit.plain(np.arange(2)))  # bound (and compiled, with numba) before the block
    with jit.interpreted():
        assert not jit.enabled() and jit.plain(np.arange(2)) == [0, 1]
        assert globals()["_twice_kernel"] is _twice_kernel_object
        assert outer([1, 2, 3]) == 15
    assert jit.enabled() == (importlib.util.find_spec("numba") is not None and jit._numba is not None
                             and not jit._numba.config.DISABLE_JIT)


@pytest.mark.skipif(not jit.enabled(), reason="numba is not installed (or NUMBA_DISABLE_JIT is set)")
@pytest.mark.parametrize("where", ["a file-size limit", "no cache directory"])
def test_a_cache_that_cannot_be_written_costs_only_the_next_compilation(tmp_path, where):
    """numba raises from a kernel's first call when it cannot write the cache (a full disk, a file-size
    limit): codesim compiles all the same and codes; without any cache directory it compiles uncached."""
    import resource
    import signal
    import subprocess
    import sys

    def limit():
        if where == "a file-size limit":
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as a full disk's
            resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    (tmp_path / "file").write_text("")
    cache = tmp_path / ("cache" if where == "a file-size limit" else "file/cache")  # under a file: unusable
    code = ("import numpy as np; from codesim.coders import build; c = build('rans', [0.25, 0.75]); "
            "s = np.arange(100, dtype=np.uint8) % 2; print(c.decode(c.encode(s), 100).tolist() == s.tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limit,
                         env={**os.environ, "NUMBA_CACHE_DIR": str(cache)})
    assert (out.returncode, out.stdout.strip()) == (0, "True"), out.stderr[-2000:]
