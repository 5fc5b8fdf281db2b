"""The kill test: a send of 2,000 recipients is killed with SIGKILL at random moments and resumed each
time, over one connection and over three at once; the server's own record must show that nobody
received the release twice. And Ctrl-C in the middle of a send over three connections: the messages
on their way finish, and the rest is sent by the next run."""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from send_smtp import smtp_server, smtp_table

REPO = Path(__file__).resolve().parent.parent
RELEASE = "releases/2024-06-26-three-port-wage-deal.md"
RECIPIENTS = 2000
KILLS = 30
REFUSED = {f"editor{n:05d}@example.net" for n in range(7, RECIPIENTS, 397)}  # the server answers 550
UNSUBSCRIBED = {f"editor{n:05d}@example.net" for n in range(3, RECIPIENTS, 211)}


def write_workspace(folder: Path) -> None:
    lines = ["version: 1", "defaults:", "  region: NL", "contacts:",
             "  - id: marieke-van-dijk", "    name: Marieke van Dijk", "    email: marieke.vandijk@example.org",
             "  - id: ratih-kusumawardani", "    name: Ratih Kusumawardani", "    email: ratih.k@example.org",
             "  - id: sophal-meas", "    name: Sophal Meas", "    email: sophal.meas@example.org"]
    for n in range(RECIPIENTS):
        address = f"editor{n:05d}@example.net"
        lines += [f"  - id: editor-{n:05d}", f"    name: Éditeur {n:05d}", f"    email: {address}",
                  f"    languages: [{('fr', 'de', 'km', 'en')[n % 4]}]", "    lists: [press-eu, labour-beat]"]
        if address in UNSUBSCRIBED:
            lines.append("    unsubscribed: 2024-01-01")
    (folder / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    (folder / "releases").mkdir()
    shutil.copy(REPO / RELEASE, folder / RELEASE)


def unsubscribe(folder: Path, address: str) -> None:
    book = folder / "contacts.yaml"
    text = book.read_text(encoding="utf-8")
    book.write_text(text.replace(f"    email: {address}\n", f"    email: {address}\n    unsubscribed: 2024-06-25\n"),
                    encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("connections", [1, 3])
def test_killed_sends_resume_and_nobody_gets_the_release_twice(tmp_path: Path, connections: int) -> None:
    rng = random.Random(20240626 * connections)
    write_workspace(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "pressctl", "send", RELEASE, "--yes"]
    late_unsubscribed = None
    with smtp_server(keep_content=False) as (box, port):
        box.rules.update(dict.fromkeys(REFUSED, "550"))
        with (tmp_path / "pressctl.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + smtp_table(port) + f"connections = {connections}\n")
        kills = 0
        while kills < KILLS:
            before = len(box.received)
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            if kills % 5 == 0:  # some kills while it starts, reads the book or recovers the journal
                time.sleep(rng.uniform(0.0, 0.8))
            else:  # most while it sends, after a random number of messages
                goal = before + rng.randint(1, 50)
                while len(box.received) < goal and process.poll() is None:
                    time.sleep(0.0005)
            if process.poll() is not None:
                pytest.fail(f"the send finished before kill {kills + 1}: {process.stderr.read().decode()[-500:]}")
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stderr.close()  # type: ignore[union-attr]
            kills += 1
            if kills == KILLS // 2:  # a contact unsubscribed between two runs gets nothing from the next
                late_unsubscribed = next(f"editor{n:05d}@example.net" for n in range(RECIPIENTS - 1, 0, -1)
                                         if f"editor{n:05d}@example.net" not in set(box.recipients()) | REFUSED
                                         | UNSUBSCRIBED)
                unsubscribe(tmp_path, late_unsubscribed)
        final = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        received = Counter(box.recipients())
    assert late_unsubscribed is not None
    assert final.returncode in (0, 1) and "Sent " in final.stderr, final.stderr
    with sqlite3.connect(tmp_path / ".pressctl" / "journal.sqlite") as db:
        states = dict(db.execute("SELECT address, state FROM messages"))
    unconfirmed = {address for address, state in states.items() if state == "unconfirmed"}
    print(f"{KILLS} kills; {len(unconfirmed)} unconfirmed; {sum(received.values())} received")
    assert len(unconfirmed) <= KILLS * connections  # at most the message each connection was waiting on
    assert {address for address, state in states.items() if state == "failed"} == REFUSED
    assert max(received.values()) == 1, [a for a, n in received.items() if n > 1]
    reachable = {f"editor{n:05d}@example.net" for n in range(RECIPIENTS)} - REFUSED - UNSUBSCRIBED
    assert received.keys() <= reachable
    assert received[late_unsubscribed] == 0
    missing = reachable - {late_unsubscribed} - received.keys()
    assert missing <= unconfirmed  # a message never received is one whose fate the journal calls unknown
    assert all(states[address] == "sent" for address in received if address not in unconfirmed)


def test_ctrl_c_lets_the_messages_on_their_way_finish(tmp_path: Path) -> None:
    """SIGINT while three connections carry messages: exit 130, every message handed to the server has
    its answer in the journal (none unconfirmed, none `sending`), and the next run sends the rest."""
    write_workspace(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "pressctl", "send", RELEASE, "--yes"]
    with smtp_server(keep_content=False) as (box, port):
        with (tmp_path / "pressctl.toml").open("a", encoding="utf-8") as handle:
            handle.write("\n" + smtp_table(port) + "connections = 3\n")
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while len(box.received) < 200 and process.poll() is None:
            time.sleep(0.001)
        process.send_signal(signal.SIGINT)
        _, error = process.communicate(timeout=60)
        assert process.returncode == 130, error.decode()[-1000:]
        assert "interrupted; run the same command again" in error.decode()
        with sqlite3.connect(tmp_path / ".pressctl" / "journal.sqlite") as db:
            states = dict(db.execute("SELECT address, state FROM messages"))
        assert set(states.values()) <= {"sent", "failed", "pending"}
        assert {address for address, state in states.items() if state == "sent"} == set(box.recipients())
        final = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
        received = Counter(box.recipients())
    reachable = {f"editor{n:05d}@example.net" for n in range(RECIPIENTS)} - UNSUBSCRIBED
    assert set(received) == reachable and max(received.values()) == 1
