"""Load contacts.yaml into a ContactBook, with findings for everything malformed."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pressctl.contacts.model import PHONE_FORMATS, Consent, Contact, ContactBook, Phone
from pressctl.findings import Finding, stop_at_first_error
from pressctl.findings import Path as KeyPath
from pressctl.suggest import did_you_mean
from pressctl.yamlsource import (
    SourceMap,
    SourceText,
    YamlSyntaxError,
    as_written,
    cut_list,
    describe_value,
    key_problem,
    parse_fast,
    read_source,
    timestamp_text,
)

TOP_KEYS = ("version", "defaults", "contacts", "suppressed")
DEFAULT_KEYS = ("region", "phone_format")
CONTACT_KEYS = (
    "id", "name", "given_name", "family_name", "role", "organisation", "email", "phones", "phone", "region",
    "languages", "lists", "timezone", "unsubscribed", "consent", "notes",
)
_CONTACT_KEY_SET = frozenset(CONTACT_KEYS)  # what unknown_keys looks each key of each contact up in
PHONE_KEYS = ("number", "type", "label")
CONSENT_KEYS = ("basis", "source", "date")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


# Each field's slot descriptor: what Contact's own __init__ sets through object.__setattr__, a frozen
# dataclass's way, which costs a third of building a contact.
_CONTACT_SLOTS = tuple(getattr(Contact, field.name).__set__ for field in fields(Contact))


def new_contact(*values: Any) -> Contact:
    """Contact(*values), the fields in their order, built in half the time: each slot is set directly.
    Contact has no __post_init__ to skip; tests/test_loader_strictness.py checks that the two agree."""
    contact = object.__new__(Contact)
    for set_slot, value in zip(_CONTACT_SLOTS, values, strict=True):
        set_slot(contact, value)
    return contact


_UNPARSED = object()


class LoadResult:
    """A read contact book. The whole document is parsed only when `data` is first asked for: a
    large book's check parses it in slices instead, in parallel (see contacts.check)."""

    def __init__(self, file: str, source: SourceText | None, findings: list[Finding]) -> None:
        self.file = file  # the path as the user gave it, for messages
        self.source = source  # None when the file could not be read as text
        self.findings = findings  # what reading and parsing found
        self._data: Any = _UNPARSED if source is not None else None
        self._items: list[int] | None = None  # verified offsets of the contact items
        self._source_map: SourceMap | None = None

    @property
    def data(self) -> Any:
        """The parsed document; None when the file could not be read or parsed."""
        if self._data is _UNPARSED:
            assert self.source is not None
            try:
                self._data = parse_fast(self.source)
            except YamlSyntaxError as err:
                self.findings.append(Finding(err.code, err.message, file=self.file,
                                             line=err.position.line, column=err.position.column))
                self._data = None
        return self._data

    def adopt_items(self, items: list[int] | None) -> None:
        """Offsets of the contact items, verified by the caller's own parse."""
        self._items = items
        self._source_map = None

    @property
    def source_map(self) -> SourceMap | None:
        if self.source is None:
            return None
        if self._source_map is None:
            items = self._items
            if items is None and self.data is not None:
                contacts = self.data.get("contacts") if isinstance(self.data, dict) else None
                cut = cut_list(self.source.text, "contacts")
                if isinstance(contacts, list) and cut is not None and len(cut) == len(contacts) + 1:
                    items = cut
            self._source_map = SourceMap(self.source, "contacts", items)
        return self._source_map

    def build(self) -> tuple[ContactBook, list[Finding]]:
        """The contacts, and every finding about the file's shape and types."""
        data = self.data
        if data is None and self.findings:
            return ContactBook(self.file, None, "international", ()), list(self.findings)
        book, shape = build_book(data, self.file)
        return book, self.findings + shape

    def place(self, findings: list[Finding]) -> list[Finding]:
        """The findings with their lines and columns (read from the text, see SourceMap), in file order."""
        if self.source_map is None or all(f.line for f in findings):
            return sorted(findings, key=_file_order)
        return self.source_map.place(findings, self.file)


def _file_order(finding: Finding) -> tuple[int, int, str]:
    return finding.line, finding.column, finding.code


