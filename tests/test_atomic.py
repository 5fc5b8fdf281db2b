"""The atomic writer's sync behind a long write (pressctl.atomic._SyncingFile)."""

from __future__ import annotations

import errno
import io
import os
import signal
import threading
from pathlib import Path

import pytest

from pressctl import atomic
from pressctl.atomic import SYNC_BEHIND, atomic_file
from pressctl.errors import WriteError

CHUNK = 1 << 20


def _chunks(count: int) -> list[bytes]:
    return [bytes([n % 251]) * CHUNK for n in range(count)]


def test_a_long_write_synced_behind_arrives_whole(tmp_path: Path) -> None:
    target = tmp_path / "all.mbox"
    chunks = _chunks(3 * SYNC_BEHIND // CHUNK + 1)  # up to three background syncs, and a tail after them
    with atomic_file(target, keep_mode=False) as handle:
        for chunk in chunks:
            handle.write(chunk)
    assert target.read_bytes() == b"".join(chunks)
    assert [p.name for p in tmp_path.iterdir()] == ["all.mbox"]


def test_a_long_write_that_fails_after_a_background_sync_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "all.mbox"
    target.write_bytes(b"the old mbox\n")
    with pytest.raises(RuntimeError, match="half way"), atomic_file(target, keep_mode=False) as handle:
        for chunk in _chunks(SYNC_BEHIND // CHUNK + 2):
            handle.write(chunk)
        raise RuntimeError("half way")
    assert target.read_bytes() == b"the old mbox\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.mbox"]


def test_an_error_of_the_background_sync_is_raised_not_lost() -> None:
    """Linux reports a failed write-back to one sync only: what the thread met must reach the writer. A pipe
    cannot be synced (EINVAL), which makes a real failing fdatasync."""
    read_end, write_end = os.pipe()
    drained = threading.Thread(target=lambda: [None for _ in iter(lambda: os.read(read_end, CHUNK), b"")])
    drained.start()
    handle = atomic._SyncingFile(io.FileIO(write_end, "wb"))
    try:
        for chunk in _chunks(SYNC_BEHIND // CHUNK):
            handle.write(chunk)
        with pytest.raises(OSError) as raised:
            handle.settle()
        assert raised.value.errno == errno.EINVAL
        handle.settle()  # raised once, then clear
    finally:
        handle.close()
        drained.join()
        os.close(read_end)


def test_a_failed_background_sync_stops_the_write_with_the_old_file_kept(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same failure inside atomic_file: the target is not replaced, and the message names it."""
    target = tmp_path / "all.mbox"
    target.write_bytes(b"the old mbox\n")
    real = atomic._datasync
    pipe = os.pipe()

    def sync_a_pipe(fd: int) -> None:  # the real call, on something that cannot be synced
        real(pipe[1])

    monkeypatch.setattr(atomic, "_datasync", sync_a_pipe)
    try:
        with pytest.raises(WriteError, match=r"all\.mbox"), atomic_file(target, keep_mode=False) as handle:
            for chunk in _chunks(SYNC_BEHIND // CHUNK + 1):
                handle.write(chunk)
    finally:
        os.close(pipe[0])
        os.close(pipe[1])
    assert target.read_bytes() == b"the old mbox\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.mbox"]


def test_a_second_ctrl_c_while_a_background_sync_ends_leaves_no_temporary_file(tmp_path: Path,
                                                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The write fails, and while the discard waits for a slow background sync a real SIGINT arrives: the
    temporary file is gone all the same, and the old file is kept."""
    target = tmp_path / "all.mbox"
    target.write_bytes(b"the old mbox\n")
    started, release = threading.Event(), threading.Event()
    real = atomic._datasync

    def slow_sync(fd: int) -> None:  # a disk that takes its time
        started.set()
        release.wait(10)
        real(fd)

    monkeypatch.setattr(atomic, "_datasync", slow_sync)
    interrupt = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
    try:
        with pytest.raises(KeyboardInterrupt), atomic_file(target, keep_mode=False) as handle:
            for chunk in _chunks(SYNC_BEHIND // CHUNK + 1):
                handle.write(chunk)
            assert started.wait(5)
            interrupt.start()
            raise RuntimeError("the first failure")
    finally:
        release.set()
        interrupt.cancel()
    assert target.read_bytes() == b"the old mbox\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.mbox"]
