"""Shared fixtures: the example workspace, a CLI runner, and the real tools the tests need."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# No per-example deadline for any property test, whatever its own @settings leave out: on a loaded
# machine Hypothesis's default of 200 ms fails a correct test (DeadlineExceeded, or Flaky when the
# replay is fast), and with that deadline its too_slow health check trips after 1 s of drawing.
settings.register_profile("pressctl", deadline=None)
settings.load_profile("pressctl")

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
# `UPDATE_GOLDEN=1 pytest` rewrites the golden files (and docs/checks.md) from the current output.
UPDATE_GOLDEN = bool(os.environ.get("UPDATE_GOLDEN"))


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example workspace as the current folder."""
    for name in ("contacts.yaml", "pressctl.toml"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "releases", tmp_path / "releases")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


CI_INSTALLS = ".ci/run installs it (see README, 'Running the tests')"


def require_tool(path: str | None, what: str, how: str = CI_INSTALLS) -> str:
    """A real component the tests need: skipped on a developer's machine without it, a failure on CI.
    `how` says where it comes from."""
    if path and Path(path).exists():
        return path
    message = f"{what} is not installed; {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def find_executable(name: str) -> str | None:
    return shutil.which(name)
