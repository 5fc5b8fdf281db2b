"""Subject access and erasure: everything held about one person, and taking it out."""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pressctl.atomic import write_atomic
from pressctl.contacts.load import build_book, open_book_source
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError
from pressctl.privacy.places import (
    JOURNAL,
    MANIFEST_NAME,
    Person,
    Places,
    find_person,
    find_places,
    journal_rows,
    mbox_messages,
    mentions,
)
from pressctl.yamlsource import SourceText, cut_list, parse_fast

UNREACHABLE = (
    "the git history of the workspace (earlier commits of contacts.yaml and of generated files)",
    "the mailing tools and address books the exports were imported into",
    "messages already sent, in the recipients' and the server's mailboxes",
    "copies outside this workspace (downloads, backups)",
)


def _open(book_path: Path) -> tuple[str, Any, ContactBook]:
    loaded, book = open_book_source(book_path)
    assert loaded.source is not None
    return loaded.source.text, loaded.data, book


def personal_data(book_path: Path, who: str) -> dict[str, Any]:
    """`contacts show ID --personal-data`: the contact as the book holds it, and every place it appears."""
    _, data, book = _open(book_path)
    person = find_person(book, who)
    raw = data["contacts"][person.contact.index]
    root = book_path.resolve().parent
    places = find_places(root, person)
    return {
        "contact": json.loads(json.dumps(raw, ensure_ascii=False, default=str)),
        "book": str(book_path),
        "lists": list(person.contact.lists),
        "consent": asdict(person.contact.consent) if person.contact.consent else None,
        "unsubscribed": person.contact.unsubscribed if person.contact.unsubscribed is not False else None,
        "appears_in": places.as_dict(root),
        "not_held_here": list(UNREACHABLE),
    }


@dataclass
class Forgotten:
    contact: str
    hashes: int
    purged: list[str] = field(default_factory=list)  # what --purge deleted or rewrote
    left: list[str] = field(default_factory=list)  # generated files still holding them (without --purge)
    unreachable: tuple[str, ...] = UNREACHABLE


def forget(book_path: Path, who: str, *, purge: bool = False) -> Forgotten:
    """Remove the contact from the book and remember the hashes; refuse while a release names them."""
    text, data, book = _open(book_path)
    person = find_person(book, who)
    root = book_path.resolve().parent
    places = find_places(root, person)
    if places.releases:
        named = "; ".join(f"{file}:{line} ({how})" for file, line, how in places.releases)
        raise InputError(f"`{person.contact.id}` is named by a release: {named}; take them out of the release "
                         "first", path=str(book_path))
    new_text = _without_contact(text, book, person)
    new_text = _with_suppressed(new_text, data, person)
    _verify(book_path, book, person, new_text)
    write_atomic(book_path, new_text.encode("utf-8"))
    result = Forgotten(person.contact.id, len(person.hashes))
    generated = [str(p) for _, p in places.exports] + [str(p) for p in places.messages] + \
        [f"{p} ({n} message{'s' if n != 1 else ''})" for p, n in places.mailboxes] + \
        [f"{root / JOURNAL} ({t}: {n} row{'s' if n != 1 else ''})" for t, n in places.journal]
    if purge:
        _purge(root, person, places)
        result.purged = generated
    else:
        result.left = generated
    return result


def _without_contact(text: str, book: ContactBook, person: Person) -> str:
    items = cut_list(text, "contacts")
    if items is None or len(items) != len(book.contacts) + 1:
        raise InputError("the book's `contacts` is not a block list pressctl can edit; remove the contact by hand",
                         path=book.file)
    start, end = items[person.contact.index], items[person.contact.index + 1]
    # The comments that lead into the next contact belong to it: keep them.
    lines = text[start:end].splitlines(keepends=True)
    keep = len(lines)
    while keep > 1 and lines[keep - 1].lstrip().startswith("#"):
        keep -= 1
    cut_end = start + sum(len(line) for line in lines[:keep])
    return text[:start] + text[cut_end:]


def _with_suppressed(text: str, data: Any, person: Person) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    existing = data.get("suppressed") if isinstance(data, dict) else None
    known = {str(v).lower() for v in existing} if isinstance(existing, list) else set()
    new = [h for h in person.hashes if h not in known]
    if not new:
        return text
    items = cut_list(text, "suppressed")
    lines = "".join(f"  - {h}{newline}" for h in new)
    if items is not None:
        end = items[-1]
        before = text[:end].rstrip("\r\n ") + newline
        return before + lines + text[end:].lstrip("\r\n") if text[end:].strip() else before + lines
    head = re.search(r"(?m)^suppressed:[ \t]*(\[[ \t]*\])?[ \t]*(#.*)?$", text)
    if head is not None:
        return text[:head.start()] + "suppressed:" + newline + lines + text[head.end():].lstrip("\r\n")
    if not text.endswith(("\n", "\r")):
        text += newline
    return text + f"suppressed:  # SHA-256 of the addresses and numbers of people who asked to be forgotten{newline}" \
        + lines


def _verify(path: Path, book: ContactBook, person: Person, new_text: str) -> None:
    new_book, _ = build_book(parse_fast(SourceText(new_text)), str(path))
    before = [c.id for c in book.contacts if c.id != person.contact.id]
    if [c.id for c in new_book.contacts] != before:
        raise InputError("removing the contact would change other contacts; nothing was written (please report "
                         "this)", path=str(path))
    kept = {c.id: c for c in new_book.contacts}
    for contact in book.contacts:
        if contact.id in kept and (kept[contact.id].name, kept[contact.id].email) != (contact.name, contact.email):
            raise InputError(f"removing the contact would change `{contact.id}`; nothing was written", path=str(path))


def _purge(root: Path, person: Person, places: Places) -> None:
    """Delete the generated files that hold the person, and their records; rewrite mailboxes and the journal."""
    by_manifest: dict[Path, set[str]] = {}
    for manifest, listed in places.exports:
        listed.unlink(missing_ok=True)
        by_manifest.setdefault(manifest, set()).add(listed.name)
    for manifest, names in by_manifest.items():
        document = json.loads(manifest.read_text(encoding="utf-8"))
        document["files"] = [r for r in document.get("files", []) if r.get("file") not in names]
        write_atomic(manifest, json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    for message in places.messages:
        message.unlink(missing_ok=True)
    needles = [n.casefold().encode("utf-8") for n in person.needles if n]
    for mailbox, _ in places.mailboxes:
        kept = [m for m in mbox_messages(mailbox) if not mentions(m, needles)]
        write_atomic(mailbox, b"\n".join(kept))
    if places.journal:
        journal = root / JOURNAL
        with sqlite3.connect(journal) as db:
            for table, rows in journal_rows(journal, person):
                db.executemany(f'DELETE FROM "{table}" WHERE rowid = ?', [(r,) for r in rows])
            db.commit()
        with sqlite3.connect(journal) as db:
            db.execute("VACUUM")  # deleted rows must not linger in free pages


__all__ = ["MANIFEST_NAME", "Forgotten", "forget", "personal_data"]
