"""vCard 4.0 (RFC 6350): one card per contact, for phones and address books (docs/exports.md §2.7)."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from pressctl.contacts.model import Contact
from pressctl.errors import UsageError
from pressctl.export.fields import ExportContext, primary, split_name

# UIDs are UUID v5 of the contact id under this namespace, so a card keeps its UID across exports and
# re-importing updates it instead of adding a duplicate.
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://pressctl.invalid/contacts")
_NAMESPACE_BYTES = UID_NAMESPACE.bytes
TEL_TYPES = {"mobile": "cell", "work": "work,voice", "home": "home,voice", "fax": "work,fax", "other": "voice"}
LINE_OCTETS = 75


def escape_text(value: str) -> str:
    """RFC 6350 §3.4: backslash, comma and newline are escaped in a text value."""
    # Chained str.replace is several times faster than str.translate, and most values need none.
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("\n", "\\n")


def escape_component(value: str) -> str:
    """In a compound value (N, ORG) a semicolon inside a component is escaped too."""
    return escape_text(value).replace(";", "\\;")


def fold(line: str) -> bytes:
    """RFC 6350 §3.2: a line longer than 75 octets continues on lines that start with one space, and a
    multi-octet UTF-8 character is never split. Returns the line without its CRLF."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return data
    parts = []
    start, room = 0, LINE_OCTETS
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back up to the character's start
            cut -= 1
        parts.append(data[start:cut])
        start, room = cut, LINE_OCTETS - 1
    parts.append(data[start:])
    return b"\r\n ".join(parts)


def uid(contact_id: str) -> str:
    """`urn:uuid:` and the UUID v5 of the contact id (RFC 4122 §4.3), computed without uuid.UUID objects,
    which cost more than the rest of a card."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + contact_id.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"urn:uuid:{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def contact_file(contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
    revision = _revision()
    return b"".join([_card(contact, ctx, revision) for contact in contacts])


# Lines many contacts have in common (an outlet, a role, the same languages, lists and time zone) are
# escaped once per distinct value.
@lru_cache(maxsize=4096)
def _organisation_line(value: str) -> str:
    return f"ORG:{escape_component(value)}\r\n"


@lru_cache(maxsize=4096)
def _role_line(value: str) -> str:
    return f"TITLE:{escape_text(value)}\r\n"


@lru_cache(maxsize=4096)
def _languages_lists_timezone(languages: tuple[str, ...], lists: tuple[str, ...], timezone: str | None) -> str:
    lines = [f"LANG;PREF={n}:{escape_text(tag)}\r\n" for n, tag in enumerate(languages, start=1)]
    if lists:
        lines.append("CATEGORIES:" + ",".join(escape_text(name) for name in lists) + "\r\n")
    if timezone:
        lines.append(f"TZ:{escape_text(timezone)}\r\n")
    return "".join(lines)


def _card(contact: Contact, ctx: ExportContext, revision: str | None) -> bytes:
    """One card with CRLF line ends, folded."""
    given, family = split_name(contact)
    parts = [f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid(contact.id)}\r\nKIND:individual\r\n"
             f"FN:{escape_text(contact.name)}\r\nN:{escape_component(family)};{escape_component(given)};;;\r\n"]
    if contact.organisation:
        parts.append(_organisation_line(contact.organisation))
    if contact.role:
        parts.append(_role_line(contact.role))
    if contact.email:
        parts.append(f"EMAIL;TYPE=work:{escape_text(ctx.email(contact))}\r\n")
    phones = ctx.phones(contact)
    main = primary(phones)
    for phone in phones:
        pref = ";PREF=1" if phone is main else ""
        ext = f";ext={phone.extension}" if phone.extension else ""  # RFC 3966 §5.1.5
        parts.append(f"TEL;VALUE=uri{pref};TYPE={TEL_TYPES[phone.type]}:tel:{phone.e164}{ext}\r\n")
    parts.append(_languages_lists_timezone(contact.languages, contact.lists, contact.timezone))
    if revision:
        parts.append(f"REV:{revision}\r\n")
    parts.append("END:VCARD\r\n")
    card = "".join(parts)
    lines = card.split("\r\n")[:-1]
    # Folding looks at octets; a card in ASCII whose lines are all short (most cards) needs none.
    if card.isascii() and max(map(len, lines)) <= LINE_OCTETS:
        return card.encode("ascii")
    return b"".join([fold(line) + b"\r\n" for line in lines])


def _revision() -> str | None:
    """A timestamp would break byte-identical output, so REV is written only when asked for with
    SOURCE_DATE_EPOCH (the reproducible-builds convention, which asks for a malformed value to fail)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        if not (epoch.isascii() and epoch.isdigit()):
            raise ValueError(epoch)
        return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y%m%dT%H%M%SZ")
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds since 1970",
                         hint="unset it, or set it to a Unix time such as 1719381600") from None
