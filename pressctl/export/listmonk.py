"""listmonk: the subscriber import CSV and the campaign API body (docs/exports.md §2.3, §3.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, primary

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
        "phones": [_phone(p.type, p.e164, p.label) for p in phones],
        "languages": list(contact.languages),
        "lists": list(contact.lists),
        "timezone": contact.timezone,
        **contact.extensions,
    }
    kept = {key: value for key, value in attributes.items() if value not in (None, "", [], {})}
    # Sorted keys and no spaces: the same contact always gives the same bytes.
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _phone(kind: str, number: str, label: str | None) -> dict[str, str]:
    return {"type": kind, "number": number, **({"label": label} if label else {})}
