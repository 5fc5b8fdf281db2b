"""Shared by the benchmarks: run a command, sampling the whole process tree's memory."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def _tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and its descendants: pages that forked workers share
    with their parent count once, not once per process as RSS would."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                stack.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration, PermissionError):
            continue
    return total


def run_measured(args: list[str], **kwargs: object) -> tuple[float, float, int]:
    """Wall seconds, peak MiB of the process and all its children together, and the exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kwargs)  # type: ignore[call-overload]
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_pss_kib(proc.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    return elapsed, peak / 1024, proc.returncode


def median_seconds(args: list[str], repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, "COLUMNS": "100"})
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
