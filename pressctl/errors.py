"""Errors a user can cause, and the exit codes they map to."""

from __future__ import annotations

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
