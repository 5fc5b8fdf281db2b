"""Errors a user can cause, and the exit codes they map to."""

from __future__ import annotations

import errno
import os
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Exit codes shared by every command (SPEC §6)."""

    OK = 0
    FAILED = 1  # the input has errors, or the job failed
    USAGE = 2  # usage or configuration error: missing file, bad option


class PressctlError(Exception):
    """A user's mistake: one clear message, never a traceback."""

    exit_code = ExitCode.FAILED

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class InputError(PressctlError):
    """The input (contact book, release, template) is wrong: exit 1."""


class UsageError(PressctlError):
    """A missing file, a bad option or a broken configuration: exit 2."""

    exit_code = ExitCode.USAGE


class JobError(PressctlError):
    """An export job failed while running: exit 1."""


class WriteError(PressctlError):
    """An output could not be written (disk full, a closed pipe): exit 1, or 2 when the path given
    cannot be written at all (see `os_error`)."""


# How an operating-system error reads in a message, and whether it is the user's choice of path (exit 2)
# rather than a failure of the machine (exit 1).
_OS_ERRORS: dict[int, tuple[str, ExitCode]] = {
    errno.ENOSPC: ("no space left on the device", ExitCode.FAILED),
    errno.EDQUOT: ("the disk quota is used up", ExitCode.FAILED),
    errno.EIO: ("input/output error on the device", ExitCode.FAILED),
    errno.EPIPE: ("the reader closed the pipe", ExitCode.FAILED),
    errno.EROFS: ("the file system is read-only", ExitCode.USAGE),
    errno.EACCES: ("permission denied", ExitCode.USAGE),
    errno.EPERM: ("operation not permitted", ExitCode.USAGE),
    errno.ENOENT: ("no such file or folder", ExitCode.USAGE),
    errno.ENOTDIR: ("a part of the path is not a folder", ExitCode.USAGE),
    errno.EISDIR: ("is a folder, not a file", ExitCode.USAGE),
    errno.ENAMETOOLONG: ("the name is too long for the file system", ExitCode.USAGE),
    errno.ELOOP: ("too many levels of symbolic links", ExitCode.USAGE),
    errno.ENXIO: ("no such device, or a FIFO nobody is reading", ExitCode.USAGE),
}


def os_error(err: OSError, path: Path | str | None = None, kind: type[PressctlError] = PressctlError, *,
             doing: str = "", after: str = "") -> PressctlError:
    """An OSError as one message naming `path` (else the error's own file name): `doing: what; after`."""
    what, code = _OS_ERRORS.get(err.errno or 0, ((err.strerror or str(err)).lower(), ExitCode.FAILED))
    if path is None and err.filename is not None:
        path = os.fsdecode(err.filename).replace("\0", "\\0")
    error = kind(f"{doing}: {what}{after}" if doing else f"{what}{after}", path=path)
    error.exit_code = code
    return error
