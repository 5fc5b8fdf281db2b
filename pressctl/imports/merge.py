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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pressctl.contacts.addresses import mail_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.contacts.suppression import suppressed_hashes, suppression_hash
from pressctl.imports.prepare import BATCH, Prepared, Rules, consent_of, e164
from pressctl.imports.record import Record
from pressctl.imports.yamltext import Style, detect_style, flow_list, scalar
from pressctl.yamlsource import cut_list

if TYPE_CHECKING:
    pass

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
        for contact in book.contacts:
            address = mail_address(contact.email) if contact.email else None
            if address is not None:
                self.by_address.setdefault(address.key, contact)
            for phone in contact.phones:
                number = e164(phone.number, contact.phone_region)
                if number:
                    self.by_number.setdefault(number, contact)
        self.rules = Rules(options.region or book.default_region, book.phone_format, self.style, options.lists,
                           options.consent_basis, options.consent_source, options.region, options.today,
                           frozenset(self.by_address) | frozenset(self.by_number))

    def plan(self, people: Iterable[Prepared]) -> Plan:
        """The prepared rows matched against the book and the rows before them, in order; the new ones
        appended as text as they come, so that a large file is held as the text it adds. With a bad row
        and no --skip-bad, the rest is still looked at (every bad row is listed) but nothing more is
        written."""
        plan = Plan(self.text)
        appended = _Appended(self.style.newline if self.style.blank_between else "")
        edits: dict[int, list[tuple[str, str]]] = {}  # contact index -> (key, yaml value text)
        seen_addresses: dict[str, str] = {}
        seen_numbers: dict[str, str] = {}
        id_line = f"{self.style.item_indent}- id: "
        for person in people:
            where = person.where
            if person.problems:
                plan.bad += [f"{where}: {column}: {message}" for column, message in person.problems]
                plan.skipped[SKIP_BAD] += 1
                continue
            if self.suppressed and self.is_suppressed(person):
                plan.skipped[SKIP_SUPPRESSED] += 1
                continue
            if person.record is not None:  # it matches a contact of the book (see prepare)
                match = self.by_address.get(person.email_key) if person.email_key else None
                match = match or next(self.by_number[e] for e in person.numbers if e in self.by_number)
                self.matched(match, person.record, person.email, plan, edits)
                continue
            earlier = seen_addresses.get(person.email_key) if person.email_key else None
            earlier = earlier or next((seen_numbers[e] for e in person.numbers if e in seen_numbers), None)
            if earlier is not None:
                plan.skipped[SKIP_DUPLICATE] += 1
                if person.unsubscribed:
                    plan.warnings.append(f"{where}: unsubscribes `{earlier}`, added from an earlier row; "
                                         "it is kept unsubscribed")
                    appended.mark_unsubscribed(earlier, person.unsubscribed)
                continue
            new_id = self.new_id(person.ref, person.id_base)
            if person.unconsented:
                plan.bad.append(f"{where}: lists: a new contact on {', '.join(person.unconsented)} needs a "
                                "consent record; pass --consent-basis and --consent-source (or import without "
                                "--list)")
                continue
            plan.added.append((where, new_id))
            if person.email_key:
                seen_addresses[person.email_key] = new_id
            for number in person.numbers:
                seen_numbers[number] = new_id
            if plan.bad and not self.options.skip_bad:
                continue  # nothing will be written: only the bad rows are still looked for
            appended.add(new_id, f"{id_line}{scalar(new_id)}{self.style.newline}{person.text}")
        if plan.bad and not self.options.skip_bad:
            return plan
        appended.flush()
        plan.text = self.write(appended.chunks, edits)
        return plan

    def is_suppressed(self, person: Prepared) -> bool:
        """The row's address or a number is one of the book's `suppressed:` hashes (hashed only when the
        book lists any: a SHA-256 for each address and number was a tenth of the merge's time)."""
        hashes = {suppression_hash(person.email_key)} if person.email_key else set()
        hashes |= {suppression_hash(number) for number in person.numbers}
        return not hashes.isdisjoint(self.suppressed)

    def matched(self, contact: Contact, record: Record, email: str, plan: Plan,
                edits: dict[int, list[tuple[str, str]]]) -> None:
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
                                      ("email", contact.email, email),
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
        return consent_of(record, self.rules)

    def new_id(self, ref: str, base: str) -> str:
        if ref and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", ref) and ref not in self.ids:
            self.ids.add(ref)
            return ref
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

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
    """The new contacts' text, joined a batch at a time: memory holds a few large pieces of text rather
    than a string for every contact."""

    def __init__(self, joiner: str) -> None:
        self.joiner = joiner  # between two contacts: a blank line, or nothing
        self.chunks: list[str] = []
        self.starts: list[list[int]] = []  # where each contact starts in its chunk
        self.place: dict[str, tuple[int, int]] = {}  # id -> (chunk, contact in it)
        self.batch: list[str] = []
        self.batch_ids: list[str] = []

    def add(self, new_id: str, text: str) -> None:
        self.batch.append(text)
        self.batch_ids.append(new_id)
        if len(self.batch) == BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        starts = [0, *itertools.accumulate(len(text) + len(self.joiner) for text in self.batch[:-1])]
        for n, new_id in enumerate(self.batch_ids):
            self.place[new_id] = (len(self.chunks), n)
        self.chunks.append(self.joiner.join(self.batch))
        self.starts.append(starts)
        self.batch, self.batch_ids = [], []

    def mark_unsubscribed(self, new_id: str, when: date) -> None:
        """A later row unsubscribes a contact added from an earlier one."""
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
