"""`pressctl export`: contact files, release campaigns, and the export jobs in pressctl.toml."""

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli_support import handles_errors
from pressctl.commands.options import DEFAULT_CONTACTS, ConfigOption, ContactsOption, OutputOption
from pressctl.config import DEFAULT_CONFIG
from pressctl.export import CONTACT_TARGETS, RELEASE_TARGETS

app = typer.Typer(help="Write contact lists and release campaigns in the formats mailing tools import.",
                  no_args_is_help=False, rich_markup_mode=None)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="export")


def _warn(warnings: tuple[str, ...] | list[str]) -> None:
    for warning in warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)


@app.callback(invoke_without_command=True)
@handles_errors
def export(
    ctx: typer.Context,
    job: Annotated[list[str] | None, typer.Option(
        "--job", metavar="NAME", help="Run this job from pressctl.toml (repeatable).")] = None,
    all_jobs: Annotated[bool, typer.Option("--all", help="Run every job in pressctl.toml.")] = False,
    config: ConfigOption = None,
    lock_timeout: Annotated[float, typer.Option("--lock-timeout", help="Seconds to wait for another run.")]
    = 60.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Jobs: print their warnings (always kept in "
                                          "the manifest).")] = False,
) -> None:
    """Write contact lists and release campaigns; with --job or --all, run the jobs in pressctl.toml
    silently (for cron and CI)."""
    if ctx.invoked_subcommand is not None:
        if job or all_jobs:
            raise typer.BadParameter("--job and --all run jobs on their own; leave out the subcommand")
        return
    if not job and not all_jobs:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    from pressctl.export.jobs import run_jobs

    run = run_jobs(config or DEFAULT_CONFIG, names=None if all_jobs else list(job or []), lock_timeout=lock_timeout)
    if verbose:
        _warn(run.warnings)
    run.check()


@app.command("contacts")
@handles_errors
def export_contacts(
    to: Annotated[str, typer.Option("--to", help=f"Target: {', '.join(CONTACT_TARGETS)}.")],
    output: OutputOption = None,
    lists: Annotated[list[str] | None, typer.Option("--list", help="Only contacts on this list (repeatable).")]
    = None,
    exclude_lists: Annotated[list[str] | None, typer.Option("--exclude-list",
                                                            help="Leave out contacts on this list (repeatable).")]
    = None,
    language: Annotated[str | None, typer.Option("--language", help="Only contacts who read this language.")]
    = None,
    contacts: ContactsOption = DEFAULT_CONTACTS,
) -> None:
    """Write the contact book in a mailing tool's or address book's import format."""
    from pressctl.contacts.load import open_book
    from pressctl.export.contacts import Selection, contact_target, export_contacts, summary

    contact_target(to)  # an unknown target fails before the book is read
    book = open_book(contacts)
    result = export_contacts(book, to, Selection(tuple(lists or ()), tuple(exclude_lists or ()), language))
    from pressctl.atomic import write_output

    where = write_output(output, result.data, inputs=(contacts, DEFAULT_CONFIG))
    _warn(result.warnings)
    typer.echo(summary(result, where), err=True)


@app.command("release")
@handles_errors
def export_release(
    release: Annotated[Path, typer.Argument(help="The release file (Markdown with front matter).")],
    to: Annotated[str, typer.Option("--to", help=f"Target: {', '.join(RELEASE_TARGETS)}.")],
    output: OutputOption = None,
    lists: Annotated[list[str] | None, typer.Option("--list", help="Send to this list (repeatable); "
                                                    "default: the release's audience.")] = None,
    contacts: ContactsOption = DEFAULT_CONTACTS,
    config: ConfigOption = None,
) -> None:
    """Write a release as a campaign: standalone HTML, or the JSON body of a tool's campaign API."""
    from pressctl.export.campaign import export_release as build

    result = build(release, to, lists=tuple(lists or ()), contacts=contacts, config=config)
    from pressctl.atomic import write_output

    write_output(output, result.data, inputs=(release, contacts, config or DEFAULT_CONFIG))
    _warn(result.warnings)
