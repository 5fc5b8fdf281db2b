"""`export release --to ninjs`: the release as the ninjs 3.1 document the newsroom publishes beside its page."""

from __future__ import annotations

from pathlib import Path

from pressctl.export.contacts import ExportResult


def export_ninjs(release_path: Path, *, contacts: Path, config: Path | None,
                 base_url: str | None = None) -> ExportResult:
    """The same document as `<slug>.ninjs.json` in the site; the base URL comes from `[site] base_url`."""
    from pressctl.config import load_config
    from pressctl.contacts.load import open_book
    from pressctl.render import load_release
    from pressctl.render.document import build_context, ensure_renderable
    from pressctl.site.ninjs import document, dumps
    from pressctl.site.settings import site_settings

    release = load_release(release_path)
    settings = load_config(config)
    base = site_settings(settings, base_url).base_url
    book = open_book(contacts)
    ensure_renderable(release, book)
    return ExportResult("ninjs", dumps(document(release, build_context(release, book, settings), base, settings)), 1)
