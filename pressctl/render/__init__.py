"""Rendering releases: text, HTML, e-mail and mail merge. The stable API that exports build on."""

from __future__ import annotations

from pathlib import Path

from pressctl.config import Config, load_config
from pressctl.contacts.model import ContactBook
from pressctl.release import Release, load_release
from pressctl.render.document import (
    build_context,
    ensure_renderable,
    preheader_for,
    render_document,
    subject_for,
)

__all__ = [
    "load_config", "load_release", "preheader_for", "render_email", "render_html", "render_text",
    "subject_for",
]


def render_text(release: Release, book: ContactBook, config: Config, *, templates: Path | str | None = None) -> str:
    """The plain-text release, wrapped at 72 columns."""
    ensure_renderable(release, book)
    return render_document("text", build_context(release, book, config), templates)


def render_html(release: Release, book: ContactBook, config: Config, *, templates: Path | str | None = None,
                email: bool = False) -> str:
    """The standalone HTML5 release, or with `email=True` the e-mail HTML with its CSS inlined."""
    ensure_renderable(release, book)
    return render_document("email" if email else "html", build_context(release, book, config), templates)


def render_email(release: Release, book: ContactBook, config: Config, *, templates: Path | str | None = None,
                 sender: str | None = None) -> bytes:
    """One .eml message (no recipient): multipart/alternative, text then HTML with CSS inlined."""
    from pressctl.render.email import single_message

    ensure_renderable(release, book)
    return single_message(release, book, config, templates=templates, sender=sender)

