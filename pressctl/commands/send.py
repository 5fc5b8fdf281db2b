"""`pressctl send`: deliver a release to its audience over SMTP, exactly once, resumable after any crash."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.commands.options import DEFAULT_CONTACTS, ConfigOption, ContactsOption
from pressctl.commands.render import TemplatesOption

if TYPE_CHECKING:


    from pressctl.config import Config
    from pressctl.contacts.model import ContactBook
    from pressctl.send.delivery import SendResult
    from pressctl.send.journal import Journal
    from pressctl.send.plan import Due, SendPlan
    from pressctl.send.settings import SmtpSettings
    from pressctl.send.transport import Connection


def register(app: typer.Typer) -> None:
    from pressctl.cli_support import handles_errors

    app.command("send")(handles_errors(send))


def send(
    release: Annotated[Path, typer.Argument(help="The release, e.g. releases/2024-06-26-deal.md.")],
    audience: Annotated[list[str] | None, typer.Option(
        "--audience", help="Send to the contacts on this list (repeatable) [default: the release's audience].")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Send to these contact ids, comma-separated.")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Send without asking (needed when not on a terminal).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan; contact no server.")] = False,
    test: Annotated[str | None, typer.Option(
        "--test", metavar="ADDRESS", help="Send only the first recipient's message, marked [TEST], to ADDRESS; "
                                          "record nothing.")] = None,
    status: Annotated[bool, typer.Option("--status", help="Print the journal of this release; send nothing.")] = False,
    report: Annotated[Path | None, typer.Option(
        "--report", metavar="FILE.csv", help="Write one row per recipient (after the send, or with --status).")] = None,
    resend: Annotated[bool, typer.Option("--resend", help="Send again to everyone, on purpose.")] = False,
    resend_unconfirmed: Annotated[bool, typer.Option(
        "--resend-unconfirmed", help="Also send to those whose message a crash left unconfirmed.")] = False,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Try again those the server refused (5xx) before.")] = False,
    continue_changed: Annotated[bool, typer.Option(
        "--continue-changed", help="The release changed after some messages went out: send this version to "
                                   "the rest.")] = False,
    contacts: ContactsOption = DEFAULT_CONTACTS,
    config: ConfigOption = None,
    templates: TemplatesOption = None,
    sender: Annotated[str | None, typer.Option("--from", help="From: address, overriding [sender].")] = None,
) -> None:
    """Send a release by e-mail: one message per recipient, the same messages a merge writes.

    Resumable: run the same command again after any interruption, and nobody gets the release twice.
    """
    from pressctl.contacts.load import open_book
    from pressctl.render import load_config, load_release
    from pressctl.send import workspace_of
    from pressctl.send.plan import plan_send
    from pressctl.send.settings import smtp_settings

    settings_file = load_config(config)
    workspace = workspace_of(settings_file)
    if status:
        _status(release, workspace, report)
        return
    smtp = smtp_settings(settings_file)
    loaded = load_release(release)
    book = open_book(contacts)
    ids = [part.strip() for part in (to or "").split(",") if part.strip()]
    plan = plan_send(loaded, book, settings_file, workspace, audience=audience, to=ids, sender=sender)
    if test:
        _test(plan, book, settings_file, smtp, test, dry_run=dry_run, templates=templates, sender=sender)
        return
    choices = {"resend": resend, "resend_unconfirmed": resend_unconfirmed, "retry_failed": retry_failed,
               "continue_changed": continue_changed}
    if dry_run:
        _dry_run(plan, workspace, smtp, choices)
        return
    _send(plan, book, settings_file, smtp, workspace, choices, yes=yes, report=report, templates=templates,
          sender=sender)


def _status(release: Path, workspace: Path, report: Path | None) -> None:
    from pressctl.send.journal import FILE, FOLDER, Journal
    from pressctl.send.plan import release_identity
    from pressctl.send.report import status_lines

    release_id = release_identity(release, workspace)
    if not (workspace / FOLDER / FILE).exists():
        typer.echo(f"{release_id}: nothing sent yet (no journal in {workspace / FOLDER})")
        return
    journal = Journal.in_workspace(workspace)
    try:
        for line in status_lines(release_id, journal.counts(release_id), journal.rows(release_id)):
            typer.echo(line)
        _write_report(report, journal, release_id)
    finally:
        journal.close()


def _test(plan: "SendPlan", book: "ContactBook", config: "Config", smtp: "SmtpSettings", address: str, *,
          dry_run: bool, templates: Path | None, sender: str | None) -> None:
    from pressctl.errors import ExitCode
    from pressctl.send.delivery import test_message
    from pressctl.send.plan import Due
    from pressctl.send.report import plan_lines
    from pressctl.send.settings import password
    from pressctl.send.transport import Connection

    for line in plan_lines(plan, Due(plan.recipients), smtp, test_to=address):
        typer.echo(line)
    if dry_run:
        return
    connection = Connection(smtp, password(smtp))
    try:
        outcome = test_message(plan, book, config, connection, address, templates=templates, sender=sender)
    finally:
        connection.close()
    if outcome.state != "sent":
        typer.secho(f"error: the test message to {address} was not accepted: {outcome.reply}", fg="red", err=True)
        raise typer.Exit(ExitCode.FAILED)
    typer.echo(f"Sent a test message to {address} ({outcome.reply}). Nothing was recorded.")


def _dry_run(plan: "SendPlan", workspace: Path, smtp: "SmtpSettings", choices: dict[str, bool]) -> None:
    """The plan as a send would see it now; the journal is read (when there is one), never written."""
    from pressctl.send.journal import FILE, FOLDER, Journal
    from pressctl.send.plan import due
    from pressctl.send.report import plan_lines

    rows = {}
    if (workspace / FOLDER / FILE).exists():
        journal = Journal.in_workspace(workspace)
        rows = journal.rows(plan.release_id)
        journal.close()
    for line in plan_lines(plan, due(plan, rows, **choices), smtp):
        typer.echo(line)
    typer.echo("Dry run: nothing was sent.")


def _send(plan: "SendPlan", book: "ContactBook", config: "Config", smtp: "SmtpSettings", workspace: Path,
          choices: dict[str, bool], *, yes: bool, report: Path | None, templates: Path | None,
          sender: str | None) -> None:
    from pressctl.errors import ExitCode, PressctlError
    from pressctl.send.delivery import Sender, SendResult
    from pressctl.send.journal import Journal
    from pressctl.send.report import plan_lines

    journal = Journal.in_workspace(workspace)
    try:
        with journal.lock(plan.release_id):
            due = _due(plan, journal, choices, yes=yes)
            for line in plan_lines(plan, due, smtp):
                typer.echo(line)
            if not due.recipients:
                _write_report(report, journal, plan.release_id)
                _summary(plan, due, SendResult())
                return
            _confirm(f"Send {len(due.recipients)} message{'s' if len(due.recipients) != 1 else ''} now?", yes=yes)
            connections = _connect(smtp)
            run = Sender(plan, book, config, journal, connections, templates, sender, smtp.per_second,
                         smtp.daily_limit, smtp.retries, smtp.retry_wait)
            try:
                from pressctl.commands.output import progress

                with progress(len(due.recipients), "sending") as advance:
                    run.progress = advance
                    result = run.send(due)
            except (PressctlError, KeyboardInterrupt) as err:
                # Stopped part-way: what did go out is in the journal; say so before the reason.
                _summary(plan, due, run.result)
                if isinstance(err, KeyboardInterrupt):
                    typer.secho("interrupted; run the same command again to send the rest (nobody gets it twice)",
                                fg="red", err=True)
                    raise typer.Exit(130) from None
                raise
            finally:
                for connection in connections:
                    connection.close()
                _write_report(report, journal, plan.release_id)
    finally:
        journal.close()
    _summary(plan, due, result)
    if not result.complete:
        raise typer.Exit(ExitCode.FAILED)


def _connect(smtp: "SmtpSettings") -> "list[Connection]":
    """`smtp.connections` open connections: a refusal (a password, a certificate, a server that takes
    fewer at once) stops the send before any message goes out."""
    from pressctl.send.settings import password
    from pressctl.send.transport import Connection, DeliveryError

    secret = password(smtp)
    connections: list[Connection] = []
    try:
        for _ in range(smtp.connections):
            connections.append(Connection(smtp, secret))
            try:
                connections[-1].open()
            except DeliveryError as err:
                accepted = len(connections) - 1
                if not accepted:
                    raise
                raise DeliveryError(err.message, path=err.path, line=err.line,
                                    hint=f"{accepted} connection{'s' if accepted != 1 else ''} at once "
                                         f"{'were' if accepted != 1 else 'was'} accepted, the next was not: lower "
                                         "`smtp.connections`") from None
    except BaseException:
        for connection in connections:
            connection.close()
        raise
    return connections


def _due(plan: "SendPlan", journal: "Journal", choices: dict[str, bool], *, yes: bool) -> "Due":
    """Under the lock: what a crash left is settled, then who is due; a changed release is a question
    on a terminal, and an error elsewhere."""
    from pressctl.send.plan import ReleaseChanged, due

    recovered = journal.recover(plan.release_id)
    if recovered:
        typer.secho(f"{recovered} message{'s' if recovered != 1 else ''} of an interrupted send may or may not have "
                    "reached the server: marked unconfirmed (pressctl send --status lists them)", fg="yellow", err=True)
    if choices["resend"]:
        journal.reset(plan.release_id, ("sent", "unconfirmed", "failed", "deferred"))
    try:
        return due(plan, journal.rows(plan.release_id), **choices)
    except ReleaseChanged as changed:
        if yes or not sys.stdin.isatty():
            raise
        typer.secho(f"{changed.path}: {changed.message}", fg="yellow", err=True)
        _confirm(f"Send this version to the {changed.rest} who have had none (no stops the send)?", yes=False)
        return due(plan, journal.rows(plan.release_id), **{**choices, "continue_changed": True})


def _confirm(question: str, *, yes: bool) -> None:
    from pressctl.errors import UsageError

    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError("not on a terminal, so nobody can confirm: pass --yes to send (or --dry-run to see the "
                         "plan only)")
    typer.confirm(question, abort=True)


def _summary(plan: "SendPlan", due: "Due", result: "SendResult") -> None:
    from pressctl.send.report import summary_line

    for recipient, outcome in result.problems:
        typer.echo(f"  {outcome.state:<11} {recipient.contact.id} <{recipient.envelope}>: {outcome.reply}", err=True)
    typer.echo(summary_line(plan, due, result), err=True)


def _write_report(report: Path | None, journal: "Journal", release_id: str) -> None:
    from pressctl.atomic import write_atomic
    from pressctl.send.report import report_csv

    if report is not None:
        write_atomic(report, report_csv(journal.rows(release_id)))
