"""Check a loaded contact book: a pure function from contacts to findings."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from pressctl.collector import without_gc
from pressctl.contacts import phones
from pressctl.contacts.addresses import MailAddress, memoise_domain_validation
from pressctl.contacts.load import ContactBuilder, LoadResult
from pressctl.contacts.model import Contact
from pressctl.findings import Finding
from pressctl.ruledocs import RuleDoc
from pressctl.workers import cores, in_workers
from pressctl.workers import shared as inherited
from pressctl.yamlsource import SourceText, YamlSyntaxError, cut_list, parse_fast

# Below this many contacts a second process costs more than it saves.
PARALLEL_THRESHOLD = 4000

# Babel's territory list is CLDR's: ISO 3166-1 alpha-2 plus a few groupings that are not countries.
_NOT_ISO_3166 = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}

CONTACT_RULES = {
    "E003": RuleDoc(
        "A mailing tool keys contacts by address: it merges the two and one person's data is lost, "
        "and a merge would reach the address once. Letter case does not make two addresses.",
        "contacts:\n  - {id: a, name: A, email: press@example.org}\n  - {id: b, name: B, email: Press@example.org}",
        "contacts:\n  - {id: a, name: A, email: press@example.org}\n  - {id: b, name: B, email: desk@example.org}"),
    "E005": RuleDoc(
        "No mail tool takes an address with its spaces, so merges, sends and exports leave the contact "
        "out until it is fixed.",
        'contacts:\n  - {id: a, name: A, email: " press@example.org "}',
        "contacts:\n  - {id: a, name: A, email: press@example.org}"),
    "P007": RuleDoc(
        "Two contacts with one number are often one person entered twice. The same number with "
        "another extension is another line, so extensions are compared too.",
        'contacts:\n  - {id: a, name: A, phone: "+31 20 555 0188"}\n  - {id: b, name: B, phone: "+31 20 555 0188"}',
        'contacts:\n  - {id: a, name: A, phone: "+31 20 555 0188 ext. 1"}\n'
        '  - {id: b, name: B, phone: "+31 20 555 0188 ext. 2"}'),
}

# What one contact's check returns: its findings, id, address key (see MailAddress.key) and
# numbers in E.164.
ContactResult = tuple[list[Finding], str | None, str | None, list[tuple[str, tuple[str | int, ...]]]]


@dataclass(frozen=True)
class BookCheck:
    findings: list[Finding]  # located and sorted
    ids: list[str]  # every contact checked, in file order


def check_book(result: LoadResult, *, deliverability: bool = False, jobs: int | None = None,
               dns_resolver: Any = None) -> BookCheck:
    """Every finding for the book: shape, types and values, located and sorted.

    Contacts are built and checked in batches, in parallel worker processes for a large book;
    what needs the whole book (duplicates, DNS) is done here afterwards."""
    # The collector off in this process too: the workers' results arrive as a few hundred thousand
    # objects, and with it on, each arrival and each entry of the tables below makes it walk them all
    # again (half a second at 100,000 contacts).
    with without_gc():
        return _check_book(result, deliverability, jobs, dns_resolver)


def _check_book(result: LoadResult, deliverability: bool, jobs: int | None, dns_resolver: Any) -> BookCheck:
    if result.source is None:
        return BookCheck(result.place(result.findings), [])
    checked = _check_in_slices(result, jobs)
    if checked is None:
        data = result.data
        if data is None and result.findings:
            return BookCheck(result.place(result.findings), [])
        header = ContactBuilder()
        region, style, items = header.header(data)
        checked = header.findings, region, _check_all(result, items, region, style, jobs)
    header_findings, region, per_contact = checked
    findings = [*result.findings, *header_findings, *_defaults_region(region)]
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
            emails[email].append((cid, index))
        for e164, path in e164s:
            numbers[e164].append((cid, path))
    duplicates = ContactBuilder()
    duplicates.duplicate_ids(ids, indexes)
    findings.extend(duplicates.findings)
    findings.extend(_duplicates(emails, numbers))
    findings.extend(_forgotten(result, emails, numbers))
    if deliverability:
        findings.extend(_deliverability(emails, dns_resolver))
    return BookCheck(result.place(findings), ids)


def _check_in_slices(result: LoadResult, jobs: int | None
                     ) -> tuple[list[Finding], str | None, list[ContactResult]] | None:
    """A large book, parsed and checked in slices by worker processes: the parent never holds the
    whole parsed document. None when the book is small, or the slices do not parse to exactly the
    contacts they were cut around (then the caller parses the whole document)."""
    assert result.source is not None
    workers = cores(jobs)
    text = result.source.text
    items = cut_list(text, "contacts") if workers > 1 else None
    if items is None or len(items) - 1 < PARALLEL_THRESHOLD:
        return None
    try:
        head = parse_fast(SourceText(text[: items[0]] + text[items[-1]:]))
    except YamlSyntaxError:
        return None
    if not isinstance(head, dict) or head.get("contacts") is not None:
        return None
    header = ContactBuilder()
    region, style, _ = header.header({**head, "contacts": []})
    result.adopt_items(items)  # trusted by the workers for their own slice only, once it parsed
    count = len(items) - 1
    per_contact = _in_workers(_check_slice, (result, items, region, style), count, workers)
    if per_contact is None:
        result.adopt_items(None)
        return None
    return header.findings, region, per_contact


def _check_all(result: LoadResult, items: list[Any], region: str | None, style: str,
               jobs: int | None) -> list[ContactResult]:
    workers = cores(jobs)
    if workers > 1 and len(items) >= PARALLEL_THRESHOLD:
        checked = _in_workers(_check_range, (result, items, region, style), len(items), workers)
        if checked is not None:
            return checked
    return check_batch(result, 0, items, region, style)


def _in_workers(task: Any, shared: tuple[LoadResult, list[Any], str | None, str], count: int,
                workers: int) -> list[ContactResult] | None:
    """Run `task` over ranges of contact indexes in forked workers; None if any range gives None."""
    if shared[0].source_map is not None:
        shared[0].source_map.prepare()
    size = -(-count // (workers * 4))
    ranges = [(start, min(start + size, count)) for start in range(0, count, size)]
    chunks = list(in_workers(task, ranges, shared=shared, workers=workers))
    if any(chunk is None for chunk in chunks):
        return None
    return [item for chunk in chunks for item in chunk]


def _check_range(bounds: tuple[int, int]) -> list[ContactResult]:
    result, items, region, style = inherited()
    start, stop = bounds
    return check_batch(result, start, items[start:stop], region, style)


def _check_slice(bounds: tuple[int, int]) -> list[ContactResult] | None:
    """Parse the text of contacts start..stop and check them; None if it is not exactly those."""
    result, offsets, region, style = inherited()
    assert result.source is not None
    start, stop = bounds
    try:
        parsed = parse_fast(SourceText(result.source.text[offsets[start]:offsets[stop]]))
    except YamlSyntaxError:
        return None
    if not isinstance(parsed, list) or len(parsed) != stop - start:
        return None
    return check_batch(result, start, parsed, region, style)


def check_batch(result: LoadResult, first_index: int, items: list[Any], region: str | None,
                style: str) -> list[ContactResult]:
    """Build and check the contacts `items` (the first at index `first_index` of the book).

    The work goes in phases over the whole batch (build all, then every phone number, then every
    address) rather than contact by contact: each validator's code and tables stay in the processor's
    caches, which makes the batch a third faster."""
    with without_gc():
        builders = [ContactBuilder() for _ in items]
        contacts = [builder.contact(first_index + i, item, region) for i, (builder, item)
                    in enumerate(zip(builders, items, strict=True))]
        built = [contact for contact in contacts if contact is not None]
        checked = dict(zip((c.index for c in built), check_contacts(built, style), strict=True))
        out: list[ContactResult] = []
        for builder, contact in zip(builders, contacts, strict=True):
            if contact is None:
                out.append((result.place(builder.findings), None, None, []))
                continue
            findings, email, e164s = checked[contact.index]
            findings.extend(_integers_as_written(result, contact, style))
            # Located here, in the worker, where composing the contact's text again runs in parallel.
            out.append((result.place(builder.findings + findings), contact.id, email, e164s))
        return out


E164Entry = tuple[str, tuple[str | int, ...]]


def check_contacts(contacts: list[Contact], style: str) -> list[tuple[list[Finding], str | None, list[E164Entry]]]:
    """Findings for each contact, its address key, and its numbers in E.164 with their paths."""
    findings: list[list[Finding]] = [[] for _ in contacts]
    e164s: list[list[E164Entry]] = [[] for _ in contacts]
    for i, contact in enumerate(contacts):
        region = contact.phone_region
        for phone in contact.phones:
            if phone.written_as_integer:
                continue  # reported with the digits as written, see _integers_as_written
            verdict = phones.judge(phone.number, region, style, phone.type)
            if verdict.code == "P003" and region and not phones.is_international(phone.number):
                # Invalid here; the regions the contact is tied to choose which other region to name.
                verdict = phones.judge(phone.number, region, style, phone.type, _region_hints(contact))
            if verdict.code:
                findings[i].append(Finding(verdict.code, verdict.message, phone.path, contact.id, verdict.fix))
            if verdict.e164:
                e164s[i].append((verdict.e164, phone.path))
    emails: list[str | None] = []
    for i, contact in enumerate(contacts):
        email = None
        if contact.email is not None:
            email, problem = _check_email(contact.email)
            if problem:
                findings[i].append(Finding(problem[0], problem[1], (*contact.path, "email"), contact.id, problem[2]))
        emails.append(email)
    for i, contact in enumerate(contacts):
        findings[i].extend(_locale_and_consent(contact))
    return list(zip(findings, emails, e164s, strict=True))


def _locale_and_consent(contact: Contact) -> Iterator[Finding]:
    cid = contact.id
    for i, tag in enumerate(contact.languages):
        if not _valid_language(tag):
            yield Finding("L001", f"language `{tag}` is not a valid BCP 47 tag (such as en, nl, pt-BR)",
                          (*contact.path, "languages", i), cid)
    if contact.region is not None and not valid_region(contact.region):
        yield Finding("L002", f"region `{contact.region}` is not an ISO 3166-1 alpha-2 code (such as NL, ID, KH)",
                      (*contact.path, "region"), cid)
    if contact.timezone is not None and contact.timezone not in _timezones():
        yield Finding("L003", f"time zone `{contact.timezone}` is not an IANA name (such as Europe/Amsterdam)",
                      (*contact.path, "timezone"), cid)
    if contact.lists and contact.consent is None:
        yield Finding("C006", f"on {', '.join(contact.lists)} without a consent record; add "
                      "`consent: {basis, source, date}`", contact.path, cid)


memoise_domain_validation()  # a book has a few hundred domains across thousands of addresses


def _check_email(address: str) -> tuple[str | None, tuple[str, str, str | None] | None]:
    """The address's key for duplicates (None when it is invalid), and its first problem."""
    stripped = address.strip()
    try:
        checked = validate_email(stripped, check_deliverability=False)
    except EmailNotValidError as err:
        return None, ("E001", f"email {address!r} is not valid: {err}", None)
    key = MailAddress(checked.local_part, checked.domain, checked.ascii_domain).key
    if stripped != address:
        return key, ("E005", f"email {address!r} has spaces around it; no mail tool takes it so: "
                     f"{checked.normalized!r}", checked.normalized)
    if checked.normalized != address:
        return key, ("E002", f"email {address!r} is not in normalised form "
                     f"{checked.normalized!r}", checked.normalized)
    return key, None


