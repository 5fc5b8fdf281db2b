"""Check a loaded contact book: a pure function from contacts to findings."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from pressctl.contacts import phones
from pressctl.contacts.load import LoadResult
from pressctl.contacts.model import Contact
from pressctl.findings import Finding

# Below this many contacts a second process costs more than it saves.
PARALLEL_THRESHOLD = 4000

# Babel's territory list is CLDR's: ISO 3166-1 alpha-2 plus a few groupings that are not countries.
_NOT_ISO_3166 = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "XK"}

ContactResult = tuple[list[Finding], str | None, list[tuple[str, str]]]


def check_book(result: LoadResult, *, deliverability: bool = False, jobs: int | None = None) -> list[Finding]:
    """Every finding for the book: what loading found plus the value checks, located and sorted."""
    book = result.book
    findings = list(result.findings)
    per_contact = _check_all(book.contacts, book.phone_format, jobs)
    emails: dict[str, list[Contact]] = defaultdict(list)
    numbers: dict[str, list[tuple[Contact, str]]] = defaultdict(list)
    for contact, (contact_findings, email, e164s) in zip(book.contacts, per_contact, strict=True):
        findings.extend(contact_findings)
        if email:
            emails[email.casefold()].append(contact)
        for e164, path_key in e164s:
            numbers[e164].append((contact, path_key))
    findings.extend(_duplicates(emails, numbers))
    findings.extend(_integers_as_written(result))
    if deliverability:
        findings.extend(_deliverability(book.contacts))
    findings.extend(_defaults_region(result))
    return result.locate(findings)


def _check_all(contacts: tuple[Contact, ...], style: str, jobs: int | None) -> list[ContactResult]:
    workers = jobs or min(os.cpu_count() or 1, 8)
    if workers < 2 or len(contacts) < PARALLEL_THRESHOLD or not _can_fork():
        return [check_contact(contact, style) for contact in contacts]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED_CONTACTS
    _SHARED_CONTACTS = contacts  # forked workers inherit it: nothing is pickled on the way in
    size = -(-len(contacts) // (workers * 4))
    ranges = [(start, min(start + size, len(contacts)), style) for start in range(0, len(contacts), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [item for chunk in pool.map(_check_range, ranges) for item in chunk]
    finally:
        _SHARED_CONTACTS = ()


_SHARED_CONTACTS: tuple[Contact, ...] = ()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _check_range(args: tuple[int, int, str]) -> list[ContactResult]:
    start, stop, style = args
    return [check_contact(contact, style) for contact in _SHARED_CONTACTS[start:stop]]


def check_contact(contact: Contact, style: str) -> ContactResult:
    """Findings for one contact, its normalised email, and its numbers in E.164."""
    findings: list[Finding] = []
    cid = contact.id

    def add(code: str, message: str, path: tuple[Any, ...], fix: str | None = None) -> None:
        findings.append(Finding(code, message, path, cid, fix))

    email = None
    if contact.email is not None:
        email, problem = _check_email(contact.email)
        if problem:
            add(problem[0], problem[1], (*contact.path, "email"), problem[2])
    e164s: list[tuple[str, str]] = []
    region = contact.phone_region
    for phone in contact.phones:
        if phone.written_as_integer:
            continue  # reported with the digits as written, see _integers_as_written
        verdict = phones.judge(phone.number, region, style, phone.type)
        if verdict.code:
            add(verdict.code, verdict.message, phone.path, verdict.fix)
        if verdict.e164:
            e164s.append((verdict.e164, phone.number))
    for i, tag in enumerate(contact.languages):
        if not _valid_language(tag):
            add("L001", f"language `{tag}` is not a valid BCP 47 tag (such as en, nl, pt-BR)",
                (*contact.path, "languages", i))
    if contact.region is not None and not valid_region(contact.region):
        add("L002", f"region `{contact.region}` is not an ISO 3166-1 alpha-2 code (such as NL, ID, KH)",
            (*contact.path, "region"))
    if contact.timezone is not None and contact.timezone not in _timezones():
        add("L003", f"time zone `{contact.timezone}` is not an IANA name (such as Europe/Amsterdam)",
            (*contact.path, "timezone"))
    if contact.lists and contact.consent is None:
        add("C006", f"on {', '.join(contact.lists)} without a consent record; add "
            "`consent: {basis, source, date}`", contact.path)
    return findings, email, e164s


def _check_email(address: str) -> tuple[str | None, tuple[str, str, str | None] | None]:
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as err:
        return None, ("E001", f"email {address!r} is not valid: {err}", None)
    if checked.normalized != address:
        return checked.normalized, ("E002", f"email {address!r} is not in normalised form "
                                    f"{checked.normalized!r}", checked.normalized)
    return checked.normalized, None


@cache
def _valid_language(tag: str) -> bool:
    import langcodes

    return bool(langcodes.tag_is_valid(tag))


@cache
def valid_region(code: str) -> bool:
    return code in _regions()


@cache
def _regions() -> frozenset[str]:
    from babel import Locale

    return frozenset(c for c in Locale("en").territories if len(c) == 2 and c.isalpha()) - _NOT_ISO_3166


@cache
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _duplicates(emails: dict[str, list[Contact]],
                numbers: dict[str, list[tuple[Contact, str]]]) -> Iterable[Finding]:
    for address, holders in emails.items():
        for later in holders[1:]:
            if later.id != holders[0].id:
                yield Finding("E003", f"email {address!r} is also on contact `{holders[0].id}`",
                              (*later.path, "email"), later.id)
    for e164, entries in numbers.items():
        first = entries[0][0]
        for contact, _ in entries[1:]:
            if contact.id != first.id:
                phone = next(p for p in contact.phones if p.number == _)
                yield Finding("P007", f"number {e164} is also on contact `{first.id}`", phone.path, contact.id)


def _integers_as_written(result: LoadResult) -> Iterable[Finding]:
    """`phone: 0612345678` parses as the integer 612345678: read the digits from the file instead."""
    for contact in result.book.contacts:
        for phone in contact.phones:
            if not phone.written_as_integer:
                continue
            written = phone.number
            span = result.source_map.scalar_source(phone.path) if result.source_map else None
            if span is not None and result.source is not None:
                written = result.source.text[span[0]:span[1]]
            region = contact.phone_region
            verdict = phones.judge(written, region, result.book.phone_format, phone.type)
            fixed = verdict.fix or (phones.international(written, region, result.book.phone_format)
                                    if verdict.code in (None, "P005") else None)
            if fixed is None and verdict.code is None:
                fixed = written
            yield Finding("P008", f"the number {written} is written without quotes, so YAML reads it as "
                          f"the integer {phone.number}" + (" and drops its leading zero" if written.startswith("0")
                                                           else "") + "; write it as text in quotes",
                          phone.path, contact.id, fixed)


def _deliverability(contacts: tuple[Contact, ...]) -> Iterable[Finding]:
    """Look up each mail domain once in DNS (only with --check-deliverability)."""
    from email_validator import EmailNotValidError, validate_email

    by_domain: dict[str, list[Contact]] = defaultdict(list)
    for contact in contacts:
        if contact.email and "@" in contact.email:
            by_domain[contact.email.rsplit("@", 1)[1].lower()].append(contact)
    for domain, holders in sorted(by_domain.items()):
        try:
            validate_email(holders[0].email or "", check_deliverability=True)
        except EmailNotValidError as err:
            for contact in holders:
                yield Finding("E004", f"mail to {domain} cannot be delivered: {err}",
                              (*contact.path, "email"), contact.id)


def _defaults_region(result: LoadResult) -> Iterable[Finding]:
    region = result.book.default_region
    if region is not None and not valid_region(region):
        yield Finding("L002", f"defaults.region `{region}` is not an ISO 3166-1 alpha-2 code (such as NL)",
                      ("defaults", "region"))
