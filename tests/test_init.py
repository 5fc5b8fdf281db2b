"""`pressctl init`: a workspace that checks clean and renders at once."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

from pressctl.cli import app


def test_init_then_render(tmp_path: Path, runner, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "office"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    release = next(line for line in lines if "/releases/" in line).removeprefix("created ")
    assert lines[-1] == f"Next: cd office && pressctl render {release.removeprefix('office/')}"
    monkeypatch.chdir(tmp_path / "office")
    assert runner.invoke(app, ["contacts", "check"]).output == "All checks passed.\n"
    assert runner.invoke(app, ["release", "check", release.removeprefix("office/")]).output == "All checks passed.\n"
    text = runner.invoke(app, ["render", release.removeprefix("office/")])
    assert text.exit_code == 0 and text.output.startswith("FOR IMMEDIATE RELEASE\n")
    merged = runner.invoke(app, ["render", release.removeprefix("office/"), "-f", "eml", "--audience", "press",
                                 "-o", "out"])
    assert merged.output == "Wrote 1 message to out/. Nothing was sent.\n"
    message = email.message_from_bytes((tmp_path / "office" / "out" / "sam-editor.eml").read_bytes(),
                                       policy=policy.default)
    assert str(message["From"]) == "Example Organisation Press Office <press@example.org>"
    assert (tmp_path / "office" / "templates" / "README.md").read_text().startswith("# Templates")


def test_init_never_overwrites(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    before = (workspace / "contacts.yaml").read_bytes()
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 2
    assert result.output.startswith("error: would overwrite contacts.yaml, pressctl.toml;")
    assert (workspace / "contacts.yaml").read_bytes() == before
