"""Where an experiment's tasks run: in this process, in local processes, or on a Dask cluster.

A :class:`Task` is a module-level function and its arguments, picklable, so it can be shipped to
another process or machine and run there. :func:`run_tasks` returns the results in task order,
whatever order the tasks finish in, so a caller's results never depend on where or when its tasks
ran; tasks that draw random numbers carry their own seeds for the same reason.

>>> run_tasks([Task(pow, (2, 10)), Task(divmod, (7, 2))])
[1024, (3, 1)]

Dask (``pip install 'codesim[distributed]'``) is imported only when a scheduler is asked for:
``"local"`` starts a cluster of ``jobs`` worker processes on the loopback interface for the call and
closes it afterwards; ``"tcp://HOST:PORT"`` sends the tasks to an existing scheduler, whose workers
must have codesim installed (they import the task functions by name).
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import os
import re
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, ContextManager, Sequence

from ..errors import CodesimError

#: A progress factory: given the number of tasks, a context manager that yields a callable taking the
#: number of tasks just finished (``codesim.present.progress.Progress(total, "tasks")`` is one).
ProgressFactory = Callable[[int], ContextManager[Callable[[int], None]]]

#: How long to wait for a remote scheduler to answer before saying it cannot be reached: with Dask's
#: import, an unreachable address is refused within the ten seconds any bad input gets.
CONNECT_TIMEOUT = "5s"

_ADDRESS = re.compile(r"tcp://(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+):(\d{1,5})")
INSTALL_HINT = "pip install 'codesim[distributed]'"


@dataclass(frozen=True)
class Task:
    """A function and its arguments. The function must be importable by name where the task runs
    (a module-level function), and the arguments picklable."""

    fn: Callable[..., Any]
    args: tuple = ()

    def __call__(self) -> Any:
        return self.fn(*self.args)


def _run(task: Task) -> Any:
    return task()


#: The most worker processes a call starts (``--jobs``, and the workers of ``--scheduler local``): each
#: imports numpy and codesim, about 40 MB and a quarter of a second of CPU here, so 64 of them take
#: 2.5 GB and a run of 64 tiny trials took 21 s on 2 cores, while processes beyond the cores gain nothing.
MAX_JOBS = 64


def check_jobs(jobs: int) -> int:
    if isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1:
        raise CodesimError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if jobs > MAX_JOBS:
        raise CodesimError(f"jobs {jobs} is over the limit of {MAX_JOBS} processes (this machine has "
                           f"{os.cpu_count()} cores; more processes than cores only add start-up time and memory)")
    return int(jobs)


def check_scheduler(scheduler: str | None) -> str | None:
    """None, "local" or a "tcp://HOST:PORT" address; anything else is an error saying so."""
    if scheduler is None or scheduler == "local":
        return scheduler
    match = _ADDRESS.fullmatch(scheduler) if isinstance(scheduler, str) else None
    if not match or not 0 < int(match.group(2)) < 65536:
        raise CodesimError(f"scheduler must be 'local' or a Dask scheduler address tcp://HOST:PORT, "
                           f"got {scheduler!r}")
    return scheduler


def run_tasks(tasks: Sequence[Task], *, jobs: int = 1, scheduler: str | None = None,
              progress: ProgressFactory | None = None) -> list:
    """Run the tasks and return their results in task order.

    In this process when ``jobs`` is 1 and there is no scheduler; in ``jobs`` local processes
    otherwise; on Dask when ``scheduler`` is given (``"local"``: a cluster of ``jobs`` worker
    processes for this call; an address: that cluster's workers, whatever ``jobs`` says). A task's
    exception is raised here (the first in completion order), and tasks not yet started are dropped.
    """
    jobs = check_jobs(jobs)
    check_scheduler(scheduler)
    tasks = list(tasks)
    with progress(len(tasks)) if progress else contextlib.nullcontext(None) as advance:
        if not tasks:
            return []
        if scheduler is not None:
            return _on_dask(tasks, scheduler, jobs, advance)
        if jobs == 1:
            results = []
            for task in tasks:
                results.append(task())
                if advance:
                    advance(1)
            return results
        return _in_processes(tasks, jobs, advance)


def _in_processes(tasks: list[Task], jobs: int, advance) -> list:
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(tasks)))
    try:
        futures = [pool.submit(task) for task in tasks]
        for future in as_completed(futures):
            future.result()  # raises a failed task's exception as soon as it is known
            if advance:
                advance(1)
        return [future.result() for future in futures]
    finally:
        # On success every future is done and this returns at once; on an error, tasks still queued
        # are cancelled rather than run to no purpose.
        pool.shutdown(wait=True, cancel_futures=True)


def _on_dask(tasks: list[Task], scheduler: str, jobs: int, advance) -> list:
    try:
        import distributed
    except ImportError:
        raise CodesimError(f"scheduler {scheduler!r} needs Dask, which is not installed: {INSTALL_HINT}") from None
    with contextlib.ExitStack() as stack:
        if scheduler == "local":
            # Worker processes rather than threads, so tasks are pickled and shipped exactly as they
            # would be to a remote cluster; loopback only and no dashboard, so nothing listens beyond
            # this machine or on a fixed port.
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, protocol="tcp", host="127.0.0.1",
                dashboard_address=None, silence_logs=logging.ERROR))
            client = stack.enter_context(distributed.Client(cluster))
        else:
            try:
                client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise CodesimError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
            stack.enter_context(client)  # closes our connection only; the cluster stays up
        # pure=False: every task runs, under a key of its own, even if two tasks look alike.
        futures = client.map(_run, tasks, pure=False)
        if advance:
            for _ in distributed.as_completed(futures):
                advance(1)
        return client.gather(futures)
