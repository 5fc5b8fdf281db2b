"""pressctl.workers: tasks run in forked processes, results in order, the shared work inherited rather than
pickled, and no queued task started once the caller has stopped (a task's error, or leaving early)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pressctl import workers

pytestmark = pytest.mark.skipif(not workers.can_fork(), reason="needs fork")


def _square_with_shared(n: int) -> tuple[int, int]:
    offset = workers.shared()["offset"]()  # a lambda: it reached the worker by fork, not by pickle
    return n, n * n + offset


def _mark(n: int) -> int:
    folder = workers.shared()
    if n == 0:
        raise ValueError("task 0 failed")
    time.sleep(0.2)
    (folder / f"ran-{n}").touch()
    return n


def test_results_come_in_order_with_the_shared_work_inherited() -> None:
    results = list(workers.in_workers(_square_with_shared, range(40), shared={"offset": lambda: 7}, workers=2,
                                      ahead=3))
    assert results == [(n, n * n + 7) for n in range(40)]
    assert workers.shared() is None  # nothing kept once the job is done


def test_a_failing_task_stops_the_job_and_the_queued_tasks_never_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="task 0 failed"):
        list(workers.in_workers(_mark, range(30), shared=tmp_path, workers=2))
    ran = len(list(tmp_path.glob("ran-*")))
    assert ran < 10, f"{ran} of 29 tasks ran after the first one failed"


def test_a_caller_that_stops_early_leaves_the_rest_unstarted(tmp_path: Path) -> None:
    results = workers.in_workers(_mark, range(1, 31), shared=tmp_path, workers=2)
    assert next(results) == 1
    results.close()
    ran = len(list(tmp_path.glob("ran-*")))
    assert ran < 10, f"{ran} of 30 tasks ran though the caller took one result"
