"""pressctl's own CSV and JSON: every field a spreadsheet or script may want (docs/exports.md §2.8, §2.9)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, ResolvedPhone, primary

CSV_HEADER = ("id", "name", "role", "organisation", "email", "phone", "phones", "languages", "lists", "timezone")
CSV_DIALECT = Dialect(bom=True, spreadsheet=True)


def csv_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        rows.append((contact.id, contact.name, contact.role or "", contact.organisation or "", contact.email or "",
                     main.e164 if main else "", "; ".join(f"{p.type}:{_tel(p)}" for p in phones),
                     "; ".join(contact.languages), "; ".join(contact.lists), contact.timezone or ""))
    return write_csv(CSV_HEADER, rows, CSV_DIALECT, phone_columns=("phone",))


def _tel(phone: ResolvedPhone) -> str:
    """E.164, with an extension in RFC 3966's `;ext=` form."""
    return f"{phone.e164};ext={phone.extension}" if phone.extension else phone.e164


def json_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    """Laid out exactly as json.dumps(records, indent=2) would, but written directly: with `indent`,
    json falls back to its pure-Python encoder, which made this the slowest target."""
    records = [_json_record(contact, ctx) for contact in contacts]
    if not records:
        return b"[]\n"
    return ("[\n" + ",\n".join(records) + "\n]\n").encode("utf-8")


def _json_record(contact: Contact, ctx: ExportContext) -> str:
    phones = ctx.phones(contact)
    main = primary(phones)
    phone_items = [f'{{\n{_IN * 4}"type": {_text(p.type)},\n{_IN * 4}"number": {_text(p.e164)},\n'
                   f'{_IN * 4}"label": {_text(p.label)},\n{_IN * 4}"extension": {_text(p.extension)}\n{_IN * 3}}}'
                   for p in phones]
    fields = [
        ("id", _text(contact.id)),
        ("name", _text(contact.name)),
        ("role", _text(contact.role)),
        ("organisation", _text(contact.organisation)),
        ("email", _text(contact.email)),
        ("phone", _text(main.e164 if main else None)),
        ("phones", _array(phone_items)),
        ("languages", _array([_text(tag) for tag in contact.languages])),
        ("lists", _array([_text(name) for name in contact.lists])),
        ("timezone", _text(contact.timezone)),
        ("attributes", _attributes(contact)),
    ]
    body = ",\n".join(f"{_IN * 2}{_text(key)}: {value}" for key, value in fields)
    return f"{_IN}{{\n{body}\n{_IN}}}"


_IN = "  "
_escape = json.encoder.encode_basestring  # the C function json.dumps(ensure_ascii=False) uses


def _text(value: str | None) -> str:
    return "null" if value is None else _escape(value)


def _array(items: list[str]) -> str:
    """A list nested in a record, at json's indent=2 layout."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(f"{_IN * 3}{item}" for item in items) + f"\n{_IN * 2}]"


def _attributes(contact: Contact) -> str:
    if not contact.extensions:
        return "{}"
    nested = json.dumps(dict(contact.extensions), ensure_ascii=False, indent=2, default=str)
    return nested.replace("\n", "\n" + _IN * 2)
