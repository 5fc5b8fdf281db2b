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


@pytest.mark.parametrize("blocker", ["file", "dangling-link"])
def test_init_checks_every_path_before_writing(tmp_path: Path, runner, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                               blocker: str) -> None:
    """`templates` as a file (or a link to nowhere) must not leave a half-made workspace and a traceback."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "w2").mkdir()
    if blocker == "file":
        (tmp_path / "w2" / "templates").touch()
        expected = ("error: w2/templates: is a file where pressctl init makes a folder; move it aside or start the "
                    "workspace in another folder\n")
    else:
        (tmp_path / "w2" / "templates").symlink_to(tmp_path / "nowhere")
        expected = "error: w2/templates: cannot create the workspace: File exists\n"
    result = runner.invoke(app, ["init", "w2"])
    assert (result.exit_code, result.output) == (2, expected)
    assert [p.name for p in (tmp_path / "w2").iterdir()] == ["templates"]
