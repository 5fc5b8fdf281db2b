"""`export contacts`: choose who leaves the book, then write them in a target's format."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pressctl.collector import without_gc
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import UsageError
from pressctl.export import CONTACT_TARGETS
from pressctl.export.fields import ExportContext, PhoneResolver
from pressctl.recipients import UnsubscribedAddresses


@dataclass(frozen=True)
class ContactTarget:
    name: str
    writer: str  # "module:function" under pressctl.export, imported only when used
    needs: str  # what a contact must have: "email", "email or phone", or "" for anyone

    def write(self, contacts: Sequence[Contact], ctx: ExportContext) -> bytes:
        module, function = self.writer.split(":")
        writer: Callable[[Sequence[Contact], ExportContext], bytes] = getattr(
            importlib.import_module(f"pressctl.export.{module}"), function)
        return writer(contacts, ctx)

    def takes(self, contact: Contact, ctx: ExportContext) -> bool:
        if self.needs == "email":
            return bool(contact.email)
        if self.needs == "email or phone":
            return bool(contact.email) or any(p.type != "fax" for p in ctx.phones(contact))
        return True


TARGETS = {target.name: target for target in (
    ContactTarget("mailchimp", "mailchimp:contact_file", "email"),
    ContactTarget("brevo", "brevo:contact_file", "email or phone"),
    ContactTarget("listmonk", "listmonk:contact_file", "email"),
    ContactTarget("constant-contact", "constant_contact:contact_file", "email"),
    ContactTarget("google", "google:contact_file", ""),
    ContactTarget("outlook", "outlook:contact_file", ""),
    ContactTarget("vcard", "vcard:contact_file", ""),
    ContactTarget("csv", "neutral:csv_file", ""),
    ContactTarget("json", "neutral:json_file", ""),
)}
assert tuple(TARGETS) == CONTACT_TARGETS


@dataclass(frozen=True)
class Selection:
    """Who a contact export is for: on any of `lists` (everyone when empty), on none of `exclude_lists`,
    speaking `language` (primary subtag: `en` matches `en-GB`)."""

    lists: tuple[str, ...] = ()
    exclude_lists: tuple[str, ...] = ()
    language: str | None = None

    def matches(self, contact: Contact) -> bool:
        if self.lists and not set(self.lists).intersection(contact.lists):
            return False
        if self.exclude_lists and set(self.exclude_lists).intersection(contact.lists):
            return False
        if self.language:
            wanted = self.language.lower()
            if not any(tag.lower() == wanted or tag.lower().split("-")[0] == wanted for tag in contact.languages):
                return False
        return True


@dataclass(frozen=True)
class ExportResult:
    """One written document and the counts the summary and the manifest report."""

    target: str
    data: bytes
    rows: int
    unsubscribed: int = 0
    unfit: int = 0  # contacts the target cannot take
    unfit_reason: str = ""
    warnings: tuple[str, ...] = ()


def contact_target(name: str) -> ContactTarget:
    try:
        return TARGETS[name]
    except KeyError:
        raise UsageError(f"unknown target {name!r} for contacts; known targets: {', '.join(CONTACT_TARGETS)}",
                         hint="pick one with --to") from None


def export_contacts(book: ContactBook, target_name: str, selection: Selection = Selection(), *,
                    resolver: PhoneResolver | None = None) -> ExportResult:
    """The file for `target_name`, in contact-book order. Unsubscribed contacts never leave, nor does any
    contact whose address (in any letter case) an unsubscribed contact has."""
    target = contact_target(target_name)
    # The rows are short-lived and hold no cycles, but with a 100,000-contact book in memory each
    # collection the allocations trigger walks the whole book: pause the collector while writing.
    with without_gc():
        return _export(book, target, selection, resolver or PhoneResolver())


def _export(book: ContactBook, target: ContactTarget, selection: Selection, resolver: PhoneResolver) -> ExportResult:
    ctx = ExportContext(target.name, book.file, resolver)
    shut_out = UnsubscribedAddresses(book.contacts)  # per address: one unsubscribed contact shuts out its twins
    chosen: list[Contact] = []
    unsubscribed = unfit = 0
    for contact in book.contacts:
        if not selection.matches(contact):
            continue
        if shut_out.covers(contact):
            unsubscribed += 1
        elif not target.takes(contact, ctx):
            unfit += 1
        else:
            chosen.append(contact)
    data = target.write(chosen, ctx)
    warnings = [f"no contact is on list {name!r}" for name in unknown_lists(book, selection)]
    warnings += ctx.warnings()
    return ExportResult(target.name, data, len(chosen), unsubscribed, unfit,
                        f"without an {target.needs.replace('email', 'email address')}" if unfit else "",
                        tuple(warnings))


def unknown_lists(book: ContactBook, selection: Selection) -> list[str]:
    """Names in the selection's lists that no contact in the book is on: most likely typos."""
    wanted = (*selection.lists, *selection.exclude_lists)
    if not wanted:
        return []
    known = book.list_names
    return [name for name in dict.fromkeys(wanted) if name not in known]


def summary(result: ExportResult, destination: str) -> str:
    """The one line `export contacts` prints on stderr."""
    left_out = [f"{result.unsubscribed} unsubscribed"]
    if result.unfit:
        left_out.append(f"{result.unfit} {result.unfit_reason}")
    return f"{destination}: {result.rows} contacts for {result.target}; left out {', '.join(left_out)}"
