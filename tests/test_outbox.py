"""A re-merge into an outbox folder ends all old or all new: killed at any point, or when a move fails."""

from __future__ import annotations

import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pressctl.errors import InputError, UsageError
from pressctl.render import outbox
from pressctl.render.merge import write_folder

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
HEADLINE = "Dock workers in three countries win first shared wage deal with Meridian Terminals"


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {p.name: p.read_bytes() if p.is_file() else b"<folder>" for p in sorted(folder.iterdir())}


def leftovers(parent: Path, name: str = "out") -> list[str]:
    inside = [f"{name}/{n}" for n in os.listdir(parent / name) if n.startswith(".")] if (parent / name).is_dir() else []
    return sorted([n for n in os.listdir(parent) if n.startswith(f".{name}.")] + inside)


def merge_workspace(folder: Path, contacts: int) -> None:
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    (folder / "releases").mkdir()
    release = (REPO / EXAMPLE).read_text(encoding="utf-8").replace("audience: [press-eu, labour-beat]",
                                                                   "audience: [bench]")
    (folder / EXAMPLE).write_text(release, encoding="utf-8")
    lines = ["version: 1", "defaults:", "  region: NL", "contacts:",
             "  - id: marieke-van-dijk", "    name: Marieke van Dijk", "    role: General Secretary",
             "    organisation: Harbour Workers Alliance", "    email: marieke.vandijk@example.org",
             '    phone: "+31 6 51280210"',
             "  - id: ratih-kusumawardani", "    name: Ratih Kusumawardani", "    email: ratih.k@example.org",
             '    phone: "+62 812-3456-7890"',
             "  - id: sophal-meas", "    name: Sophal Meas", "    email: sophal.meas@example.org"]
    for n in range(contacts):
        lines += [f"  - id: editor-{n:04d}", f"    name: Éditrice {n:04d}", f"    email: editor{n:04d}@example.net",
                  "    lists: [bench]"]
    (folder / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_merge(folder: Path, output: str = "out") -> subprocess.Popen[bytes]:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1719295200",
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-m", "pressctl", "render", EXAMPLE, "-f", "eml", "-o", f"{output}/"],
                            cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finished(process: subprocess.Popen[bytes]) -> None:
    _, error = process.communicate(timeout=120)
    assert process.returncode == 0, error.decode()


def new_headline(folder: Path) -> None:
    path = folder / EXAMPLE
    path.write_text(path.read_text(encoding="utf-8").replace(HEADLINE, "Three ports, one wage deal"), encoding="utf-8")


@pytest.mark.slow
def test_a_remerge_killed_at_random_points_leaves_all_old_or_all_new(tmp_path: Path) -> None:
    merge_workspace(tmp_path, 400)
    finished(run_merge(tmp_path))
    (tmp_path / "out" / "notes.txt").write_text("the desk's own notes\n", encoding="utf-8")
    old = snapshot(tmp_path / "out")
    shutil.copytree(tmp_path / "out", tmp_path / "old-copy")
    new_headline(tmp_path)
    start = time.monotonic()
    finished(run_merge(tmp_path, "expected"))
    duration = time.monotonic() - start
    new = {**snapshot(tmp_path / "expected"), "notes.txt": old["notes.txt"]}
    assert set(new) == set(old) and all(new[name] != old[name] for name in old if name != "notes.txt")
    for delay in sorted(random.Random(9).uniform(0.3 * duration, 1.1 * duration) for _ in range(6)):
        process = run_merge(tmp_path)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = snapshot(tmp_path / "out")
        assert state in (old, new), f"killed after {delay:.2f}s: a mixed outbox"
        shutil.rmtree(tmp_path / "out")
        shutil.copytree(tmp_path / "old-copy", tmp_path / "out")
    finished(run_merge(tmp_path))  # the next run finishes the job and removes what the killed ones left
    assert snapshot(tmp_path / "out") == new
    assert leftovers(tmp_path) == []


def messages_for(ids: list[str], text: str) -> list[tuple[str, bytes]]:
    return [(contact_id, f"Subject: {text} for {contact_id}\r\n\r\n{text}\r\n".encode()) for contact_id in ids]


@pytest.fixture
def old_outbox(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_folder(out, iter(messages_for(["femke-jansen", "marcus-reid"], "old")), ids=["femke-jansen", "marcus-reid"])
    (out / "notes.txt").write_text("keep me\n", encoding="utf-8")
    return out


def test_a_message_that_cannot_be_moved_in_leaves_the_old_set(old_outbox: Path) -> None:
    """A real failing move: one recipient's name is taken by a folder. Nothing is replaced."""
    (old_outbox / "zoe.eml").mkdir()
    (old_outbox / "zoe.eml" / "x").write_text("x", encoding="utf-8")
    before = snapshot(old_outbox)
    ids = ["femke-jansen", "marcus-reid", "zoe"]
    with pytest.raises(UsageError, match=r"holds zoe\.eml, which is not a file"):
        write_folder(old_outbox, iter(messages_for(ids, "new")), ids=ids)
    assert snapshot(old_outbox) == before and leftovers(old_outbox.parent) == []


@pytest.mark.parametrize("how", ["the exchange fails", "no exchange, and the second rename fails"])
def test_a_failing_swap_leaves_the_old_set(old_outbox: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Faults injected into the system calls the swap makes (an I/O error; a file system without exchange)."""
    before = snapshot(old_outbox)
    real_rename = os.rename

    def exchange(first: str, second: str) -> None:
        raise OSError(errno.EIO if how == "the exchange fails" else errno.EINVAL, "injected")

    def rename(source: str | Path, destination: str | Path) -> None:
        if outbox.STAGING in str(source) and Path(destination) == old_outbox:
            raise OSError(errno.EIO, "injected")
        real_rename(source, destination)

    monkeypatch.setattr(outbox, "_exchange", exchange)
    monkeypatch.setattr(os, "rename", rename)
    ids = ["femke-jansen", "marcus-reid"]
    with pytest.raises(InputError, match="cannot write the messages"):
        write_folder(old_outbox, iter(messages_for(ids, "new")), ids=ids)
    assert snapshot(old_outbox) == before and leftovers(old_outbox.parent) == []


def test_without_exchange_the_two_renames_replace_the_set(old_outbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def exchange(first: str, second: str) -> None:
        raise OSError(errno.ENOSYS, "injected: no renameat2")

    monkeypatch.setattr(outbox, "_exchange", exchange)
    ids = ["femke-jansen", "marcus-reid"]
    assert write_folder(old_outbox, iter(messages_for(ids, "new")), ids=ids) == 2
    assert snapshot(old_outbox) == {**dict((f"{i}.eml", d) for i, d in messages_for(ids, "new")),
                                    "notes.txt": b"keep me\n"}
    assert leftovers(old_outbox.parent) == []


def test_a_failure_while_writing_leaves_the_old_set(old_outbox: Path) -> None:
    before = snapshot(old_outbox)

    def failing():  # type: ignore[no-untyped-def]
        yield "femke-jansen", b"Subject: new\r\n\r\nnew\r\n"
        raise InputError("the second message cannot be made")

    with pytest.raises(InputError, match="second message"):
        write_folder(old_outbox, failing(), ids=["femke-jansen", "marcus-reid"])
    assert snapshot(old_outbox) == before and leftovers(old_outbox.parent) == []


def test_the_next_merge_removes_what_a_killed_one_left(old_outbox: Path) -> None:
    parent = old_outbox.parent
    for name in (".out.pressctl-merge-k1ll3d", ".out.pressctl-old-r3plac3d", "out/.out.pressctl-merge-0ld"):
        (parent / name).mkdir()
        (parent / name / "femke-jansen.eml").write_bytes(b"Subject: personal data\r\n\r\nleft behind\r\n")
    (parent / ".other.pressctl-merge-x").mkdir()  # another outbox's: not ours to touch
    ids = ["femke-jansen", "marcus-reid"]
    write_folder(old_outbox, iter(messages_for(ids, "new")), ids=ids)
    assert leftovers(parent) == [] and (parent / ".other.pressctl-merge-x").is_dir()
    assert sorted(p.name for p in old_outbox.iterdir()) == ["femke-jansen.eml", "marcus-reid.eml", "notes.txt"]


def test_an_outbox_set_aside_by_a_killed_merge_is_put_back(old_outbox: Path) -> None:
    """Killed between its two renames (where there is no exchange), a merge leaves the old set beside: whole."""
    parent, before = old_outbox.parent, snapshot(old_outbox)
    os.rename(old_outbox, parent / ".out.pressctl-old-abc123")
    (parent / ".out.pressctl-merge-def456").mkdir()
    with pytest.raises(UsageError, match=r"already holds marcus-reid\.eml"):  # the old set is back, and checked
        write_folder(old_outbox, iter(messages_for(["femke-jansen"], "new")), ids=["femke-jansen"])
    assert snapshot(old_outbox) == before and leftovers(parent) == []


def test_an_outbox_reached_through_a_link_stays_a_link(old_outbox: Path) -> None:
    link = old_outbox.parent / "link"
    link.symlink_to(old_outbox, target_is_directory=True)
    ids = ["femke-jansen", "marcus-reid"]
    write_folder(link, iter(messages_for(ids, "new")), ids=ids)
    assert link.is_symlink() and (old_outbox / "femke-jansen.eml").read_bytes().startswith(b"Subject: new")
    assert oct(old_outbox.stat().st_mode & 0o777) == "0o755" and leftovers(old_outbox.parent) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_outbox_is_refused_not_replaced(old_outbox: Path) -> None:
    before = snapshot(old_outbox)
    old_outbox.chmod(0o555)
    try:
        with pytest.raises(UsageError, match=r"cannot write in this folder \(permission denied\)"):
            write_folder(old_outbox, iter(messages_for(["femke-jansen"], "new")), ids=["femke-jansen"])
    finally:
        old_outbox.chmod(0o755)
    assert snapshot(old_outbox) == before and leftovers(old_outbox.parent) == []
