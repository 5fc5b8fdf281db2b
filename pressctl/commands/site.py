"""`pressctl site`: build the newsroom from releases/, or serve it on 127.0.0.1 and rebuild on change."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.commands.options import DEFAULT_CONTACTS, ConfigOption, ContactsOption
from pressctl.commands.render import TemplatesOption

if TYPE_CHECKING:
    from datetime import datetime

    from pressctl.site import BuildResult, SiteInputs


def register(app: typer.Typer) -> None:
    from pressctl.cli_support import handles_errors

    app.command("site")(handles_errors(site))


def site(
    output: Annotated[Path, typer.Option("--output", "-o", help="The folder to build the site in.")]
    = Path("public"),
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="The site's address, e.g. https://example.org/press/ [default: [site] base_url].")]
    = None,
    now: Annotated[str | None, typer.Option(
        "--now", help="Build as at this moment (ISO 8601 with offset) instead of the clock: embargoes "
                      "that have not lifted by then stay out.")] = None,
    releases: Annotated[Path, typer.Option("--releases", help="The releases folder.")] = Path("releases"),
    contacts: ContactsOption = DEFAULT_CONTACTS,
    templates: TemplatesOption = None,
    config: ConfigOption = None,
    serve: Annotated[bool, typer.Option("--serve", help="Serve the site on 127.0.0.1 and rebuild it when a "
                                                        "release, template or the contact book changes.")]
    = False,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, show_default=False,
                                      help="The port for --serve [default: an unused one].")] = 0,
) -> None:
    """Build the newsroom: an index, a page per release, Atom feeds, sitemap.xml and ninjs.

    A release whose embargo has not lifted appears nowhere in the site.
    """
    from pressctl.site import SiteInputs, build_site, parse_now

    moment = parse_now(now) if now is not None else None
    inputs = SiteInputs(releases, contacts, config, templates)
    if serve:
        _serve(inputs, output, base_url, moment, port)
        return
    result = build_site(inputs, output, base_url=base_url, now=moment)
    typer.echo(_summary(result), err=True)


def _summary(result: "BuildResult") -> str:
    pages = f"{result.pages} release{'s' if result.pages != 1 else ''}"
    languages = f" in {len(result.languages)} languages" if len(result.languages) > 1 else ""
    waiting = f"; {result.embargoed} under embargo left out" if result.embargoed else ""
    if not result.changed:
        return f"{result.output}/ is up to date ({pages}{languages}{waiting}); nothing was written."
    return f"Built {result.output}/: {pages}{languages}{waiting}."


def _serve(inputs: "SiteInputs", output: Path, base_url: str | None, now: "datetime | None", port: int) -> None:
    from pressctl.site.serve import serve

    def say(message: str) -> None:
        typer.echo(message, err=True)

    serve(inputs, output, base_url=base_url, now=now, port=port,
          on_ready=lambda url: say(f"Serving {output}/ at {url} (Ctrl-C stops)."),
          on_build=lambda result: say(_summary(result)),
          on_error=lambda err: say(f"error: {err}\n  (still serving the last good build)"))
