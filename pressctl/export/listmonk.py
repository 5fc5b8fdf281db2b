"""listmonk: the subscriber import CSV and the campaign API body (docs/exports.md §2.3, §3.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.utils import formataddr
from typing import TYPE_CHECKING, Any

from pressctl.contacts.model import Contact
from pressctl.export.attributes import extension_values
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, ResolvedPhone, primary

if TYPE_CHECKING:
    from pressctl.export.campaign import Campaign, ListIds

HEADER = ("email", "name", "attributes")


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = [(ctx.email(contact), contact.name, attributes_json(contact, ctx.phones(contact), ctx.book_file))
            for contact in contacts]
    return write_csv(HEADER, rows, Dialect())


def attributes(contact: Contact, phones: list[ResolvedPhone], book_file: str = "") -> dict[str, Any]:
    """The subscriber's attributes: every field listmonk has no column for, empty ones left out."""
    main = primary(phones)
    found: dict[str, Any] = {
        "pressctl_id": contact.id,
        "role": contact.role,
        "organisation": contact.organisation,
        "phone": main.e164 if main else None,
        "phone_extension": main.extension if main else None,
        "phones": [_phone(p) for p in phones],
        "languages": list(contact.languages),
        "lists": list(contact.lists),
        "timezone": contact.timezone,
        **extension_values(contact, book_file),
    }
    return {key: value for key, value in found.items() if value not in (None, "", [], {})}


def attributes_json(contact: Contact, phones: list[ResolvedPhone], book_file: str = "") -> str:
    """`attributes` as JSON with sorted keys and no spaces, so the same contact always gives the same
    bytes. Without extensions the keys are known, and the text is put together directly: json.dumps
    with sort_keys cost more than the rest of a row. tests/test_export_contacts.py holds the two equal."""
    if contact.extensions:
        return json.dumps(attributes(contact, phones, book_file), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), allow_nan=False)
    main = primary(phones)
    fields = []
    if contact.languages:
        fields.append(f'"languages":[{",".join(map(_string, contact.languages))}]')
    if contact.lists:
        fields.append(f'"lists":[{",".join(map(_string, contact.lists))}]')
    if contact.organisation:
        fields.append(f'"organisation":{_string(contact.organisation)}')
    if main:
        fields.append(f'"phone":{_string(main.e164)}')
        if main.extension:
            fields.append(f'"phone_extension":{_string(main.extension)}')
    if phones:
        fields.append(f'"phones":[{",".join(map(_phone_json, phones))}]')
    if contact.id:
        fields.append(f'"pressctl_id":{_string(contact.id)}')
    if contact.role:
        fields.append(f'"role":{_string(contact.role)}')
    if contact.timezone:
        fields.append(f'"timezone":{_string(contact.timezone)}')
    return "{" + ",".join(fields) + "}"


_string = json.encoder.encode_basestring  # the C function json.dumps(ensure_ascii=False) uses for text


def _phone(phone: ResolvedPhone) -> dict[str, str]:
    optional = {"label": phone.label, "extension": phone.extension}
    return {"type": phone.type, "number": phone.e164, **{key: value for key, value in optional.items() if value}}


def _phone_json(phone: ResolvedPhone) -> str:
    """`_phone` as json.dumps writes it with sorted keys."""
    extension = f'"extension":{_string(phone.extension)},' if phone.extension else ""
    label = f'"label":{_string(phone.label)},' if phone.label else ""
    return f'{{{extension}{label}"number":{_string(phone.e164)},"type":{_string(phone.type)}}}'


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
