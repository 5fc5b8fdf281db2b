"""`pressctl render`: a release as text, HTML, e-mail or PDF, or merged into one message per recipient."""

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.commands.options import DEFAULT_CONTACTS, ConfigOption, ContactsOption

if TYPE_CHECKING:


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
    releases: Annotated[list[Path], typer.Argument(
        help="The release, e.g. releases/2024-06-26-deal.md; several (releases/*.md) with -o FOLDER/.",
        metavar="RELEASE...")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Write here instead of standard output; a folder (DIR/) for a merge or for "
                               "several releases.")] = None,
    contacts: ContactsOption = DEFAULT_CONTACTS,
    templates: TemplatesOption = None,
    config: ConfigOption = None,
    sender: Annotated[str | None, typer.Option("--from", help="From: address, overriding [sender].")] = None,
    audience: Annotated[list[str] | None, typer.Option(
        "--audience", help="Merge: one message per contact on this list (repeatable).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="Merge: one message per contact id, comma-separated.")] = None,
    mbox: Annotated[str | None, typer.Option("--mbox", help="Merge: write all messages to this mbox file.")] = None,
    language: Annotated[str | None, typer.Option(
        "--language", help="Render the release's version in this language (NAME.TAG.md beside NAME.md).")] = None,
) -> None:
    """Render a release as text, HTML, e-mail (.eml) or PDF; with --audience or --to, one e-mail per recipient.

    Several releases go one file each into -o FOLDER/ (NAME.txt, .html, .eml or .pdf), or as text one
    after another to standard output. Nothing is ever sent.
    """
    from pressctl.errors import UsageError

    # `-o outbox/` names a folder even before it exists.
    folder = output is not None and (output.endswith(("/", os.sep)) or Path(output).is_dir())
    target = Path(output) if output is not None else None
    merging = bool(audience or to or mbox)
    if merging and fmt is not Format.eml:
        raise UsageError("--audience, --to and --mbox make e-mails: add --format eml")
    if mbox and output:
        raise UsageError("give either -o DIR or --mbox FILE, not both")
    several = len(releases) > 1
    if several:
        _refuse_several(releases, fmt, output, folder, merging)

    from contextlib import ExitStack

    from pressctl.collector import frozen, without_gc
    from pressctl.contacts.load import ReadAhead

    # Until the book is built, all that is made (the parsed book, the modules, the release) stays and makes
    # no cycles, and every collection would walk it again: the collector waits, then leaves it all out of
    # its walks until the command ends (bench/merge.py: about 60 ms of 10,000 messages).
    with ExitStack() as kept:
        with without_gc():
            book_ahead = ReadAhead(contacts)  # parsed on a second thread while the release and templates load

            from pressctl.config import DEFAULT_CONFIG
            from pressctl.release.versions import load_version, load_versions
            from pressctl.render import load_config

            templates_folder = templates or Path("templates")
            overrides = tuple(templates_folder.rglob("*")) if templates_folder.is_dir() else ()
            inputs = (*releases, contacts, config or DEFAULT_CONFIG, *overrides)  # never written over
            loaded = [load_version(release, language) for release in releases]
            settings = load_config(config)
            for tag in dict.fromkeys(release.language for release in loaded):
                _warn_untranslated(tag)
            merge = merging or (fmt is Format.eml and folder and not several)
            if merge:
                import pressctl.render.merge  # noqa: F401  (its imports, too, while the book is parsed)
            book = book_ahead.open()
            kept.enter_context(frozen())  # before the collector is back on: it never walks them
        if merge:
            ids = [part.strip() for part in (to or "").split(",") if part.strip()]
            _merge(loaded[0], book, settings, audience or [], ids, target, mbox, templates, sender, inputs,
                   load_versions(releases[0]) if language is None else {language: loaded[0]})
            return
        if folder and not several:
            raise UsageError(f"{output} is a folder: give a file name, or use --format eml to merge into it")
        if fmt is Format.pdf and target is None and sys.stdout.isatty():
            raise UsageError("a PDF is not for the terminal: add -o FILE.pdf")
        documents = [_document(release, book, settings, fmt, templates, sender) for release in loaded]
        if target is None or not folder:
            from pressctl.atomic import write_output

            write_output(target, b"\f\n".join(documents), inputs=inputs)
            return
        _write_each(target, releases, documents, fmt, inputs)


def _refuse_several(releases: list[Path], fmt: Format, output: str | None, folder: bool, merging: bool) -> None:
    from pressctl.errors import UsageError

    count = len(releases)
    if merging:
        raise UsageError(f"a merge renders one release; {count} were given", hint="name the release to merge")
    if output is not None and not folder:
        raise UsageError(f"{count} releases make {count} files, and -o {output} names one",
                         hint="give a folder, e.g. -o rendered/, for one file per release")
    if output is None and fmt is not Format.text:
        raise UsageError(f"{count} releases make {count} {fmt.value} documents, which cannot share standard output",
                         hint="give a folder, e.g. -o rendered/, for one file per release")
    names: dict[str, Path] = {}
    for release in releases:
        if release.stem in names:
            raise UsageError(f"{names[release.stem]} and {release} would both be written as {release.stem}.*",
                             hint="render them into different folders")
        names[release.stem] = release


def _document(release: "Release", book: "ContactBook", settings: "Config", fmt: Format, templates: Path | None,
              sender: str | None) -> bytes:
    from pressctl.render import render_email, render_html, render_text

    if fmt is Format.text:
        return render_text(release, book, settings, templates=templates).encode("utf-8")
    if fmt is Format.html:
        return render_html(release, book, settings, templates=templates).encode("utf-8")
    if fmt is Format.pdf:
        from pressctl.render.pdf import render_pdf

        return render_pdf(release, book, settings, templates=templates)
    return render_email(release, book, settings, templates=templates, sender=sender)


_EXTENSIONS = {Format.text: "txt", Format.html: "html", Format.eml: "eml", Format.pdf: "pdf"}


def _write_each(folder: Path, releases: list[Path], documents: list[bytes], fmt: Format,
                inputs: "tuple[Path, ...]") -> None:
    """One file per release, `FOLDER/NAME.EXT`, every one rendered before the first is written."""
    from pressctl.atomic import write_atomic
    from pressctl.errors import UsageError

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError("is a file, not a folder", path=str(folder)) from None
    for release, data in zip(releases, documents, strict=True):
        write_atomic(folder / f"{release.stem}.{_EXTENSIONS[fmt]}", data, inputs=inputs)
    typer.echo(f"Wrote {len(documents)} releases to {folder}/", err=True)


def _warn_untranslated(language: str) -> None:
    from pressctl.render.phrases import phrases_for

    warning = phrases_for(language).fallback_warning
    if warning:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)