_LANGUAGE_REGION = re.compile(r"-([A-Za-z]{2})(?:-|$)")


def _region_hints(contact: Contact) -> frozenset[str]:
    """Regions a contact is tied to: its international numbers, its mail domain's country, its time
    zone's and its languages' regions (`en-GB`)."""
    hints = set()
    for phone in contact.phones:
        if phones.is_international(phone.number):
            parsed = phones.parse(phone.number, None)
            if parsed is not None:
                hints.add(phonenumbers.region_code_for_number(parsed) or "")
    if contact.email and "." in contact.email:
        tld = contact.email.strip().rsplit(".", 1)[1].upper()
        hints.add({"UK": "GB"}.get(tld, tld))
    if contact.timezone:
        from babel.core import get_global

        hints.add(str(get_global("zone_territories").get(contact.timezone, "")))
    hints.update(m.group(1).upper() for tag in contact.languages if (m := _LANGUAGE_REGION.search(tag)))
    return frozenset(hints - {""})


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
                yield Finding("E003", f"email {address!r} is also on contact `{first}` (letter case aside); "
                              "a mailing tool would merge the two: give each its own address",
                              ("contacts", index, "email"), cid)
    for e164, entries in numbers.items():
        first = entries[0][0]
        for cid, path in entries[1:]:
            if cid != first:
                yield Finding("P007", f"number {e164} is also on contact `{first}`", path, cid)


