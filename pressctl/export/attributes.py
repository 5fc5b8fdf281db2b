"""A contact's `x-…` values as JSON can hold them, for the targets that carry them (json, listmonk)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from pressctl.contacts.model import Contact
from pressctl.errors import InputError


class _Odd(Exception):
    """A value JSON cannot hold: `problem` about the value at `where`."""

    def __init__(self, where: str, problem: str, hint: str) -> None:
        super().__init__(problem)
        self.where, self.problem, self.hint = where, problem, hint


def extension_values(contact: Contact, book_file: str = "") -> dict[str, Any]:
    """The contact's extensions with every value JSON-safe: dates and times as ISO 8601 text, mapping
    keys as text (`1:` is "1", `2024-01-01:` is "2024-01-01"). NaN, infinity and keys that are lists or
    mappings are refused, naming the contact and the key, rather than written as JSON that
    strict parsers reject (bare `NaN`) or that loses the value."""
    try:
        return {key: _plain(value, key) for key, value in contact.extensions.items()}
    except _Odd as odd:
        raise InputError(f"contact {contact.id!r}: `{odd.where}` {odd.problem}", path=book_file or None,
                         hint=odd.hint) from None


def _plain(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            written = ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
            raise _Odd(where, f"is {written}, which JSON cannot hold",
                       'write a number, or text in quotes (e.g. "not known")')
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            name = _key(key, where)
            if name in plain:
                raise _Odd(f"{where}.{name}", "is given twice once its key is read as text",
                           "give each key once")
            plain[name] = _plain(item, f"{where}.{name}")
        return plain
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item, f"{where}[{number}]") for number, item in enumerate(value)]
    raise _Odd(where, f"is a {_kind(value)}, which no export carries", "write it as text")


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int) or (isinstance(key, float) and math.isfinite(key)):
        return str(key)
    if isinstance(key, datetime | date | time):
        return key.isoformat()
    raise _Odd(where, f"has a key that is a {_kind(key)}; keys are text", "write the key as text in quotes")


def _kind(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return type(value).__name__
