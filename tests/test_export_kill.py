"""Kill an export at random points: the output is always the old file or the whole new one."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.export import generate_book

REPO = Path(__file__).resolve().parent.parent
RUNS = 8


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.slow
@pytest.mark.parametrize("target", ["csv", "vcard"])
def test_sigkill_never_leaves_a_mixed_file(tmp_path: Path, target: str) -> None:
    book = tmp_path / "contacts.yaml"
    book.write_text(generate_book(20_000), encoding="utf-8")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pressctl", "export", "contacts", "--to", target, "--contacts", str(book),
               "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    new = _digest(out)
    old = b"the previous export\r\n"
    seed = int(os.environ.get("PRESSCTL_KILL_SEED", time.time_ns()))
    rng = random.Random(seed)
    seen = set()
    for run in range(RUNS):
        out.write_bytes(old)
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Most of the run is loading the book: aim most kills at its second half, where the file is written.
        time.sleep(duration * rng.uniform(0.3, 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        found = _digest(out)
        assert found in (hashlib.sha256(old).hexdigest(), new), f"run {run}, PRESSCTL_KILL_SEED={seed}"
        seen.add("new" if found == new else "old")
    assert seen  # the runs happened; which states they hit depends on timing


def _manifest_in_step(folder: Path) -> list[str]:
    """The files the manifest records, after checking that every record's sha256 is the file's."""
    import json

    manifest = folder / "manifest.json"
    if not manifest.exists():
        return []
    records = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    for record in records:
        assert _digest(folder / record["file"]) == record["sha256"], record["file"]
    return [record["file"] for record in records]


@pytest.mark.slow
def test_sigkill_never_leaves_the_manifest_out_of_step(tmp_path: Path) -> None:
    """Each run changes every file (the book alternates between two versions); a kill at any moment
    leaves a manifest whose every record is true of its file."""
    books = [generate_book(6_000), generate_book(6_000).replace("Reporter", "Editor")]
    (tmp_path / "pressctl.toml").write_text("".join(
        f'[[export]]\nname = "{to}"\nwhat = "contacts"\nto = "{to}"\noutput = "exports/all.{to}"\n\n'
        for to in ("csv", "vcard", "json", "brevo")), encoding="utf-8")
    command = [sys.executable, "-m", "pressctl", "export", "--all"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    book = tmp_path / "contacts.yaml"
    book.write_text(books[0], encoding="utf-8")
    started = time.monotonic()
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    duration = time.monotonic() - started
    folder = tmp_path / "exports"
    assert len(_manifest_in_step(folder)) == 4
    seed = int(os.environ.get("PRESSCTL_KILL_SEED", time.time_ns()))
    rng = random.Random(seed)
    for run in range(RUNS):
        book.write_text(books[(run + 1) % 2], encoding="utf-8")
        first = os.stat(folder / "all.csv").st_ino
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if run % 2:
            time.sleep(duration * rng.uniform(0.5, 1.1))  # loading the book is the first half
        else:  # the sharpest moment: just after the first file is replaced, before the others
            while process.poll() is None and os.stat(folder / "all.csv").st_ino == first:
                pass
        process.send_signal(signal.SIGKILL)
        process.wait()
        try:
            _manifest_in_step(folder)
        except AssertionError as err:
            raise AssertionError(f"run {run}, PRESSCTL_KILL_SEED={seed}: {err}") from None
    subprocess.run(command, cwd=tmp_path, env=env, check=True, capture_output=True)
    assert len(_manifest_in_step(folder)) == 4
    assert sorted(p.name for p in folder.iterdir()) == [  # the killed runs' temporary files are gone
        "all.brevo", "all.csv", "all.json", "all.vcard", "manifest.json"]
