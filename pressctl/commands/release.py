"""`pressctl release check`: lint releases against the contact book."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from pressctl.commands.options import DEFAULT_CONTACTS, ContactsOption

app = typer.Typer(help="Check press releases.", no_args_is_help=True)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"


def register(root: typer.Typer) -> None:
    from pressctl.cli import handles_errors

    app.command("check")(handles_errors(check))
    root.add_typer(app, name="release")


def check(
    releases: Annotated[list[Path], typer.Argument(help="One or more release files.")],
    contacts: ContactsOption = DEFAULT_CONTACTS,
    fmt: Annotated[ReportFormat | None, typer.Option(
        "--format", help="Output format; github is the default under GitHub Actions.")] = None,
    select: Annotated[list[str] | None, typer.Option(
        "--select", help="Only these codes or prefixes (comma-separated, repeatable).")] = None,
    ignore: Annotated[list[str] | None, typer.Option(
        "--ignore", help="Skip these codes or prefixes (comma-separated, repeatable).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")] = False,
) -> None:
    """Lint a release: front matter, unknown contacts and speakers, embargo, weekdays, placeholders."""
    from pressctl.commands.output import print_report
    from pressctl.contacts.load import open_book
    from pressctl.errors import ExitCode
    from pressctl.release import check_release_files
    from pressctl.report import default_format

    def codes(values: list[str] | None) -> list[str]:
        return [code for value in values or [] for code in value.split(",")]

    book = open_book(contacts)
    report = check_release_files(releases, book, select=codes(select), ignore=codes(ignore))
    print_report(report, fmt.value if fmt else default_format())
    if report.failed(strict):
        raise typer.Exit(ExitCode.FAILED)
