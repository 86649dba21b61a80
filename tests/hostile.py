"""Checks shared by the hostile-input tests: a refusal is one line on stderr and a non-zero exit, with no
traceback, no file left behind, and bounded time and memory.

In-process runs (click's CliRunner) are quick; :func:`run_cli` runs ``python -m codesim`` in a child process
where a real process matters: its time and peak memory are measured, and an address-space limit
(``resource.setrlimit`` in the child) or a file-size limit can be imposed on it.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from pathlib import Path


#: Bounds on a refusal made in-process: any hostile input the suite tries is turned away well within them.
IN_PROCESS_SECONDS = 10.0
IN_PROCESS_MB = 256.0


def invoke(*args, input=None):
    """``codesim ARGS`` run in-process (click's CliRunner) with every warning an error, timed, and with
    the peak of the memory it allocated (tracemalloc, which numpy reports its arrays to) as ``peak_mb``."""
    from click.testing import CliRunner

    from codesim.cli import main

    tracemalloc.start()
    start = time.monotonic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            result = CliRunner().invoke(main, [str(a) for a in args], input=input)
        result.seconds = time.monotonic() - start
        result.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    return result


def assert_one_line_error(result, code=None, match=""):
    """A click result (or :class:`Outcome`) that failed with one ``Error: ...`` line naming ``match``; a result
    of :func:`invoke` also within the in-process time and memory bounds."""
    assert result.exit_code != 0 and (code is None or result.exit_code == code), (result.exit_code, result.stderr)
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert match in lines[0], lines[0]
    if hasattr(result, "peak_mb") and not isinstance(result, Outcome):
        assert result.seconds < IN_PROCESS_SECONDS, f"took {result.seconds:.1f} s"
        assert result.peak_mb < IN_PROCESS_MB, f"allocated {result.peak_mb:.0f} MB at the peak"


@dataclass
class Outcome:
    """What a child process did: its exit code, output, wall time and peak resident memory."""

    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def output(self) -> str:
        return self.stdout


# ``python -m codesim`` that writes its peak resident size (VmHWM, in kB) to a file on the way out. The peak
# is read by the process itself because a forked child's ru_maxrss starts from its parent's size and keeps
# it across exec: a test process grown to 300 MB would make every child look as large.
_REPORTS_ITS_PEAK = """
import atexit, os, runpy, sys

def report():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["CODESIM_TEST_PEAK_FILE"], "w") as out:
        out.write(kb)

atexit.register(report)
sys.argv[0] = "codesim"
runpy.run_module("codesim", run_name="__main__", alter_sys=True)
"""


def run_cli(*args, cwd=None, timeout: float = 30.0, address_space_mb: int | None = None,
            file_size_bytes: int | None = None, stdin=None, keep_stdout: bool = True) -> Outcome:
    """Run ``python -m codesim ARGS`` in a child process; kill it (and fail) after ``timeout`` seconds.

    ``peak_mb`` is the child's own peak resident size (or, if it died before it could say, wait4's figure).

    ``address_space_mb`` caps the child's virtual memory (RLIMIT_AS), so an allocation beyond it fails
    as it would on a smaller machine; ``file_size_bytes`` caps the size of any file it writes (RLIMIT_FSIZE,
    with SIGXFSZ ignored so that the write fails with EFBIG instead of killing the process); ``keep_stdout=False``
    sends a large output to /dev/null instead of collecting it.
    """

    def limits():
        if address_space_mb is not None:
            size = address_space_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if file_size_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_bytes, file_size_bytes))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as peak:
        env = {**os.environ, "PYTHONWARNINGS": "default", "OPENBLAS_NUM_THREADS": "1", "COLUMNS": "200",
               "CODESIM_TEST_PEAK_FILE": peak.name}
        start = time.monotonic()
        child = subprocess.Popen([sys.executable, "-c", _REPORTS_ITS_PEAK, *map(str, args)], cwd=cwd, env=env,
                                 stdin=stdin if stdin is not None else subprocess.DEVNULL,
                                 stdout=out if keep_stdout else subprocess.DEVNULL, stderr=err,
                                 preexec_fn=limits)
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > timeout:
                child.kill()
                os.wait4(child.pid, 0)
                raise AssertionError(f"codesim {' '.join(map(str, args))} still running after {timeout} s")
            time.sleep(0.02)
        seconds = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        reported = peak.read().strip()
        peak_mb = int(reported) / 1024 if reported else usage.ru_maxrss / 1024
        return Outcome(child.returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                       seconds, peak_mb)


def assert_refused(outcome: Outcome, match: str = "", code: int = 1, max_seconds: float = 10.0,
                   max_mb: float = 400.0) -> None:
    """One line naming ``match``, exit ``code``, within the time and peak-memory bounds."""
    assert_one_line_error(outcome, code, match)
    assert outcome.seconds < max_seconds, f"took {outcome.seconds:.1f} s"
    assert outcome.peak_mb < max_mb, f"peaked at {outcome.peak_mb:.0f} MB"


def files_in(directory: Path) -> set[str]:
    """Every name under ``directory`` (hidden temporaries included), to show that a refusal left nothing."""
    return {str(p.relative_to(directory)) for p in Path(directory).rglob("*")}
