"""`pressctl release check`: a loaded release against the contact book and the calendar."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pressctl.contacts.model import Contact, ContactBook
from pressctl.findings import Finding
from pressctl.findings import Path as KeyPath
from pressctl.release.load import did_you_mean_hint
from pressctl.release.model import Release

MAX_HEADLINE = 100  # characters; a subject line much longer is cut off in most mail clients
_LEFTOVER = re.compile(r"\bTODO\b|\bTBC\b|\bXX+\b|lorem ipsum", re.IGNORECASE)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAY_DATE = re.compile(
    r"\b(?P<weekday>" + "|".join(_WEEKDAYS) + r"),?\s+(?:(?P<day>\d{1,2})\s+(?P<month>" + "|".join(_MONTHS)
    + r")|(?P<month2>" + "|".join(_MONTHS) + r")\s+(?P<day2>\d{1,2}))(?:,?\s+(?P<year>\d{4}))?\b"
)
_TODAY_WEEKDAY = re.compile(r"\btoday,?\s+\(?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)

def check_release(release: Release, book: ContactBook, *, now: datetime | None = None) -> list[Finding]:
    """Lint a loaded release against the contact book (errors and warnings, in file order)."""
    findings: list[Finding] = []
    contacts = book.by_id()
    for quote in release.quotes:
        if quote.by and quote.by not in contacts:
            findings.append(release.finding(
                "R003", f"quote {quote.index + 1} is by `{quote.by}`, who is not in {book.file}"
                        f"{did_you_mean_hint(quote.by, tuple(contacts))}", ("quotes", quote.index, "by")))
    for index, contact_id in enumerate(release.media_contacts):
        path: KeyPath = ("media_contacts", index)
        contact = contacts.get(contact_id)
        if contact is None:
            findings.append(release.finding(
                "R003", f"media contact `{contact_id}` is not in {book.file}"
                        f"{did_you_mean_hint(contact_id, tuple(contacts))}", path))
        elif contact.is_unsubscribed:
            findings.append(release.finding("R004", f"media contact `{contact_id}` is unsubscribed", path))
        elif not contact.email and not contact.phones:
            findings.append(release.finding(
                "R004", f"media contact `{contact_id}` has neither an email address nor a phone number", path))
        else:
            findings.extend(release.finding("R014", message, path) for message in _unprintable_numbers(contact))
    lists = book.list_names
    for index, name in enumerate(release.audience):
        if name not in lists:
            findings.append(release.finding(
                "R003", f"audience list `{name}` has nobody on it in {book.file}"
                        f"{did_you_mean_hint(name, tuple(sorted(lists)))}", ("audience", index)))
    if release.embargo is not None:
        if release.embargo.date() > release.date:
            findings.append(release.finding(
                "R005", f"the embargo ({release.embargo.isoformat()}) lifts after the release date "
                        f"({release.date.isoformat()})", ("embargo",)))
        now = now or datetime.now().astimezone()
        if release.embargo < now:
            findings.append(release.finding(
                "R006", f"the embargo ({release.embargo.isoformat()}) is already in the past", ("embargo",)))
    if len(release.headline) > MAX_HEADLINE:
        findings.append(release.finding(
            "R009", f"the headline is {len(release.headline)} characters; keep it under {MAX_HEADLINE} so "
                    "that subject lines show it whole", ("headline",)))
    findings.extend(_text_findings(release))
    from pressctl.release.attachments import read_attachments

    findings.extend(read_attachments(release)[1])
    return sorted(findings, key=lambda f: (f.line, f.code))


def _unprintable_numbers(contact: Contact) -> Iterator[str]:
    """The notes to editors print numbers as readers abroad dial them; one that does not resolve cannot be."""
    from pressctl.contacts.phones import international

    for phone in contact.phones:
        if international(phone.number, contact.phone_region) is None:
            yield (f"media contact `{contact.id}` has the number {phone.number!r}, which cannot be written in "
                   "international form; run `pressctl contacts check` to see why, and correct it")


def _text_findings(release: Release) -> Iterator[Finding]:
    for key, path, text in _texts(release):
        where = release.line_of(path) if path else 0
        for number, line in enumerate(text.split("\n")):
            line_no = release.body_line + number if key == "body" else where
            match = _LEFTOVER.search(line)
            if match:
                yield release.finding("R008", f"leftover placeholder {match.group(0)!r} in the {key}", path,
                                      line=line_no)
            for problem in _weekday_problems(line, release.date, release.language):
                yield release.finding("R007", f"{problem} in the {key}", path, line=line_no)


def _texts(release: Release) -> Iterator[tuple[str, KeyPath, str]]:
    yield "headline", ("headline",), release.headline
    if release.subheadline:
        yield "subheadline", ("subheadline",), release.subheadline
    for quote in release.quotes:
        yield "quote", ("quotes", quote.index, "text"), quote.text
    for index, note in enumerate(release.notes):
        yield "notes", ("notes", index), note
    yield "body", (), release.body


def _weekday_problems(line: str, release_date: date, language: str) -> Iterator[str]:
    for pattern, weekdays, months in _dated_weekdays(language):
        for match in pattern.finditer(line):
            month = months[(match.group("month") or match.group("month2")).casefold()]
            day = int(match.group("day") or match.group("day2"))
            year = int(match.group("year") or release_date.year)
            try:
                actual = date(year, month, day)
            except ValueError:
                yield f"{match.group(0)!r} is not a date"
                continue
            if weekdays[match.group("weekday").casefold()] != actual.weekday():
                yield f"{match.group(0)!r}: {actual.isoformat()} is a {_WEEKDAYS[actual.weekday()]}"
    for match in _TODAY_WEEKDAY.finditer(line):
        weekday = match.group("weekday").capitalize()
        if _WEEKDAYS[release_date.weekday()] != weekday:
            yield (f"{match.group(0)!r}, but the release date {release_date.isoformat()} is a "
                   f"{_WEEKDAYS[release_date.weekday()]}")


DatePattern = tuple[re.Pattern[str], dict[str, int], dict[str, int]]  # pattern, weekday (Monday 0), month


@lru_cache(maxsize=16)
def _dated_weekdays(language: str) -> tuple[DatePattern, ...]:
    """English (as written: `Wednesday, 26 June 2024`, `Wednesday, June 26`), and the release's own
    language from Babel's names of days and months in any case: `woensdag 26 juni 2024`,
    `Mittwoch, den 26. Juni 2024`, `miércoles 26 de junio de 2024`, `Rabu, 26 Juni 2024`."""
    english = (_WEEKDAY_DATE, {name.casefold(): n for n, name in enumerate(_WEEKDAYS)},
               {name.casefold(): n for n, name in enumerate(_MONTHS, start=1)})
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return (english,)
    if locale.language == "en":
        return (english,)
    weekdays = {str(name).casefold(): n for context in ("format", "stand-alone")
                for n, name in locale.days[context]["wide"].items()}
    months = {str(name).casefold(): n for context in ("format", "stand-alone")
              for n, name in locale.months[context]["wide"].items()}
    day_names = "|".join(re.escape(name) for name in sorted(weekdays, key=len, reverse=True))
    month_names = "|".join(re.escape(name) for name in sorted(months, key=len, reverse=True))
    local = re.compile(
        rf"(?<!\w)(?P<weekday>{day_names}),?\s+(?:(?:den|de|le|el)\s+)?"
        rf"(?:(?P<day>\d{{1,2}})\.?\s+(?:de\s+)?(?P<month>{month_names})"
        rf"|(?P<month2>{month_names})\s+(?P<day2>\d{{1,2}}))(?:,?\s+(?:de\s+)?(?P<year>\d{{4}}))?(?!\w)",
        re.IGNORECASE)
    return english, (local, weekdays, months)


def check_release_files(paths: list[Path], book: ContactBook, *, select: list[str] | None = None,
                        ignore: list[str] | None = None, now: datetime | None = None) -> Any:
    """`pressctl release check`: every finding for each release, as a CheckReport."""
    from pressctl.findings import select_rules
    from pressctl.release.versions import check_versions, inherited_only, read_version
    from pressctl.report import CheckReport

    kept = select_rules(select, ignore)
    findings: list[Finding] = []
    for path in paths:
        release, read_findings = read_version(path)
        findings.extend(read_findings)
        if release is not None:
            findings.extend(f for f in check_release(release, book, now=now) if not inherited_only(release, f))
    findings.extend(check_versions(paths))
    findings = [f for f in findings if f.code in kept]
    return CheckReport("release check", tuple(str(p) for p in paths), tuple(findings),
                       tuple((str(p), Path(p).stem) for p in paths))
