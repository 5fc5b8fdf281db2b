"""The CSV formats `contacts import` reads: each tool's export header, mapped to the book's keys.

Every mapping and its source are in docs/imports.md. A format is recognised by the columns only it
has (its signature); `--from` names one when a header could be several.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pressctl.errors import UsageError
from pressctl.export.csvfile import undefuse
from pressctl.imports.record import PhoneIn, Record
from pressctl.suggest import did_you_mean

# What a column can feed: a book key, a phone of a type, or a marker the merge reads.
KEYS = (
    "name", "given_name", "middle_name", "family_name", "email", "phone", "phone:mobile", "phone:work",
    "phone:home", "phone:fax", "phone:other", "organisation", "role", "languages", "lists", "timezone", "notes",
    "ref", "unsubscribed", "consent_basis", "consent_source", "consent_date",
)
IGNORE = "-"  # `--map "Birthday=-"`: a column read and left aside


def column_key(name: str) -> str:
    """Header cells compared as a person reads them: case, surrounding spaces and a stray BOM do not count."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


@dataclass(frozen=True)
class Format:
    name: str  # what --from takes
    title: str  # for messages
    signature: tuple[str, ...]  # columns that together identify the format (column_key form)
    columns: Mapping[str, str]  # column_key -> one of KEYS
    list_separator: str = ","
    ignored: tuple[str, ...] = ()  # patterns (column_key form) of the tool's own columns pressctl has no key for
    # format-specific cells: reads the row (column_key -> cell) and changes the Record's fields in place
    row_hook: Callable[[dict[str, str], dict[str, Any]], None] | None = None
    strict: bool = False  # an unknown column is an error (our own formats, --map), not a warning
    defused: bool = False  # its exports prefix a formula character with `'` (pressctl's spreadsheet CSVs)

    def knows(self, column: str) -> bool:
        key = column_key(column)
        return key in self.columns or any(re.fullmatch(pattern, key) for pattern in self.ignored)


def _truthy(value: str) -> bool:
    return value.strip().casefold() in ("1", "true", "yes", "y", "x", "oui", "ja", "sí", "si")


def parse_when(value: str) -> date | None:
    """A date or date-time as tools write them (`2024-05-02`, `2024-05-02 10:31:00`, ISO 8601); None if not one."""
    text = value.strip()
    if not text:
        return None
    for candidate in (text, text.replace(" ", "T", 1), text[:10]):
        try:
            return datetime.fromisoformat(candidate).date()
        except ValueError:
            continue
    return None


# --- Google Contacts -------------------------------------------------------------------------------

# `Phone N - …` and `E-mail N - …` columns, named once rather than for every row
_GOOGLE_PHONES = [(f"phone {n} - value", f"phone {n} - label", f"phone {n} - type") for n in range(1, 100)]
_GOOGLE_EMAILS = [f"e-mail {n} - value" for n in range(1, 100)]


def _google_phones(row: dict[str, str], fields: dict[str, Any]) -> None:
    """`Phone N - Label|Type` with `Phone N - Value`; a cell may hold several values joined by ` ::: `."""
    phones = list(fields["phones"])
    emails = [fields["email"]] if fields["email"] else []
    for value_column, label_column, type_column in _GOOGLE_PHONES:
        value = row.get(value_column)
        if value is None:
            break
        if not value:
            continue
        label = (row.get(label_column) or row.get(type_column) or "").strip().lstrip("* ")
        kind, custom = GOOGLE_PHONE_LABELS.get(label.casefold(), ("other", label or None))
        phones += [PhoneIn(part.strip(), kind, custom) for part in value.split(":::") if part.strip()]
    for column in _GOOGLE_EMAILS:
        value = row.get(column)
        if value is None:
            break
        emails += [part.strip() for part in value.split(":::") if part.strip()]
    lists = tuple(name.strip().lstrip("* ").strip() for name in fields["lists"])
    fields["lists"] = tuple(name for name in lists if name and name.casefold() not in ("mycontacts", "starred"))
    fields["phones"], fields["email"] = tuple(phones), emails[0] if emails else ""


