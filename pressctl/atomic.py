"""The one writer of pressctl's files: a reader sees the old file or the new one, never a mix, and
nothing that must not be replaced is replaced.

Before writing, `check_output` settles where the bytes go: a symbolic link is followed (its target
is written), a character device or a FIFO is written into rather than renamed over, and an output
that is one of the command's inputs, a folder, a block device or socket, an empty name, a name with
a NUL byte or a trailing `/`, or a name too long for the file system is refused with one message.
A regular file is replaced through a temporary file beside it (`.NAME.XXXXXXXX.tmp`), fsynced and
renamed over it; the temporary file holds a lock while it is written, so the next write to the same
target can tell one left by a killed run (unlocked) from one being written (locked) and remove it.
A long write (an mbox of 10,000 messages) is synced to disk behind the writer as it goes, so that the
fsync before the rename has only the last part left to wait for.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from pressctl.errors import UsageError, WriteError, os_error

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locks, so stale files are left alone
    fcntl = None  # type: ignore[assignment]

PathLike = Path | str
_TMP_SUFFIX = ".tmp"
_RANDOM = "[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix
# The temporary file's name must fit where the target's fits: `.` + name + `.` + 8 + `.tmp`.
_TMP_EXTRA = 1 + 1 + 8 + len(_TMP_SUFFIX)


@dataclass(frozen=True)
class Target:
    """Where an output's bytes go: `path` with links followed; `special` for a device or FIFO, which
    is written into, never replaced."""

    path: Path
    special: bool = False
    shown: str = ""  # the name as the user gave it, for messages
    folder_shown: str = ""  # its folder, likewise (the real one when reached through a link)


def check_output(path: PathLike, inputs: Iterable[PathLike] = ()) -> Target:
    """The target of an output named `path`, or a UsageError saying why it cannot be written."""
    text = os.fspath(path)
    shown = _shown(text)
    if text == "":
        raise UsageError("the output's name is empty: give a file name")
    if "\0" in text:
        raise UsageError("the output's name holds a NUL byte", path=shown)
    if text.endswith(("/", os.sep)):
        raise UsageError("ends in /, which names a folder: give a file name", path=shown)
    given = Path(text)
    limit = _name_max(given.parent) if given.parent.is_dir() else 255
    size = len(os.fsencode(given.name))
    if size > limit:
        raise UsageError(f"the file name is {size} bytes long; this file system takes at most {limit}",
                         path=shown, hint="choose a shorter name")
    through = f" (through the link {shown})" if os.path.islink(text) else ""
    try:
        info: os.stat_result | None = os.stat(text)  # through any links
    except FileNotFoundError:
        info = None  # a new file, or a link to one
    except OSError as err:
        raise os_error(err, shown, UsageError) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise UsageError(f"is a folder, not a file{through}; give a file name", path=shown)
        if stat.S_ISREG(info.st_mode):  # a device read and written (/dev/null) loses nothing
            _refuse_inputs(info, shown, inputs)
        if stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode):
            # Opened by the name given: /dev/stdout leads to a pipe that has no other name.
            return Target(given, True, shown, str(given.parent))
        if not stat.S_ISREG(info.st_mode):
            kind = "a block device" if stat.S_ISBLK(info.st_mode) else "a socket"
            raise UsageError(f"is {kind}{through}; pressctl writes files, character devices and FIFOs only",
                             path=shown)
    real = Path(os.path.realpath(text))
    folder = real.parent
    folder_shown = str(folder) if through else str(Path(text).parent)
    if not folder.is_dir():
        raise UsageError("the folder does not exist", path=folder_shown)
    return Target(real, False, shown, folder_shown)


def _shown(text: str) -> str:
    """A path as messages show it: a NUL byte visible, a very long name shortened in the middle."""
    text = text.replace("\0", "\\0")
    return text if len(text) <= 100 else f"{text[:60]}…{text[-30:]}"


def _refuse_inputs(info: os.stat_result, shown: str, inputs: Iterable[PathLike]) -> None:
    for source in inputs:
        try:
            same = os.path.samestat(info, os.stat(source))
        except (OSError, ValueError):
            continue
        if same:
            raise UsageError(f"is also an input of this command ({os.fspath(source)}); writing the output "
                             "there would destroy it", path=shown, hint="choose another output file")


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def write_atomic(path: PathLike, data: bytes | str, *, keep_mode: bool = True,
                 inputs: Iterable[PathLike] = ()) -> None:
    """Write `data` to `path` through a temporary file beside it (see the module's docstring)."""
    with atomic_file(path, keep_mode=keep_mode, inputs=inputs) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_file(path: PathLike, *, keep_mode: bool = True, inputs: Iterable[PathLike] = ()) -> Iterator[BinaryIO]:
    """A file to write in pieces that replaces `path` only when the block ends without an error (with
    `keep_mode`, at the old file's mode). For a device or FIFO, the handle writes into it directly."""
    target = check_output(path, inputs)
    if target.special:
        with _writing(target), _open_special(target) as handle:
            yield handle
        return
    staged = _stage(target, keep_mode)
    try:
        with _writing(target):
            yield staged.handle
            staged.finish()
    except BaseException:
        staged.discard()
        raise
    staged.commit()


class Staged:
    """A new version of a file, complete on disk beside it, that `commit` puts in place."""

    def __init__(self, target: Target, handle: _SyncingFile, tmp: Path, mode: int | None) -> None:
        self.target = target
        self.handle = handle
        self.tmp = tmp
        self.mode = mode

    def finish(self) -> None:
        """Flush and fsync the temporary file (its lock is held until commit or discard)."""
        self.handle.flush()
        self.handle.settle()
        os.fsync(self.handle.fileno())

    def commit(self) -> None:
        with _writing(self.target):
            try:
                os.chmod(self.tmp, self.mode if self.mode is not None else 0o644)
                os.replace(self.tmp, self.target.path)
            except BaseException:
                self.discard()
                raise
            self.handle.close()
            fsync_folder(self.target.path.parent)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)  # first: a second Ctrl-C while a background sync ends leaves no file behind
        try:
            with contextlib.suppress(OSError):
                self.handle.settle()  # the file is closed only once the thread no longer uses it
        finally:
            with contextlib.suppress(OSError):
                self.handle.close()


