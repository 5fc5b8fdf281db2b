"""`pressctl init` keeps the send journal, export outputs and outboxes out of git."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.cli import app
from pressctl.workspace import GITIGNORE_HEADER


def test_init_writes_a_gitignore(tmp_path: Path, runner, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "office"])
    assert result.exit_code == 0
    assert "created office/.gitignore" in result.output
    assert (tmp_path / "office" / ".gitignore").read_text() == f"{GITIGNORE_HEADER}\n.pressctl/\nexports/\noutbox/\n"


def test_init_appends_to_a_gitignore_and_never_replaces_it(tmp_path: Path, runner,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("# mine\n*.pyc\n/exports\n.pressctl", encoding="utf-8")
    assert runner.invoke(app, ["init"]).exit_code == 0
    expected = f"# mine\n*.pyc\n/exports\n.pressctl\n\n{GITIGNORE_HEADER}\noutbox/\n"
    assert (tmp_path / ".gitignore").read_text() == expected
    (tmp_path / "contacts.yaml").unlink()
    (tmp_path / "pressctl.toml").unlink()
    for path in (tmp_path / "releases").iterdir():
        path.unlink()
    (tmp_path / "templates" / "README.md").unlink()
    before = (tmp_path / ".gitignore").read_bytes()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0 and ".gitignore" not in result.output  # nothing missing: left alone
    assert (tmp_path / ".gitignore").read_bytes() == before
