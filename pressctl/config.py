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
# Each section and its keys. A new section is one line here, plus its dataclass below if it has one.
SECTIONS: dict[str, tuple[str, ...]] = {
    "organisation": ("name", "website", "about", "logo"),
    "sender": ("name", "email"),
    "email": ("list_unsubscribe", "list_unsubscribe_mailto"),
    "render": ("paper",),  # read by pressctl.render.pdf
    "export": (),  # export jobs are read by pressctl.export.jobs
    "smtp": (),  # read and checked by pressctl.send.settings
    "site": ("base_url", "title", "language"),  # the newsroom; read by pressctl.site.settings
    # Each mailing tool's ids for our list names: [listmonk.lists] press-eu = 3
    "listmonk": ("lists",),
    "mailchimp": ("lists",),
    "brevo": ("lists",),
}
LIST_ID_TOOLS = ("listmonk", "mailchimp", "brevo")
TEXT_SECTIONS = ("organisation", "sender", "email", "render", "site")  # tables of text values
MAILCHIMP_AUDIENCE_KEYS = ("list_id", "saved_segment_id")
# A list's id in a tool: a number or text, or for Mailchimp { list_id = "…", saved_segment_id = 42 }
ListId = int | str | dict[str, int | str]
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
# Values that end up in e-mail headers (From:, List-Unsubscribe:): no control character may pass.
HEADER_BOUND = ("sender.name", "sender.email", "organisation.name", "email.list_unsubscribe",
                "email.list_unsubscribe_mailto")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NESTING = 32  # far deeper than any pressctl.toml needs, far below Python's recursion limit


@dataclass(frozen=True)
class Organisation:
    name: str = ""
    website: str = ""
    about: str = ""  # Markdown
    logo: str = ""  # a path relative to pressctl.toml, for the PDF letterhead


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
    lines: TomlLines | None = None  # where each key stands, for messages about it


def load_config(path: Path | str | None = None) -> Config:
    """Read pressctl.toml. With no path, ./pressctl.toml if present; a missing default file gives defaults."""
    explicit = path is not None
    path = Path(path) if path is not None else DEFAULT_CONFIG
    display = str(path)
    try:
        # utf-8-sig: editors on Windows save a BOM, which TOML itself does not allow.
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        if explicit:
            raise UsageError("no such file", path=display) from None
        return Config(None)
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path=display) from None
    except UnicodeDecodeError as err:
        bad_line = path.read_bytes()[:err.start].count(b"\n") + 1
        raise UsageError("not valid UTF-8; save the file as UTF-8", path=display, line=bad_line) from None
    except OSError as err:
        from pressctl.errors import os_error

        raise os_error(err, display, UsageError, doing="cannot read") from None
    deepest = _too_deep(text)
    if deepest is not None:
        raise UsageError(f"arrays or tables nested more than {MAX_NESTING} deep; pressctl.toml needs two or three",
                         path=display, line=deepest)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = _TOML_POSITION.search(str(err))
        line, column = (int(match.group(1)), int(match.group(2))) if match else (None, None)
        message = _TOML_POSITION.sub("", str(err)).strip()
        raise UsageError(f"TOML syntax: {message}", path=display, line=line, column=column) from None
    return _build(data, display, TomlLines(text))


def _too_deep(text: str) -> int | None:
    """The line where brackets first nest deeper than MAX_NESTING (tomllib would recurse until Python gives
    up), or None. Strings and comments are skipped roughly; a miss only moves the line reported."""
    depth = 0
    line = 1
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n":
            line += 1
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif text.startswith(quote, index):
                index += len(quote) - 1
                quote = ""
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end - 1
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            index += len(quote) - 1
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
        index += 1
    return None


