"""A check killed with SIGKILL in the middle of a large book leaves no worker process running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.update(int(child) for child in (task / "children").read_text().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker whose new parent has not reaped it yet is no longer running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads the process tree from /proc")
def test_workers_end_promptly_with_a_killed_check(tmp_path: Path) -> None:
    contact = ("  - id: c-{i}\n    name: Reporter {i}\n    email: r{i}@example.org\n"
               "    phones:\n      - {{number: \"+31 6 {n}\", type: mobile}}\n")
    book = tmp_path / "contacts.yaml"
    book.write_text("version: 1\ndefaults:\n  region: NL\ncontacts:\n"
                    + "".join(contact.format(i=i, n=10000000 + i) for i in range(60000)), encoding="utf-8")
    check = subprocess.Popen([sys.executable, "-m", "pressctl", "contacts", "check", str(book), "--format", "json"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while not workers and check.poll() is None and time.monotonic() < deadline:
            workers = children(check.pid)
            time.sleep(0.01)
        assert workers, "the check started no worker processes"
        time.sleep(0.3)  # well inside their first batch
        workers |= children(check.pid)
        os.kill(check.pid, signal.SIGKILL)
        check.wait()
        gone_by = time.monotonic() + 1.0
        while any(running(w) for w in workers) and time.monotonic() < gone_by:
            time.sleep(0.02)
        assert not [w for w in workers if running(w)], "workers outlived the killed check"
    finally:
        if check.poll() is None:
            check.kill()
            check.wait()
