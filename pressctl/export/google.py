"""Google Contacts: the Google CSV (docs/exports.md §2.5)."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.contacts.model import Contact
from pressctl.export.csvfile import Dialect, write_csv
from pressctl.export.fields import ExportContext, split_name

FIXED_HEADER = (
    "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name",
    "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title",
    "Organization Department", "Birthday", "Notes", "Photo", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
)
PHONE_LABELS = {"mobile": "Mobile", "work": "Work", "home": "Home", "fax": "Work Fax", "other": "Other"}
LABEL_SEPARATOR = " ::: "
DIALECT = Dialect(spreadsheet=True)


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    prepared = [(contact, ctx.phones(contact)) for contact in contacts]
    # Google's own export has as many phone column pairs as its fullest contact needs, at least one.
    pairs = max([1, *(len(phones) for _, phones in prepared)])
    phone_header = [f"Phone {n} - {part}" for n in range(1, pairs + 1) for part in ("Label", "Value")]
    rows = []
    for contact, phones in prepared:
        given, family = split_name(contact)
        cells = [given, "", family, "", "", "", "", "", "", contact.name, contact.organisation or "",
                 contact.role or "", "", "", "", "", _labels(contact, ctx),
                 "Work" if contact.email else "", ctx.email(contact)]
        for phone in phones:
            cells += [phone.label or PHONE_LABELS[phone.type], ctx.number(contact, phone)]
        cells += [""] * (len(FIXED_HEADER) + len(phone_header) - len(cells))
        rows.append(cells)
    header = (*FIXED_HEADER, *phone_header)
    return write_csv(header, rows, DIALECT, phone_columns=phone_header[1::2])


def _labels(contact: Contact, ctx: ExportContext) -> str:
    for name in contact.lists:
        if LABEL_SEPARATOR.strip() in name:
            ctx.fail(contact, f"list {name!r} contains ':::', which separates Google labels")
    return LABEL_SEPARATOR.join(("* myContacts", *contact.lists))