GOOGLE_PHONE_LABELS = {"mobile": ("mobile", None), "work": ("work", None), "home": ("home", None),
                       "main": ("other", None), "other": ("other", None), "work fax": ("fax", None),
                       "home fax": ("fax", None), "fax": ("fax", None), "": ("other", None)}
_GOOGLE_IGNORED = (
    r"phonetic .*", r"name (prefix|suffix)", r"nickname", r"file as", r"organization department", r"birthday",
    r"photo", r"e-mail \d+ - (label|type)", r"phone \d+ - (label|type|value)", r"e-mail \d+ - value",
    r"address \d+ - .*", r"website \d+ - .*", r"relation \d+ - .*", r"event \d+ - .*", r"custom field \d+ - .*",
    r"im \d+ - .*", r"external id \d+ - .*", r"organization \d+ - .*", r"(yomi|given|additional|family) name yomi",
    r"yomi name", r"initials", r"short name", r"maiden name", r"gender", r"location", r"billing information",
    r"directory server", r"mileage", r"occupation", r"hobby", r"sensitivity", r"priority", r"subject",
    r"language", r"middle name", r"additional name",
)
GOOGLE = Format(
    "google", "Google Contacts CSV", ("first name", "last name", "e-mail 1 - value"),
    {"first name": "given_name", "middle name": "middle_name", "last name": "family_name",
     "organization name": "organisation", "organization title": "role", "notes": "notes", "labels": "lists",
     "file as": "name"},
    list_separator=":::", ignored=_GOOGLE_IGNORED, row_hook=_google_phones, defused=True,
)
GOOGLE_LEGACY = Format(
    "google-legacy", "Google Contacts CSV (older header)", ("given name", "family name", "group membership"),
    {"name": "name", "given name": "given_name", "additional name": "middle_name", "family name": "family_name",
     "organization 1 - name": "organisation", "organization 1 - title": "role", "notes": "notes",
     "group membership": "lists"},
    list_separator=":::", ignored=_GOOGLE_IGNORED, row_hook=_google_phones,
)

# --- Outlook ---------------------------------------------------------------------------------------

OUTLOOK = Format(
    "outlook", "Outlook CSV", ("first name", "last name", "e-mail address", "business phone"),
    {"first name": "given_name", "middle name": "middle_name", "last name": "family_name", "company": "organisation",
     "job title": "role", "e-mail address": "email", "e-mail display name": "name", "mobile phone": "phone:mobile",
     "business phone": "phone:work", "business phone 2": "phone:work", "home phone": "phone:home",
     "home phone 2": "phone:home", "other phone": "phone:other", "primary phone": "phone:other",
     "company main phone": "phone:work", "business fax": "phone:fax", "home fax": "phone:fax",
     "other fax": "phone:fax", "categories": "lists", "notes": "notes", "language": "languages"},
    list_separator=";", defused=True,
    ignored=(r"title", r"suffix", r"nickname", r"(given|surname|company) yomi",
             r"e-mail [23] (address|type|display name)",
             r"e-mail type", r"car phone", r"pager", r"callback", r"radio phone", r"telex", r"tty/tdd phone",
             r"isdn", r"assistant's (name|phone)", r"manager's name", r"imaddress", r"department",
             r"office location", r"(business|home|other) (street( \d)?|city|state|postal code|country/region|"
             r"po box)", r"birthday", r"anniversary", r"spouse", r"children", r"gender", r"hobby", r"web page",
             r"personal web page", r"profession", r"account", r"billing information", r"directory server",
             r"internet free busy", r"keywords", r"location", r"mileage", r"organizational id number",
             r"priority", r"private", r"referred by", r"sensitivity", r"user [1-4]", r"initials",
             r"government id number",
             r"language"),
)

# --- Mailchimp -------------------------------------------------------------------------------------

def _mailchimp_status(row: dict[str, str], fields: dict[str, Any]) -> None:
    """The unsubscribed and cleaned exports carry UNSUB_TIME or CLEAN_TIME: such a row is never active."""
    for column in ("unsub_time", "clean_time"):
        if column in row:
            fields["unsubscribed"] = parse_when(row[column]) or date.today()
            return


