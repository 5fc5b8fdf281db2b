"""Findings to text, JSON, GitHub annotations, SARIF 2.1.0 and JUnit XML."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from xml.sax.saxutils import quoteattr

from pressctl import __version__
from pressctl.findings import RULES, Finding, Severity

FORMATS = ("text", "json", "github", "sarif", "junit")
DOCS_URL = "https://github.com/pressctl/pressctl/blob/main/docs/checks.md"
JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class CheckReport:
    """What a check returns: the findings kept by --select/--ignore, and what was checked."""

    tool: str  # "contacts check" or "release check"
    files: tuple[str, ...]
    findings: tuple[Finding, ...]
    subjects: tuple[tuple[str, str], ...] = ()  # (file, id) of every contact/release checked, for JUnit

    @property
    def errors(self) -> int:
        return sum(n for code, n in self._codes[0].items() if RULES[code].severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(n for code, n in self._codes[0].items() if RULES[code].severity is Severity.WARNING)

    @property
    def fixable(self) -> int:
        return sum(n for code, n in self._codes[1].items() if RULES[code].fixable)

    @cached_property
    def _codes(self) -> tuple[Counter[str], Counter[str]]:
        """How many findings have each code, and how many of them have a fix: counted once (a report
        may hold a finding for each of 100,000 contacts)."""
        return Counter(f.code for f in self.findings), Counter(f.code for f in self.findings if f.fix is not None)

    def failed(self, strict: bool) -> bool:
        return self.errors > 0 or (strict and self.warnings > 0)


# C0 and C1 control characters and DEL: ESC starts the sequences that move the cursor, clear the
# screen or recolour what follows; a line break would let a value fake a line of its own.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`, `\\n`), for a terminal or a log.

    The one function that text output (findings, `contacts list`, GitHub annotations, JUnit) puts
    values from the input through. Letters, marks and spaces of every script are kept as they are."""
    pattern = _CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL
    return pattern.sub(_escape, text) if pattern.search(text) else text


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def default_format() -> str:
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def render_report(report: CheckReport, fmt: str) -> str:
    return {
        "json": to_json,
        "github": to_github,
        "sarif": to_sarif,
        "junit": to_junit,
        "text": to_plain_text,
    }[fmt](report)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(report: CheckReport) -> str:
    if not report.findings:
        return "All checks passed."
    text = f"Found {_plural(report.errors, 'error')} and {_plural(report.warnings, 'warning')}"
    if report.fixable:
        text += f" ({report.fixable} fixable with --fix)"
    return text + "."


def finding_line(f: Finding) -> str:
    who = f"{f.contact}: " if f.contact else ""
    return visible(f"{f.file}:{f.line}:{f.column}: {f.code} [{f.severity.value}] {who}{f.message}")


def to_plain_text(report: CheckReport) -> str:
    lines = [finding_line(f) for f in report.findings]
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def to_json(report: CheckReport) -> str:
    """The report as JSON, laid out as json.dumps(..., indent=2) lays it out.

    json.dumps runs its pure-Python encoder whenever it indents: a second for 100,000 findings, as long
    as checking them in two processes takes. So the findings, whose shape is fixed, are laid out here
    and only their values are encoded, by json's C string encoder; tests/test_report.py holds the
    layout to json.dumps's."""
    head = json.dumps({
        "version": JSON_SCHEMA_VERSION,
        "tool": f"pressctl {report.tool}",
        "files": list(report.files),
        "summary": {"errors": report.errors, "warnings": report.warnings, "fixable": report.fixable},
    }, ensure_ascii=False, indent=2)
    head = head[:-2]  # without the closing "\n}"
    if not report.findings:
        return head + ',\n  "findings": []\n}\n'
    rules: dict[str, tuple[str, bool]] = {}  # the lines that depend on the code alone, once per code
    items = []
    for f in report.findings:
        if f.code not in rules:
            rule = f.rule
            rules[f.code] = (f'    {{\n      "code": {_json_string(rule.code)},\n'
                             f'      "name": {_json_string(rule.name)},\n'
                             f'      "severity": {_json_string(rule.severity.value)},\n', rule.fixable)
        lines, fixable = rules[f.code]
        fix = f.fix if fixable else None
        items.append(f'{lines}      "file": {_json_string(f.file)},\n'
                     f'      "line": {f.line},\n      "column": {f.column},\n'
                     f'      "contact": {"null" if f.contact is None else _json_string(f.contact)},\n'
                     f'      "message": {_json_string(f.message)},\n'
                     f'      "fix": {"null" if fix is None else _json_string(fix)}\n    }}')
    return head + ',\n  "findings": [\n' + ",\n".join(items) + "\n  ]\n}\n"


