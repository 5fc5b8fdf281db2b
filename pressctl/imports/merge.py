"""Records into the book: matched by address, then number; the new ones appended in the book's style.

Nothing in the book is overwritten: a matched contact gains only what it lacks (`--update`: empty
keys; `--list`: list names; an unsubscribe row: `unsubscribed`), and every change is text added at
the end of that contact. The merged text is parsed again and compared with what was meant before
anything is written.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pressctl.contacts.addresses import mail_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.contacts.suppression import suppressed_hashes, suppression_hash
from pressctl.imports.record import PhoneIn, Record
from pressctl.imports.yamltext import Style, contact_text, detect_style, flow_list, scalar
from pressctl.yamlsource import cut_list

if TYPE_CHECKING:
    from pressctl.export.fields import PhoneResolver

ID_FALLBACK = "contact"
CONSENT_BASES = ("consent", "legitimate-interest")
SKIP_SUPPRESSED = "asked to be forgotten (suppressed)"
SKIP_DUPLICATE = "same person as an earlier row"
SKIP_MATCHED = "already in the book"
SKIP_BAD = "left out with --skip-bad"


@dataclass(frozen=True)
class Options:
    region: str | None = None
    lists: tuple[str, ...] = ()
    consent_basis: str = ""
    consent_source: str = ""
    update: bool = False
    skip_bad: bool = False
    today: date = field(default_factory=date.today)


@dataclass
class Plan:
    """What the import will do, before it is written."""

    text: str  # the book's new text
    added: list[tuple[Record, str]] = field(default_factory=list)  # (record, new id)
    updated: dict[str, list[str]] = field(default_factory=dict)  # contact id -> keys it gained
    unsubscribed: list[str] = field(default_factory=list)  # contact ids newly marked
    conflicts: list[str] = field(default_factory=list)  # "FILE:ROW: id: key: book has X, file has Y"
    skipped: Counter[str] = field(default_factory=Counter)
    bad: list[str] = field(default_factory=list)  # "FILE:ROW: column: message"
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.unsubscribed)


@dataclass
class _Person:
    """A record resolved against the book's rules: what would be written."""

    record: Record
    email: str = ""
    email_key: str = ""
    phones: list[tuple[PhoneIn, str, str]] = field(default_factory=list)  # (phone, as written, E.164)