MAILCHIMP = Format(
    "mailchimp", "Mailchimp audience export", ("email address", "member_rating"),
    {"email address": "email", "name": "name", "first name": "given_name", "last name": "family_name",
     "phone number": "phone",
     "company": "organisation", "job title": "role", "language": "languages", "tags": "lists", "notes": "notes",
     "timezone": "timezone"},
    ignored=(r"address", r"birthday", r"member_rating", r"optin_(time|ip)", r"confirm_(time|ip)", r"latitude",
             r"longitude", r"gmtoff", r"dstoff", r"cc", r"region", r"last_changed", r"leid", r"euid",
             r"unsub_.*", r"clean_.*", r"unsub_campaign_.*", r"clean_campaign_.*"),
    row_hook=_mailchimp_status,
)
MAILCHIMP_IMPORT = Format(  # the file pressctl writes for Mailchimp's import (no MEMBER_RATING column)
    "mailchimp-import", "Mailchimp import CSV", ("email address", "first name", "last name", "tags"),
    MAILCHIMP.columns, ignored=MAILCHIMP.ignored, row_hook=_mailchimp_status,
)

# --- Brevo -----------------------------------------------------------------------------------------

def _brevo_status(row: dict[str, str], fields: dict[str, Any]) -> None:
    for column in ("email_blacklisted", "blacklisted", "email blacklisted", "emailblacklisted"):
        if _truthy(row.get(column, "")):
            fields["unsubscribed"] = date.today()
            return


BREVO = Format(
    "brevo", "Brevo contacts CSV", ("email", "firstname", "lastname"),
    {"email": "email", "firstname": "given_name", "lastname": "family_name", "sms": "phone:mobile",
     "whatsapp": "phone:mobile", "landline_number": "phone:work", "ext_id": "ref", "job_title": "role",
     "company": "organisation", "language": "languages"},
    ignored=(r"email_blacklisted", r"sms_blacklisted", r"blacklisted", r"email blacklisted", r"contact id",
             r"id", r"added_time", r"modified_time", r"created at", r"updated at", r"double_opt-in", r"opt_in"),
    row_hook=_brevo_status,
)

# --- listmonk --------------------------------------------------------------------------------------

def _listmonk_cells(row: dict[str, str], fields: dict[str, Any]) -> None:
    """`attributes` is a JSON object (pressctl's own keys when pressctl wrote it); `status` blocklisted."""
    problems = list(fields["problems"])
    text = row.get("attributes", "").strip()
    attributes: dict[str, object] = {}
    if text:
        try:
            loaded = json.loads(text)
        except ValueError as err:
            problems.append(("attributes", f"not JSON: {err}"))
        else:
            if isinstance(loaded, dict):
                attributes = loaded
            else:
                problems.append(("attributes", "not a JSON object"))
    listed = attributes.get("phones")
    phones = tuple(PhoneIn(with_extension(str(p.get("number", "")), p.get("extension")), _text(p.get("type")) or None,
                           _text(p.get("label")) or None)
                   for p in (listed if isinstance(listed, list) else []) if isinstance(p, dict) and p.get("number"))
    if not phones and attributes.get("phone"):
        phones = (PhoneIn(with_extension(str(attributes["phone"]), attributes.get("phone_extension"))),)
    if row.get("status", "").strip().casefold() == "blocklisted":
        fields["unsubscribed"] = date.today()
    fields.update(
        phones=phones or fields["phones"], role=_text(attributes.get("role")) or fields["role"],
        organisation=_text(attributes.get("organisation")) or fields["organisation"],
        languages=_texts(attributes.get("languages")) or fields["languages"],
        lists=_texts(attributes.get("lists")) or fields["lists"], timezone=_text(attributes.get("timezone")),
        ref=_text(attributes.get("pressctl_id")), problems=tuple(problems))


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _texts(value: object) -> tuple[str, ...]:
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip()) if isinstance(value, list) else ()


