"""Check a loaded contact book: a pure function from contacts to findings."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from pressctl.contacts import phones
from pressctl.contacts.load import ContactBuilder, LoadResult
from pressctl.contacts.model import Contact
from pressctl.findings import Finding

# Below this many contacts a second process costs more than it saves.
PARALLEL_THRESHOLD = 4000

# Babel's territory list is CLDR's: ISO 3166-1 alpha-2 plus a few groupings that are not countries.
_NOT_ISO_3166 = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}

# What one contact's check returns: its findings, id, normalised email and numbers in E.164.
ContactResult = tuple[list[Finding], str | None, str | None, list[tuple[str, tuple[str | int, ...]]]]


@dataclass(frozen=True)
class BookCheck:
    findings: list[Finding]  # located and sorted
    ids: list[str]  # every contact checked, in file order


def check_book(result: LoadResult, *, deliverability: bool = False, jobs: int | None = None,
               dns_resolver: Any = None) -> BookCheck:
    """Every finding for the book: shape, types and values, located and sorted.

    Contacts are built and checked one by one, in parallel worker processes for a large book;
    what needs the whole book (duplicates, DNS) is done here afterwards."""
    if result.data is None and result.findings:
        return BookCheck(result.locate(result.findings), [])
    header = ContactBuilder()
    region, style, items = header.header(result.data)
    findings = list(result.findings) + header.findings
    findings.extend(_defaults_region(region))
    per_contact = _check_all(result, items, region, style, jobs)
    emails: dict[str, list[tuple[str, int]]] = defaultdict(list)
    numbers: dict[str, list[tuple[str, tuple[str | int, ...]]]] = defaultdict(list)
    ids, indexes = [], []
    for index, (contact_findings, cid, email, e164s) in enumerate(per_contact):
        findings.extend(contact_findings)
        if cid is None:
            continue
        ids.append(cid)
        indexes.append(index)
        if email:
            emails[email.casefold()].append((cid, index))
        for e164, path in e164s:
            numbers[e164].append((cid, path))
    duplicates = ContactBuilder()
    duplicates.duplicate_ids(ids, indexes)
    findings.extend(duplicates.findings)
    findings.extend(_duplicates(emails, numbers))
    if deliverability:
        findings.extend(_deliverability(emails, dns_resolver))
    return BookCheck(result.locate(findings), ids)


def _check_all(result: LoadResult, items: list[Any], region: str | None, style: str,
               jobs: int | None) -> list[ContactResult]:
    workers = jobs or min(os.cpu_count() or 1, 8)
    if workers < 2 or len(items) < PARALLEL_THRESHOLD or not _can_fork():
        return [build_and_check(result, index, item, region, style) for index, item in enumerate(items)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SHARED
    _SHARED = (result, items, region, style)  # forked workers inherit it: nothing is pickled on the way in
    size = -(-len(items) // (workers * 4))
    ranges = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return [item for chunk in pool.map(_check_range, ranges) for item in chunk]
    finally:
        _SHARED = None


_SHARED: tuple[LoadResult, list[Any], str | None, str] | None = None


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _check_range(bounds: tuple[int, int]) -> list[ContactResult]:
    assert _SHARED is not None
    result, items, region, style = _SHARED
    return [build_and_check(result, index, items[index], region, style) for index in range(*bounds)]


def build_and_check(result: LoadResult, index: int, item: Any, region: str | None, style: str) -> ContactResult:
    builder = ContactBuilder()
    contact = builder.contact(index, item, region)
    if contact is None:
        return builder.findings, None, None, []
    findings, email, e164s = check_contact(contact, style)
    findings.extend(_integers_as_written(result, contact, style))
    return builder.findings + findings, contact.id, email, e164s


def check_contact(contact: Contact, style: str) -> tuple[list[Finding], str | None,
                                                       list[tuple[str, tuple[str | int, ...]]]]:
    """Findings for one contact, its normalised email, and its numbers in E.164 with their paths."""
    findings: list[Finding] = []
    cid = contact.id

    def add(code: str, message: str, path: tuple[Any, ...], fix: str | None = None) -> None:
        findings.append(Finding(code, message, path, cid, fix))

    email = None
    if contact.email is not None:
        email, problem = _check_email(contact.email)
        if problem:
            add(problem[0], problem[1], (*contact.path, "email"), problem[2])
    e164s: list[tuple[str, tuple[str | int, ...]]] = []
    region = contact.phone_region
    for phone in contact.phones:
        if phone.written_as_integer:
            continue  # reported with the digits as written, see _integers_as_written
        verdict = phones.judge(phone.number, region, style, phone.type)
        if verdict.code:
            add(verdict.code, verdict.message, phone.path, verdict.fix)
        if verdict.e164:
            e164s.append((verdict.e164, phone.path))
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

    territories: list[str] = [str(code) for code in Locale("en").territories]
    iso = frozenset(c for c in territories if len(c) == 2 and c.isalpha()) - _NOT_ISO_3166
    # Every region phonenumbers dials can resolve a national number, including the codes that
    # ISO 3166 reserves rather than assigns (XK Kosovo, AC Ascension Island, TA Tristan da Cunha).
    return iso | frozenset(phonenumbers.SUPPORTED_REGIONS)


@cache
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _duplicates(emails: dict[str, list[tuple[str, int]]],
                numbers: dict[str, list[tuple[str, tuple[str | int, ...]]]]) -> Iterable[Finding]:
    for address, holders in emails.items():
        first = holders[0][0]
        for cid, index in holders[1:]:
            if cid != first:
                yield Finding("E003", f"email {address!r} is also on contact `{first}`",
                              ("contacts", index, "email"), cid)
    for e164, entries in numbers.items():
        first = entries[0][0]
        for cid, path in entries[1:]:
            if cid != first:
                yield Finding("P007", f"number {e164} is also on contact `{first}`", path, cid)


def _integers_as_written(result: LoadResult, contact: Contact, style: str) -> Iterable[Finding]:
    """`phone: 0612345678` parses as the integer 612345678: read the digits from the file instead."""
    for phone in contact.phones:
        if not phone.written_as_integer:
            continue
        written = phone.number
        span = result.source_map.scalar_source(phone.path) if result.source_map else None
        if span is not None and result.source is not None:
            written = result.source.text[span[0]:span[1]]
        region = contact.phone_region
        verdict = phones.judge(written, region, style, phone.type)
        fixed = verdict.fix
        if fixed is None and verdict.code in (None, "P006"):
            fixed = phones.international(written, region, style)
        lost = " and drops its leading zero" if written.startswith("0") else ""
        yield Finding("P008", f"the number {written} is written without quotes, so YAML reads it as the integer "
                      f"{phone.number}{lost}; write it as text in quotes", phone.path, contact.id, fixed)


def _deliverability(emails: dict[str, list[tuple[str, int]]], dns_resolver: Any) -> Iterable[Finding]:
    """Look up each mail domain once in DNS (only with --check-deliverability), many at a time."""
    from concurrent.futures import ThreadPoolExecutor

    by_domain: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for address, holders in emails.items():
        for cid, index in holders:
            by_domain[address.rsplit("@", 1)[1]].append((address, cid, index))

    def lookup(domain: str) -> str | None:
        try:
            validate_email(by_domain[domain][0][0], check_deliverability=True, dns_resolver=dns_resolver)
        except EmailNotValidError as err:
            return str(err)
        return None

    domains = sorted(by_domain)
    with ThreadPoolExecutor(max_workers=16) as pool:
        problems = list(pool.map(lookup, domains))
    for domain, problem in zip(domains, problems, strict=True):
        if problem is None:
            continue
        for _, cid, index in by_domain[domain]:
            yield Finding("E004", f"mail to {domain} cannot be delivered: {problem}",
                          ("contacts", index, "email"), cid)


def _defaults_region(region: str | None) -> Iterable[Finding]:
    if region is not None and not valid_region(region):
        yield Finding("L002", f"defaults.region `{region}` is not an ISO 3166-1 alpha-2 code (such as NL)",
                      ("defaults", "region"))
