"""The command line: Typer only. Commands live in pressctl/commands/, one module per group."""

import sys

import typer

from pressctl import __version__
from pressctl.cli_support import report_error
from pressctl.errors import ExitCode, PressctlError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pressctl",
    help="The command-line toolkit for press offices: check the contact book, render releases, "
    "export to mailing tools.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: Rich's help panels import Rich and markdown-it at every start (3x slower).
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pressctl {__version__}")
        raise typer.Exit(ExitCode.OK)


@app.callback()
def root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", callback=_version,
                                 is_eager=True),
) -> None:
    """The command-line toolkit for press offices."""


def _register() -> None:
    from pressctl.commands import contacts, export, imports, init, privacy, release, render, schema, send, site

    imports.register(contacts.app)
    privacy.register(contacts.app)
    app.add_typer(contacts.app, name="contacts")
    app.add_typer(schema.app, name="schema")
    for module in (render, release, init, export, send, site):
        module.register(app)


_register()


def main() -> None:
    try:
        app()
    except PressctlError as err:  # raised outside a command, e.g. while parsing
        report_error(err)
        sys.exit(err.exit_code)