def with_extension(number: str, extension: object) -> str:
    return f"{number} ext. {extension}" if isinstance(extension, str | int) and str(extension).strip() else number


LISTMONK = Format(
    "listmonk", "listmonk subscribers CSV", ("email", "name", "attributes"),
    {"email": "email", "name": "name"},
    ignored=(r"uuid", r"status", r"created_at", r"updated_at", r"attributes", r"id"),
    row_hook=_listmonk_cells,
)

# --- Constant Contact ------------------------------------------------------------------------------

def _constant_contact_status(row: dict[str, str], fields: dict[str, Any]) -> None:
    for column in ("email permission status", "email status", "permission status"):
        if row.get(column, "").strip().casefold() in ("unsubscribed", "removed", "opted out", "bounced"):
            fields["unsubscribed"] = date.today()
            return


CONSTANT_CONTACT = Format(
    "constant-contact", "Constant Contact CSV", ("email address", "first name", "last name", "phone number - mobile"),
    {"email address": "email", "first name": "given_name", "last name": "family_name", "job title": "role",
     "company": "organisation", "company name": "organisation", "phone number - work": "phone:work",
     "phone number - home": "phone:home", "phone number - mobile": "phone:mobile",
     "phone number - other": "phone:other",
     "email lists": "lists", "list memberships": "lists", "tags": "lists", "notes": "notes"},
    ignored=(r"email (permission )?status", r"permission status", r"source name", r"created at", r"updated at",
             r"email update source", r"(street address|city|state|zip|country).*", r"birthday", r"anniversary",
             r"salutation", r"phone number - fax", r"website", r"custom field .*"),
    row_hook=_constant_contact_status, defused=True,
)

# --- pressctl's own CSV ----------------------------------------------------------------------------

def _pressctl_phones(row: dict[str, str], fields: dict[str, Any]) -> None:
    """`phones` holds `type:+E164;ext=N` entries joined by `; ` (docs/exports.md §2.8)."""
    phones = []
    for entry in row.get("phones", "").split("; "):
        kind, _, number = entry.strip().partition(":")
        if not number:
            continue
        number, _, extension = number.partition(";ext=")
        phones.append(PhoneIn(with_extension(number, extension), kind or None))
    if not phones and row.get("phone", "").strip():
        phones.append(PhoneIn(row["phone"].strip()))
    fields["phones"] = tuple(phones)


PRESSCTL_CSV = Format(
    "csv", "pressctl CSV", ("id", "name", "phones", "lists"),
    {"id": "ref", "name": "name", "role": "role", "organisation": "organisation", "email": "email",
     "languages": "languages", "lists": "lists", "timezone": "timezone", "given_name": "given_name",
     "family_name": "family_name"},
    list_separator=";", ignored=(r"phone", r"phones"), row_hook=_pressctl_phones, strict=True, defused=True,
)

CSV_FORMATS = (PRESSCTL_CSV, GOOGLE, GOOGLE_LEGACY, OUTLOOK, MAILCHIMP, MAILCHIMP_IMPORT, BREVO, LISTMONK,
               CONSTANT_CONTACT)
OTHER_FORMATS = ("json", "vcard", "generic")
FORMAT_NAMES = tuple(f.name for f in CSV_FORMATS) + OTHER_FORMATS


def recognise(header: Sequence[str]) -> Format | None:
    """The format whose signature the header has; the most specific when several match."""
    keys = {column_key(c) for c in header}
    matches = [f for f in CSV_FORMATS if set(f.signature) <= keys]
    if not matches:
        return None
    return max(matches, key=lambda f: (len(f.signature), sum(column_key(c) in f.columns for c in header)))


def by_name(name: str) -> Format:
    for candidate in CSV_FORMATS:
        if candidate.name == name:
            return candidate
    raise UsageError(f"--from {name!r} is not a format pressctl reads",
                     hint=did_you_mean(name, FORMAT_NAMES) or f"formats: {', '.join(FORMAT_NAMES)}")