class TomlLines:
    """Where keys and tables stand in a TOML text, so that a message can name the line (tomllib gives
    the values without their positions). `export.output` #2 is the key in the second [[export]]. Lines
    inside multi-line strings are skipped."""

    _HEADER = re.compile(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _PART = r"(?:[A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')"
    _KEY = re.compile(rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")

    def __init__(self, text: str) -> None:
        self.entries: list[tuple[str, int | None, int]] = []  # (dotted name, [[table]] number, line)
        table: str = ""
        number: int | None = None
        counts: dict[str, int] = {}
        in_string = False
        for line, content in enumerate(text.splitlines(), start=1):
            if in_string:
                in_string = (content.count('"""') + content.count("'''")) % 2 == 0
                continue
            header = self._HEADER.match(content)
            if header:
                table = _dotted(header.group(2))
                number = None
                if header.group(1) == "[[":
                    counts[table] = number = counts.get(table, 0) + 1
                self.entries.append((table, number, line))
                continue
            key = self._KEY.match(content)
            if key:
                self.entries.append((f"{table}.{_dotted(key.group(1))}" if table else _dotted(key.group(1)),
                                     number, line))
            in_string = (content.count('"""') + content.count("'''")) % 2 == 1

    def line(self, dotted: str, number: int | None = None) -> int | None:
        """The line of `dotted` (or of the nearest enclosing key or table that is written out)."""
        best: tuple[int, int] | None = None
        first_inside: int | None = None  # `[a.b]` or `a.b = 1` is where `a` first appears
        for name, table_number, line in self.entries:
            if number is not None and table_number != number:
                continue
            if dotted == name or dotted.startswith(name + "."):
                if best is None or len(name) > best[0]:
                    best = (len(name), line)
            elif first_inside is None and name.startswith(dotted + "."):
                first_inside = line
        return best[1] if best else first_inside


def _dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def _build(data: dict[str, Any], display: str, lines: TomlLines) -> Config:
    def fail(message: str, key: str, hint: str | None = None) -> UsageError:
        return UsageError(message, path=display, line=lines.line(key), hint=hint)

    for key in data:
        _known(key, tuple(SECTIONS), display, "", lines)
    tables: dict[str, dict[str, str]] = {}
    for section in TEXT_SECTIONS:
        keys = SECTIONS[section]
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise fail(f"`{section}` must be a table ([{section}])", section)
        values: dict[str, str] = {}
        for key, value in table.items():
            _known(key, keys, display, f"{section}.", lines)
            name = f"{section}.{key}"
            if not isinstance(value, str):
                raise fail(f"`{name}` must be a string", name)
            _check_characters(name, value, fail)
            values[key] = value.strip() if key == "about" else value
        tables[section] = values
    exports = data.get("export", [])
    if not isinstance(exports, list) or not all(isinstance(job, dict) for job in exports):
        raise fail("`export` must be a list of tables ([[export]])", "export")
    email = EmailSettings(**tables.get("email", {}))
    if email.list_unsubscribe and not email.list_unsubscribe.startswith(("https://", "http://", "mailto:")):
        raise fail("`email.list_unsubscribe` must be an https:// URL or a mailto: address", "email.list_unsubscribe")
    if email.list_unsubscribe_mailto and not email.list_unsubscribe_mailto.startswith("mailto:"):
        raise fail("`email.list_unsubscribe_mailto` must be a mailto: address", "email.list_unsubscribe_mailto",
                   hint='for example "mailto:press@example.org?subject=unsubscribe%20{id}"')
    if tables.get("sender", {}).get("email"):
        _check_sender_email(tables["sender"]["email"], display, lines.line("sender.email"))
    return Config(
        display,
        Organisation(**tables.get("organisation", {})),
        Sender(**tables.get("sender", {})),
        email,
        tuple(exports),
        {tool: _list_ids(data[tool], tool, display, lines) for tool in LIST_ID_TOOLS if tool in data},
        data,
        lines,
    )


def _check_characters(name: str, value: str, fail: Any) -> None:
    """A value bound for an e-mail header holds no control character (a NUL, a line break) and a URL no
    space: either would break the header or smuggle another one in. `about` is Markdown, lines and all."""
    bad = re.search(r"[\x00\x7f]", value) if name.endswith(".about") else _CONTROL.search(value)
    if bad:
        what = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL byte"}.get(
            bad.group(), f"the control character U+{ord(bad.group()):04X}")
        raise fail(f"`{name}` holds {what}; it must be one line of text", name,
                   hint="remove it (an escape such as \\n or \\u0000 in the TOML string writes it)")
    if name.startswith("email.") and " " in value.strip():
        raise fail(f"`{name}` holds a space, which a URL cannot; write it as %20", name)


def _check_sender_email(address: str, display: str, line: int | None) -> None:
    """The From: of every .eml and campaign: checked for syntax only, so loading settings needs no network."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as err:
        raise UsageError(f"`sender.email` is not an e-mail address ({address!r}): {err}", path=display, line=line,
                         hint='write it as name@domain, e.g. email = "press@example.org"') from None


def _list_ids(table: Any, tool: str, display: str, lines: TomlLines) -> dict[str, ListId]:
    if not isinstance(table, dict):
        raise UsageError(f"`{tool}` must be a table ([{tool}.lists])", path=display, line=lines.line(tool))
    for key in table:
        _known(key, SECTIONS[tool], display, f"{tool}.", lines)
    lists = table.get("lists", {})
    if not isinstance(lists, dict):
        raise UsageError(f"`{tool}.lists` must be a table of list names and ids", path=display,
                         line=lines.line(f"{tool}.lists"))
    for name, value in lists.items():
        if tool == "mailchimp" and isinstance(value, dict):
            _mailchimp_audience(value, f"mailchimp.lists.{name}", display, lines)
        elif isinstance(value, bool) or not isinstance(value, int | str) or value == "":
            raise UsageError(f"`{tool}.lists.{name}` must be the list's id in {tool} (a number or text)",
                             path=display, line=lines.line(f"{tool}.lists.{name}"))
    return dict(lists)


def _mailchimp_audience(value: dict[str, Any], key: str, display: str, lines: TomlLines) -> None:
    """`{ list_id = "a1b2c3d4e5", saved_segment_id = 42 }`: an audience and, optionally, a saved segment."""
    for part in value:
        _known(part, MAILCHIMP_AUDIENCE_KEYS, display, f"{key}.", lines)
    if not isinstance(value.get("list_id"), str) or not value["list_id"]:
        raise UsageError(f"`{key}.list_id` must be the audience id (text)", path=display, line=lines.line(key),
                         hint=f'e.g. {key.rsplit(".", 1)[1]} = {{ list_id = "a1b2c3d4e5", saved_segment_id = 42 }}')
    segment = value.get("saved_segment_id")
    if segment is not None and (isinstance(segment, bool) or not isinstance(segment, int) or segment < 1):
        raise UsageError(f"`{key}.saved_segment_id` must be the saved segment's id (a positive whole number)",
                         path=display, line=lines.line(key))


def _known(key: str, known: tuple[str, ...], display: str, prefix: str, lines: TomlLines) -> None:
    if key in known:
        return
    hint = did_you_mean(key, known, prefix=prefix) or f"known keys: {', '.join(known)}"
    raise UsageError(f"unknown key `{prefix}{key}`", path=display, line=lines.line(f"{prefix}{key}"), hint=hint)
