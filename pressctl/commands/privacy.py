"""`pressctl contacts forget` and `pressctl contacts show`: glue between the options and pressctl.privacy."""

import json
from typing import Annotated

import typer

from pressctl.cli_support import handles_errors
from pressctl.commands.options import DEFAULT_CONTACTS, ContactsOption


def register(contacts_app: typer.Typer) -> None:
    contacts_app.command("forget")(forget_command)
    contacts_app.command("show")(show_command)


@handles_errors
def forget_command(
    who: Annotated[str, typer.Argument(help="The contact's id or e-mail address.", show_default=False)],
    contacts: ContactsOption = DEFAULT_CONTACTS,
    purge: Annotated[bool, typer.Option("--purge", help="Also delete or rewrite the generated files that hold "
                                        "the person (export outputs, merged messages, the send journal).")] = False,
) -> None:
    """Erase a person on request: out of the book, remembered only as hashes so no import brings them back."""
    from pressctl.commands.output import stderr
    from pressctl.privacy.requests import forget

    result = forget(contacts, who, purge=purge)
    stderr(f"{contacts}: removed `{result.contact}`; {result.hashes} hash"
           f"{'es' if result.hashes != 1 else ''} added to `suppressed:`.")
    for place in result.purged:
        stderr(f"purged: {place}")
    for place in result.left:
        stderr(f"still holds them: {place} (run again with --purge to delete or rewrite it)")
    stderr("pressctl cannot reach: " + "; ".join(result.unreachable) + ".")


@handles_errors
def show_command(
    who: Annotated[str, typer.Argument(help="The contact's id or e-mail address.", show_default=False)],
    contacts: ContactsOption = DEFAULT_CONTACTS,
    personal_data: Annotated[bool, typer.Option("--personal-data", help="Everything pressctl holds about the "
                                                "person, as JSON (a subject access request).")] = False,
) -> None:
    """Show one contact; with --personal-data, everything held about them and where it appears."""
    from pressctl.privacy.requests import personal_data as collect

    report = collect(contacts, who)
    if not personal_data:
        report = {"contact": report["contact"], "appears_in": report["appears_in"]}
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
