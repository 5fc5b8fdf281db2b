"""CSV files as importers and spreadsheets read them, defused against formula injection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# OWASP's formula starters, plus their full-width forms (a pressctl hardening: some spreadsheets
# normalise them). Leading spaces and no-break spaces are looked through.
_FORMULA_START = frozenset("=+-@\t\r\n＝＋－＠")
_LOOK_THROUGH = " \u00a0"
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def defuse(value: str) -> str:
    """Prefix `'` to a cell a spreadsheet would read as a formula (OWASP, CSV Injection)."""
    if not value:
        return value
    first = value[0]
    if first in _LOOK_THROUGH:
        first = value.lstrip(_LOOK_THROUGH)[:1]
    return "'" + value if first and first in _FORMULA_START else value


def defuse_phone(value: str) -> str:
    """A phone cell keeps its `+`: an E.164 number cannot call a function or reference a cell."""
    return value if _E164.fullmatch(value) else defuse(value)


@dataclass(frozen=True)
class Dialect:
    delimiter: str = ","
    bom: bool = False
    quote_all: bool = False
    spreadsheet: bool = False  # opened in spreadsheets: defuse formula cells


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]], dialect: Dialect,
              phone_columns: Iterable[str] = ()) -> bytes:
    """One header row, CRLF line ends (RFC 4180), cells quoted when they need it (or always)."""
    buffer = io.StringIO()
    if dialect.bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n",
                        quoting=csv.QUOTE_ALL if dialect.quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    if dialect.spreadsheet:
        phones = set(phone_columns)
        cleaners = [defuse_phone if name in phones else defuse for name in header]
        rows = ([clean(cell) for clean, cell in zip(cleaners, row, strict=True)] for row in rows)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
