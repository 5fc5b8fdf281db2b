"""Settings from pressctl.toml: organisation, sender, email options, export jobs and the mailing
tools' list ids (all optional)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.errors import UsageError
from pressctl.suggest import did_you_mean

DEFAULT_CONFIG = Path("pressctl.toml")
SECTIONS: dict[str, tuple[str, ...]] = {
    "organisation": ("name", "website", "about"),
    "sender": ("name", "email"),
    "email": ("list_unsubscribe", "list_unsubscribe_mailto"),
    "export": (),  # export jobs are read by pressctl.export.jobs
    "site": ("base_url", "title", "language"),  # the newsroom; read by pressctl.site.settings
    # Each mailing tool's ids for our list names: [listmonk.lists] press-eu = 3
    "listmonk": ("lists",),
    "mailchimp": ("lists",),
    "brevo": ("lists",),
}
LIST_ID_TOOLS = ("listmonk", "mailchimp", "brevo")
MAILCHIMP_AUDIENCE_KEYS = ("list_id", "saved_segment_id")
# A list's id in a tool: a number or text, or for Mailchimp { list_id = "…", saved_segment_id = 42 }
ListId = int | str | dict[str, int | str]
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


@dataclass(frozen=True)
class Organisation:
    name: str = ""
    website: str = ""
    about: str = ""  # Markdown


@dataclass(frozen=True)
class Sender:
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class EmailSettings:
    # An https URL or a mailto: address; {id} expands to the recipient's contact id.
    list_unsubscribe: str = ""
    list_unsubscribe_mailto: str = ""


@dataclass(frozen=True)
class Config:
    path: str | None  # None when there is no pressctl.toml
    organisation: Organisation = Organisation()
    sender: Sender = Sender()
    email: EmailSettings = EmailSettings()
    exports: tuple[dict[str, Any], ...] = ()
    # tool -> our list name -> that tool's id for it (an int, or a string for Mailchimp audiences)
    list_ids: dict[str, dict[str, ListId]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def load_config(path: Path | str | None = None) -> Config:
    """Read pressctl.toml. With no path, ./pressctl.toml if present; a missing default file gives defaults."""
    explicit = path is not None
    path = Path(path) if path is not None else DEFAULT_CONFIG
    display = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if explicit:
            raise UsageError("no such file", path=display) from None
        return Config(None)
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path=display) from None
    except UnicodeDecodeError:
        raise UsageError("not valid UTF-8; save the file as UTF-8", path=display) from None
    except tomllib.TOMLDecodeError as err:
        match = _TOML_POSITION.search(str(err))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        message = _TOML_POSITION.sub("", str(err)).strip()
        raise UsageError(f"TOML syntax: {message}", path=display, line=line, column=column) from None
    return _build(data, display)


def _build(data: dict[str, Any], display: str) -> Config:
    for key in data:
        _known(key, tuple(SECTIONS), display, "")
    tables: dict[str, dict[str, str]] = {}
    for section, keys in SECTIONS.items():
        if section == "export" or section in LIST_ID_TOOLS:
            continue
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise UsageError(f"`{section}` must be a table ([{section}])", path=display)
        values: dict[str, str] = {}
        for key, value in table.items():
            _known(key, keys, display, f"{section}.")
            if not isinstance(value, str):
                raise UsageError(f"`{section}.{key}` must be a string", path=display)
            if key != "about" and ("\n" in value or "\r" in value):
                raise UsageError(f"`{section}.{key}` must be on one line", path=display)
            values[key] = value.strip() if key == "about" else value
        tables[section] = values
    exports = data.get("export", [])
    if not isinstance(exports, list) or not all(isinstance(job, dict) for job in exports):
        raise UsageError("`export` must be a list of tables ([[export]])", path=display)
    email = EmailSettings(**tables["email"])
    if email.list_unsubscribe and not email.list_unsubscribe.startswith(("https://", "http://", "mailto:")):
        raise UsageError("`email.list_unsubscribe` must be an https:// URL or a mailto: address", path=display)
    if email.list_unsubscribe_mailto and not email.list_unsubscribe_mailto.startswith("mailto:"):
        raise UsageError("`email.list_unsubscribe_mailto` must be a mailto: address", path=display,
                         hint='for example "mailto:press@example.org?subject=unsubscribe%20{id}"')
    if tables["sender"].get("email"):
        _check_sender_email(tables["sender"]["email"], display)
    return Config(
        display,
        Organisation(**tables["organisation"]),
        Sender(**tables["sender"]),
        email,
        tuple(exports),
        {tool: _list_ids(data[tool], tool, display) for tool in LIST_ID_TOOLS if tool in data},
        data,
    )


def _check_sender_email(address: str, display: str) -> None:
    """The From: of every .eml and campaign: checked for syntax only, so loading settings needs no network."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as err:
        raise UsageError(f"`sender.email` is not an e-mail address ({address!r}): {err}", path=display,
                         hint='write it as name@domain, e.g. email = "press@example.org"') from None


def _list_ids(table: Any, tool: str, display: str) -> dict[str, ListId]:
    if not isinstance(table, dict):
        raise UsageError(f"`{tool}` must be a table ([{tool}.lists])", path=display)
    for key in table:
        _known(key, SECTIONS[tool], display, f"{tool}.")
    lists = table.get("lists", {})
    if not isinstance(lists, dict):
        raise UsageError(f"`{tool}.lists` must be a table of list names and ids", path=display)
    for name, value in lists.items():
        if tool == "mailchimp" and isinstance(value, dict):
            _mailchimp_audience(value, f"mailchimp.lists.{name}", display)
        elif isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise UsageError(f"`{tool}.lists.{name}` must be the list's id in {tool} (a number or text)",
                             path=display)
    return dict(lists)


def _mailchimp_audience(value: dict[str, Any], key: str, display: str) -> None:
    """`{ list_id = "a1b2c3d4e5", saved_segment_id = 42 }`: an audience and, optionally, a saved segment."""
    for part in value:
        _known(part, MAILCHIMP_AUDIENCE_KEYS, display, f"{key}.")
    if not isinstance(value.get("list_id"), str) or not value["list_id"]:
        raise UsageError(f"`{key}.list_id` must be the audience id (text)", path=display,
                         hint=f'e.g. {key.rsplit(".", 1)[1]} = {{ list_id = "a1b2c3d4e5", saved_segment_id = 42 }}')
    segment = value.get("saved_segment_id")
    if segment is not None and (isinstance(segment, bool) or not isinstance(segment, int) or segment < 1):
        raise UsageError(f"`{key}.saved_segment_id` must be the saved segment's id (a positive whole number)",
                         path=display)


def _known(key: str, known: tuple[str, ...], display: str, prefix: str) -> None:
    if key in known:
        return
    hint = did_you_mean(key, known, prefix=prefix) or f"known keys: {', '.join(known)}"
    raise UsageError(f"unknown key `{prefix}{key}`", path=display, hint=hint)
