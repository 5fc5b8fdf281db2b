"""Delivery over SMTP, exactly once: settings, plan, journal, transport, the send loop and its reports.

`pressctl send` delivers the messages the merge writes (pressctl.render.merge), one SMTP transaction
per recipient, and records each message's fate in a journal so that a send killed at any moment can
be run again without anyone receiving the release twice (see journal.py for how).
"""

from __future__ import annotations

from pathlib import Path

from pressctl.config import Config


def workspace_of(config: Config) -> Path:
    """The folder of pressctl.toml (which holds [smtp]); its .pressctl/ holds the journal."""
    return Path(config.path).parent if config.path else Path(".")
