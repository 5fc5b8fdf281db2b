"""Outlook and Outlook.com: the Outlook CSV (docs/exports.md §2.6)."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, split_name

HEADER = ("Title", "First Name", "Last Name", "Company", "Job Title", "Business Fax", "Business Phone",
          "Business Phone 2", "Home Phone", "Home Phone 2", "Mobile Phone", "Other Phone", "Categories",
          "E-mail Address", "E-mail Type", "E-mail Display Name", "Language")
# Each phone type fills these columns in turn; a number finding them all taken has no place.
PHONE_COLUMNS = {"work": ("Business Phone", "Business Phone 2"), "home": ("Home Phone", "Home Phone 2"),
                 "mobile": ("Mobile Phone", "Other Phone"), "fax": ("Business Fax",), "other": ("Other Phone",)}
ALL_PHONE_COLUMNS = ("Business Fax", "Business Phone", "Business Phone 2", "Home Phone", "Home Phone 2",
                     "Mobile Phone", "Other Phone")
# Outlook's own export quotes every cell; the BOM makes Windows read the file as UTF-8 (the unused
# `Title` column takes the BOM, which Outlook keeps as part of the first header).
DIALECT = Dialect(bom=True, quote_all=True, spreadsheet=True)


# Column positions, so that a row is filled as a list rather than a dict per contact.
_FIRST, _LAST, _COMPANY, _JOB, _CATEGORIES, _EMAIL, _EMAIL_TYPE, _DISPLAY, _LANGUAGE = (HEADER.index(name) for name in (
    "First Name", "Last Name", "Company", "Job Title", "Categories", "E-mail Address", "E-mail Type",
    "E-mail Display Name", "Language"))
_PHONE_SLOTS = {kind: tuple(HEADER.index(name) for name in names) for kind, names in PHONE_COLUMNS.items()}


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        cells = [""] * len(HEADER)
        cells[_FIRST], cells[_LAST] = split_name(contact)
        cells[_COMPANY] = contact.organisation or ""
        cells[_JOB] = contact.role or ""
        cells[_CATEGORIES] = _categories(contact, ctx)
        cells[_LANGUAGE] = ";".join(contact.languages)
        if contact.email:
            cells[_EMAIL], cells[_EMAIL_TYPE], cells[_DISPLAY] = ctx.email(contact), "SMTP", \
                contact.name
        for phone in ctx.phones(contact):
            free = next((slot for slot in _PHONE_SLOTS[phone.type] if not cells[slot]), None)
            if free is None:
                ctx.no_column(contact, 1)
            else:
                cells[free] = ctx.number(contact, phone)
        rows.append(cells)
    return write_csv(HEADER, rows, DIALECT, phone_columns=ALL_PHONE_COLUMNS)


def _categories(contact: Contact, ctx: ExportContext) -> str:
    for name in contact.lists:
        if ";" in name or "," in name:
            ctx.fail(contact, f"list {name!r} contains ';' or ',', which separate Outlook categories")
    return ";".join(contact.lists)
