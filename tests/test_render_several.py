"""`pressctl render releases/*.md`: several releases, one file each in a folder, or text one after another."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from pressctl.cli import app

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
SECOND = "releases/2024-07-01-ferry-strike-ends.md"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_releases(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")
    text = Path(EXAMPLE).read_text(encoding="utf-8")
    Path(SECOND).write_text(text.replace("Dock workers in three countries win first shared wage deal with "
                                         "Meridian Terminals", "Ferry strike in Sihanoukville ends")
                            .replace("date: 2024-06-26", "date: 2024-07-01")
                            .replace('embargo: "2024-06-26T06:00:00+02:00"\n', ""), encoding="utf-8")
    return [EXAMPLE, SECOND]


@pytest.mark.parametrize(("fmt", "extension"), [("text", "txt"), ("html", "html"), ("eml", "eml")])
def test_several_releases_go_one_file_each_into_a_folder(two_releases: list[str], runner, fmt: str,
                                                         extension: str) -> None:
    result = runner.invoke(app, ["render", *two_releases, "-f", fmt, "-o", "rendered/"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "Wrote 2 releases to rendered/\n")
    names = sorted(p.name for p in Path("rendered").iterdir())
    assert names == [f"2024-06-26-three-port-wage-deal.{extension}", f"2024-07-01-ferry-strike-ends.{extension}"]
    for release in two_releases:
        alone = runner.invoke(app, ["render", release, "-f", fmt, "-o", f"alone.{extension}"])
        assert alone.exit_code == 0
        assert (Path("rendered") / f"{Path(release).stem}.{extension}").read_bytes() == \
            Path(f"alone.{extension}").read_bytes()  # the same as rendering each one alone
    if fmt == "eml":
        message = email.message_from_bytes(Path("rendered/2024-07-01-ferry-strike-ends.eml").read_bytes(),
                                           policy=policy.default)
        assert message["Subject"] == "Ferry strike in Sihanoukville ends"


def test_several_releases_as_text_follow_one_another_on_standard_output(two_releases: list[str], runner) -> None:
    result = runner.invoke(app, ["render", *two_releases])
    assert result.exit_code == 0
    first, second = result.stdout.split("\f\n")
    assert first == runner.invoke(app, ["render", EXAMPLE]).stdout
    assert second == runner.invoke(app, ["render", SECOND]).stdout


@pytest.mark.parametrize(("args", "expected"), [
    (["-f", "html", "-o", "one.html"], "error: 2 releases make 2 files, and -o one.html names one\n"
                                       "  hint: give a folder, e.g. -o rendered/, for one file per release\n"),
    (["-f", "html"], "error: 2 releases make 2 html documents, which cannot share standard output\n"
                     "  hint: give a folder, e.g. -o rendered/, for one file per release\n"),
    (["-f", "eml", "--audience", "press-eu", "-o", "outbox/"],
     "error: a merge renders one release; 2 were given\n  hint: name the release to merge\n"),
])
def test_what_several_releases_cannot_do(two_releases: list[str], runner, args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["render", *two_releases, *args])
    assert (result.exit_code, result.stderr) == (2, expected)
    assert sorted(os.listdir()) == ["contacts.yaml", "pressctl.toml", "releases"]


def test_nothing_is_written_when_one_release_is_broken(two_releases: list[str], runner) -> None:
    Path(SECOND).write_text("---\nheadline: [unclosed\n---\n", encoding="utf-8")
    result = runner.invoke(app, ["render", *two_releases, "-o", "rendered/"])
    assert result.exit_code in (1, 2) and result.stderr.startswith(f"error: {SECOND}:")
    assert not Path("rendered").exists()


def test_the_readme_command_works_with_two_releases(two_releases: list[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("pressctl render releases/*.md"))
    command = line.split("#")[0].split()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "pressctl", *command[1:2],
                           *sorted(str(p) for p in Path("releases").glob("*.md")), *command[3:]],
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