def _forgotten(result: LoadResult, emails: dict[str, list[tuple[str, int]]],
               numbers: dict[str, list[tuple[str, tuple[str | int, ...]]]]) -> Iterable[Finding]:
    """Contacts typed in again after `contacts forget`: their address or number hashes to a suppressed entry."""
    from pressctl.contacts.addresses import mail_address
    from pressctl.contacts.suppression import suppressed_hashes, suppression_hash

    assert result.source is not None
    text = result.source.text
    if "suppressed:" not in text:
        return
    items = cut_list(text, "contacts")
    try:  # the part of the book outside `contacts:` holds `suppressed:`; the contacts need no second parse
        head = parse_fast(SourceText(text[: items[0]] + text[items[-1]:])) if items else result.data
    except YamlSyntaxError:
        head = result.data
    hashes = suppressed_hashes(head)
    if not hashes:
        return
    message = "this person asked to be forgotten: {what} is in `suppressed:`; remove the contact"
    for address, holders in emails.items():
        found = mail_address(address)
        if found is not None and suppression_hash(found.key) in hashes:
            for cid, index in holders:
                yield Finding("C010", message.format(what="the address"), ("contacts", index, "email"), cid)
    for e164, entries in numbers.items():
        if suppression_hash(e164) in hashes:
            for cid, path in entries:
                yield Finding("C010", message.format(what=f"the number {e164}"), path, cid)


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
