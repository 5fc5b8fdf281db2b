"""Records into the book: matched by address, then number; the new ones appended in the book's style.

Nothing in the book is overwritten: a matched contact gains only what it lacks (`--update`: empty
keys; `--list`: list names; an unsubscribe row: `unsubscribed`), and every change is text added at
the end of that contact. The merged text is parsed again and compared with what was meant before
anything is written.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache, lru_cache
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
READ_BACK_BATCH = 500  # new contacts parsed back together: one parse each, few held at a time


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
    added: list[tuple[str, str]] = field(default_factory=list)  # (FILE:ROW, new id)
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

    def plan(self, records: Iterable[Record]) -> Plan:
        """Each record resolved, matched and (when new) written as it comes, so that a large file is
        held as the text it adds, not as lists of rows. With a bad row and no --skip-bad, the rest is
        still resolved (every bad row is listed) but nothing more is written."""
        plan = Plan(self.text)
        appended = _Appended(self.style.newline if self.style.blank_between else "")
        edits: dict[int, list[tuple[str, str]]] = {}  # contact index -> (key, yaml value text)
        seen_addresses: dict[str, str] = {}
        seen_numbers: dict[str, str] = {}
        for record in records:
            person = self.resolve(record, plan)
            if person is None:
                plan.skipped[SKIP_BAD] += 1
                continue
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
                    appended.mark_unsubscribed(earlier, record.unsubscribed)
                continue
            new_id = self.new_id(record)
            values = self.new_contact(new_id, person, plan)
            if values is None:
                continue
            plan.added.append((record.where, new_id))
            if person.email_key:
                seen_addresses[person.email_key] = new_id
            for _, _, e164 in person.phones:
                seen_numbers[e164] = new_id
            if plan.bad and not self.options.skip_bad:
                continue  # nothing will be written: only the bad rows are still looked for
            appended.add(new_id, contact_text(values, self.style), values, record.where)
        if plan.bad and not self.options.skip_bad:
            return plan
        appended.flush()
        plan.text = self.write(appended.chunks, edits)
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

    def consent(self, record: Record) -> dict[str, object]:
        basis = self.options.consent_basis or record.consent_basis
        source = self.options.consent_source or record.consent_source
        if not basis or not source:
            return {}
        return {"basis": basis, "source": source, "date": record.consent_date or self.options.today}

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

    def new_contact(self, new_id: str, person: _Person, plan: Plan) -> dict[str, object] | None:
        """The new contact's keys and values, as the book will read them back (None for a bad row)."""
        record = person.record
        name = record.display_name or person.email
        lists = () if record.unsubscribed else tuple(dict.fromkeys((*record.lists, *self.options.lists)))
        consent = self.consent(record)
        if lists and not consent:
            plan.bad.append(f"{record.where}: lists: a new contact on {', '.join(lists)} needs a consent record; "
                            "pass --consent-basis and --consent-source (or import without --list)")
            return None
        values: dict[str, object] = {"id": new_id, "name": name}
        if record.given_name and record.family_name:
            values["given_name"], values["family_name"] = record.given_name, record.family_name
        for key, value in (("role", record.role), ("organisation", record.organisation), ("email", person.email)):
            if value:
                values[key] = value
        if person.phones:
            values["phones"] = [_phone_entry(written, phone) for phone, written, _ in person.phones]
        if self.options.region and any(not p.number.lstrip().startswith("+") for p, _, _ in person.phones):
            values["region"] = self.options.region
        if record.languages:
            values["languages"] = list(record.languages)
        if record.timezone:
            values["timezone"] = record.timezone
        if lists:
            values["lists"], values["consent"] = list(lists), consent
        if record.unsubscribed:
            values["unsubscribed"] = record.unsubscribed
        if record.notes:
            values["notes"] = record.notes
        return values

    def write(self, appended: list[str], edits: dict[int, list[tuple[str, str]]]) -> str:
        """The book's text with the edits made and the new text (`appended`, in pieces) added."""
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
        if not self.book.contacts:
            before, after = _around_empty(text, nl)
            parts = [before, appended[0]]
        else:
            items = cut_list(text, "contacts")
            assert items is not None
            end = _content_end(text, items[-2], items[-1])
            before, after = text[:end], text[end:]
            if not before.endswith(("\n", "\r")):
                before += nl
            parts = [before, joiner, appended[0]]
        for block in appended[1:]:
            parts += (joiner, block)
        parts.append(after)
        return "".join(parts)  # one copy of a large text, not one for each piece added


