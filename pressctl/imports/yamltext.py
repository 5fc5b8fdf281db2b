"""Writing contacts as YAML text in a book's own style, without a round-trip library.

A round-trip YAML library would re-indent and re-quote what it did not understand; the import only
ever adds text (a new contact, a new key, a longer list), so it writes that text itself, in the
style the book already uses, and the merge parses the result again before it is kept.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

# A plain scalar is kept to what can never be read as anything but this string.
_PLAIN = re.compile(r"[^\W\d_][^\x00-\x1f\x7f:#\"'\[\]{},\\]*")
_RESERVED = re.compile(r"(?i:y|n|yes|no|on|off|true|false|null|~)")


@dataclass(frozen=True)
class Style:
    """How the book writes its contacts, read from its text."""

    item_indent: str = "  "  # before `- id:`
    flow_lists: bool = True  # `lists: [a, b]`, not a block list
    flow_phones: bool = True  # `- {number: "…", type: mobile}`
    quote: str = '"'  # how phone numbers are quoted
    newline: str = "\n"
    blank_between: bool = True  # a blank line between contacts

    @property
    def key_indent(self) -> str:
        return self.item_indent + "  "


def detect_style(text: str, items: list[int] | None) -> Style:
    """The style of the book's existing contacts; the defaults of `pressctl init` for an empty book."""
    newline = "\r\n" if "\r\n" in text else "\n"
    if not items or len(items) < 2:
        return Style(newline=newline)
    body = text[items[0]:items[-1]]
    indent = re.match(r" *", text[items[0]:]).group(0)  # type: ignore[union-attr]
    flow_lists = not re.search(r"(?m)^ +(lists|languages):[ \t]*$", body)
    flow_phones = not re.search(r"(?m)^ +phones:[ \t]*$", body) or bool(re.search(r"(?m)^ +- \{ *number:", body))
    quote = "'" if re.search(r"number: *'", body) and not re.search(r'number: *"', body) else '"'
    blank = len(items) < 3 or bool(re.search(r"\n[ \t]*\r?\n[ \t]*(#.*\r?\n[ \t]*)*- ", body))
    return Style(indent, flow_lists, flow_phones, quote, newline, blank)


def scalar(value: str, *, quote: str = '"', force: bool = False) -> str:
    """`value` as a YAML scalar that reads back as exactly this string."""
    return _scalar(value, quote, force)


DOUBLE = '"'


# A list repeats most of its values (roles, outlets, list names, phone types, the consent source): each
# is worked out once.
@lru_cache(maxsize=4096)
def _scalar(value: str, quote: str, force: bool) -> str:
    if not force and value.isprintable() and _PLAIN.fullmatch(value) and not _RESERVED.fullmatch(value) \
            and value == value.strip():
        return value
    if quote == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
    if '"' not in value and "\\" not in value and value.isprintable():
        return '"' + value + '"'  # what json.dumps gives for it, without its cost (a number, "Outlet 9, Ltd")
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():  # JSON escaped every control character: nothing YAML could misread is left
        return text
    # JSON leaves these raw, and YAML reads them as line breaks or strips them.
    return "".join(_escaped(c) if unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cf", "Co", "Cs", "Cn") else c
                   for c in text)


def _escaped(char: str) -> str:
    return f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"


def flow_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(scalar(v) for v in values) + "]"


def contact_text(values: dict[str, object], style: Style) -> str:
    """One contact as a list item. `values` are as the book reads them back: text, lists of text,
    phones (a list of mappings), consent (a mapping) and dates."""
    indent = style.key_indent
    lines: list[str] = []
    lead = style.item_indent + "- "
    for key, value in values.items():
        if isinstance(value, str):
            lines.append(f"{lead}{key}: {_scalar(value, DOUBLE, False)}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):  # phones
            lines.append(f"{lead}{key}:")
            lines += _phones(value, style)
        elif isinstance(value, list):
            if style.flow_lists:
                lines.append(f"{lead}{key}: [{', '.join([_scalar(v, DOUBLE, False) for v in value])}]")
            else:
                lines.append(f"{lead}{key}:")
                lines += [f"{indent}  - {_scalar(v, DOUBLE, False)}" for v in value]
        elif isinstance(value, dict):  # consent
            cells = ", ".join([f"{k}: {v.isoformat() if isinstance(v, date) else _scalar(str(v), DOUBLE, False)}"
                               for k, v in value.items()])
            lines.append(f"{lead}{key}: {{{cells}}}")
        elif isinstance(value, date):
            lines.append(f"{lead}{key}: {value.isoformat()}")
        else:
            raise TypeError(f"cannot write {key}={value!r}")
        lead = indent
    lines.append("")
    return style.newline.join(lines)


def _phones(phones: list[dict[str, str]], style: Style) -> list[str]:
    inner = style.key_indent + "  "
    quote = style.quote
    if style.flow_phones:
        return [inner + "- {" + ", ".join([f"{k}: {_scalar(v, quote, k == 'number')}" for k, v in phone.items()]) + "}"
                for phone in phones]
    lines = []
    for phone in phones:
        for n, (k, v) in enumerate(phone.items()):
            lines.append(f"{inner}{'- ' if n == 0 else '  '}{k}: {_scalar(v, quote, k == 'number')}")
    return lines
