"""Constant Contact: the contact import CSV (docs/exports.md §2.4)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import gt

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, ResolvedPhone, split_name

PHONE_COLUMNS = {"work": "Phone Number - Work", "home": "Phone Number - Home", "mobile": "Phone Number - Mobile"}
HEADER = ("Email Address", "First Name", "Last Name", "Job Title", "Company", *PHONE_COLUMNS.values())
# Constant Contact KB 37423: the standard headings' character limits.
LIMITS = {"Email Address": 80, "First Name": 50, "Last Name": 50, "Job Title": 50, "Company": 50,
          "Phone Number - Work": 25, "Phone Number - Home": 25, "Phone Number - Mobile": 25}
_LIMITS_IN_ORDER = tuple(LIMITS[column] for column in HEADER)
DIALECT = Dialect(spreadsheet=True)


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        first: dict[str, ResolvedPhone] = {}
        for phone in phones:
            first.setdefault(phone.type, phone)
        chosen = [first.get(kind) for kind in PHONE_COLUMNS]
        ctx.no_column(contact, len(phones) - sum(p is not None for p in chosen))
        given, family = split_name(contact)
        row = (ctx.email(contact), given, family, contact.role or "", contact.organisation or "",
               *(ctx.number(contact, p) for p in chosen))
        if any(map(gt, map(len, row), _LIMITS_IN_ORDER)):
            for column, value in zip(HEADER, row, strict=True):
                ctx.limit(contact, column, value, LIMITS[column])
        rows.append(row)
    return write_csv(HEADER, rows, DIALECT, phone_columns=PHONE_COLUMNS.values())
