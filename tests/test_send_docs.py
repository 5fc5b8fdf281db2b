"""The README's "Sending" section works as written: its settings pass, and its commands run against a
real server (the confirmation answered on a real terminal, a pty)."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

from send_smtp import on_a_terminal, smtp_server, smtp_table

from pressctl.config import Config
from pressctl.send.settings import smtp_settings

REPO = Path(__file__).resolve().parent.parent


def sending_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("\n## Sending\n", 1)[1].split("\n## ", 1)[0]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", sending_section(), re.DOTALL)


def commands() -> list[list[str]]:
    found = []
    for line in blocks("sh")[0].splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "pressctl":
            found.append(words[1:])
    return found


def test_the_readme_settings_are_valid() -> None:
    [toml] = blocks("toml")
    settings = smtp_settings(Config("pressctl.toml", raw=tomllib.loads(toml)))
    assert (settings.host, settings.port, settings.security, settings.per_second, settings.daily_limit) == (
        "smtp.example.org", 587, "starttls", 0.5, 2000)


def test_the_readme_commands_work(workspace: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    found = commands()
    release = "releases/2024-06-26-three-port-wage-deal.md"
    assert found == [["send", release, "--dry-run"], ["send", release, "--test", "you@example.org"],
                     ["send", release], ["send", release, "--status"]]
    with smtp_server() as (box, port):
        (workspace / "pressctl.toml").open("a", encoding="utf-8").write("\n" + smtp_table(port))
        refused = on_a_terminal(found[2], workspace, b"n\n")
        assert refused[0] == 1 and box.recipients() == []  # answering no sends nothing
        results = [on_a_terminal(args, workspace, b"y\n") for args in found]
        assert [code for code, _ in results] == [0, 0, 0, 0], results
        assert "Send 7 messages now? [y/N]" in results[2][1]
        assert "Sent 7 messages; skipped 1 (1 unsubscribed)." in results[2][1]
        assert results[3][1].strip() == "releases/2024-06-26-three-port-wage-deal.md: 7 recipients: 7 sent"
        assert box.recipients()[0] == "you@example.org" and len(box.recipients()) == 8
