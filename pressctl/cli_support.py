"""The edge between commands and the core: user errors and operating-system errors become one
message and an exit code."""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from pressctl.errors import ExitCode, PressctlError, UsageError, os_error

F = TypeVar("F", bound=Callable[..., Any])


def report_error(err: PressctlError) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)


def handles_errors(func: F) -> F:
    """Map PressctlError, and any OSError the core did not name more precisely (a file that vanished,
    standard output closed), to one message and an exit code, so no user mistake shows a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PressctlError as err:
            report_error(err)
            raise typer.Exit(err.exit_code) from None
        except BrokenPipeError as err:
            _silence_stdout()
            report_error(os_error(err, "<stdout>", doing="cannot write"))
            raise typer.Exit(ExitCode.FAILED) from None
        except OSError as err:
            error = os_error(err)
            report_error(error)
            raise typer.Exit(error.exit_code) from None
        except ValueError as err:
            if "null byte" not in str(err):  # os functions refuse a path with a NUL byte this way
                raise
            report_error(UsageError("a file name holds a NUL byte"))
            raise typer.Exit(ExitCode.USAGE) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; nothing was written", fg=typer.colors.RED, err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    """Once the reader of standard output is gone, point it at /dev/null, so that Python's own flush
    at exit does not fail a second time with a traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
