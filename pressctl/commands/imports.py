"""`pressctl contacts import`: glue between the options and pressctl.imports."""

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli_support import handles_errors
from pressctl.commands.options import DEFAULT_CONTACTS, ContactsOption
from pressctl.errors import ExitCode

_SHOWN = 20  # bad rows, conflicts and findings listed before "… and N more"


def register(contacts_app: typer.Typer) -> None:
    contacts_app.command("import")(import_command)


@handles_errors
def import_command(
    files: Annotated[list[Path] | None, typer.Argument(help="CSV, JSON or vCard files to import.",
                                                       show_default=False)] = None,
    contacts: ContactsOption = DEFAULT_CONTACTS,
    source_format: Annotated[str | None, typer.Option(
        "--from", help="The files' format (google, outlook, mailchimp, brevo, listmonk, constant-contact, csv, "
        "json, vcard) when the header does not tell.")] = None,
    mapping: Annotated[str | None, typer.Option(
        "--map", help='A generic CSV: "Column=key,…" for every column (key `-` leaves a column aside).')] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="The files' encoding when not UTF-8 or UTF-16 with a BOM (e.g. cp1252).")] = None,
    region: Annotated[str | None, typer.Option(
        "--region", help="ISO country code for numbers written without one (else defaults.region).")] = None,
    lists: Annotated[list[str] | None, typer.Option("--list", help="Put every imported contact on this list "
                                                    "(repeatable).")] = None,
    consent_basis: Annotated[str | None, typer.Option(
        "--consent-basis", help="consent or legitimate-interest, for contacts put on a list.")] = None,
    consent_source: Annotated[str | None, typer.Option(
        "--consent-source", help="Where the consent or interest comes from, e.g. 'press list 2024'.")] = None,
    update: Annotated[bool, typer.Option("--update", help="Fill empty keys of matched contacts; list conflicts.")]
    = False,
    unsubscribes: Annotated[list[Path] | None, typer.Option(
        "--unsubscribes", help="A file of addresses, one a line, to mark unsubscribed (repeatable).")] = None,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Import the good rows and list the bad ones.")]
    = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")] = False,
    diff: Annotated[bool, typer.Option("--diff", help="Print the change to the book; write nothing.")] = False,
) -> None:
    """Bring contacts in from Google, Outlook, Mailchimp, Brevo, listmonk, Constant Contact, vCard or CSV."""
    from pressctl.commands.output import stderr
    from pressctl.imports.merge import Options
    from pressctl.imports.service import import_contacts

    options = Options(region=region.upper() if region else None, lists=tuple(lists or ()),
                      consent_basis=consent_basis or "", consent_source=consent_source or "", update=update,
                      skip_bad=skip_bad)
    result = import_contacts(contacts, list(files or []), fmt=source_format, mapping=mapping, encoding=encoding,
                             unsubscribes=list(unsubscribes or []), options=options, dry_run=dry_run, diff=diff)
    plan = result.plan
    for line in plan.warnings:
        stderr(f"warning: {line}")
    _listed(plan.bad, "")
    if plan.bad and not skip_bad:
        stderr(f"error: {len(plan.bad)} bad row{'s' if len(plan.bad) != 1 else ''}; nothing was written to "
               f"{contacts} (correct them, or pass --skip-bad to import the rest)")
        raise typer.Exit(ExitCode.FAILED)
    _listed(plan.conflicts, "conflict: ")
    _listed([f"{where}: {f.code} {f.message}" for f, where in result.findings], "")
    if result.diff:
        typer.echo(result.diff, nl=False)
    skipped = "; ".join(f"{count} {why}" for why, count in sorted(plan.skipped.items()))
    verb = "would import" if dry_run or diff else "imported"
    stderr(f"{contacts}: {verb} {len(plan.added)}, updated {len(plan.updated)}, marked unsubscribed "
           f"{len(plan.unsubscribed)}" + (f"; left out {skipped}" if skipped else "") + ".")
    if any(f.severity.value == "error" for f, _ in result.findings):
        raise typer.Exit(ExitCode.FAILED)


def _listed(lines: list[str], prefix: str) -> None:
    from pressctl.commands.output import stderr

    for line in lines[:_SHOWN]:
        stderr(f"{prefix}{line}")
    if len(lines) > _SHOWN:
        stderr(f"… and {len(lines) - _SHOWN} more")
