"""`export release`: a release as a campaign, the standalone HTML or the JSON body of a tool's API."""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pressctl.config import ListId
from pressctl.errors import UsageError
from pressctl.export import RELEASE_TARGETS
from pressctl.export.contacts import ExportResult

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
_BODY_OPEN = re.compile(r"<body[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Campaign:
    """What every campaign target is built from."""

    slug: str  # the release file's name without .md
    name: str  # `<date> <headline>`: the internal name in the tool
    subject: str
    preheader: str
    sender_name: str
    sender_email: str
    html: str  # a whole document, CSS inlined, the preheader hidden at the top of <body>
    text: str
    send_at: datetime | None  # the embargo, when it is still ahead

    @property
    def body_html(self) -> str:
        """The inside of <body>, for tools that wrap the campaign in their own template."""
        match = _BODY.search(self.html)
        return match.group(1).strip() if match else self.html


@dataclass(frozen=True)
class ListIds:
    """List names translated to one tool's ids through its table in pressctl.toml."""

    tool: str
    ids: tuple[Any, ...]

    def numbers(self) -> list[int]:
        """The ids of a tool that numbers its lists (listmonk, Brevo), each once, in order."""
        for value in self.ids:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{self.tool} list ids are positive whole numbers, not {value!r}",
                                 hint=f"check the [{self.tool}.lists] table in pressctl.toml")
        return list(dict.fromkeys(self.ids))


def export_release(release_path: Path, target: str, *, lists: tuple[str, ...] = (),
                   contacts: Path = Path("contacts.yaml"), config: Path | None = None,
                   now: datetime | None = None) -> ExportResult:
    """The campaign for `target`. `lists` default to the release's audience."""
    if target not in RELEASE_TARGETS:
        raise UsageError(f"unknown target {target!r} for releases; known targets: {', '.join(RELEASE_TARGETS)}",
                         hint="pick one with --to")
    if target == "ninjs":  # a news document, not a campaign: no sender, no lists (pressctl.site.ninjs)
        from pressctl.export.ninjs import export_ninjs

        return export_ninjs(release_path, contacts=contacts, config=config)
    from pressctl.contacts.load import open_book
    from pressctl.render import load_release

    release = load_release(release_path)
    from pressctl.render import load_config

    settings = load_config(config)  # None: ./pressctl.toml when present
    warnings: list[str] = []
    campaign = _campaign(release, open_book(contacts), settings, now or datetime.now(UTC), warnings)
    if target == "html":
        return ExportResult(target, campaign.html.encode("utf-8"), 1, warnings=tuple(warnings))
    names = lists or tuple(release.audience)
    if not names:
        raise UsageError(f"the release names no audience and no list was given for {target}",
                         path=release_path, hint="add `audience: [LIST]` to the front matter, or pass --list")
    ids = list_ids(settings.list_ids, target, names, Path(settings.path or "pressctl.toml"))
    module = importlib.import_module(f"pressctl.export.{target}")
    document = module.campaign(campaign, ids, warnings)
    data = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return ExportResult(target, data.encode("utf-8"), 1, warnings=tuple(warnings))


def list_ids(tables: dict[str, dict[str, ListId]], tool: str, names: tuple[str, ...], config: Path) -> ListIds:
    table = tables.get(tool, {})
    ids = []
    for name in dict.fromkeys(names):
        if name not in table:
            raise UsageError(f"no {tool} list id for the list {name!r}: the key `{tool}.lists.{name}` is missing",
                             path=config, hint=f"add it under [{tool}.lists], e.g. `{name} = 3`")
        ids.append(table[name])
    return ListIds(tool, tuple(ids))


def _campaign(release: Any, book: Any, settings: Any, now: datetime, warnings: list[str]) -> Campaign:
    from pressctl.render import preheader_for, render_html, render_text, subject_for

    if not settings.sender.email:
        raise UsageError("a campaign needs a sender: set [sender] name and email", path=settings.path or
                         "pressctl.toml")
    preheader = preheader_for(release)
    html = _with_preheader(render_html(release, book, settings, email=True), preheader)
    send_at = release.embargo
    if send_at is not None and send_at <= now:
        warnings.append(f"the embargo ({send_at.isoformat()}) has passed; the campaign is left unscheduled")
        send_at = None
    return Campaign(
        slug=Path(release.path).stem,
        name=f"{release.date.isoformat()} {release.headline}",
        subject=subject_for(release),
        preheader=preheader,
        sender_name=settings.sender.name or settings.organisation.name or settings.sender.email,
        sender_email=settings.sender.email,
        html=html,
        text=render_text(release, book, settings),
        send_at=send_at,
    )


def _with_preheader(html: str, preheader: str) -> str:
    """Preview text as the first, hidden element of <body>: the usual way to set it in any tool."""
    if not preheader or 'class="preheader"' in html:
        return html
    from html import escape

    hidden = ('<div class="preheader" style="display:none;max-height:0;overflow:hidden;mso-hide:all">'
              f"{escape(preheader)}</div>")
    return _BODY_OPEN.sub(lambda m: m.group(0) + hidden, html, count=1)