def load_book(path: Path, display: str | None = None) -> LoadResult:
    """Read a contact book. Raises UsageError only for a missing or unreadable file."""
    display = display or str(path)
    source, findings = read_source(path, display)
    return LoadResult(display, source, findings)


def open_book(path: Path, display: str | None = None) -> ContactBook:
    """Load a book for render and export: structural errors stop the job; value errors are the
    check's business."""
    return open_book_source(path, display)[1]


def open_book_source(path: Path, display: str | None = None) -> tuple[LoadResult, ContactBook]:
    """open_book() for the commands that also edit the book's text (import, forget): the loaded
    source and parsed data come with the contacts."""
    return _opened(load_book(path, display))


def _opened(result: LoadResult) -> tuple[LoadResult, ContactBook]:
    book, findings = result.build()
    errors = [f for f in result.place(findings) if f.severity.value == "error"
              and (f.code.startswith("F") or f.code in ("C001", "C003"))]
    stop_at_first_error(errors, "contacts check")
    return result, book


def build_book(data: Any, file: str) -> tuple[ContactBook, list[Finding]]:
    builder = ContactBuilder()
    region, phone_format, items = builder.header(data)
    contacts = [c for i, item in enumerate(items) if (c := builder.contact(i, item, region)) is not None]
    builder.duplicate_ids([c.id for c in contacts], [c.index for c in contacts])
    return ContactBook(file, region, phone_format, tuple(contacts)), builder.findings


describe_type = describe_value  # the name the contact checks use