class _Appended:
    """The new contacts' text, joined and read back a batch at a time: memory holds a few large pieces
    of text rather than a string for every contact, and each batch is parsed once."""

    def __init__(self, joiner: str) -> None:
        self.joiner = joiner  # between two contacts: a blank line, or nothing
        self.chunks: list[str] = []
        self.starts: list[list[int]] = []  # where each contact starts in its chunk
        self.place: dict[str, tuple[int, int]] = {}  # id -> (chunk, contact in it)
        self.batch: list[tuple[str, dict[str, object], str]] = []  # (text, values, FILE:ROW) to read back
        self.batch_ids: list[str] = []

    def add(self, new_id: str, text: str, values: dict[str, object], where: str) -> None:
        self.batch.append((text, values, where))
        self.batch_ids.append(new_id)
        if len(self.batch) == READ_BACK_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        _reads_back(self.batch)
        texts = [text for text, _, _ in self.batch]
        starts = [0, *itertools.accumulate(len(text) + len(self.joiner) for text in texts[:-1])]
        for n, new_id in enumerate(self.batch_ids):
            self.place[new_id] = (len(self.chunks), n)
        self.chunks.append(self.joiner.join(texts))
        self.starts.append(starts)
        self.batch, self.batch_ids = [], []

    def mark_unsubscribed(self, new_id: str, when: date) -> None:
        """A later row unsubscribes a contact added from an earlier one (after it was read back)."""
        if new_id in self.batch_ids:
            self.flush()
        if new_id not in self.place:  # not written: a bad row stopped the writing
            return
        chunk, n = self.place[new_id]
        text, starts = self.chunks[chunk], self.starts[chunk]
        start = starts[n]
        end = starts[n + 1] - len(self.joiner) if n + 1 < len(starts) else len(text)
        marked = _mark_unsubscribed(text[start:end], new_id, when)
        self.chunks[chunk] = text[:start] + marked + text[end:]
        for later in range(n + 1, len(starts)):
            starts[later] += len(marked) - (end - start)


def _phone_entry(written: str, phone: PhoneIn) -> dict[str, str]:
    entry = {"number": written}
    if phone.type:
        entry["type"] = phone.type
    if phone.label:
        entry["label"] = phone.label
    return entry


def _reads_back(batch: list[tuple[str, dict[str, object], str]]) -> None:
    """The text written for each contact must parse to exactly the values meant (a check of the YAML
    writer), read back a batch at a time: one parse for many contacts, and a wrong one named by its row."""
    from pressctl.errors import InputError
    from pressctl.yamlsource import SourceText, YamlSyntaxError, parse_fast

    if not batch:
        return
    try:
        parsed = parse_fast(SourceText("".join(text for text, _, _ in batch)))
    except YamlSyntaxError:
        parsed = None
    if parsed == [values for _, values, _ in batch]:
        return
    for text, values, where in batch:
        try:
            alone = parse_fast(SourceText(text))
        except YamlSyntaxError:
            alone = None
        if alone != [values]:
            raise InputError(f"{where}: the contact would not read back as written; nothing was written "
                             "(please report this)")
    raise InputError(f"{batch[0][2]}: the contacts from here on would not read back as written; nothing was "
                     "written (please report this)")


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


def _around_empty(text: str, nl: str) -> tuple[str, str]:
    """The text before and after the contacts that go into a book without any."""
    head = re.search(r"(?m)^contacts:[ \t]*(\[[ \t]*\])?[ \t]*(#.*)?$", text)
    if head is None:
        prefix = text if not text or text.endswith(("\n", "\r")) else text + nl
        if not prefix.strip():
            prefix = f"version: 1{nl}"
        return f"{prefix}contacts:{nl}", ""
    return text[:head.start()] + "contacts:" + nl, text[head.end():].lstrip("\r\n")


def _consent_text(consent: dict[str, object]) -> str:
    return "{" + ", ".join(f"{k}: {v if k == 'date' else scalar(str(v))}" for k, v in consent.items()) + "}"


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
    """phonenumbers' INTERNATIONAL format of a valid number, from its E.164 digits: the first of the
    country's formats whose leading digits and pattern fit the national number, as format_number
    chooses it, with each country's formats compiled once (format_number finds and compiles them
    again for every number, most of an import's time per number)."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    digits = e164[1:]
    length = next(n for n in (1, 2, 3) if int(digits[:n]) in COUNTRY_CODE_TO_REGION_CODE)
    country, national = int(digits[:length]), digits[length:]
    formats, extension_prefix = _number_formats(country)
    for leading, whole, pattern, rule in formats:
        if (leading is None or leading(national)) and whole(national):
            national = pattern.sub(rule, national)
            break
    written = f"+{country} {national}"
    return written + extension_prefix + extension if extension else written


_NumberFormat = tuple[Callable[[str], object] | None, Callable[[str], object], re.Pattern[str], str]


@cache
def _number_formats(country: int) -> tuple[list[_NumberFormat], str]:
    """A country's international number formats, compiled (leading digits: the last, most detailed
    pattern, matched at the start; the pattern, matched whole), and its extension prefix."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    region = phonenumbers.region_code_for_country_code(country)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country, region.upper())
    assert metadata is not None  # the country code is one phonenumbers knows
    available = metadata.intl_number_format or metadata.number_format
    formats: list[_NumberFormat] = []
    for number_format in available:
        leading, pattern = number_format.leading_digits_pattern, re.compile(str(number_format.pattern))
        formats.append((re.compile(leading[-1]).match if leading else None, pattern.fullmatch, pattern,
                        str(number_format.format)))
    prefix = metadata.preferred_extn_prefix
    return formats, " ext. " if prefix is None else prefix


def slug(name: str) -> str:
    """An id from a name: transliterated to ASCII (anyascii covers Khmer, Arabic, CJK …), a-z, 0-9, '-'."""
    from anyascii import anyascii

    return re.sub(r"[^a-z0-9]+", "-", anyascii(name).lower()).strip("-")[:60].strip("-")
