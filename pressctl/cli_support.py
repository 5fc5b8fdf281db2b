"""The edge between commands and the core: user errors become one message and an exit code."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from pressctl.errors import PressctlError

F = TypeVar("F", bound=Callable[..., Any])


def report_error(err: PressctlError) -> None:
    typer.secho(f"error: {err}", fg=typer.colors.RED, err=True)


def handles_errors(func: F) -> F:
    """Map PressctlError to its message and exit code, so no user mistake shows a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PressctlError as err:
            report_error(err)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            typer.secho("interrupted; nothing was written", fg=typer.colors.RED, err=True)
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]