class Merger:
    def __init__(self, text: str, book: ContactBook, data: Any, options: Options) -> None:
        self.text = text
        self.book = book
        self.options = options
        self.items = cut_list(text, "contacts") if book.contacts else None
        if self.items is not None and len(self.items) != len(book.contacts) + 1:
            self.items = None
        self.style = detect_style(text, self.items)
        self.by_address: dict[str, Contact] = {}
        self.by_number: dict[str, Contact] = {}
        self.ids = {c.id for c in book.contacts}
        self.suppressed = suppressed_hashes(data)
        self.unsubscribed_keys: set[str] = set()
        for contact in book.contacts:
            address = mail_address(contact.email) if contact.email else None
            if address is not None:
                self.by_address.setdefault(address.key, contact)
                if contact.is_unsubscribed:
                    self.unsubscribed_keys.add(address.key)
            for phone in contact.phones:
                e164 = _e164(phone.number, contact.phone_region)
                if e164:
                    self.by_number.setdefault(e164, contact)
        self.region = options.region or book.default_region
        self.phone_style = book.phone_format

    def plan(self, records: list[Record]) -> Plan:
        plan = Plan(self.text)
        people = [self.resolve(r, plan) for r in records]
        if plan.bad and not self.options.skip_bad:
            return plan
        appended: list[str] = []
        edits: dict[int, list[tuple[str, str]]] = {}  # contact index -> (key, yaml value text)
        seen_addresses: dict[str, str] = {}
        seen_numbers: dict[str, str] = {}
        for person in people:
            if person is None:
                plan.skipped[SKIP_BAD] += 1
                continue
            record = person.record
            hashes = {suppression_hash(person.email_key)} if person.email_key else set()
            hashes |= {suppression_hash(e164) for _, _, e164 in person.phones}
            if hashes & self.suppressed:
                plan.skipped[SKIP_SUPPRESSED] += 1
                continue
            match = self.by_address.get(person.email_key) if person.email_key else None
            if match is None:
                match = next((self.by_number[e] for _, _, e in person.phones if e in self.by_number), None)
            if match is not None:
                self.matched(match, person, plan, edits)
                continue
            earlier = seen_addresses.get(person.email_key) if person.email_key else None
            earlier = earlier or next((seen_numbers[e] for _, _, e in person.phones if e in seen_numbers), None)
            if earlier is not None:
                plan.skipped[SKIP_DUPLICATE] += 1
                if record.unsubscribed:
                    plan.warnings.append(f"{record.where}: unsubscribes `{earlier}`, added from an earlier row; "
                                         "it is kept unsubscribed")
                    appended = [_mark_unsubscribed(block, earlier, record.unsubscribed) for block in appended]
                continue
            new_id = self.new_id(record)
            block = self.new_contact(new_id, person, plan)
            if block is None:
                continue
            appended.append(block)
            plan.added.append((record, new_id))
            if person.email_key:
                seen_addresses[person.email_key] = new_id
            for _, _, e164 in person.phones:
                seen_numbers[e164] = new_id
        plan.text = self.write(appended, edits)
        return plan

    def resolve(self, record: Record, plan: Plan) -> _Person | None:
        problems = list(record.problems)
        person = _Person(record)
        if record.email:
            address = mail_address(record.email)
            if address is None:
                problems.append(("email", f"{record.email!r} is not a valid e-mail address"))
            else:
                person.email, person.email_key = address.normalised, address.key
        for phone in record.phones:
            written = _canonical(phone.number, self.region, self.phone_style)
            if written is None:
                problems.append(("phone", f"{phone.number!r} is not a valid number"
                                 + ("" if phone.number.lstrip().startswith("+") or self.region else
                                    "; it has no country code: pass --region CC")))
                continue
            person.phones.append((phone, written[0], written[1]))
        if not person.email and not person.phones and not problems:
            problems.append(("email", "neither an e-mail address nor a phone number"))
        for column, message in problems:
            plan.bad.append(f"{record.where}: {column}: {message}")
        return None if problems else person

    def matched(self, contact: Contact, person: _Person, plan: Plan, edits: dict[int, list[tuple[str, str]]]) -> None:
        record = person.record
        changes = edits.setdefault(contact.index, [])
        if record.unsubscribed and not contact.is_unsubscribed and not any(k == "unsubscribed" for k, _ in changes):
            changes.append(("unsubscribed", record.unsubscribed.isoformat()))
            plan.unsubscribed.append(contact.id)
            return
        if record.unsubscribed:
            plan.skipped[SKIP_MATCHED] += 1
            return
        gained: list[str] = []
        wanted_lists = tuple(dict.fromkeys((*record.lists, *self.options.lists)))
        new_lists = tuple(name for name in wanted_lists if name not in contact.lists)
        if new_lists and not contact.is_unsubscribed:
            if contact.consent is None and not self.consent(record):
                plan.bad.append(f"{record.where}: lists: `{contact.id}` would join {', '.join(new_lists)} without "
                                "a consent record; pass --consent-basis and --consent-source")
            else:
                changes.append(("lists", flow_list((*contact.lists, *new_lists))))
                gained.append("lists")
                if contact.consent is None:
                    changes.append(("consent", _consent_text(self.consent(record))))
        if self.options.update:
            for key, ours, theirs in (("role", contact.role, record.role),
                                      ("organisation", contact.organisation, record.organisation),
                                      ("email", contact.email, person.email),
                                      ("timezone", contact.timezone, record.timezone)):
                if theirs and not ours:
                    changes.append((key, scalar(theirs)))
                    gained.append(key)
                elif theirs and ours and theirs.casefold() != ours.casefold():
                    plan.conflicts.append(f"{record.where}: {contact.id}: {key}: the book has {ours!r}, "
                                          f"the file {theirs!r}; kept")
        if gained:
            plan.updated.setdefault(contact.id, []).extend(gained)
        else:
            plan.skipped[SKIP_MATCHED] += 1

    def consent(self, record: Record) -> dict[str, str]:
        basis = self.options.consent_basis or record.consent_basis
        source = self.options.consent_source or record.consent_source
        if not basis or not source:
            return {}
        when = record.consent_date or self.options.today
        return {"basis": basis, "source": source, "date": when.isoformat()}

    def new_id(self, record: Record) -> str:
        if record.ref and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", record.ref) and record.ref not in self.ids:
            self.ids.add(record.ref)
            return record.ref
        base = slug(record.display_name) or slug(record.email.partition("@")[0]) or ID_FALLBACK
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

    def new_contact(self, new_id: str, person: _Person, plan: Plan) -> str | None:
        record = person.record
        name = record.display_name or person.email
        lists = () if record.unsubscribed else tuple(dict.fromkeys((*record.lists, *self.options.lists)))
        consent = self.consent(record)
        if lists and not consent:
            plan.bad.append(f"{record.where}: lists: a new contact on {', '.join(lists)} needs a consent record; "
                            "pass --consent-basis and --consent-source (or import without --list)")
            return None
        entries: list[tuple[str, object]] = [("id", new_id), ("name", name)]
        if record.given_name and record.family_name:
            entries += [("given_name", record.given_name), ("family_name", record.family_name)]
        entries += [(k, v) for k, v in (("role", record.role), ("organisation", record.organisation),
                                        ("email", person.email)) if v]
        if person.phones:
            entries.append(("phones", [{"number": written, "type": phone.type or "", "label": phone.label or ""}
                                       for phone, written, _ in person.phones]))
        if self.options.region and any(not p.number.lstrip().startswith("+") for p, _, _ in person.phones):
            entries.append(("region", self.options.region))
        entries += [(k, v) for k, v in (("languages", record.languages), ("timezone", record.timezone)) if v]
        if lists:
            entries += [("lists", lists), ("consent", consent)]
        if record.unsubscribed:
            entries.append(("unsubscribed", record.unsubscribed.isoformat()))
        if record.notes:
            entries.append(("notes", record.notes))
        block = contact_text(entries, self.style)
        _reads_back(block, entries, record)
        return block

    def write(self, appended: list[str], edits: dict[int, list[tuple[str, str]]]) -> str:
        text = self.text
        nl = self.style.newline
        if any(edits.values()):
            if self.items is None:
                raise_unwritable()
            assert self.items is not None
            out, last = [], 0
            for index in sorted(i for i, changes in edits.items() if changes):
                start = self.items[index]
                end = _content_end(text, start, self.items[index + 1])
                item = text[start:end]
                for key, value in edits[index]:
                    item = _set_key(item, key, value, self.style)
                out += [text[last:start], item]
                last = end
            out.append(text[last:])
            text = "".join(out)
        if not appended:
            return text
        joiner = nl if self.style.blank_between else ""
        block = joiner.join(appended)
        if not self.book.contacts:
            return _into_empty(text, block, nl)
        items = cut_list(text, "contacts")
        assert items is not None
        end = _content_end(text, items[-2], items[-1])
        before = text[:end]
        if not before.endswith(("\n", "\r")):
            before += nl
        return before + joiner + block + text[end:]


