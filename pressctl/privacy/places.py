"""Where pressctl holds one person: found by id, normalised address and E.164 number."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.contacts.addresses import mail_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.contacts.suppression import suppression_hash
from pressctl.errors import InputError
from pressctl.suggest import did_you_mean

_SKIP_FOLDERS = {".git", ".venv", "venv", "node_modules", "__pycache__"}
MANIFEST_NAME = "manifest.json"
JOURNAL = Path(".pressctl") / "journal.sqlite"


@dataclass(frozen=True)
class Person:
    contact: Contact
    address_key: str  # normalised, lower-case local part; "" without a valid address
    needles: tuple[str, ...]  # what identifies them in a generated file
    numbers: tuple[str, ...]  # E.164

    @property
    def hashes(self) -> tuple[str, ...]:
        return tuple(suppression_hash(v) for v in ((self.address_key,) if self.address_key else ()) + self.numbers)


def find_person(book: ContactBook, who: str) -> Person:
    """The contact with this id, or with this address in any letter case."""
    from pressctl.contacts.phones import international

    by_id = book.by_id()
    contact = by_id.get(who)
    if contact is None:
        wanted = mail_address(who.strip())
        if wanted is not None:
            contact = next((c for c in book.contacts if c.email and (found := mail_address(c.email)) is not None
                            and found.key == wanted.key), None)
    if contact is None:
        raise InputError(f"no contact with the id or address {who!r}", path=book.file,
                         hint=did_you_mean(who, list(by_id)))
    address = mail_address(contact.email) if contact.email else None
    numbers = tuple(dict.fromkeys(n for p in contact.phones if (n := international(p.number, contact.phone_region,
                                                                                    "e164"))))
    needles = [contact.id] if len(contact.id) > 3 else []
    if address is not None:
        needles += [address.normalised, address.key] + ([address.ascii] if address.ascii else [])
    elif contact.email:
        needles.append(contact.email)
    needles += list(numbers)
    return Person(contact, address.key if address else "", tuple(dict.fromkeys(needles)), numbers)


@dataclass
class Places:
    releases: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, how it names them)
    exports: list[tuple[Path, Path]] = field(default_factory=list)  # (manifest, file listed in it)
    messages: list[Path] = field(default_factory=list)  # .eml files
    mailboxes: list[tuple[Path, int]] = field(default_factory=list)  # (mbox, messages to them)
    journal: list[tuple[str, int]] = field(default_factory=list)  # (table, rows)

    def as_dict(self, root: Path) -> dict[str, object]:
        def rel(path: Path) -> str:
            return os.path.relpath(path, root)

        return {
            "releases": [{"file": f, "line": line, "as": how} for f, line, how in self.releases],
            "export_files": [{"file": rel(path), "manifest": rel(manifest)} for manifest, path in self.exports],
            "messages": [rel(p) for p in self.messages],
            "mailboxes": [{"file": rel(p), "messages": n} for p, n in self.mailboxes],
            "journal": [{"table": t, "rows": n} for t, n in self.journal],
        }


def find_places(root: Path, person: Person) -> Places:
    places = Places(releases=list(_releases(root, person.contact.id)))
    needles = [n.casefold().encode("utf-8") for n in person.needles if n]
    for path in _files(root):
        if path.name == MANIFEST_NAME:
            places.exports += [(path, listed) for listed in _listed(path) if _holds(listed, needles)]
        elif path.suffix == ".eml" and _holds(path, needles):
            places.messages.append(path)
        elif path.suffix == ".mbox":
            count = sum(1 for message in mbox_messages(path) if mentions(message, needles))
            if count:
                places.mailboxes.append((path, count))
    journal = root / JOURNAL
    if journal.is_file():
        places.journal = [(table, len(rows)) for table, rows in journal_rows(journal, person) if rows]
    return places


def _releases(root: Path, contact_id: str) -> Iterator[tuple[str, int, str]]:
    from pressctl.release import read_release

    for path in sorted((root / "releases").glob("*.md")):
        release, _ = read_release(path)
        if release is None:
            continue
        for quote in release.quotes:
            if quote.by == contact_id:
                yield _shown(path), release.line_of(("quotes", quote.index, "by")), f"quote {quote.index + 1}"
        for index, media in enumerate(release.media_contacts):
            if media == contact_id:
                yield _shown(path), release.line_of(("media_contacts", index)), "media contact"


def _shown(path: Path) -> str:
    """A path as messages show it: relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _files(root: Path) -> Iterator[Path]:
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if f not in _SKIP_FOLDERS)
        for name in sorted(names):
            yield Path(folder) / name


def _listed(manifest: Path) -> list[Path]:
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [manifest.parent / record["file"] for record in files
            if isinstance(record, dict) and isinstance(record.get("file"), str)
            and (manifest.parent / record["file"]).is_file()]


def _holds(path: Path, needles: list[bytes]) -> bool:
    try:
        data = path.read_bytes().lower()
    except OSError:
        return False
    return mentions(data, needles)


def mentions(data: bytes, needles: list[bytes]) -> bool:
    lowered = data.lower()
    return any(needle in lowered for needle in needles)


def mbox_messages(path: Path) -> list[bytes]:
    """The messages of an mbox, split at its `From ` lines (mboxrd, as pressctl writes them)."""
    try:
        data = path.read_bytes()
    except OSError:
        return []
    parts = data.split(b"\nFrom ")
    return [parts[0], *(b"From " + part for part in parts[1:])] if data else []


def journal_rows(journal: Path, person: Person) -> list[tuple[str, list[int]]]:
    """Rows of any table in the send journal whose text columns hold the person's id or address."""
    wanted = {person.contact.id, person.address_key}
    if person.contact.email:
        wanted.add(person.contact.email)
    wanted.discard("")
    found = []
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
                if not columns:
                    continue
                matches = " OR ".join(f'lower(CAST("{c}" AS TEXT)) IN ({",".join("?" * len(wanted))})'
                                      for c in columns)
                rows = [row[0] for row in db.execute(f'SELECT rowid FROM "{table}" WHERE {matches}',
                                                     [w.lower() for w in wanted] * len(columns))]
                found.append((table, rows))
    except sqlite3.Error as err:
        raise InputError(f"the send journal cannot be read: {err}", path=str(journal)) from None
    return found