class ContactBuilder:
    """Walks the parsed document, building contacts and collecting findings.

    `header` reads everything but the contacts; `contact` builds one contact on its own,
    so that the check can build contacts in parallel workers."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, path: KeyPath, contact: str | None = None, *,
            at_key: bool = False, fix: str | None = None) -> None:
        extra = {"at_key": True} if at_key else {}
        self.findings.append(Finding(code, message, path, contact, fix, extra=extra))

    def unknown_keys(self, mapping: dict[Any, Any], known: Collection[str], path: KeyPath,
                     contact: str | None = None, extensions: bool = False) -> dict[str, Any]:
        """Findings for the keys of `mapping` that are not text or not `known`. Returns the `x-…` entries
        when `extensions` allows them (a contact keeps them as its extensions), else an empty dict."""
        found: dict[str, Any] = {}
        for key in mapping:
            if key in known:  # a known key is text: most keys are, so they are looked up first
                continue
            problem = key_problem(key)
            if problem:
                self.add("F004", problem, (*path, as_written(key)), contact, at_key=True)
                continue
            if extensions and key.startswith("x-"):
                self.keys_within(mapping[key], (*path, key), contact)
                found[key] = mapping[key]
                continue
            guess = did_you_mean(key, known)
            hint = f"; {guess}" if guess else ""
            if extensions and not guess:
                hint = "; extensions must start with `x-`"
            self.add("F005", f"unknown key `{key}`{hint}", (*path, key), contact, at_key=True)
        return found

    def keys_within(self, value: Any, path: KeyPath, contact: str | None) -> None:
        """Keys that are not text anywhere inside an `x-…` value: templates and exports take its keys
        as names."""
        stack = [(value, path)]
        while stack:
            value, path = stack.pop()
            if isinstance(value, list):
                stack.extend((item, (*path, i)) for i, item in enumerate(value))
            elif isinstance(value, dict):
                for key, item in value.items():
                    problem = key_problem(key)
                    if problem:
                        self.add("F004", problem, (*path, as_written(key)), contact, at_key=True)
                    else:
                        stack.append((item, (*path, key)))

    def text(self, mapping: dict[Any, Any], key: str, path: KeyPath, contact: str | None,
             required: bool = False) -> str | None:
        if key not in mapping:
            if required:
                self.add("C001", f"missing required key `{key}`", path, contact)
            return None
        value = mapping[key]
        if isinstance(value, str):
            if value.strip():
                return value
            self.add("C009", f"`{key}` is empty", (*path, key), contact)
            return None
        if value is None:
            self.add("C009", f"`{key}` is null; give a value or remove the key", (*path, key), contact)
            return None
        hint = ""
        if isinstance(value, int | float | bool):
            shown = str(value).lower() if isinstance(value, bool) else value
            hint = f"; YAML read {shown}: put the value in quotes to keep it as text"
        self.add("F004", f"`{key}` should be text, not {describe_type(value)}{hint}", (*path, key), contact)
        return None

    def text_list(self, mapping: dict[Any, Any], key: str, path: KeyPath, contact: str | None) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            return ()
        if isinstance(value, str):  # `lists: press-eu` means a list of one
            return (value,)
        if not isinstance(value, list):
            self.add("F004", f"`{key}` should be a list of text, not {describe_type(value)}", (*path, key), contact)
            return ()
        for item in value:  # most lists are all text: taken whole, without the findings' loop
            if not (isinstance(item, str) and item.strip()):
                break
        else:
            return tuple(value)
        items = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                items.append(item)
            else:
                self.add("F004", f"`{key}` item {i + 1} should be text, not {describe_type(item)}",
                         (*path, key, i), contact)
        return tuple(items)

    def header(self, data: Any) -> tuple[str | None, str, list[Any]]:
        """defaults.region, defaults.phone_format and the raw contact list."""
        if data is None:
            self.add("F003", "the file is empty; a contact book starts with `version: 1` and `contacts:`", ())
            return None, "international", []
        if not isinstance(data, dict):
            self.add("F003", "the file should be a mapping with `version` and `contacts`, "
                     f"not {describe_type(data)}", ())
            return None, "international", []
        self.unknown_keys(data, TOP_KEYS, ())
        version = data.get("version")
        # Not `!= 1`: true and 1.0 are equal to 1 in Python, and neither is the version 1.
        if type(version) is not int or version != 1:
            got = "missing" if "version" not in data else f"`{as_written(version)}` ({describe_value(version)})"
            self.add("F006", f"`version` is {got}; this pressctl reads `version: 1`",
                     ("version",) if "version" in data else ())
        region, phone_format = self.defaults(data.get("defaults"))
        self.suppressed(data.get("suppressed"))
        raw = data.get("contacts")
        if raw is None:
            self.add("C001", "missing `contacts:`, the list of contacts", ())
            raw = []
        elif not isinstance(raw, list):
            self.add("F003", f"`contacts` should be a list, not {describe_type(raw)}", ("contacts",))
            raw = []
        return region, phone_format, raw

    def suppressed(self, value: Any) -> None:
        """`suppressed:` holds SHA-256 hashes (64 hex digits) written by `contacts forget`, nothing else."""
        if value is None:
            return
        if not isinstance(value, list):
            self.add("F003", f"`suppressed` should be a list of SHA-256 hashes, not {describe_type(value)}",
                     ("suppressed",))
            return
        for i, item in enumerate(value):
            if not (isinstance(item, str) and re.fullmatch(r"[0-9a-fA-F]{64}", item.strip())):
                self.add("F004", f"`suppressed` item {i + 1} should be a SHA-256 hash (64 hex digits), as "
                         "`pressctl contacts forget` writes them", ("suppressed", i))

    def duplicate_ids(self, ids: list[str], indexes: list[int]) -> None:
        seen: dict[str, int] = {}
        for cid, index in zip(ids, indexes, strict=True):
            if cid in seen:
                self.add("C003", f"duplicate id `{cid}`: contact number {seen[cid] + 1} in the list has it already",
                         ("contacts", index, "id"), cid)
            else:
                seen[cid] = index

    def defaults(self, value: Any) -> tuple[str | None, str]:
        if value is None:
            return None, "international"
        if not isinstance(value, dict):
            self.add("F003", f"`defaults` should be a mapping, not {describe_type(value)}", ("defaults",))
            return None, "international"
        self.unknown_keys(value, DEFAULT_KEYS, ("defaults",))
        region = self.text(value, "region", ("defaults",), None)
        phone_format = self.text(value, "phone_format", ("defaults",), None) or "international"
        if phone_format not in PHONE_FORMATS:
            self.add("L004", f"`phone_format` is {phone_format!r}; use `international` or `e164`",
                     ("defaults", "phone_format"))
            phone_format = "international"
        return (region.upper() if region and len(region) == 2 else region), phone_format

    def contact(self, index: int, item: Any, default_region: str | None) -> Contact | None:
        path: KeyPath = ("contacts", index)
        if not isinstance(item, dict):
            self.add("F003", f"contact number {index + 1} should be a mapping of keys, not {describe_type(item)}",
                     path)
            return None
        raw_id = item.get("id")
        label = raw_id if isinstance(raw_id, str) else None
        # Most contacts have only known keys: one subset test instead of a lookup per key.
        extensions = {} if item.keys() <= _CONTACT_KEY_SET else self.unknown_keys(
            item, _CONTACT_KEY_SET, path, label, extensions=True)
        cid = self.text(item, "id", path, label, required=True)
        name = self.text(item, "name", path, label, required=True)
        if cid is not None and not ID_PATTERN.fullmatch(cid):
            suggestion = re.sub(r"[^a-z0-9]+", "-", cid.lower()).strip("-")
            self.add("C002", f"id `{cid}` should use only a-z, 0-9 and '-'"
                     + (f"; for example `{suggestion}`" if suggestion else ""), (*path, "id"), cid)
        email = self.text(item, "email", path, label) if "email" in item else None
        reachable = "phone" in item or "phones" in item
        phones = self.phones(item, path, label) if reachable else ()
        if not reachable and "email" not in item:
            self.add("C004", "no email and no phone: give at least one way to reach this contact", path, label)
        text = self.text
        given_name = text(item, "given_name", path, label) if "given_name" in item else None
        family_name = text(item, "family_name", path, label) if "family_name" in item else None
        # Positional, in the order of Contact's fields (a third faster than by keyword); the values are read
        # in the order of the keys' findings.
        return new_contact(
            index,
            cid if cid is not None else f"#{index + 1}",
            name or "",
            text(item, "role", path, label) if "role" in item else None,
            given_name,
            family_name,
            text(item, "organisation", path, label) if "organisation" in item else None,
            email,
            phones,
            text(item, "region", path, label) if "region" in item else None,
            self.text_list(item, "languages", path, label),
            self.text_list(item, "lists", path, label),
            text(item, "timezone", path, label) if "timezone" in item else None,
            self.unsubscribed(item, path, label),
            self.consent(item.get("consent"), path, label),
            text(item, "notes", path, label) if "notes" in item else None,
            extensions,
            default_region,
        )

    def phone_value(self, value: Any, path: KeyPath, contact: str | None) -> tuple[str, bool] | None:
        if isinstance(value, str) and value.strip():
            return value, False
        if isinstance(value, int) and not isinstance(value, bool):
            # The message and fix need the digits as written, which the check reads from the file.
            return str(value), True
        self.add("F004", f"a phone number should be text in quotes, not {describe_type(value)}", path, contact)
        return None

    def phones(self, item: dict[Any, Any], path: KeyPath, contact: str | None) -> tuple[Phone, ...]:
        if "phone" in item and "phones" in item:
            self.add("C005", "both `phone` and `phones`: move the number into `phones`", (*path, "phone"), contact,
                     at_key=True)
        result: list[Phone] = []
        if "phone" in item:
            value = self.phone_value(item["phone"], (*path, "phone"), contact)
            if value:
                result.append(Phone(value[0], path=(*path, "phone"), written_as_integer=value[1]))
        raw = item.get("phones")
        if raw is None:
            return tuple(result)
        if not isinstance(raw, list):
            self.add("F004", f"`phones` should be a list, not {describe_type(raw)}", (*path, "phones"), contact)
            return tuple(result)
        for i, entry in enumerate(raw):
            entry_path: KeyPath = (*path, "phones", i)
            if not isinstance(entry, dict):
                value = self.phone_value(entry, entry_path, contact)
                if value:
                    result.append(Phone(value[0], path=entry_path, written_as_integer=value[1]))
                continue
            self.unknown_keys(entry, PHONE_KEYS, entry_path, contact)
            if "number" not in entry:
                self.add("C001", "a phone entry without `number`", entry_path, contact)
                continue
            value = self.phone_value(entry["number"], (*entry_path, "number"), contact)
            kind = self.text(entry, "type", entry_path, contact)
            if kind is not None and kind not in ("mobile", "work", "home", "fax", "other"):
                guess = did_you_mean(kind, ("mobile", "work", "home", "fax", "other"))
                self.add("P009", f"phone type `{kind}` is not one of mobile, work, home, fax, other"
                         + (f"; {guess}" if guess else ""), (*entry_path, "type"), contact)
                kind = None
            if value:
                result.append(Phone(value[0], kind, self.text(entry, "label", entry_path, contact),
                                    (*entry_path, "number"), value[1]))
        return tuple(result)

    def unsubscribed(self, item: dict[Any, Any], path: KeyPath, contact: str | None) -> bool | date:
        value = item.get("unsubscribed", False)
        if isinstance(value, bool):
            return value
        if isinstance(value, str):  # dates are text (parse_fast)
            day = _day(value)
            if day is not None:
                return day
        self.add("C008", f"`unsubscribed` should be true, false or a date (YYYY-MM-DD), not {value!r}",
                 (*path, "unsubscribed"), contact)
        return True  # keep them out of every mailing: the safe reading of a mistake

    def consent(self, value: Any, path: KeyPath, contact: str | None) -> Consent | None:
        if value is None:
            return None
        cpath: KeyPath = (*path, "consent")
        if not isinstance(value, dict):
            self.add("F004", f"`consent` should be a mapping of basis, source and date, not {describe_type(value)}",
                     cpath, contact)
            return None
        self.unknown_keys(value, CONSENT_KEYS, cpath, contact)
        basis = self.text(value, "basis", cpath, contact, required=True)
        if basis is not None and basis not in ("consent", "legitimate-interest"):
            self.add("C007", f"consent basis `{basis}` should be `consent` or `legitimate-interest`",
                     (*cpath, "basis"), contact)
        when = value.get("date")
        day: date | None = None
        if isinstance(when, str):  # dates are text (parse_fast)
            day = _day(when)
            if day is None:
                self.add("C007", f"consent date {when!r} is not a date (YYYY-MM-DD)", (*cpath, "date"), contact)
        elif when is not None:
            self.add("C007", f"consent date should be a date (YYYY-MM-DD), not {describe_type(when)}",
                     (*cpath, "date"), contact)
        return Consent(basis, self.text(value, "source", cpath, contact), day)


def _day(text: str) -> date | None:
    """The day of `2024-05-02` (or of a date-time such as `2024-05-02T10:00:00`), as the book's dates are
    read from text (pressctl.yamlsource.parse_fast); None when it is neither."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    moment = timestamp_text(text)
    try:
        return datetime.fromisoformat(moment).date() if moment else None
    except ValueError:
        return None


