"""The release model: a statement with its front matter, quotes and quote placements (frozen once loaded)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pressctl.findings import Finding
from pressctl.findings import Path as KeyPath
from pressctl.release.locate import front_matter_line

# Tags most releases carry, all valid BCP 47 (a test holds them against langcodes): they spare a merge or a render
# loading langcodes' registry (20 ms).
COMMON_TAGS = frozenset(("en", "fr", "de", "nl", "es", "pt", "it", "id", "km", "ar", "vi", "pt-BR", "en-GB", "en-US"))


def valid_language_tag(tag: str) -> bool:
    """Whether `tag` is a valid BCP 47 language tag (langcodes' reading of the IANA registry)."""
    if tag in COMMON_TAGS:
        return True
    import langcodes

    return bool(langcodes.tag_is_valid(tag))


def line_break_in(value: str) -> str | None:
    """The first character that could break a one-line value into two, named; None when there is none.

    Mail header folding splits wherever str.splitlines() does (U+2028, U+0085, \\v, \\f as well as \\n),
    and no control character belongs in a headline or a name either.
    """
    if value.isprintable():  # the common case, at C speed: no printable character breaks a line
        return None
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or len(f"a{char}a".splitlines()) > 1:
            name = unicodedata.name(char, "")
            return f"a line break or control character, U+{ord(char):04X}{' ' + name if name else ''}"
    return None


@dataclass(frozen=True)
class Quote:
    text: str
    by: str | None = None  # a contact id; name, role and organisation then come from the book
    name: str = ""
    role: str = ""
    organisation: str = ""
    index: int = 0  # position in `quotes`, 0-based


@dataclass(frozen=True)
class Placement:
    """A `[[quote: …]]` placeholder in the statement."""

    key: str  # the contact id or 1-based number as written
    line: int  # in the release file
    quote: int | None  # the index of the quote it names, or None when it names none


@dataclass(frozen=True)
class Release:
    path: str  # as the user gave it, for messages
    headline: str
    dateline: str
    date: date
    body: str  # the Markdown statement
    body_line: int  # the line of the file where the body starts
    front_matter: str
    subheadline: str = ""
    embargo: datetime | None = None
    language: str = "en"
    quotes: tuple[Quote, ...] = ()
    media_contacts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    about: str | None = None
    audience: tuple[str, ...] = ()
    placements: tuple[Placement, ...] = ()

    @property
    def slug(self) -> str:
        return Path(self.path).stem

    def line_of(self, path: KeyPath) -> int:
        """The line in the release file where a front-matter value stands."""
        return front_matter_line(self.front_matter, path) + 1

    def finding(self, code: str, message: str, path: KeyPath = (), line: int | None = None) -> Finding:
        return Finding(code, message, path, file=self.path, line=line or self.line_of(path), column=1)
