"""Loading a release file: front matter and statement, with a finding at its line for every mistake."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pressctl.errors import UsageError
from pressctl.findings import Finding, Severity, stop_at_first_error
from pressctl.findings import Path as KeyPath
from pressctl.release.locate import front_matter_line
from pressctl.release.model import Placement, Quote, Release, line_break_in, valid_language_tag
from pressctl.suggest import closest, did_you_mean
from pressctl.yamlsource import (
    SourceText,
    YamlSyntaxError,
    as_written,
    describe_value,
    key_problem,
    parse_fast,
    timestamp_text,
    wide_encoding,
)

KEYS = (
    "headline", "subheadline", "dateline", "date", "embargo", "language", "quotes",
    "media_contacts", "notes", "about", "audience", "attachments",
)
REQUIRED = ("headline", "dateline", "date")
QUOTE_KEYS = ("by", "name", "role", "organisation", "text")
ONE_LINE = ("headline", "subheadline", "dateline")  # they reach mail headers and titles
# A paragraph that is only `[[quote: ID]]` or `[[quote: N]]` places that quote there.
PLACEHOLDER = re.compile(r"^\[\[\s*quote\s*:\s*([^\]\s][^\]]*?)\s*\]\]$")
_FENCE = re.compile(r"^(---|\.\.\.)\s*$")


def load_release(path: Path | str) -> Release:
    """Read a release for rendering: the first error stops it, with its file and line."""
    release, findings = read_release(path)
    stop_at_first_error([f for f in findings if f.severity is Severity.ERROR], "release check", column=False)
    assert release is not None  # a release that could not be built has errors
    return release


def read_release(path: Path | str, inherit: dict[str, Any] | None = None) -> tuple[Release | None, list[Finding]]:
    """Read a release file; findings for everything wrong in it. Raises UsageError for a missing file.

    `inherit` gives values for keys the file does not set (a translation's shared facts, versions.py)."""
    path = Path(path)
    display = str(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError("no such file", path=display) from None
    except IsADirectoryError:
        raise UsageError("is a folder, not a file", path=display) from None
    except UnicodeDecodeError:
        wide = wide_encoding(data)
        what = f"the file is {wide}, not UTF-8" if wide else "not valid UTF-8"
        return None, [Finding("R001", f"{what}; save the release as UTF-8", file=display, line=1, column=1)]
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
        keys = parse_fast(SourceText(front))
    except YamlSyntaxError as err:
        return None, [Finding("R001", f"front matter: {err.message}", file=display,
                              line=err.position.line + 1, column=err.position.column)]
    if not isinstance(keys, dict):
        return None, [Finding("R001", "the front matter must be a mapping of keys such as `headline:`",
                              file=display, line=2, column=1)]
    if inherit:
        keys = {**inherit, **keys}
    builder = _Builder(display, front, keys)
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
            line = front_matter_line(self.front, path) + 1 if path else 1
        self.findings.append(Finding(code, message, path, file=self.display, line=line, column=1))

    def build(self, body: str, body_line: int) -> tuple[Release | None, list[Finding]]:
        data = self.data
        for key in data:
            problem = key_problem(key, "headline")
            if problem:
                self.add("R011", problem, (as_written(key),))
            elif key not in KEYS:
                self.add("R013", f"unknown key `{key}`{did_you_mean_hint(key, KEYS)}", (key,))
        unknown = [key for key in data if isinstance(key, str) and key not in KEYS]
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
        if isinstance(value, date):
            return value  # a language version's, read from its original (versions.py)
        if isinstance(value, str) and timestamp_text(value):  # a file's dates are text (parse_fast)
            self.add("R011", "`date` is a date without a time, `YYYY-MM-DD`; put the time in `embargo`", ("date",))
            return None
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
        """The embargo as an aware date-time: ISO 8601 with an offset (`2024-06-26T06:00:00+02:00`) or a
        local time and an IANA zone (`2024-06-26T06:00 Europe/Amsterdam`), which keeps the zone's name.
        A wall-clock time the clocks skip or pass twice is refused: no one can tell which instant was meant."""
        from datetime import UTC
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        value = self.data.get("embargo")
        example = "2024-06-26T06:00:00+02:00 or 2024-06-26T06:00 Europe/Amsterdam"
        latest = datetime(9999, 12, 30, tzinfo=UTC)  # room for a tool's rounding up, a day ahead at most

        def refuse(code: str, problem: str) -> datetime | None:
            self.add(code, f"`embargo` {problem}", ("embargo",))
            return None

        if value is None:
            return None
        if isinstance(value, datetime):
            return value  # a language version's, read and checked in its original (versions.py)
        if not isinstance(value, str):  # a file's dates are text (parse_fast)
            return refuse("R011", f"must be a date-time, not {_describe(value)}")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return refuse("R005", f"needs a time and a time zone, e.g. {example}")
        text, _, zone_name = value.strip().rpartition(" ")
        iso = timestamp_text(value)
        if iso:  # `2024-06-26 06:00:00 +02:00` is one date-time, not one and a zone's name
            text, zone_name = iso, ""
        elif not text:
            text, zone_name = zone_name, ""
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            return refuse("R011", f"is {value!r}, not an ISO 8601 date-time such as {example}")
        if zone_name:
            try:
                zone = ZoneInfo(zone_name)
            except (ZoneInfoNotFoundError, ValueError):
                return refuse("R011", f"{value!r}: {zone_name!r} is not an IANA time zone such as "
                                      "Europe/Amsterdam or Asia/Jakarta")
            wall = moment.replace(tzinfo=None)
            if moment.tzinfo is not None and moment.utcoffset() != wall.replace(tzinfo=zone).utcoffset():
                return refuse("R011", f"{value!r}: the offset is not {zone_name}'s at that time; give the "
                                      "zone or the offset, not both")
            earlier, later = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
            try:
                skipped = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall
            except OverflowError:
                skipped = False  # at the end of the calendar: refused as too far ahead below
            if skipped or earlier.utcoffset() != later.utcoffset():
                offset = (later if skipped else earlier).isoformat()[19:]
                what = "does not exist" if skipped else "happens twice"
                return refuse("R011", f"{value!r}: {wall:%H:%M} {what} in {zone_name} that night (the clocks "
                                      f"change); write the offset instead, e.g. {wall.isoformat()}{offset}")
            moment = earlier
        if moment.tzinfo is None or moment.utcoffset() is None:
            return refuse("R005", f"{moment.isoformat()} has no time zone: add the offset or the zone, e.g. "
                                  f"{moment.isoformat()}+02:00 or {moment.isoformat()} Europe/Amsterdam")
        try:
            too_late = moment.astimezone(UTC) > latest
        except OverflowError:
            too_late = True
        if too_late:
            return refuse("R011", f"{value} is too far ahead to schedule (after {latest:%Y-%m-%d} UTC); "
                                  "write the real date")
        return moment

    def language(self) -> str:
        value = self.data.get("language", "en")
        if not isinstance(value, str):
            self.add("R011", f"`language` must be a BCP 47 tag such as `en`, not {_describe(value)}", ("language",))
            return "en"
        if not valid_language_tag(value.strip()):
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
                problem = key_problem(key, "text")
                if problem:
                    self.add("R011", f"quote {index + 1}: {problem}", (*path, as_written(key)))
                elif key not in QUOTE_KEYS:
                    hint = did_you_mean_hint(key, QUOTE_KEYS)
                    self.add("R013", f"unknown key `{key}` in quote {index + 1}{hint}", (*path, key))
            fields = {key: self.text(key, one_line=key != "text", mapping=item, path=(*path, key))
                      for key in QUOTE_KEYS if key in item}
            if not fields.get("text"):
                if closest("text", [k for k in item if isinstance(k, str) and k not in QUOTE_KEYS]) is None:
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


def did_you_mean_hint(word: str, known: tuple[str, ...]) -> str:
    hint = did_you_mean(word, known)
    return f"; {hint}" if hint else ""


_describe = describe_value
