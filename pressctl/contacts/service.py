"""What the contacts commands do, as functions that return data."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pressctl.contacts import phones
from pressctl.contacts.load import load_book, open_book
from pressctl.findings import select_rules
from pressctl.report import CheckReport


@dataclass(frozen=True)
class CheckOutcome:
    report: CheckReport
    fixed: int = 0
    diff: str = ""


def check_contacts(path: Path, *, select: list[str], ignore: list[str], fix: bool = False, write: bool = False,
                   deliverability: bool = False) -> CheckOutcome:
    """Load, check, filter by --select/--ignore and, when asked, fix the book."""
    from pressctl.collector import without_gc

    # The collector off for all of it (see pressctl.collector): back on after check_book alone, the pairs
    # made below for each contact made it walk everything the check left (0.3 s at 100,000 contacts).
    with without_gc():
        return _check_contacts(path, select, ignore, fix, write, deliverability)


def _check_contacts(path: Path, select: list[str], ignore: list[str], fix: bool, write: bool,
                    deliverability: bool) -> CheckOutcome:
    from pressctl.contacts.check import check_book

    kept = select_rules(select, ignore)
    result = load_book(path)
    checked = check_book(result, deliverability=deliverability)
    findings = [f for f in checked.findings if f.code in kept]
    subjects = tuple((result.file, cid) for cid in checked.ids)
    fixed, diff = 0, ""
    if fix:
        from pressctl.atomic import write_atomic
        from pressctl.contacts.fix import fix_text

        outcome = fix_text(result, findings)
        if outcome.changed and not write:
            diff = outcome.diff(result.file)
        elif outcome.changed:
            # A book that is a symbolic link is fixed where it lives: the link stays a link.
            write_atomic(Path(os.path.realpath(path)), outcome.fixed.encode("utf-8"))
            fixed = len(outcome.applied)
            applied = set(outcome.applied)
            findings = [f for f in findings if f not in applied]
    report = CheckReport("contacts check", (result.file,), tuple(findings), subjects)
    return CheckOutcome(report, fixed, diff)


@dataclass(frozen=True)
class ContactRow:
    id: str
    name: str
    organisation: str
    email: str
    numbers: tuple[str, ...]
    lists: tuple[str, ...]
    languages: tuple[str, ...]


def list_rows(path: Path, *, lists: list[str], language: str | None, country: str | None) -> list[ContactRow]:
    import phonenumbers

    book = open_book(path)
    rows = []
    for contact in book.contacts:
        if lists and not set(lists) & set(contact.lists):
            continue
        if language and not any(tag == language or tag.startswith(language + "-") for tag in contact.languages):
            continue
        numbers = []
        regions = set()
        for phone in contact.phones:
            parsed = phones.parse(phone.number, contact.phone_region)
            if parsed is not None and phonenumbers.is_valid_number(parsed):
                numbers.append(phones.format_number(parsed, "international"))
                regions.add(phonenumbers.region_code_for_number(parsed))
            else:
                numbers.append(phone.number)
        if country and country.upper() not in regions:
            continue
        rows.append(ContactRow(contact.id, contact.name, contact.organisation or "", contact.email or "",
                               tuple(numbers), contact.lists, contact.languages))
    return rows


def rows_as_json(rows: list[ContactRow]) -> str:
    return json.dumps([asdict(row) for row in rows], ensure_ascii=False, indent=2) + "\n"


def rows_as_csv(rows: list[ContactRow]) -> str:
    """The rows as CSV for a spreadsheet: cells defused against formula injection the way the
    exports' are (pressctl.export.csvfile), numbers in a cell of their own kind."""
    from pressctl.export.csvfile import Dialect, write_csv

    header = ["id", "name", "organisation", "email", "numbers", "lists", "languages"]
    cells = ([row.id, row.name, row.organisation, row.email, "; ".join(row.numbers), "; ".join(row.lists),
              "; ".join(row.languages)] for row in rows)
    return write_csv(header, cells, Dialect(spreadsheet=True), phone_columns=("numbers",)).decode("utf-8")