def _merge(release: "Release", book: "ContactBook", config: "Config", audience: list[str], ids: list[str],
           output: Path | None, mbox: str | None, templates: Path | None, sender: str | None,
           inputs: "tuple[Path, ...]", versions: "dict[str, Release]") -> None:
    from pressctl.errors import UsageError
    from pressctl.render.merge import merge_versions, plan_merge, write_folder, write_mbox

    if output is None and mbox is None:
        raise UsageError("a merge writes one file per recipient: add -o DIR or --mbox FILE")
    if mbox is not None:
        from pressctl.atomic import check_output

        check_output(mbox, inputs)  # before any message is rendered
    plan = plan_merge(release, book, audience=audience, to=ids)
    if mbox is not None:  # some messages then come in the mbox's own form, LF line ends and all
        languages, for_mbox = merge_versions(versions, book, config, plan.recipients, templates=templates,
                                             sender=sender, mbox=True)
    else:
        languages, messages = merge_versions(versions, book, config, plan.recipients, templates=templates,
                                             sender=sender)
    from pressctl.commands.output import progress

    with progress(len(plan.recipients), "merging") as advance:
        if mbox is not None:
            written = write_mbox(Path(mbox), for_mbox, advance)
        else:
            assert output is not None  # refused above when neither is given
            written = write_folder(output, messages, advance, ids=[contact.id for contact in plan.recipients])
    where = str(mbox) if mbox is not None else f"{output}/"
    summary = f"Wrote {written} message{'s' if written != 1 else ''} to {where}"
    if len(versions) > 1 and written:
        summary += " (" + ", ".join(f"{count} {language}" for language, count in languages.items()) + ")"
    skipped = sum(plan.skipped.values())
    if skipped:
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(plan.skipped.items()))
        summary += f"; skipped {skipped} ({reasons})"
    typer.echo(summary + ". Nothing was sent.", err=True)
