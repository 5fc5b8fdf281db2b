"""`pressctl release check`: lint releases against the contact book."""

from pathlib import Path
from typing import Annotated

import typer

from pressctl.commands.options import (
    DEFAULT_CONTACTS,
    ContactsOption,
    FormatOption,
    IgnoreOption,
    SelectOption,
    StrictOption,
    split_codes,
)

app = typer.Typer(help="Check press releases.", no_args_is_help=True, rich_markup_mode=None)


def register(root: typer.Typer) -> None:
    from pressctl.cli_support import handles_errors

    app.command("check")(handles_errors(check))
    root.add_typer(app, name="release")


def check(
    releases: Annotated[list[Path], typer.Argument(help="One or more release files.")],
    contacts: ContactsOption = DEFAULT_CONTACTS,
    fmt: FormatOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    strict: StrictOption = False,
) -> None:
    """Lint a release: front matter, unknown contacts and speakers, embargo, weekdays, placeholders."""
    from pressctl.commands.output import print_report
    from pressctl.contacts.load import open_book
    from pressctl.errors import ExitCode
    from pressctl.release import check_release_files
    from pressctl.report import default_format

    book = open_book(contacts)
    report = check_release_files(releases, book, select=split_codes(select), ignore=split_codes(ignore))
    print_report(report, fmt.value if fmt else default_format())
    if report.failed(strict):
        raise typer.Exit(ExitCode.FAILED)
