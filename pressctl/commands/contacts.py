"""`pressctl contacts check` and `pressctl contacts list`."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli_support import handles_errors
from pressctl.commands.options import (
    DEFAULT_CONTACTS,
    ContactsOption,
    FormatOption,
    IgnoreOption,
    SelectOption,
    StrictOption,
    split_codes,
)
from pressctl.errors import ExitCode

app = typer.Typer(rich_markup_mode=None, help="Check and list the contact book.", no_args_is_help=True)


class ListFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command("check")
@handles_errors
def check(
    file: Annotated[Path | None, typer.Argument(help="The contact book [default: ./contacts.yaml].",
                                                show_default=False)] = None,
    contacts: Annotated[Path | None, typer.Option("--contacts", help="The contact book (same as FILE).")] = None,
    fmt: FormatOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    strict: StrictOption = False,
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite what is fixable, in place.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print what --fix would change; write nothing.")] = False,
    deliverability: Annotated[bool, typer.Option(
        "--check-deliverability", help="Look up the mail domains in DNS.")] = False,
) -> None:
    """Validate the contact book: phone numbers, email addresses, duplicates, required fields."""
    from pressctl.commands.output import print_report, stderr
    from pressctl.contacts.service import check_contacts
    from pressctl.report import default_format

    path = file or contacts or DEFAULT_CONTACTS
    outcome = check_contacts(path, select=split_codes(select), ignore=split_codes(ignore), fix=fix or diff,
                             write=fix and not diff, deliverability=deliverability)
    if diff:
        typer.echo(outcome.diff, nl=False)
        raise typer.Exit(ExitCode.FAILED if outcome.diff else ExitCode.OK)
    if outcome.fixed:
        stderr(f"Fixed {outcome.fixed} finding{'s' if outcome.fixed != 1 else ''} in {path}.")
    print_report(outcome.report, (fmt.value if fmt else default_format()))
    if outcome.report.failed(strict):
        raise typer.Exit(ExitCode.FAILED)


@app.command("list")
@handles_errors
def list_contacts(
    contacts: ContactsOption = DEFAULT_CONTACTS,
    lists: Annotated[list[str] | None, typer.Option("--list", help="Only contacts on this list (repeatable).")] = None,
    language: Annotated[str | None, typer.Option("--language", help="Only contacts who speak this language.")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="Only contacts with a number in this country (ISO code, e.g. NL).")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", help="table, json or csv.")] = ListFormat.table,
) -> None:
    """List contacts with their numbers in international form.

    The table fits the terminal: when it is too narrow, the lists column goes first, then
    organisation, then id. --format json and csv give every column, for scripts."""
    from pressctl.contacts.service import list_rows

    rows = list_rows(contacts, lists=lists or [], language=language, country=country)
    if fmt is ListFormat.table:
        from pressctl.commands.output import print_contacts

        print_contacts(rows)
        return
    from pressctl.contacts.service import rows_as_csv, rows_as_json

    typer.echo(rows_as_json(rows) if fmt is ListFormat.json else rows_as_csv(rows), nl=False)
