"""`pressctl render`: a release as text, HTML, e-mail or PDF, or merged into one message per recipient."""

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.commands.options import DEFAULT_CONTACTS, ConfigOption, ContactsOption

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.progress import Progress

    from pressctl.config import Config
    from pressctl.contacts.model import ContactBook
    from pressctl.release import Release

TemplatesOption = Annotated[
    Path | None,
    typer.Option("--templates", help="Templates folder that overrides the built-in set by name "
                                     "[default: ./templates when present]."),
]


class Format(StrEnum):
    text = "text"
    html = "html"
    eml = "eml"
    pdf = "pdf"


def register(app: typer.Typer) -> None:
    from pressctl.cli_support import handles_errors

    app.command("render")(handles_errors(render))


def render(
    release: Annotated[Path, typer.Argument(help="The release, e.g. releases/2024-06-26-deal.md.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write here instead of standard output; for a merge, a folder (DIR/).")] = None,
    contacts: ContactsOption = DEFAULT_CONTACTS,
    templates: TemplatesOption = None,
    config: ConfigOption = None,
    sender: Annotated[str | None, typer.Option("--from", help="From: address, overriding [sender].")] = None,
    audience: Annotated[list[str] | None, typer.Option(
        "--audience", help="Merge: one message per contact on this list (repeatable).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Merge: one message per contact id, comma-separated.")] = None,
    mbox: Annotated[Path | None, typer.Option("--mbox", help="Merge: write all messages to this mbox file.")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", help="Render the release's version in this language (NAME.TAG.md beside NAME.md).")] = None,
) -> None:
    """Render a release as text, HTML, e-mail (.eml) or PDF; with --audience or --to, one e-mail per recipient.

    Nothing is ever sent.
    """
    from pressctl.atomic import write_output
    from pressctl.contacts.load import open_book
    from pressctl.errors import UsageError
    from pressctl.release.versions import load_version, load_versions
    from pressctl.render import load_config, render_email, render_html, render_text

    # `-o outbox/` names a folder even before it exists: a merge into it.
    folder = output is not None and (output.endswith(("/", os.sep)) or Path(output).is_dir())
    target = Path(output) if output is not None else None
    merging = bool(audience or to or mbox)
    if merging and fmt is not Format.eml:
        raise UsageError("--audience, --to and --mbox make e-mails: add --format eml")
    if mbox and output:
        raise UsageError("give either -o DIR or --mbox FILE, not both")
    loaded = load_version(release, language)
    settings = load_config(config)
    _warn_untranslated(loaded.language)
    book = open_book(contacts)
    if merging or (fmt is Format.eml and folder):
        ids = [part.strip() for part in (to or "").split(",") if part.strip()]
        _merge(loaded, book, settings, audience or [], ids, target, mbox, templates, sender,
               load_versions(release) if language is None else {language: loaded})
        return
    if folder:
        raise UsageError(f"{output} is a folder: give a file name, or use --format eml to merge into it")
    if fmt is Format.text:
        data: bytes = render_text(loaded, book, settings, templates=templates).encode("utf-8")
    elif fmt is Format.html:
        data = render_html(loaded, book, settings, templates=templates).encode("utf-8")
    elif fmt is Format.pdf:
        from pressctl.render.pdf import render_pdf

        if target is None and sys.stdout.isatty():
            raise UsageError("a PDF is not for the terminal: add -o FILE.pdf")
        data = render_pdf(loaded, book, settings, templates=templates)
    else:
        data = render_email(loaded, book, settings, templates=templates, sender=sender)
    write_output(target, data)


def _warn_untranslated(language: str) -> None:
    from pressctl.render.phrases import phrases_for

    warning = phrases_for(language).fallback_warning
    if warning:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)


def _merge(release: "Release", book: "ContactBook", config: "Config", audience: list[str], ids: list[str],
           output: Path | None, mbox: Path | None, templates: Path | None, sender: str | None,
           versions: "dict[str, Release]") -> None:
    from pressctl.errors import UsageError
    from pressctl.render.merge import merge_versions, plan_merge, write_folder, write_mbox

    if output is None and mbox is None:
        raise UsageError("a merge writes one file per recipient: add -o DIR or --mbox FILE")
    plan = plan_merge(release, book, audience=audience, to=ids)
    languages, messages = merge_versions(versions, book, config, plan.recipients, templates=templates, sender=sender)
    with _progress(len(plan.recipients)) as advance:
        if mbox is not None:
            written = write_mbox(mbox, messages, advance)
        else:
            assert output is not None  # refused above when neither is given
            written = write_folder(output, messages, advance, ids=[contact.id for contact in plan.recipients])
    where = str(mbox) if mbox is not None else f"{output}/"
    summary = f"Wrote {written} message{'s' if written != 1 else ''} to {where}"
    if len(versions) > 1:
        summary += " (" + ", ".join(f"{count} {language}" for language, count in languages.items()) + ")"
    skipped = sum(plan.skipped.values())
    if skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(plan.skipped.items()))
        summary += f"; skipped {skipped} ({reasons})"
    typer.echo(summary + ". Nothing was sent.", err=True)


class _progress:
    """A Rich progress bar on a terminal; silence elsewhere."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Progress | None = None

    def __enter__(self) -> "Callable[[], None] | None":
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn("merging"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task("merge", total=self.total)
        self.bar = bar
        return lambda: bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
