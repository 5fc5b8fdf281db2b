"""One person as a source file describes them, before it meets the book."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class PhoneIn:
    number: str
    type: str | None = None  # mobile, work, home, fax, other; None when the source does not say
    label: str | None = None


@dataclass(frozen=True)
class Record:
    """A row (or a vCard) of a source file, mapped to the book's keys; empty strings are absent."""

    source: str  # the file, for messages
    row: int  # the 1-based row (header is row 1) or card number
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    phones: tuple[PhoneIn, ...] = ()
    organisation: str = ""
    role: str = ""
    languages: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    timezone: str = ""
    notes: str = ""
    unsubscribed: date | None = None  # the row marks the person unsubscribed, cleaned or blocklisted
    consent_basis: str = ""
    consent_source: str = ""
    consent_date: date | None = None
    ref: str = ""  # an id the source carries (pressctl's own exports, Brevo's EXT_ID)
    problems: tuple[tuple[str, str], ...] = field(default=())  # (column, message) found while mapping

    @property
    def where(self) -> str:
        return f"{self.source}:{self.row}"

    @property
    def display_name(self) -> str:
        """The name as printed: the source's full name, else given and family name joined."""
        return self.name or " ".join(part for part in (self.given_name, self.family_name) if part)
