"""Brevo: the contact import CSV and the e-mail campaign API body (docs/exports.md §2.2, §3.4)."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, first_of, split_name

HEADER = ("EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "LANDLINE_NUMBER", "EXT_ID", "JOB_TITLE", "COMPANY", "LANGUAGE")
DIALECT = Dialect(delimiter=";")


def takes(contact: Contact, ctx: ExportContext) -> bool:
    """Brevo keys a contact on its address or on a number (EXT_ID alone would make an unusable contact)."""
    return bool(contact.email) or any(p.type != "fax" for p in ctx.phones(contact))


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        mobile = first_of(phones, "mobile")
        landline = first_of(phones, "work", "home", "other")
        ctx.no_column(len(phones) - (mobile is not None) - (landline is not None))
        given, family = split_name(contact)
        rows.append((contact.email or "", given, family, mobile.e164 if mobile else "",
                     landline.e164 if landline else "", contact.id, contact.role or "", contact.organisation or "",
                     ", ".join(contact.languages)))
    return write_csv(HEADER, rows, DIALECT)
