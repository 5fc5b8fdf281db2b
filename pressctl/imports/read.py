"""Reading a source file: its encoding, its kind (CSV, JSON, vCard), and its rows as Records."""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.errors import InputError, UsageError
from pressctl.imports import formats
from pressctl.imports.record import PhoneIn, Record
from pressctl.suggest import did_you_mean

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
MAX_CELL = 1 << 20  # characters: a cell larger than a megabyte is not a contact's field


@dataclass
class Source:
    """One file being read: its format and what the reader noticed in its header now; its rows as they
    are read (an iterator, so that a large file is never held as a list of rows), each made a Record
    by `to_record` (a CSV row's cells are mapped where the row is prepared, see imports.prepare)."""

    path: str
    format: str
    rows: Iterable[Any] = ()
    warnings: list[str] = field(default_factory=list)
    to_record: Callable[[Any], Record] = field(default=lambda record: record)
    size: int = 0  # bytes

    @property
    def records(self) -> Iterator[Record]:
        return map(self.to_record, self.rows)


def encoding_of(path: Path, named: str | None) -> str:
    """UTF-8 (with or without BOM) and UTF-16 with a BOM are recognised; anything else must be named."""
    try:
        with path.open("rb") as handle:
            start = handle.read(4)
    except FileNotFoundError:
        raise UsageError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path=str(path)) from None
    if named:
        try:
            codecs.lookup(named)
        except LookupError:
            raise UsageError(f"--encoding {named!r} is not an encoding Python knows (e.g. cp1252, latin-1)") from None
        return named
    for bom, encoding in _BOMS:
        if start.startswith(bom):
            return encoding
    return "utf-8"


def read_source(path: Path, *, fmt: str | None = None, mapping: str | None = None,
                encoding: str | None = None) -> Source:
    """One file: its header is read and recognised now, its rows as the records are asked for.
    Raises InputError for a file that cannot be read as its format, now or while it is read."""
    chosen = encoding_of(path, encoding)
    display = str(path)
    handle = path.open(encoding=chosen, newline="", errors="strict")
    try:
        head = handle.read(4096)
        handle.seek(0)
        kind = fmt or _kind(path, head)
        if kind == "vcard":
            from pressctl.imports.vcard import read_vcards

            with handle:
                return Source(display, "vcard", read_vcards(handle.read(), display))
        if kind == "json":
            with handle:
                return Source(display, "json", _json_records(handle.read(), display))
        source, reader, mapper = _csv_source(handle, display, kind, mapping)
    except UnicodeDecodeError as err:
        handle.close()
        raise _not_decoded(err, chosen, display) from None
    except BaseException:
        handle.close()
        raise
    source.rows = _csv_rows(handle, reader, chosen, display)
    source.to_record = mapper.row_record
    source.size = path.stat().st_size
    return source


def _not_decoded(err: UnicodeDecodeError, encoding: str, display: str, line: int | None = None) -> InputError:
    """A byte the encoding cannot read stops the import, naming the file, where, and the way out."""
    return InputError(f"not {encoding.upper().replace('-SIG', '')} text (byte 0x{err.object[err.start]:02x}); "
                      "name the file's encoding with --encoding, e.g. --encoding cp1252", path=display, line=line)


def _kind(path: Path, head: str) -> str:
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped[:11].upper() == "BEGIN:VCARD" or path.suffix.lower() in (".vcf", ".vcard"):
        return "vcard"
    if stripped.startswith("["):
        return "json"
    return "auto"


def _csv_source(handle: io.TextIOBase, display: str, kind: str, mapping: str | None
                ) -> tuple[Source, Iterator[list[str]], formats.RowMapper]:
    first = handle.readline()
    delimiter = _delimiter(first)
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty: a CSV import starts with a header row", path=display) from None
    if mapping is not None:
        fmt = formats.generic(mapping, header)
    elif kind not in ("auto", "generic"):
        fmt = formats.by_name(kind)
    else:
        found = formats.recognise(header)
        if found is None:
            raise InputError(
                "the header is not one pressctl recognises (Google, Outlook, Mailchimp, Brevo, listmonk, "
                "Constant Contact, pressctl csv); name the format with --from, or map the columns with "
                "--map \"Column=key,…\"", path=display, line=1)
        fmt = found
    mapper = formats.RowMapper(fmt, header, display)
    source = Source(display, fmt.name)
    unknown = mapper.unknown_columns()
    for column in unknown:
        hint = did_you_mean(column, list(fmt.columns))
        message = f"column {column!r} is not a column of a {fmt.title}{'; ' + hint if hint else ''}"
        if fmt.strict:
            raise InputError(message + (" (map it, or leave it aside with `=-`)" if fmt.name == "generic" else ""),
                             path=display, line=1)
        source.warnings.append(f"{display}:1: {message}; it is left aside")
    return source, reader, mapper


def _csv_rows(handle: io.TextIOBase, reader: Any, encoding: str, display: str) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header with their numbers, read as they are asked for; the file is closed
    when they end."""
    with handle:
        try:
            for number, cells in enumerate(reader, start=2):
                if "".join(cells).strip():  # a row of empty or blank cells is no row
                    yield number, cells
        except csv.Error as err:
            raise InputError(f"row {reader.line_num}: {err}", path=display) from None
        except UnicodeDecodeError as err:  # met as the reader reads on: name the line it had reached
            raise _not_decoded(err, encoding, display, reader.line_num + 1) from None


def _delimiter(line: str) -> str:
    """The separator of the header row: the one of `,` `;` tab that occurs most outside quotes."""
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else ","


def _json_records(text: str, display: str) -> Iterator[Record]:
    """pressctl's own JSON export (docs/exports.md §2.9): a list of contact objects."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise InputError(f"not JSON: {err}", path=display) from None
    if not isinstance(data, list):
        raise InputError("a JSON import is a list of contacts, as `pressctl export contacts --to json` writes",
                         path=display)
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InputError(f"item {number} is not an object", path=display)
        phones = tuple(
            PhoneIn(formats.with_extension(str(p.get("number") or ""), p.get("extension")),
                    _str(p.get("type")) or None, _str(p.get("label")) or None)
            for p in item.get("phones") or [] if isinstance(p, dict) and p.get("number"))
        yield Record(
            source=display, row=number, name=_str(item.get("name")), given_name=_str(item.get("given_name")),
            family_name=_str(item.get("family_name")), email=_str(item.get("email")), phones=phones,
            organisation=_str(item.get("organisation")), role=_str(item.get("role")),
            languages=_strs(item.get("languages")), lists=_strs(item.get("lists")),
            timezone=_str(item.get("timezone")), ref=_str(item.get("id")))


def _str(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _strs(value: object) -> tuple[str, ...]:
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip()) if isinstance(value, list) else ()
