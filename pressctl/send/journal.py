"""The send journal: each message's state per (release, recipient address), in SQLite, so that a send
can be resumed after any crash without anyone receiving the release twice.

Durability. The one write exactly-once depends on is the mark that a message may be on its way
(`sending`): it must be on disk before the server can have the message. Those marks are written
for a batch of upcoming messages at once with `synchronous=FULL` (one fsync per batch). Then, per
message, the start of DATA and the server's answer are committed with `synchronous=NORMAL`: in WAL
mode such a commit is in the file (the operating system's cache) when the call returns, so it
survives the process being killed at any moment, though not a power cut. At the next start:

- a `sending` row whose DATA was started is `unconfirmed` (the server may or may not have it);
- a `sending` row whose DATA was never started goes back to `pending`, but only when the machine
  has not restarted since it was written (same boot id): only then is the missing start mark
  proof. After a restart (or where no boot id exists) every `sending` row is `unconfirmed`.

So a kill leaves at most one message unconfirmed per connection (the one whose answer it was
waiting for), a power cut at most one batch, and neither ever sends a message twice. One fsync per
message would cost as much as the whole SMTP transaction.

With several connections (`smtp.connections`), their threads share this one journal: each write is
one transaction under a lock, and the batch marks are written by the thread that hands the messages
out, before it hands out any of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pressctl.errors import PressctlError, UsageError

SCHEMA_VERSION = 1
FOLDER = ".pressctl"
FILE = "journal.sqlite"
STATES = ("pending", "sending", "sent", "deferred", "failed", "unconfirmed")
DAY = 86400.0

_SCHEMA = """
CREATE TABLE messages (
    release TEXT NOT NULL,          -- the release file, relative to the workspace
    address TEXT NOT NULL,          -- the recipient's address as compared (MailAddress.key)
    contact TEXT NOT NULL,          -- the contact id it belonged to when last planned
    envelope TEXT NOT NULL,         -- the address given to the server (RCPT TO)
    state TEXT NOT NULL CHECK (state IN ('pending','sending','sent','deferred','failed','unconfirmed')),
    reply TEXT NOT NULL DEFAULT '', -- the server's last reply, or why pressctl gave up
    version TEXT NOT NULL DEFAULT '', -- sha256 of the release file the message was made from
    boot TEXT NOT NULL DEFAULT '',  -- the boot id under which it was marked `sending`
    data_at REAL,                   -- when DATA was started (unix time)
    attempts INTEGER NOT NULL DEFAULT 0,
    updated REAL NOT NULL,
    PRIMARY KEY (release, address)
) WITHOUT ROWID;
CREATE INDEX messages_out ON messages (data_at) WHERE data_at IS NOT NULL;
"""


class JournalError(PressctlError):
    """The journal cannot be written (a full disk, say): the send stops at once, exit 1."""


class JournalBusy(PressctlError):
    """Another send of the same release holds the lock: exit 1."""


@dataclass(frozen=True)
class Row:
    address: str
    contact: str
    envelope: str
    state: str
    reply: str
    version: str
    updated: float


def boot_id() -> str:
    """An id that changes when the machine restarts ('' where the system offers none)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class Journal:
    """One open journal. Writes go through a handful of methods, each one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.boot = boot_id()
        self._lock = threading.Lock()  # one transaction at a time, whichever connection's thread asks
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        except OSError as err:
            raise UsageError(f"cannot make the send journal: {err.strerror or err}", path=str(path)) from None
        except sqlite3.Error as err:
            raise UsageError(f"cannot open the send journal: {err}", path=str(path)) from None
        try:
            self._prepare()
        except sqlite3.DatabaseError as err:
            self.db.close()
            if "not a database" in str(err) or "malformed" in str(err):
                raise UsageError("is not a pressctl send journal (not an SQLite database); move it aside to start a "
                                 "new one, knowing that it alone records who has already received what",
                                 path=str(path)) from None
            raise UsageError(f"cannot read the send journal: {err}", path=str(path)) from None

    @classmethod
    def in_workspace(cls, workspace: Path) -> Journal:
        return cls(workspace / FOLDER / FILE)

    def _prepare(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise UsageError(f"was written by a newer pressctl (journal version {version}; this one reads version "
                             f"{SCHEMA_VERSION}): upgrade pressctl to send with it", path=str(self.path))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        if version == 0:
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise UsageError("is an SQLite database but not a pressctl send journal; move it aside",
                                 path=str(self.path))
            with self._transaction(durable=True):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def _transaction(self, *, durable: bool = False) -> Iterator[None]:
        with self._lock:
            if durable:
                self.db.execute("PRAGMA synchronous=FULL")
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
                if durable:
                    self.db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as err:
                # A full disk or a read-only file: stop, with the journal as it was at its last commit.
                raise JournalError(f"cannot write the send journal: {err}", path=str(self.path)) from None

    @contextlib.contextmanager
    def lock(self, release: str) -> Iterator[None]:
        """Held for a whole send: a second send of the same release refuses at once."""
        from filelock import FileLock, Timeout

        name = hashlib.sha256(release.encode()).hexdigest()[:16]
        lock = FileLock(str(self.path.parent / f"send-{name}.lock"), timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise JournalBusy(f"another pressctl send of {release} is running; wait for it to finish "
                              "(or, if none is, delete the lock file named here)",
                              path=str(self.path.parent / f"send-{name}.lock")) from None
        try:
            yield
        finally:
            lock.release()

    def recover(self, release: str) -> int:
        """After a crash: `sending` rows become `pending` (provably never started) or `unconfirmed`."""
        now = time.time()
        with self._transaction(durable=True):
            if self.boot:
                self.db.execute("UPDATE messages SET state='pending', updated=? WHERE release=? AND state='sending' "
                                "AND data_at IS NULL AND boot=?", (now, release, self.boot))
            changed = self.db.execute(
                "UPDATE messages SET state='unconfirmed', updated=?, reply=CASE WHEN reply='' THEN "
                "'interrupted after the message was handed to the server, before its answer' ELSE reply END "
                "WHERE release=? AND state='sending'", (now, release)).rowcount
        return changed

    def rows(self, release: str) -> dict[str, Row]:
        query = "SELECT address, contact, envelope, state, reply, version, updated FROM messages WHERE release=?"
        with self._lock:
            return {row[0]: Row(*row) for row in self.db.execute(query, (release,))}

    def add(self, release: str, recipients: Iterable[tuple[str, str, str]]) -> None:
        """(address, contact, envelope) of this run's recipients: new ones as `pending`."""
        now = time.time()
        with self._transaction():
            self.db.executemany(
                "INSERT INTO messages (release, address, contact, envelope, state, updated) "
                "VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO UPDATE SET contact=excluded.contact, "
                "envelope=excluded.envelope",
                [(release, address, contact, envelope, now) for address, contact, envelope in recipients])

    def reset(self, release: str, states: Iterable[str]) -> None:
        """`--resend` and friends: rows in these states are to be sent again."""
        marks = ",".join("?" * len(tuple(states)))
        with self._transaction(durable=True):
            self.db.execute(f"UPDATE messages SET state='pending', updated=? WHERE release=? AND state IN ({marks})",
                            (time.time(), release, *states))

    def reserve(self, release: str, addresses: list[str], version: str) -> None:
        """Mark upcoming messages `sending`, durably (fsync), before any of them is handed to the server."""
        now = time.time()
        with self._transaction(durable=True):
            self.db.executemany(
                "UPDATE messages SET state='sending', version=?, boot=?, data_at=NULL, updated=? "
                "WHERE release=? AND address=?",
                [(version, self.boot, now, release, address) for address in addresses])

    def start(self, release: str, address: str) -> None:
        """Just before DATA: from here on a crash leaves this message `unconfirmed`. Only a message
        marked `sending` starts: one that a stopping send has put back (`unreserve`) while a
        connection's thread was still on its way to DATA is refused, and so never sent."""
        now = time.time()
        with self._transaction():
            started = self.db.execute("UPDATE messages SET data_at=?, attempts=attempts+1, updated=? WHERE release=? "
                                      "AND address=? AND state='sending'", (now, now, release, address)).rowcount
        if not started:
            raise JournalError(f"{address} is no longer marked as on its way (the send is stopping): not sent",
                               path=str(self.path))

    def finish(self, release: str, address: str, state: str, reply: str) -> None:
        with self._transaction():
            self.db.execute("UPDATE messages SET state=?, reply=?, updated=? WHERE release=? AND address=?",
                            (state, reply, time.time(), release, address))

    def unreserve(self, release: str) -> None:
        """At the end of a run: reserved messages that were never started go back to `pending`."""
        with self._transaction():
            self.db.execute("UPDATE messages SET state='pending', updated=? WHERE release=? AND state='sending' "
                            "AND data_at IS NULL", (time.time(), release))

    def sent_since(self, since: float) -> int:
        """Messages handed to the server since `since`, over all releases (for `daily_limit`)."""
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM messages WHERE data_at >= ? AND state IN "
                                       "('sent','sending','unconfirmed')", (since,)).fetchone()[0])

    def counts(self, release: str) -> dict[str, int]:
        with self._lock:
            found = dict(self.db.execute("SELECT state, count(*) FROM messages WHERE release=? GROUP BY state",
                                         (release,)).fetchall())
        return {state: found.get(state, 0) for state in STATES}
