"""Mailchimp: the audience import CSV and the campaign API bodies (docs/exports.md §2.1, §3.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pressctl.contacts.model import Contact
from pressctl.errors import UsageError
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, primary, split_name

if TYPE_CHECKING:
    from pressctl.export.campaign import Campaign, ListIds

HEADER = ("Email Address", "First Name", "Last Name", "Phone Number", "Company", "Job Title", "Language", "Tags")
TEXT_FIELD_BYTES = 255  # Mailchimp clips longer text fields
TEXT_COLUMNS = ("First Name", "Last Name", "Company", "Job Title", "Language")
TAG_CHARACTERS = 100


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    checked_tags: set[str] = set()
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        ctx.no_column(contact, len(phones) - (main is not None))
        given, family = split_name(contact)
        text = (given, family, contact.organisation or "", contact.role or "", ", ".join(contact.languages))
        if max(map(len, text)) * 4 > TEXT_FIELD_BYTES:  # some value may be too long in UTF-8: measure
            for column, value in zip(TEXT_COLUMNS, text, strict=True):
                ctx.limit(contact, column, value, TEXT_FIELD_BYTES, unit="bytes")
        rows.append((ctx.email(contact), text[0], text[1], ctx.number(contact, main), text[2], text[3], text[4],
                     _tags(contact, ctx, checked_tags)))
    return write_csv(HEADER, rows, Dialect())


def _tags(contact: Contact, ctx: ExportContext, checked: set[str]) -> str:
    for name in contact.lists:
        if name in checked:
            continue
        if "," in name:
            ctx.fail(contact, f"list {name!r} contains a comma, which separates Mailchimp tags")
        if any(_is_emoji(char) for char in name):
            ctx.fail(contact, f"list {name!r} contains an emoji; Mailchimp tags cannot")
        ctx.limit(contact, f"list {name!r}", name, TAG_CHARACTERS)
        checked.add(name)
    return ",".join(contact.lists)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF


def campaign(campaign: Campaign, lists: ListIds, warnings: list[str]) -> dict[str, Any]:
    """One body per API call: POST /3.0/campaigns, PUT …/content, POST …/actions/schedule (null: draft)."""
    audiences = {_audience(value) for value in lists.ids}
    if len(audiences) != 1:
        found = sorted(f"{a}" + (f" (segment {s})" if s is not None else "") for a, s in audiences)
        raise UsageError("a Mailchimp campaign goes to one audience and at most one saved segment; "
                         f"these lists map to {' and '.join(found)}",
                         hint="export one campaign per audience (one job per list)")
    list_id, segment = audiences.pop()
    recipients: dict[str, Any] = {"list_id": list_id}
    if segment is not None:
        recipients["segment_opts"] = {"saved_segment_id": segment}
    settings = {"subject_line": campaign.subject, "preview_text": campaign.preheader, "title": campaign.name,
                "from_name": campaign.sender_name, "reply_to": campaign.sender_email}
    return {
        "campaign": {"type": "regular", "recipients": recipients, "settings": settings},
        "content": {"html": campaign.html, "plain_text": campaign.text},
        "schedule": _schedule(campaign.send_at, warnings),
    }


def _audience(value: Any) -> tuple[str, int | None]:
    """`press-eu = "a1b2c3d4e5"` or `press-eu = { list_id = "a1b2c3d4e5", saved_segment_id = 42 }`."""
    if isinstance(value, str) and value:
        return value, None
    if isinstance(value, dict) and isinstance(value.get("list_id"), str):
        segment = value.get("saved_segment_id")
        if segment is None or (isinstance(segment, int) and not isinstance(segment, bool)):
            return value["list_id"], segment
    raise UsageError(f"a Mailchimp list entry must be an audience id or {{ list_id = …, saved_segment_id = … }}, "
                     f"not {value!r}", hint="check the [mailchimp.lists] table in pressctl.toml")


def _schedule(send_at: datetime | None, warnings: list[str]) -> dict[str, str] | None:
    """Mailchimp schedules in UTC on the quarter hour: an embargo between quarters moves to the next one,
    never earlier."""
    if send_at is None:
        return None
    utc = send_at.astimezone(UTC)
    quarter = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
    if quarter < utc:
        quarter += timedelta(minutes=15)
        warnings.append(f"Mailchimp schedules on the quarter hour; the send time is {quarter:%H:%M} UTC, "
                        "just after the embargo")
    return {"schedule_time": quarter.strftime("%Y-%m-%dT%H:%M:%SZ")}