def stage(path: PathLike, data: bytes, *, inputs: Iterable[PathLike] = ()) -> Staged | Target:
    """Write `data` beside `path` without replacing it yet: a Staged to commit, or for a device or FIFO
    the Target to write with `write_special` when the others are committed."""
    target = check_output(path, inputs)
    if target.special:
        return target
    staged = _stage(target, keep_mode=True)
    try:
        with _writing(target):
            staged.handle.write(data)
            staged.finish()
    except BaseException:
        staged.discard()
        raise
    return staged


def write_special(target: Target, data: bytes) -> None:
    with _writing(target), _open_special(target) as handle:
        handle.write(data)


def _open_special(target: Target) -> BinaryIO:
    """A device or FIFO opened for writing as it is: never created, truncated or replaced. A FIFO
    without a reader fails at once (ENXIO) instead of waiting for one."""
    fd = os.open(target.path, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
    os.set_blocking(fd, True)
    return os.fdopen(fd, "wb")


def _stage(target: Target, keep_mode: bool) -> Staged:
    mode = None
    if keep_mode:
        with contextlib.suppress(OSError):
            mode = os.stat(target.path).st_mode & 0o7777
    folder = target.path.parent
    prefix = _tmp_prefix(target.path.name, _name_max(folder))
    remove_stale(folder, prefix)
    with _writing(target, folder=True):
        while True:
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=_TMP_SUFFIX, dir=folder)
            handle = _SyncingFile(io.FileIO(fd, "wb"))
            if fcntl is None:
                break
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink:  # not taken for a stale file by a run cleaning up at this instant
                break
            handle.close()
    return Staged(target, handle, Path(name), mode)


SYNC_BEHIND = 8 << 20  # bytes written between two background syncs of the temporary file
_datasync = getattr(os, "fdatasync", os.fsync)  # fdatasync leaves out the file's times; not on every system


class _SyncingFile(io.BufferedWriter):
    """The temporary file. Each time another SYNC_BEHIND bytes are written, a background thread syncs what
    is there so far (fdatasync waits without the GIL) while the writer goes on making the rest. The sync
    before the rename then has only the last part left: a merge into a 138 MB mbox waited 0.3 s there,
    with the CPU idle (bench/merge.py). A small file never starts the thread. A failed sync is raised by
    the next write (or by `settle`), so a long write stops at once; where no thread can be started, the
    file is synced once at the end, as any other."""

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__(raw)
        self._unsynced = 0
        self._thread: threading.Thread | None = None
        self._error: OSError | None = None

    def write(self, data: Any) -> int:
        written = super().write(data)
        self._unsynced += written
        if self._unsynced >= SYNC_BEHIND and (self._thread is None or not self._thread.is_alive()):
            self.settle()  # the last sync's error, if it met one
            self._unsynced = 0
            super().flush()
            thread = threading.Thread(target=self._sync, args=(self.fileno(),), daemon=True)
            with contextlib.suppress(RuntimeError):  # no thread to be had: the final fsync does it all
                thread.start()
                self._thread = thread
        return written

    def _sync(self, fd: int) -> None:
        try:
            _datasync(fd)
        except OSError as err:
            self._error = err

    def settle(self) -> None:
        """Wait for a background sync, and raise what it met: Linux reports a failed write-back to one sync
        of the file only, so an error the thread saw would not come back from the final fsync."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise error


def _tmp_prefix(name: str, name_max: int) -> str:
    """`.NAME.`, with NAME shortened (deterministically) when the temporary file's name would not fit."""
    room = name_max - _TMP_EXTRA
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}."


