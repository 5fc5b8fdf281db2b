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


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        given, family = split_name(contact)
        cells = dict.fromkeys(HEADER, "")
        cells.update({"First Name": given, "Last Name": family, "Company": contact.organisation or "",
                      "Job Title": contact.role or "", "Categories": _categories(contact, ctx),
                      "Language": ";".join(contact.languages)})
        if contact.email:
            cells.update({"E-mail Address": contact.email, "E-mail Type": "SMTP",
                          "E-mail Display Name": contact.name})
        for phone in ctx.phones(contact):
            free = next((c for c in PHONE_COLUMNS[phone.type] if not cells[c]), None)
            if free is None:
                ctx.no_column(1)
            else:
                cells[free] = ctx.number(contact, phone)
        rows.append(list(cells.values()))
    return write_csv(HEADER, rows, DIALECT, phone_columns=ALL_PHONE_COLUMNS)


def _categories(contact: Contact, ctx: ExportContext) -> str:
    for name in contact.lists:
        if ";" in name or "," in name:
            ctx.fail(contact, f"list {name!r} contains ';' or ',', which separate Outlook categories")
    return ";".join(contact.lists)
