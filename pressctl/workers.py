"""Forked worker processes: the one way pressctl spreads a large job over the machine's cores.

The work a job shares (a parsed book, a merge's rendered templates) is set up in the parent and
inherited by each worker at fork, so nothing is pickled on the way in; only each task's small
argument goes to a worker, and its result comes back. Results arrive in the order of the tasks.
A worker ends with the process that started it, even one killed with SIGKILL.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_SHARED: Any = None


def can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def cores(jobs: int | None = None) -> int:
    """How many workers a job may use: `jobs`, else the cores (at most 8); 1 where processes cannot fork."""
    if not can_fork():
        return 1
    return jobs or min(os.cpu_count() or 1, 8)


def shared() -> Any:
    """In a worker: what the parent passed to in_workers() as `shared`."""
    return _SHARED


def in_workers(task: Callable[[T], R], tasks: Iterable[T], *, shared: Any, workers: int,
               ahead: int | None = None) -> Iterator[R]:
    """task(t) for each of `tasks`, run in `workers` forked processes, yielded in order.

    `task` must be a module-level function; it reads `shared()`. With `ahead`, at most that many tasks
    are in flight (so memory holds those results, not all of them); without, every task is submitted at
    once. Objects alive at the start move out of the garbage collector's reach while the workers run,
    so that no worker copies the memory pages it shares with the parent by touching their headers."""
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    global _SHARED
    _SHARED = shared
    pending: deque[Future[R]] = deque()
    gc.freeze()
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_end_with_parent, initargs=(os.getpid(),)) as pool:
            try:
                for item in tasks:
                    pending.append(pool.submit(task, item))
                    if ahead is not None and len(pending) >= ahead:
                        yield pending.popleft().result()
                while pending:
                    yield pending.popleft().result()
            except BaseException:  # a task's error, Ctrl-C, or the caller stopping early: the queued tasks
                pool.shutdown(wait=False, cancel_futures=True)  # never start (leaving the `with` waits)
                raise
    finally:
        gc.unfreeze()
        _SHARED = None


def _end_with_parent(parent: int) -> None:
    """In each worker: end when the job that started it ends, even by SIGKILL, rather than finish
    its task (a worker otherwise notices only when it next asks for work, seconds later)."""
    import sys

    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    else:
        import threading
        import time

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent was gone before the signal was asked for
        os._exit(1)
