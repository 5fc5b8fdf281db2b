"""Who receives a release: the one choice of recipients for a merge (`render --format eml`) and for `send`.

The public API, for the merge and for `send`:

    plan = choose_recipients(release, book, audience=["press-eu"], to=["femke-jansen"])
    plan.recipients   # tuple[Recipient, ...] in book order after the `--to` ids: .contact, .address, .id
    plan.skipped      # Counter: reason (the SKIP_* strings below) -> how many contacts were left out

    for recipient, data in pressctl.render.merge.messages(release, book, config, plan, templates=…, sender=…):
        ...           # one RFC 5322 message (bytes, CRLF) per recipient, in plan order

`Recipient.address` is the `MailAddress` from `pressctl.contacts.addresses.mail_address()`, never the raw
`email:` text: `To:` and an SMTP envelope are made from it, so an address that `contacts check` refuses
(`a@x.org>, <evil@y.org`) is skipped and counted, and can never add a hidden recipient.

Unsubscribed is per address: when any contact in the book with address X (in any letter case,
`MailAddress.key`) is unsubscribed, no contact with that address is chosen, and no export writes one
(`pressctl.export.contacts` asks `UnsubscribedAddresses` the same question).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressctl.contacts.addresses import MailAddress, mail_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.suggest import did_you_mean

if TYPE_CHECKING:
    from pressctl.release import Release

SKIP_UNSUBSCRIBED = "unsubscribed"
SKIP_ADDRESS_UNSUBSCRIBED = "same address as an unsubscribed contact"
SKIP_NO_EMAIL = "no email address"
SKIP_INVALID_EMAIL = "invalid email address"
SKIP_DUPLICATE = "same address as an earlier recipient"


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    address: MailAddress  # validated and normalised: what To: and RCPT TO are made from

    @property
    def id(self) -> str:
        return self.contact.id


@dataclass(frozen=True)
class RecipientPlan:
    recipients: tuple[Recipient, ...]
    skipped: Counter[str] = field(default_factory=Counter)


class UnsubscribedAddresses:
    """The addresses of every unsubscribed contact in a book, compared as `MailAddress.key`."""

    def __init__(self, contacts: Iterable[Contact]) -> None:
        self._keys: set[str] = set()
        for contact in contacts:
            if contact.is_unsubscribed and contact.email:
                self._keys.add(_key(contact.email.strip()))
        # Validating every address of a large book to compare it costs more than the export itself: only an
        # address whose local part (in any case) is an unsubscribed one's can share its key.
        self._locals = {_loose_local(key) for key in self._keys}

    def __contains__(self, address: str | MailAddress | None) -> bool:
        if address is None or not self._keys:
            return False
        if isinstance(address, MailAddress):
            return address.key in self._keys
        text = address.strip()
        return _loose_local(text) in self._locals and _key(text) in self._keys

    def covers(self, contact: Contact) -> bool:
        """True when the contact is unsubscribed itself, or another contact with its address is."""
        return contact.is_unsubscribed or contact.email in self


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _loose_local(address: str) -> str:
    """The local part as email-validator normalises it (NFC), in lower case."""
    return _nfc(address.rpartition("@")[0]).lower()


def _key(text: str) -> str:
    """An address as compared: its MailAddress.key, or for text that is no valid address, the text itself
    in lower case (an unsubscribed contact with a mistyped address still shuts that text out)."""
    address = mail_address(text)
    return address.key if address else _nfc(text).lower()


def choose_recipients(release: Release, book: ContactBook, *, audience: list[str] | None = None,
                      to: list[str] | None = None) -> RecipientPlan:
    """Who gets a message: the contacts on the lists (`--audience`, else the release's `audience`) and the
    `--to` ids, less the unsubscribed (by address), those without a valid address, and repeated addresses."""
    by_id = book.by_id()
    wanted: dict[str, Contact] = {}
    for contact_id in to or []:
        if contact_id not in by_id:
            raise InputError(f"--to: no contact `{contact_id}`", path=book.file, hint=did_you_mean(contact_id, by_id))
        wanted[contact_id] = by_id[contact_id]
    lists = list(audience or []) or ([] if to else list(release.audience))
    if not lists and not to:
        raise UsageError("nobody to write to: pass --audience LIST or --to ID, or set `audience` in the release")
    known = book.list_names
    for name in lists:
        if name not in known:
            raise InputError(f"no contact is on the list `{name}`", path=book.file,
                             hint=did_you_mean(name, sorted(known)))
    for contact in book.on_lists(lists):
        wanted.setdefault(contact.id, contact)
    unsubscribed = UnsubscribedAddresses(book.contacts)
    skipped: Counter[str] = Counter()
    recipients = []
    chosen: set[str] = set()
    for contact in wanted.values():
        address = mail_address(contact.email) if contact.email else None
        if contact.is_unsubscribed:
            skipped[SKIP_UNSUBSCRIBED] += 1
        elif not contact.email:
            skipped[SKIP_NO_EMAIL] += 1
        elif address is None:
            skipped[SKIP_INVALID_EMAIL] += 1
        elif address in unsubscribed:
            skipped[SKIP_ADDRESS_UNSUBSCRIBED] += 1
        elif (key := address.key) in chosen:
            skipped[SKIP_DUPLICATE] += 1
        else:
            chosen.add(key)
            recipients.append(Recipient(contact, address))
    return RecipientPlan(tuple(recipients), skipped)
