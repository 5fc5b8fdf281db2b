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
    if not force and value.isprintable() and _PLAIN.fullmatch(value) and not _RESERVED.fullmatch(value) \
            and value == value.strip():
        return value
    if quote == "'" and value.isprintable():
        return "'" + value.replace("'", "''") + "'"
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


def contact_text(entries: list[tuple[str, object]], style: Style) -> str:
    """One contact as a list item: `entries` are (key, value) with str, tuple[str], phones or mappings."""
    lines: list[str] = []
    first = True
    key_indent = style.key_indent
    for key, value in entries:
        lead = style.item_indent + "- " if first else key_indent
        first = False
        lines.extend(_entry(lead, key, value, style))
    return style.newline.join(lines) + style.newline


def _entry(lead: str, key: str, value: object, style: Style) -> list[str]:
    inner = style.key_indent + "  "
    if isinstance(value, str):
        return [f"{lead}{key}: {value if key == 'unsubscribed' else scalar(value)}"]
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        if style.flow_lists:
            return [f"{lead}{key}: {flow_list(value)}"]
        return [f"{lead}{key}:", *(f"{inner}- {scalar(v)}" for v in value)]
    if isinstance(value, list):  # phones: list of dicts
        lines = [f"{lead}{key}:"]
        for phone in value:
            parts = [(k, v) for k, v in phone.items() if v]
            if style.flow_phones:
                cells = ", ".join(f"{k}: {scalar(v, quote=style.quote, force=k == 'number')}" for k, v in parts)
                lines.append(f"{inner}- {{{cells}}}")
            else:
                for n, (k, v) in enumerate(parts):
                    value_text = scalar(v, quote=style.quote, force=k == "number")
                    lines.append(f"{inner}{'- ' if n == 0 else '  '}{k}: {value_text}")
        return lines
    if isinstance(value, dict):  # consent
        cells = ", ".join(f"{k}: {v if k == 'date' else scalar(str(v))}" for k, v in value.items() if v)
        return [f"{lead}{key}: {{{cells}}}"]
    raise TypeError(f"cannot write {key}={value!r}")