def remove_stale(folder: Path, prefix: str, suffix: str = _TMP_SUFFIX, *, folders: bool = False) -> None:
    """Remove what killed writes of this target left: exactly `PREFIX` + mkstemp's eight characters +
    `suffix`, files (or, with `folders`, folders such as a site being built beside the published one),
    and only those no live writer holds locked (`temporary_folder` for a folder)."""
    if fcntl is None:
        return
    pattern = re.compile(re.escape(prefix) + _RANDOM + re.escape(suffix))
    try:
        entries = [entry for entry in os.scandir(folder) if pattern.fullmatch(entry.name)]
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_symlink() or not (entry.is_dir() if folders else entry.is_file()):
                continue
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if folders else 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if folders:
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass  # locked: a write in progress
        finally:
            os.close(fd)


@contextlib.contextmanager
def temporary_folder(parent: Path, prefix: str, suffix: str) -> Iterator[Path]:
    """A new folder `PREFIX` + eight characters + `suffix` in `parent`, held locked while the caller
    writes it, so that `remove_stale(..., folders=True)` of another run leaves it alone. A folder that
    such a run removed between its creation and the lock is given up for a new one."""
    while True:
        folder = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        if fcntl is None:
            break
        fcntl.flock(fd, fcntl.LOCK_EX)
        if os.fstat(fd).st_nlink:
            break
        os.close(fd)
    try:
        yield folder
    finally:
        os.close(fd)


@contextlib.contextmanager
def _writing(target: Target, *, folder: bool = False) -> Iterator[None]:
    """OS errors while writing `target` become one message naming it."""
    try:
        yield
    except OSError as err:
        where = (target.folder_shown or str(target.path.parent)) if folder else target.shown or str(target.path)
        if err.errno == errno.ENXIO and not folder:
            raise WriteError("is a FIFO that nobody is reading", path=where) from None
        raise os_error(err, where, WriteError, doing="cannot write in this folder" if folder else "cannot write",
                       after="" if target.special or folder else "; the old file is unchanged") from None


def write_output(path: PathLike | None, data: bytes | str, *, inputs: Iterable[PathLike] = ()) -> str:
    """Write `data` atomically to `path`, or to standard output when `path` is None (a command's `-o`
    left out); returns the name to show in messages."""
    if path is None:
        if sys.stdout is None:  # started with standard output closed (`>&-`)
            raise WriteError("cannot write: standard output is closed", path="<stdout>")
        try:
            sys.stdout.buffer.write(data.encode("utf-8") if isinstance(data, str) else data)
            sys.stdout.flush()
        except OSError as err:
            raise os_error(err, "<stdout>", WriteError, doing="cannot write") from None
        return "<stdout>"
    write_atomic(path, data, inputs=inputs)
    return os.fspath(path)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` itself durable (a no-op where folders cannot be opened)."""
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


# What renameat2 answers where the kernel, the C library or the file system cannot exchange two paths.
EXCHANGE_UNSUPPORTED = (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP)


def exchange(first: str | Path, second: str | Path) -> None:
    """Exchange two paths in one step (Linux renameat2 RENAME_EXCHANGE: Linux 3.15+, glibc 2.28+), so that a
    folder replaced as a whole (an outbox, a newsroom) is never missing nor half there. OSError with one of
    EXCHANGE_UNSUPPORTED where the system cannot; the caller then falls back to two renames."""
    if sys.platform != "linux":
        raise OSError(errno.ENOSYS, "no renameat2 on this system")
    import ctypes

    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        raise OSError(errno.ENOSYS, "no renameat2 in this C library")
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) != 0:
        number = ctypes.get_errno()
        raise OSError(number, os.strerror(number), str(first), None, str(second))