def _reads_back(block: str, entries: list[tuple[str, object]], record: Record) -> None:
    """The text written for a contact must parse to exactly the values meant (a check of the YAML writer)."""
    from pressctl.errors import InputError
    from pressctl.yamlsource import SourceText, YamlSyntaxError, parse_fast

    try:
        parsed = parse_fast(SourceText(block))
    except YamlSyntaxError:
        parsed = None
    if parsed != [{key: _as_read(key, value) for key, value in entries}]:
        raise InputError(f"{record.where}: the contact would not read back as written; nothing was written "
                         "(please report this)")


def _as_read(key: str, value: object) -> object:
    """A value as YAML reads the text contact_text() writes for it."""
    if key == "unsubscribed":
        return date.fromisoformat(str(value))
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [{k: v for k, v in phone.items() if v} for phone in value]
    if isinstance(value, dict):
        return {k: date.fromisoformat(v) if k == "date" else v for k, v in value.items() if v}
    return value


def raise_unwritable() -> None:
    from pressctl.errors import InputError

    raise InputError("the book's `contacts` is not a block list pressctl can add to; write it as `contacts:` "
                     "followed by `- id: …` items")


def _content_end(text: str, start: int, end: int) -> int:
    """Where an item's own lines end: before the blank lines and comments that lead to the next one."""
    lines = text[start:end].splitlines(keepends=True)
    keep = len(lines)
    while keep > 1 and (not lines[keep - 1].strip() or lines[keep - 1].lstrip().startswith("#")):
        keep -= 1
    return start + sum(len(line) for line in lines[:keep])


