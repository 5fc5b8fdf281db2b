"""Write files so that a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pressctl.errors import UsageError


def write_atomic(path: Path, data: bytes | str, *, keep_mode: bool = True) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename it over `path`."""
    with atomic_file(path, keep_mode=keep_mode) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_file(path: Path, *, keep_mode: bool = True) -> Iterator[BinaryIO]:
    """A file to write in pieces that replaces `path` only when the block ends without an error: a
    temporary file beside it, fsynced, then renamed over it (with `keep_mode`, at the old file's mode)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError("the folder does not exist", path=str(folder))
    mode = None
    if keep_mode:
        with contextlib.suppress(FileNotFoundError):
            mode = path.stat().st_mode & 0o7777
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except PermissionError:
        raise UsageError("cannot write in this folder (permission denied)", path=str(folder)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


def write_output(path: Path | None, data: bytes | str) -> str:
    """Write `data` atomically to `path`, or to standard output when `path` is None (a command's `-o`
    left out); returns the name to show in messages."""
    if path is None:
        sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
        sys.stdout.flush()
        return "<stdout>"
    write_atomic(path, data)
    return str(path)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
