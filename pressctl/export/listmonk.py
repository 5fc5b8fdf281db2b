"""listmonk: the subscriber import CSV and the campaign API body (docs/exports.md §2.3, §3.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, ResolvedPhone, primary

if TYPE_CHECKING:
    from pressctl.export.campaign import Campaign, ListIds

HEADER = ("email", "name", "attributes")


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = [(contact.email or "", contact.name, _attributes(contact, ctx)) for contact in contacts]
    return write_csv(HEADER, rows, Dialect())


def _attributes(contact: Contact, ctx: ExportContext) -> str:
    phones = ctx.phones(contact)
    main = primary(phones)
    attributes: dict[str, Any] = {
        "pressctl_id": contact.id,
        "role": contact.role,
        "organisation": contact.organisation,
        "phone": main.e164 if main else None,
        "phone_extension": main.extension if main else None,
        "phones": [_phone(p) for p in phones],
        "languages": list(contact.languages),
        "lists": list(contact.lists),
        "timezone": contact.timezone,
        **contact.extensions,
    }
    kept = {key: value for key, value in attributes.items() if value not in (None, "", [], {})}
    # Sorted keys and no spaces: the same contact always gives the same bytes.
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _phone(phone: ResolvedPhone) -> dict[str, str]:
    optional = {"label": phone.label, "extension": phone.extension}
    return {"type": phone.type, "number": phone.e164, **{key: value for key, value in optional.items() if value}}


def campaign(campaign: Campaign, lists: ListIds, warnings: list[str]) -> dict[str, Any]:
    """The body of listmonk's POST /api/campaigns. listmonk wraps `body` in its campaign template, so
    it gets the inside of <body> only."""
    ids = lists.numbers()
    document: dict[str, Any] = {
        "name": campaign.name,
        "subject": campaign.subject,
        "lists": ids,
        # Quoted or encoded as a header needs it: a comma or quote in the name must not split the address.
        "from_email": formataddr((campaign.sender_name, campaign.sender_email)),
        "type": "regular",
        "content_type": "html",
        "messenger": "email",
        "body": campaign.body_html,
        "altbody": campaign.text,
        "tags": ["pressctl", campaign.slug],
        "headers": [{"X-Press-Release": campaign.slug}],
    }
    if campaign.send_at is not None:
        document["send_at"] = campaign.send_at.isoformat(timespec="seconds")
    return document