def generic(mapping: str, header: Sequence[str]) -> Format:
    """`--map "Column=key,…"`: every column of the file is mapped to a key or to `-` (left aside)."""
    columns: dict[str, str] = {}
    present = {column_key(c): c for c in header}
    for part in mapping.split(","):
        if not part.strip():
            continue
        column, sep, key = part.rpartition("=")
        column, key = column.strip(), key.strip()
        if not sep or not column:
            raise UsageError(f"--map: {part.strip()!r} is not COLUMN=KEY")
        if key != IGNORE and key not in KEYS:
            raise UsageError(f"--map: {key!r} is not a contact key", hint=did_you_mean(key, KEYS)
                             or f"keys: {', '.join(KEYS)}, or - to leave a column aside")
        if column_key(column) not in present:
            raise UsageError(f"--map: the file has no column {column!r}",
                             hint=did_you_mean(column, list(present.values())))
        columns[column_key(column)] = key
    return Format("generic", "CSV mapped with --map", (), {k: v for k, v in columns.items() if v != IGNORE},
                  list_separator=";", ignored=tuple(re.escape(k) for k, v in columns.items() if v == IGNORE),
                  strict=True)


# The Record's text fields a column can fill, empty until a cell does (middle_name joins given_name).
_TEXT_FIELDS = ("name", "given_name", "middle_name", "family_name", "email", "organisation", "role", "languages",
                "lists", "timezone", "notes", "ref", "unsubscribed", "consent_basis", "consent_source",
                "consent_date")


@dataclass
class RowMapper:
    """Turns the cells of one row into a Record for a format."""

    fmt: Format
    header: Sequence[str]
    source: str
    keys: list[str] = field(init=False)
    mapped: list[tuple[int, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = [column_key(c) for c in self.header]
        # (position, target) of the mapped columns, worked out once for the whole file; the columns of
        # one target stand together (a target's first cell is its value; numbers are kept by target)
        mapped = [(i, self.fmt.columns[key]) for i, key in enumerate(self.keys) if key in self.fmt.columns]
        first = {target: n for n, (_, target) in reversed(list(enumerate(mapped)))}
        self.mapped = sorted(mapped, key=lambda column: first[column[1]])

    def unknown_columns(self) -> list[str]:
        return [c for c in self.header if c.strip() and not self.fmt.knows(c)]

    def row_record(self, row: tuple[int, Sequence[str]]) -> Record:
        return self.record(*row)

    def record(self, number: int, cells: Sequence[str]) -> Record:
        if self.fmt.defused and "'" in "".join(cells):  # only a cell that starts with ' can be defused
            cells = [undefuse(cell) if cell[:1] == "'" else cell for cell in cells]
        count = len(cells)
        fields: dict[str, Any] = dict.fromkeys(_TEXT_FIELDS, "")
        phones = []
        for position, target in self.mapped:
            cell = cells[position].strip() if position < count else ""
            if not cell:
                continue
            if target[:5] == "phone":
                phones.append(PhoneIn(cell, target[6:] or None))
            elif not fields[target]:
                fields[target] = cell
        middle = fields.pop("middle_name")
        if middle:
            fields["given_name"] = f"{fields['given_name']} {middle}" if fields["given_name"] else middle
        fields["languages"] = _split(fields["languages"], (",", ";")) if fields["languages"] else ()
        fields["lists"] = _split(fields["lists"], (self.fmt.list_separator,)) if fields["lists"] else ()
        marked = fields["unsubscribed"]
        fields["unsubscribed"] = (parse_when(marked) or (date.today() if _truthy(marked) else None)) if marked else None
        fields["consent_date"] = parse_when(fields["consent_date"])
        fields.update(source=self.source, row=number, phones=tuple(phones), problems=())
        if self.fmt.row_hook is not None:
            self.fmt.row_hook(dict(zip(self.keys, cells, strict=False)), fields)
        return Record(**fields)


def _split(text: str, separators: tuple[str, ...]) -> tuple[str, ...]:
    parts = [text]
    for separator in separators:
        parts = [piece for part in parts for piece in part.split(separator)]
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
