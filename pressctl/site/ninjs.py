"""A release as ninjs 3.1, the IPTC's news in JSON, for wires, aggregators and newsroom systems."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any
from urllib.parse import quote

from pressctl.config import Config
from pressctl.release import Release

SCHEMA = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#"


def document(release: Release, context: dict[str, Any], base_url: str, config: Config) -> dict[str, Any]:
    """The ninjs object for a release and its render context (`build_context`); `base_url` ends with "/"."""
    from pressctl.site.body import body_html, body_text

    page = f"{base_url}{quote(release.slug)}.html"
    created = datetime.combine(release.date, time(0), UTC)
    doc: dict[str, Any] = {
        "uri": base_url + quote(release.slug),
        "standard": {"name": "ninjs", "version": "3.1", "schema": SCHEMA},
        "type": "text",
        "representationType": "full",
        "profile": "press-release",
        "pubStatus": "usable",
        "language": release.language,
        "slugline": release.slug,
        "headlines": [{"role": "main", "contentType": "text/plain", "value": release.headline}],
        "located": release.dateline,
        "firstCreated": _stamp(created),
        "versionCreated": _stamp(release.embargo.astimezone(UTC) if release.embargo else created),
    }
    if release.subheadline:
        doc["headlines"].append({"role": "sub", "contentType": "text/plain", "value": release.subheadline})
    if release.embargo is not None:
        doc["embargoedUntil"] = _stamp(release.embargo.astimezone(UTC))
    html, text = body_html(context), body_text(context)
    doc["bodies"] = [
        {"role": "main", "contentType": "text/html", "charCount": len(text), "wordCount": len(text.split()),
         "value": html},
        {"role": "main", "contentType": "text/plain", "charCount": len(text), "wordCount": len(text.split()),
         "value": text},
    ]
    if context["preheader"]:
        doc["descriptions"] = [{"role": "summary", "contentType": "text/plain", "value": context["preheader"]}]
    notes = [{"role": "note", "contentType": "text/html", "value": str(note.html)} for note in context["notes"]]
    if notes:
        doc.setdefault("descriptions", []).extend(notes)
    people = [_person(p, "mediaContact") for p in context["media_contacts"]]
    people += [_person(q.by, "quoted") for q in context["quotes"]]
    if people:
        doc["people"] = people
    organisation = config.organisation
    if organisation.name:
        issuer: dict[str, Any] = {"name": organisation.name, "rel": "issuer"}
        if organisation.website:
            issuer["uri"] = organisation.website
        doc["organisations"] = [issuer]
        doc["copyrightHolder"] = organisation.name
    doc["renditions"] = [{"name": "html", "href": page, "contentType": "text/html"}]
    return doc


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _person(person: Any, rel: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": person.name, "rel": rel}
    if person.id:
        entry["literal"] = person.id
    info: list[dict[str, str]] = []
    if person.email:
        info.append({"type": "email", "value": person.email})
    info += [{"type": "phone", "name": phone.label, "value": phone.tel} for phone in person.phones]
    if info:
        entry["contactInfo"] = info
    return entry


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
