"""The journal's recovery rules, on a real SQLite file: what a crash or a power cut leaves behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pressctl.send.journal import Journal, JournalError

RELEASE = "releases/deal.md"
ADDRESSES = ["a@example.org", "b@example.org", "c@example.org"]


def crashed_journal(folder: Path) -> None:
    """A send that marked three messages `sending`, started DATA for the first, and died."""
    journal = Journal.in_workspace(folder)
    journal.add(RELEASE, ((address, address.split("@")[0], address) for address in ADDRESSES))
    journal.reserve(RELEASE, ADDRESSES, "v1")
    journal.start(RELEASE, ADDRESSES[0])
    journal.db.close()  # no unreserve, no answer: as after SIGKILL


def states(folder: Path) -> dict[str, str]:
    with sqlite3.connect(folder / ".pressctl" / "journal.sqlite") as db:
        return dict(db.execute("SELECT address, state FROM messages"))


def test_after_a_kill_only_the_started_message_is_unconfirmed(tmp_path: Path) -> None:
    crashed_journal(tmp_path)
    journal = Journal.in_workspace(tmp_path)
    if not journal.boot:
        pytest.skip("no boot id on this system: every `sending` row is unconfirmed (the next test)")
    assert journal.recover(RELEASE) == 1
    assert states(tmp_path) == {"a@example.org": "unconfirmed", "b@example.org": "pending", "c@example.org": "pending"}


def test_after_a_restart_every_sending_message_is_unconfirmed(tmp_path: Path) -> None:
    crashed_journal(tmp_path)
    journal = Journal.in_workspace(tmp_path)
    journal.boot = "another boot"  # as after a power cut: the start marks may not have reached the disk
    assert journal.recover(RELEASE) == 3
    assert set(states(tmp_path).values()) == {"unconfirmed"}


def test_recovery_leaves_other_releases_alone(tmp_path: Path) -> None:
    crashed_journal(tmp_path)
    journal = Journal.in_workspace(tmp_path)
    journal.boot = "another boot"
    assert journal.recover("releases/other.md") == 0
    assert set(states(tmp_path).values()) == {"sending"}  # perhaps a send of it running now


def test_only_a_message_marked_sending_starts(tmp_path: Path) -> None:
    """A connection's thread that reaches DATA after the send put its reservation back is refused, so
    the message cannot go out with a row that says `pending` (and would be sent again)."""
    journal = Journal.in_workspace(tmp_path)
    journal.add(RELEASE, ((address, address.split("@")[0], address) for address in ADDRESSES))
    journal.reserve(RELEASE, ADDRESSES[:1], "v1")
    journal.unreserve(RELEASE)
    with pytest.raises(JournalError, match="no longer marked as on its way"):
        journal.start(RELEASE, ADDRESSES[0])
    with pytest.raises(JournalError):
        journal.start(RELEASE, ADDRESSES[1])  # never reserved
    journal.close()
    assert set(states(tmp_path).values()) == {"pending"}
    with sqlite3.connect(tmp_path / ".pressctl" / "journal.sqlite") as db:
        assert db.execute("SELECT count(*) FROM messages WHERE data_at IS NOT NULL").fetchone() == (0,)
