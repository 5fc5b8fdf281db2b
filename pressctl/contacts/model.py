"""The contact book as immutable data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pressctl.findings import Path

PHONE_TYPES = ("mobile", "work", "home", "fax", "other")
CONSENT_BASES = ("consent", "legitimate-interest")
PHONE_FORMATS = ("international", "e164")


@dataclass(frozen=True, slots=True)
class Phone:
    number: str  # as written in the file
    type: str | None = None
    label: str | None = None
    path: Path = ()  # where `number` stands, for findings and --fix
    written_as_integer: bool = False  # `phone: 0612345678`: YAML read an int


@dataclass(frozen=True, slots=True)
class Consent:
    basis: str | None
    source: str | None
    date: date | None


@dataclass(frozen=True, slots=True)
class Contact:
    index: int  # position in the `contacts` list
    id: str
    name: str
    role: str | None = None
    given_name: str | None = None  # as the person writes them (SPEC §8): exports use them instead of
    family_name: str | None = None  # splitting `name`, which guesses wrong for family-name-first orders
    organisation: str | None = None
    email: str | None = None
    phones: tuple[Phone, ...] = ()
    region: str | None = None  # this contact's own region, if set
    languages: tuple[str, ...] = ()
    lists: tuple[str, ...] = ()
    timezone: str | None = None
    unsubscribed: bool | date = False
    consent: Consent | None = None
    notes: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)
    default_region: str | None = None  # defaults.region of the book, for national numbers

    @property
    def path(self) -> Path:
        return ("contacts", self.index)

    @property
    def phone_region(self) -> str | None:
        """The region that resolves this contact's national-form numbers."""
        return self.region or self.default_region

    @property
    def is_unsubscribed(self) -> bool:
        return self.unsubscribed is not False


@dataclass(frozen=True)
class ContactBook:
    file: str  # the path as the user gave it, for messages
    default_region: str | None
    phone_format: str
    contacts: tuple[Contact, ...]

    def by_id(self) -> dict[str, Contact]:
        return {contact.id: contact for contact in self.contacts}

    def on_lists(self, lists: list[str] | tuple[str, ...]) -> list[Contact]:
        wanted = set(lists)
        return [c for c in self.contacts if wanted.intersection(c.lists)]

    @property
    def list_names(self) -> set[str]:
        return {name for contact in self.contacts for name in contact.lists}