class ReadAhead:
    """A contact book read and parsed on a second thread while the command does other work; `open()` is
    then open_book(). yaml-rs parses without holding the GIL, so the parse of a large book
    overlaps the imports and the release's loading that come before it (bench/merge.py). What the
    reading raises (a missing file, say) is raised where the book is opened, as if it were read there.
    The thread is not a daemon: an interpreter that exits first waits for it rather than stopping it
    inside the parser."""

    def __init__(self, path: Path, display: str | None = None) -> None:
        import threading

        # yaml-rs 0.1.6 must be imported on a thread that lives on: first imported on this one, which then
        # ends, it crashes the next process-wide use (a segmentation fault; tests/test_read_ahead.py).
        import yaml_rs  # noqa: F401

        self.path, self.display = path, display
        self._outcome: LoadResult | BaseException | None = None
        self._thread: threading.Thread | None = None
        # Only a file is read ahead: a FIFO or /dev/stdin could block the thread, and the exit with it, after
        # the command has failed for another reason; a missing file is reported by open() as open_book would.
        try:
            regular = path.is_file()
        except OSError:  # a folder that may not be looked into, say: open() reports it as open_book would
            regular = False
        if regular:
            self._thread = threading.Thread(target=self._read, name="pressctl-read-ahead")
            self._thread.start()

    def _read(self) -> None:
        try:
            result = load_book(self.path, self.display)
            result.data  # noqa: B018  (parsed here, on this thread)
            self._outcome = result
        except BaseException as err:  # handed to the thread that opens the book
            self._outcome = err

    def open(self) -> ContactBook:
        if self._thread is None:
            return open_book(self.path, self.display)
        self._thread.join()
        outcome = self._outcome
        if isinstance(outcome, BaseException):
            raise outcome
        assert outcome is not None
        return _opened(outcome)[1]
