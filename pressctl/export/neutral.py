"""pressctl's own CSV and JSON: every field a spreadsheet or script may want (docs/exports.md §2.8, §2.9)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, primary

CSV_HEADER = ("id", "name", "role", "organisation", "email", "phone", "phones", "languages", "lists", "timezone")
CSV_DIALECT = Dialect(bom=True, spreadsheet=True)


def csv_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        rows.append((contact.id, contact.name, contact.role or "", contact.organisation or "", contact.email or "",
                     main.e164 if main else "", "; ".join(f"{p.type}:{p.e164}" for p in phones),
                     "; ".join(contact.languages), "; ".join(contact.lists), contact.timezone or ""))
    return write_csv(CSV_HEADER, rows, CSV_DIALECT, phone_columns=("phone",))


def json_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    records = []
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        records.append({
            "id": contact.id,
            "name": contact.name,
            "role": contact.role,
            "organisation": contact.organisation,
            "email": contact.email,
            "phone": main.e164 if main else None,
            "phones": [{"type": p.type, "number": p.e164, "label": p.label} for p in phones],
            "languages": list(contact.languages),
            "lists": list(contact.lists),
            "timezone": contact.timezone,
            "attributes": dict(contact.extensions),
        })
    return (json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