def _set_key(item: str, key: str, value: str, style: Style) -> str:
    """Replace a one-line `key: …` of the item, or add the key as its last line."""
    nl = style.newline
    pattern = re.compile(rf"(?m)^({re.escape(style.key_indent)}|{re.escape(style.item_indent)}- ){re.escape(key)}:.*$")
    found = pattern.search(item)
    if found is not None:
        following = item[found.end():]
        block = re.match(rf"(?:\r?\n{re.escape(style.key_indent)}[ ]+\S.*)*", following)
        span_end = found.end() + (block.end() if block else 0)
        return item[:found.start()] + f"{found.group(1)}{key}: {value}" + item[span_end:]
    if not item.endswith(("\n", "\r")):
        item += nl
    return item + f"{style.key_indent}{key}: {value}{nl}"


def _mark_unsubscribed(block: str, contact_id: str, when: date) -> str:
    if not re.search(rf"(?m)^ *- id: {re.escape(contact_id)}\r?$", block):
        return block
    block = re.sub(r"(?m)^( +)lists: .*\r?\n(\1consent: .*\r?\n)?", "", block)
    nl = "\r\n" if block.endswith("\r\n") else "\n"
    indent = re.search(r"(?m)^( +)name:", block).group(1)  # type: ignore[union-attr]
    return block + f"{indent}unsubscribed: {when.isoformat()}{nl}"


def _into_empty(text: str, block: str, nl: str) -> str:
    head = re.search(r"(?m)^contacts:[ \t]*(\[[ \t]*\])?[ \t]*(#.*)?$", text)
    if head is None:
        prefix = text if not text or text.endswith(("\n", "\r")) else text + nl
        if not prefix.strip():
            prefix = f"version: 1{nl}"
        return f"{prefix}contacts:{nl}{block}"
    return text[:head.start()] + "contacts:" + nl + block + text[head.end():].lstrip("\r\n")


def _consent_text(consent: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v if k == 'date' else scalar(v)}" for k, v in consent.items()) + "}"


@lru_cache(maxsize=1)
def _resolver() -> PhoneResolver:
    from pressctl.export.fields import PhoneResolver

    return PhoneResolver()


def _e164(number: str, region: str | None) -> str | None:
    return _resolver().e164(number, region)


def _canonical(number: str, region: str | None, style: str) -> tuple[str, str] | None:
    """(as the book writes it, E.164) for a number, its extension kept; None when it is not valid.

    The exports' resolver finds the E.164 form and checks validity without a full parse for the plain
    forms most lists hold; the book's form is then formatted from the country code and national digits
    (tests/test_import.py holds this equal to parsing with phonenumbers for every region's examples)."""
    resolved = _resolver().resolve(number, region)
    if resolved is None:
        return None
    e164, extension = resolved
    if style == "e164" and not extension:
        return e164, e164
    return _international(e164, extension), e164


def _international(e164: str, extension: str | None) -> str:
    import phonenumbers

    digits = e164[1:]
    length = next(n for n in (1, 2, 3) if int(digits[:n]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    national = digits[length:]
    zeros = len(national) - len(national.lstrip("0"))
    number = phonenumbers.PhoneNumber(country_code=int(digits[:length]), national_number=int(national),
                                      italian_leading_zero=True if zeros else None,
                                      number_of_leading_zeros=zeros if zeros > 1 else None, extension=extension)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def slug(name: str) -> str:
    """An id from a name: transliterated to ASCII (anyascii covers Khmer, Arabic, CJK …), a-z, 0-9, '-'."""
    from anyascii import anyascii

    return re.sub(r"[^a-z0-9]+", "-", anyascii(name).lower()).strip("-")[:60].strip("-")
