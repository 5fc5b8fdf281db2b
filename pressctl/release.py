"""Release files: YAML front matter plus a Markdown statement, loaded and checked with line numbers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import UsageError
from pressctl.findings import Finding, Severity, stop_at_first_error
from pressctl.findings import Path as KeyPath
from pressctl.suggest import closest, did_you_mean
from pressctl.yamlsource import SourceText, YamlSyntaxError, parse_fast

KEYS = (
    "headline", "subheadline", "dateline", "date", "embargo", "language", "quotes",
    "media_contacts", "notes", "about", "audience",
)
REQUIRED = ("headline", "dateline", "date")
QUOTE_KEYS = ("by", "name", "role", "organisation", "text")
ONE_LINE = ("headline", "subheadline", "dateline")  # they reach mail headers and titles
MAX_HEADLINE = 100  # characters; a subject line much longer is cut off in most mail clients
# A paragraph that is only `[[quote: ID]]` or `[[quote: N]]` places that quote there.
PLACEHOLDER = re.compile(r"^\[\[\s*quote\s*:\s*([^\]\s][^\]]*?)\s*\]\]$")
_FENCE = re.compile(r"^(---|\.\.\.)\s*$")
_LEFTOVER = re.compile(r"\bTODO\b|\bTBC\b|\bXX+\b|lorem ipsum", re.IGNORECASE)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAY_DATE = re.compile(
    r"\b(?P<weekday>" + "|".join(_WEEKDAYS) + r"),?\s+(?:(?P<day>\d{1,2})\s+(?P<month>" + "|".join(_MONTHS)
    + r")|(?P<month2>" + "|".join(_MONTHS) + r")\s+(?P<day2>\d{1,2}))(?:,?\s+(?P<year>\d{4}))?\b"
)
_TODAY_WEEKDAY = re.compile(r"\btoday,?\s+\(?(?P<weekday>" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)


def line_break_in(value: str) -> str | None:
    """The first character that could break a one-line value into two, named; None when there is none.

    Mail header folding splits wherever str.splitlines() does (U+2028, U+0085, \\v, \\f as well as \\n),
    and no control character belongs in a headline or a name either.
    """
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp") or len(f"a{char}a".splitlines()) > 1:
            name = unicodedata.name(char, "")
            return f"a line break or control character, U+{ord(char):04X}{' ' + name if name else ''}"
    return None


@dataclass(frozen=True)
class Quote:
    text: str
    by: str | None = None  # a contact id; name, role and organisation then come from the book
    name: str = ""
    role: str = ""
    organisation: str = ""
    index: int = 0  # position in `quotes`, 0-based


@dataclass(frozen=True)
class Placement:
    """A `[[quote: …]]` placeholder in the statement."""

    key: str  # the contact id or 1-based number as written
    line: int  # in the release file
    quote: int | None  # the index of the quote it names, or None when it names none


@dataclass(frozen=True)
class Release:
    path: str  # as the user gave it, for messages
    headline: str
    dateline: str
    date: date
    body: str  # the Markdown statement
    body_line: int  # the line of the file where the body starts
    front_matter: str
    subheadline: str = ""
    embargo: datetime | None = None
    language: str = "en"
    quotes: tuple[Quote, ...] = ()
    media_contacts: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    about: str | None = None
    audience: tuple[str, ...] = ()
    placements: tuple[Placement, ...] = ()

    @property
    def slug(self) -> str:
        return Path(self.path).stem

    def line_of(self, path: KeyPath) -> int:
        """The line in the release file where a front-matter value stands."""
        return _front_matter_line(self.front_matter, path) + 1

    def finding(self, code: str, message: str, path: KeyPath = (), line: int | None = None) -> Finding:
        return Finding(code, message, path, file=self.path, line=line or self.line_of(path), column=1)


def load_release(path: Path | str) -> Release:
    """Read a release for rendering: the first error stops it, with its file and line."""
    release, findings = read_release(path)
    stop_at_first_error([f for f in findings if f.severity is Severity.ERROR], "release check", column=False)
    assert release is not None  # a release that could not be built has errors
    return release


def read_release(path: Path | str) -> tuple[Release | None, list[Finding]]:
    """Read a release file; findings for everything wrong in it. Raises UsageError for a missing file."""
    path = Path(path)
    display = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError("no such file", path=display) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path=display) from None
    except UnicodeDecodeError:
        return None, [Finding("R001", "not valid UTF-8; save the release as UTF-8", file=display, line=1, column=1)]
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or not _FENCE.match(lines[0]) or lines[0].startswith("..."):
        return None, [Finding("R001", "no front matter: a release starts with a line `---`, then the YAML keys, "
                              "then `---`", file=display, line=1, column=1)]
    end = next((n for n in range(1, len(lines)) if _FENCE.match(lines[n])), None)
    if end is None:
        return None, [Finding("R001", "the front matter is not closed: add a line `---` after the last key",
                              file=display, line=1, column=1)]
    front = "\n".join(lines[1:end]) + "\n"
    try:
        data = parse_fast(SourceText(front))
    except YamlSyntaxError as err:
        return None, [Finding("R001", f"front matter: {err.message}", file=display,
                              line=err.position.line + 1, column=err.position.column)]
    if not isinstance(data, dict):
        return None, [Finding("R001", "the front matter must be a mapping of keys such as `headline:`",
                              file=display, line=2, column=1)]
    builder = _Builder(display, front, data)
    body = "\n".join(lines[end + 1:])
    return builder.build(body, end + 2)


class _Builder:
    """Turns the parsed front matter into a Release, collecting findings."""

    def __init__(self, display: str, front: str, data: dict[Any, Any]) -> None:
        self.display = display
        self.front = front
        self.data = data
        self.findings: list[Finding] = []

    def add(self, code: str, message: str, path: KeyPath = (), line: int | None = None) -> None:
        if line is None:
            line = _front_matter_line(self.front, path) + 1 if path else 1
        self.findings.append(Finding(code, message, path, file=self.display, line=line, column=1))

    def build(self, body: str, body_line: int) -> tuple[Release | None, list[Finding]]:
        data = self.data
        for key in data:
            if key not in KEYS:
                self.add("R013", f"unknown key `{key}`{_did_you_mean(str(key), KEYS)}", (str(key),))
        unknown = [str(key) for key in data if key not in KEYS]
        for key in REQUIRED:
            # A misspelt key already has its finding ("did you mean"); do not report it twice.
            if data.get(key) in (None, "") and closest(key, unknown) is None:
                self.add("R002", f"missing required key `{key}`", (key,) if key in data else ())
        headline = self.text("headline")
        dateline = self.text("dateline")
        subheadline = self.text("subheadline")
        release_date = self.release_date()
        embargo = self.embargo()
        language = self.language()
        quotes = self.quotes()
        about = self.text("about", one_line=False)
        release = None
        if headline and dateline and release_date:
            stripped = body.strip()
            if not stripped:
                self.add("R010", "the statement is empty: write it below the closing `---`", line=body_line - 1)
            placements = tuple(_placements(body, body_line, quotes, self))
            release = Release(
                path=self.display, headline=headline, dateline=dateline, date=release_date,
                body=body, body_line=body_line, front_matter=self.front, subheadline=subheadline or "",
                embargo=embargo, language=language, quotes=quotes,
                media_contacts=self.names("media_contacts"), notes=self.names("notes", markdown=True),
                about=about, audience=self.names("audience"), placements=placements,
            )
        self.findings.sort(key=lambda f: (f.line, f.code))
        return release, self.findings

    def text(self, key: str, *, one_line: bool = True, mapping: dict[Any, Any] | None = None,
             path: KeyPath | None = None) -> str | None:
        mapping = self.data if mapping is None else mapping
        path = path or (key,)
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add("R011", f"`{'.'.join(map(str, path))}` must be text, not {_describe(value)}", path)
            return None
        breaking = line_break_in(value.strip()) if one_line else None
        if breaking:
            self.add("R011", f"`{'.'.join(map(str, path))}` must be one line of text, but it contains {breaking}, "
                             "which could add a header to the email", path)
            return None
        return value.strip()

    def release_date(self) -> date | None:
        value = self.data.get("date")
        if value is None:
            return None
        if isinstance(value, datetime):
            self.add("R011", "`date` is a date without a time, `YYYY-MM-DD`; put the time in `embargo`", ("date",))
            return None
        if isinstance(value, date):
            return value
        return self.parse_date(str(value), ("date",))

    def parse_date(self, text: str, path: KeyPath) -> date | None:
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
        if not match:
            self.add("R011", f"`{path[0]}` is {text!r}; write the date as YYYY-MM-DD", path)
            return None
        try:
            return date(*map(int, match.groups()))
        except ValueError as err:
            self.add("R011", f"`{path[0]}` is {text.strip()}, a date that does not exist ({err})", path)
            return None

    def embargo(self) -> datetime | None:
        value = self.data.get("embargo")
        if value is None:
            return None
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            self.add("R005", "`embargo` needs a time and a time zone, e.g. 2024-06-26T06:00:00+02:00", ("embargo",))
            return None
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError:
                self.add("R011", f"`embargo` is {value!r}, not an ISO 8601 date-time such as "
                                 "2024-06-26T06:00:00+02:00", ("embargo",))
                return None
        else:
            self.add("R011", f"`embargo` must be a date-time, not {_describe(value)}", ("embargo",))
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.add("R005", f"`embargo` {moment.isoformat()} has no time zone: add the offset, "
                             f"e.g. {moment.isoformat()}+02:00", ("embargo",))
            return None
        return moment

    def language(self) -> str:
        value = self.data.get("language", "en")
        if not isinstance(value, str):
            self.add("R011", f"`language` must be a BCP 47 tag such as `en`, not {_describe(value)}", ("language",))
            return "en"
        import langcodes

        if not langcodes.tag_is_valid(value.strip()):
            self.add("R011", f"`language` {value!r} is not a valid BCP 47 tag (e.g. en, fr, nl, pt-BR)",
                     ("language",))
            return "en"
        return value.strip()

    def quotes(self) -> tuple[Quote, ...]:
        value = self.data.get("quotes")
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add("R011", "`quotes` must be a list of `{by, text}` or `{name, role, organisation, text}`",
                     ("quotes",))
            return ()
        quotes = []
        for index, item in enumerate(value):
            path: KeyPath = ("quotes", index)
            if not isinstance(item, dict):
                self.add("R011", f"quote {index + 1} must be a mapping with `by` or `name`, and `text`", path)
                continue
            for key in item:
                if key not in QUOTE_KEYS:
                    self.add("R013", f"unknown key `{key}` in quote {index + 1}{_did_you_mean(str(key), QUOTE_KEYS)}",
                             (*path, str(key)))
            fields = {key: self.text(key, one_line=key != "text", mapping=item, path=(*path, key))
                      for key in QUOTE_KEYS if key in item}
            if not fields.get("text"):
                if closest("text", [str(k) for k in item if k not in QUOTE_KEYS]) is None:
                    self.add("R002", f"quote {index + 1} has no `text`", path)
                continue
            if bool(fields.get("by")) == bool(fields.get("name")):
                self.add("R011", f"quote {index + 1} needs either `by` (a contact id) or `name`, not "
                                 f"{'both' if fields.get('by') else 'neither'}", path)
                continue
            quotes.append(Quote(fields["text"] or "", fields.get("by"), fields.get("name") or "",
                                fields.get("role") or "", fields.get("organisation") or "", index))
        return tuple(quotes)

    def names(self, key: str, *, markdown: bool = False) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if isinstance(value, str) and not markdown:
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            self.add("R011", f"`{key}` must be a list", (key,))
            return ()
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.add("R011", f"`{key}` item {index + 1} must be text, not {_describe(item)}", (key, index))
                continue
            items.append(item.strip())
        return tuple(items)


def _placements(body: str, body_line: int, quotes: tuple[Quote, ...], builder: _Builder) -> Iterator[Placement]:
    lines = body.split("\n")
    for number, line in enumerate(lines):
        match = PLACEHOLDER.match(line.strip())
        if not match:
            continue
        before = lines[number - 1].strip() if number else ""
        after = lines[number + 1].strip() if number + 1 < len(lines) else ""
        if before or after:
            continue  # only a paragraph of its own is a placeholder
        key = match.group(1)
        found = _find_quote(key, quotes)
        if found is None:
            known = ", ".join(q.by or str(q.index + 1) for q in quotes) or "none"
            builder.add("R012", f"`[[quote: {key}]]` names no quote in `quotes` (known: {known})",
                        line=body_line + number)
        yield Placement(key, body_line + number, found)


def _find_quote(key: str, quotes: tuple[Quote, ...]) -> int | None:
    if key.isdigit():
        wanted = int(key) - 1
        return wanted if any(q.index == wanted for q in quotes) else None
    return next((q.index for q in quotes if q.by == key), None)


def check_release(release: Release, book: ContactBook, *, now: datetime | None = None) -> list[Finding]:
    """Lint a loaded release against the contact book (errors and warnings, in file order)."""
    findings: list[Finding] = []
    contacts = book.by_id()
    for quote in release.quotes:
        if quote.by and quote.by not in contacts:
            findings.append(release.finding(
                "R003", f"quote {quote.index + 1} is by `{quote.by}`, who is not in {book.file}"
                        f"{_did_you_mean(quote.by, tuple(contacts))}", ("quotes", quote.index, "by")))
    for index, contact_id in enumerate(release.media_contacts):
        path: KeyPath = ("media_contacts", index)
        contact = contacts.get(contact_id)
        if contact is None:
            findings.append(release.finding(
                "R003", f"media contact `{contact_id}` is not in {book.file}"
                        f"{_did_you_mean(contact_id, tuple(contacts))}", path))
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
                        f"{_did_you_mean(name, tuple(sorted(lists)))}", ("audience", index)))
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


@lru_cache(maxsize=8)
def _front_matter_nodes(front: str) -> Any:
    """Composed once per front matter, however many findings ask for a line (the nodes are only read)."""
    import yaml

    try:
        return yaml.compose(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def _front_matter_line(front: str, path: KeyPath) -> int:
    """The 1-based line within the front matter where `path` stands (composed only when asked)."""
    import yaml

    node = _front_matter_nodes(front)
    line = 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == step), None)
            if pair is None:
                break
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _did_you_mean(word: str, known: tuple[str, ...]) -> str:
    hint = did_you_mean(word, known)
    return f"; {hint}" if hint else ""


def _describe(value: Any) -> str:
    from pressctl.contacts.load import describe_type

    return describe_type(value)


def check_release_files(paths: list[Path], book: ContactBook, *, select: list[str] | None = None,
                        ignore: list[str] | None = None, now: datetime | None = None) -> Any:
    """`pressctl release check`: every finding for each release, as a CheckReport."""
    from pressctl.findings import select_rules
    from pressctl.report import CheckReport

    kept = select_rules(select, ignore)
    findings: list[Finding] = []
    for path in paths:
        release, read_findings = read_release(path)
        findings.extend(read_findings)
        if release is not None:
            findings.extend(check_release(release, book, now=now))
    findings = [f for f in findings if f.code in kept]
    return CheckReport("release check", tuple(str(p) for p in paths), tuple(findings),
                       tuple((str(p), Path(p).stem) for p in paths))