# A text in, its JSON string out (quotes and escapes; not ASCII-only, as ensure_ascii=False writes).
_json_string = json.JSONEncoder(ensure_ascii=False).encode


def _github_escape(text: str, prop: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def to_github(report: CheckReport) -> str:
    lines = []
    for f in report.findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = (f"file={_github_escape(f.file, True)},line={f.line},col={f.column},"
                 f"title={_github_escape(f'{f.code} {f.rule.name}', True)}")
        who = f"{f.contact}: " if f.contact else ""
        lines.append(visible(f"::{level} {props}::{_github_escape(who + f.message)}"))
    lines.append(summary_line(report))
    return "\n".join(lines) + "\n"


def to_sarif(report: CheckReport) -> str:
    used = sorted({f.code for f in report.findings})
    rules = [
        {
            "id": code,
            "name": RULES[code].name,
            "shortDescription": {"text": RULES[code].summary},
            "helpUri": f"{DOCS_URL}#{code.lower()}",
            "defaultConfiguration": {"level": "error" if RULES[code].severity is Severity.ERROR else "warning"},
        }
        for code in used
    ]
    index = {code: i for i, code in enumerate(used)}
    results = []
    for f in report.findings:
        result: dict[str, object] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": "error" if f.severity is Severity.ERROR else "warning",
            "message": {"text": (f"{f.contact}: " if f.contact else "") + f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.file.replace(os.sep, "/")},
                    "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
                }
            }],
        }
        if f.contact:
            result["properties"] = {"contact": f.contact}
        if f.fix is not None and f.rule.fixable:
            result["fixes"] = [{"description": {"text": f"Replace with {f.fix!r}"}}]
        results.append(result)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "pressctl",
                "version": __version__,
                "informationUri": DOCS_URL,
                "rules": rules,
            }},
            "results": results,
        }],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def to_junit(report: CheckReport) -> str:
    """One test case per contact (or release): it fails when it has an error."""
    by_subject: dict[tuple[str, str], list[Finding]] = {}
    for f in report.findings:
        by_subject.setdefault((f.file, f.contact or "(file)"), []).append(f)
    checked = set(report.subjects)
    subjects: Sequence[tuple[str, str]] = list(report.subjects) + [key for key in by_subject if key not in checked]
    failures = sum(1 for key in subjects if any(f.severity is Severity.ERROR for f in by_subject.get(key, [])))
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<testsuites name={quoteattr("pressctl " + report.tool)} tests="{len(subjects)}" failures="{failures}">']
    per_file = Counter(file for file, _ in subjects)
    for file in dict.fromkeys(file for file, _ in subjects):
        file_failures = sum(1 for key in subjects if key[0] == file
                            and any(f.severity is Severity.ERROR for f in by_subject.get(key, [])))
        out.append(f'  <testsuite name={quoteattr(visible(file))} tests="{per_file[file]}" failures="{file_failures}">')
        for key in subjects:
            if key[0] != file:
                continue
            found = by_subject.get(key, [])
            errors = [f for f in found if f.severity is Severity.ERROR]
            warnings = [f for f in found if f.severity is Severity.WARNING]
            out.append(f'    <testcase classname={quoteattr(visible(file))} name={quoteattr(visible(key[1]))}>')
            for f in errors:
                out.append(f'      <failure type={quoteattr(f.code)} message={quoteattr(visible(f.message))}>'
                           f'{_xml_text(finding_line(f))}</failure>')
            if warnings:
                out.append(f"      <system-out>{_xml_text(chr(10).join(finding_line(f) for f in warnings))}"
                           "</system-out>")
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>")
    return "\n".join(out) + "\n"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
