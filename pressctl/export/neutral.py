"""pressctl's own CSV and JSON: every field a spreadsheet or script may want (docs/exports.md §2.8, §2.9)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from pressctl.contacts.model import Contact
from pressctl.export.attributes import extension_values
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, ResolvedPhone, email_cell, primary

CSV_HEADER = ("id", "name", "role", "organisation", "email", "phone", "phones", "languages", "lists", "timezone")
CSV_DIALECT = Dialect(bom=True, spreadsheet=True)


def csv_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    rows = []
    for contact in contacts:
        phones = ctx.phones(contact)
        main = primary(phones)
        rows.append((contact.id, contact.name, contact.role or "", contact.organisation or "", ctx.email(contact),
                     main.e164 if main else "", "; ".join(f"{p.type}:{_tel(p)}" for p in phones),
                     "; ".join(contact.languages), "; ".join(contact.lists), contact.timezone or ""))
    return write_csv(CSV_HEADER, rows, CSV_DIALECT, phone_columns=("phone",))


def _tel(phone: ResolvedPhone) -> str:
    """E.164, with an extension in RFC 3966's `;ext=` form."""
    return f"{phone.e164};ext={phone.extension}" if phone.extension else phone.e164


def json_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    """Laid out exactly as json.dumps(records, indent=2) would, but written directly: with `indent`,
    json falls back to its pure-Python encoder, which made this the slowest target."""
    records = [_json_record(contact, ctx.phones(contact), ctx.book_file) for contact in contacts]
    if not records:
        return b"[]\n"
    return ("[\n" + ",\n".join(records) + "\n]\n").encode("utf-8")


def _json_record(contact: Contact, phones: list[ResolvedPhone], book_file: str) -> str:
    main = primary(phones)
    email = email_cell(contact, book_file=book_file) or None
    phone_array = _array([f'{{\n{_IN4}"type": {_text(p.type)},\n{_IN4}"number": {_text(p.e164)},\n'
                          f'{_IN4}"label": {_text(p.label)},\n{_IN4}"extension": {_text(p.extension)}\n{_IN3}}}'
                          for p in phones])
    return (f'{_IN}{{\n{_IN2}"id": {_text(contact.id)},\n{_IN2}"name": {_text(contact.name)},\n'
            f'{_IN2}"role": {_text(contact.role)},\n{_IN2}"organisation": {_text(contact.organisation)},\n'
            f'{_IN2}"email": {_text(email)},\n{_IN2}"phone": {_text(main.e164 if main else None)},\n'
            f'{_IN2}"phones": {phone_array},\n{_IN2}"languages": {_text_array(contact.languages)},\n'
            f'{_IN2}"lists": {_text_array(contact.lists)},\n{_IN2}"timezone": {_text(contact.timezone)},\n'
            f'{_IN2}"attributes": {_attributes(contact, book_file)}\n{_IN}}}')


_IN, _IN2, _IN3, _IN4 = "  ", "    ", "      ", "        "
_escape = json.encoder.encode_basestring  # the C function json.dumps(ensure_ascii=False) uses


def _text(value: str | None) -> str:
    return "null" if value is None else _escape(value)


@lru_cache(maxsize=4096)
def _text_array(values: tuple[str, ...]) -> str:
    """Languages and lists: a few distinct ones in a book, each written once."""
    return _array([_text(value) for value in values])


def _array(items: list[str]) -> str:
    """A list nested in a record, at json's indent=2 layout."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(f"{_IN3}{item}" for item in items) + f"\n{_IN2}]"


def _attributes(contact: Contact, book_file: str) -> str:
    if not contact.extensions:
        return "{}"
    nested = json.dumps(extension_values(contact, book_file), ensure_ascii=False, indent=2, allow_nan=False)
    return nested.replace("\n", "\n" + _IN2)
