"""A contact book read ahead on a second thread (contacts.load.ReadAhead) opens as open_book() opens it:
the same contacts, the same errors with the same file and line, raised where the book is opened."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pressctl.contacts.load import ReadAhead, open_book
from pressctl.errors import PressctlError

REPO = Path(__file__).resolve().parent.parent


def _outcome(opener: object) -> tuple[type[BaseException], str, int] | object:
    try:
        return opener()  # type: ignore[operator]
    except PressctlError as err:
        return type(err), str(err), int(err.exit_code)


def _large_book(path: Path, count: int) -> Path:
    lines = ["version: 1", "defaults:", "  region: NL", "contacts:"]
    for i in range(count):
        lines += [f"  - id: editor-{i:05d}", f"    name: Editor {i:05d}", f"    email: editor{i:05d}@example.net",
                  "    lists: [bench]", f"    phone: \"+31 6 {51280000 + i}\""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["example", "large"])
def test_a_book_read_ahead_is_the_book_open_book_reads(tmp_path: Path, name: str) -> None:
    path = REPO / "contacts.yaml" if name == "example" else _large_book(tmp_path / "contacts.yaml", 3000)
    ahead = ReadAhead(path)
    assert ahead.open() == open_book(path)


BROKEN = {
    "syntax": "version: 1\ncontacts:\n  - id: a\n    name: [unclosed\n",
    "not a mapping": "- just\n- a list\n",
    "duplicate id": ("version: 1\ncontacts:\n  - {id: a, name: A, email: a@example.org}\n"
                     "  - {id: a, name: B, email: b@example.org}\n"),
    "duplicate key": "version: 1\ncontacts:\n  - id: a\n    name: A\n    name: B\n",
    "binary": "\x00\x01\x02",
}


@pytest.mark.parametrize("text", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_book_read_ahead_fails_as_open_book_fails(tmp_path: Path, text: str) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    expected = _outcome(lambda: open_book(path, "contacts.yaml"))
    assert isinstance(expected, tuple)  # each of these stops a render
    assert _outcome(ReadAhead(path, "contacts.yaml").open) == expected


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_an_unreadable_book_fails_when_opened_not_when_read(tmp_path: Path, make: str) -> None:
    path = tmp_path / "contacts.yaml"
    if make == "folder":
        path.mkdir()
    ahead = ReadAhead(path, "contacts.yaml")  # raises nothing yet: the command may fail first for another reason
    expected = _outcome(lambda: open_book(path, "contacts.yaml"))
    assert isinstance(expected, tuple) and "contacts.yaml" in expected[1]
    assert _outcome(ahead.open) == expected


def test_the_book_is_parsed_off_the_calling_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pressctl.contacts.load as load

    parsed_on: list[int] = []
    real = load.load_book

    def recording(path: Path, display: str | None = None) -> load.LoadResult:
        parsed_on.append(threading.get_ident())
        return real(path, display)

    monkeypatch.setattr(load, "load_book", recording)
    book = ReadAhead(REPO / "contacts.yaml").open()
    assert parsed_on and parsed_on[0] != threading.get_ident()
    assert len(book.contacts) == len(open_book(REPO / "contacts.yaml").contacts)


def test_render_reports_a_bad_release_before_a_missing_book(workspace: Path) -> None:
    """The book is read ahead, but errors come in the order they always came: the release first."""
    from typer.testing import CliRunner

    from pressctl.cli import app

    result = CliRunner().invoke(app, ["render", "releases/nope.md", "--contacts", "nobody.yaml"])
    assert result.exit_code != 0
    assert "releases/nope.md: no such file" in result.output
    assert "nobody.yaml" not in result.output
    result = CliRunner().invoke(app, ["render", "releases/2024-06-26-three-port-wage-deal.md",
                                      "--contacts", "nobody.yaml"])
    assert result.exit_code == 2 and "nobody.yaml: no such file" in result.output


def test_books_read_ahead_one_after_another_in_a_fresh_interpreter(tmp_path: Path) -> None:
    """yaml-rs first imported on a thread that then ends crashes the next parse: ReadAhead imports it on the
    caller's thread. A fresh interpreter, as this test process has long imported yaml-rs."""
    import subprocess
    import sys

    large = _large_book(tmp_path / "large.yaml", 3000)
    script = ("import sys\nfrom pathlib import Path\nfrom pressctl.contacts.load import ReadAhead\n"
              "for name in sys.argv[1:]:\n    print(len(ReadAhead(Path(name)).open().contacts))\n")
    done = subprocess.run([sys.executable, "-c", script, str(REPO / "contacts.yaml"), str(large), str(large)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split()[1:] == ["3000", "3000"]


def test_a_book_that_is_not_a_file_is_read_when_opened_not_ahead(tmp_path: Path) -> None:
    """A FIFO (or /dev/stdin) is not read ahead: a command that fails first exits at once instead of waiting
    for a thread blocked on it, and the book is still read, in order, where it is opened."""
    import os
    import subprocess
    import sys

    fifo = tmp_path / "contacts.fifo"
    os.mkfifo(fifo)
    ahead = ReadAhead(fifo)
    assert ahead._thread is None
    failed = subprocess.run([sys.executable, "-m", "pressctl", "render", "releases/nope.md", "--contacts", str(fifo)],
                            capture_output=True, text=True, cwd=REPO, timeout=60)
    assert failed.returncode == 2 and "releases/nope.md: no such file" in failed.stderr
    writer = subprocess.Popen(["sh", "-c", f"cat {REPO / 'contacts.yaml'} > {fifo}"])
    try:
        assert ahead.open() == open_book(REPO / "contacts.yaml", str(fifo))
    finally:
        writer.wait(timeout=60)
