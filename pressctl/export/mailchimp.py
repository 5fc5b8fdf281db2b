"""Mailchimp: the audience import CSV and the campaign API bodies (docs/exports.md §2.1, §3.3)."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, primary, split_name

HEADER = ("Email Address", "First Name", "Last Name", "Phone Number", "Company", "Job Title", "Language", "Tags")
TEXT_FIELD_BYTES = 255  # Mailchimp clips longer text fields
TAG_CHARACTERS = 100


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        ctx.no_column(len(phones) - (main is not None))
        given, family = split_name(contact)
        text = {"First Name": given, "Last Name": family, "Company": contact.organisation or "",
                "Job Title": contact.role or "", "Language": ", ".join(contact.languages)}
        for column, value in text.items():
            ctx.limit(contact, column, value, TEXT_FIELD_BYTES, unit="bytes")
        rows.append((contact.email or "", text["First Name"], text["Last Name"], main.e164 if main else "",
                     text["Company"], text["Job Title"], text["Language"], _tags(contact, ctx)))
    return write_csv(HEADER, rows, Dialect())


def _tags(contact: Contact, ctx: ExportContext) -> str:
    for name in contact.lists:
        if "," in name:
            ctx.fail(contact, f"list {name!r} contains a comma, which separates Mailchimp tags")
        if any(_is_emoji(char) for char in name):
            ctx.fail(contact, f"list {name!r} contains an emoji; Mailchimp tags cannot")
        ctx.limit(contact, f"list {name!r}", name, TAG_CHARACTERS)
    return ",".join(contact.lists)


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF
