"""The report formats: JSON laid out exactly as json.dumps(indent=2) lays it out, and every format
in time linear in the number of findings."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.findings import RULES, Finding
from pressctl.report import CheckReport, render_report, to_json

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=30) | st.sampled_from(
    ['"quoted" and \\back\\', "tab\tand\nnewline", "\x1b[31mred", "Khmer ខ្មែរ, Arabic عربي", "\u2028", ""])
FINDINGS = st.builds(
    Finding, code=st.sampled_from(sorted(RULES)), message=TEXT, contact=st.none() | TEXT, fix=st.none() | TEXT,
    file=st.sampled_from(["contacts.yaml", 'odd "name".yaml', "ünïcode.yaml"]),
    line=st.integers(0, 10**6), column=st.integers(0, 999))


def dumped(report: CheckReport) -> str:
    """The document as json.dumps writes it: what to_json must give, byte for byte."""
    return json.dumps({
        "version": 1,
        "tool": f"pressctl {report.tool}",
        "files": list(report.files),
        "summary": {"errors": report.errors, "warnings": report.warnings, "fixable": report.fixable},
        "findings": [
            {"code": f.code, "name": f.rule.name, "severity": f.severity.value, "file": f.file, "line": f.line,
             "column": f.column, "contact": f.contact, "message": f.message,
             "fix": f.fix if f.rule.fixable else None}
            for f in report.findings
        ],
    }, ensure_ascii=False, indent=2) + "\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(FINDINGS, max_size=6), st.lists(TEXT, max_size=2))
def test_json_is_laid_out_as_json_dumps_with_indent_2(findings: list[Finding], files: list[str]) -> None:
    report = CheckReport("contacts check", tuple(files), tuple(findings))
    assert to_json(report) == dumped(report)


def test_the_summary_counts_errors_warnings_and_fixes() -> None:
    findings = (Finding("P005", "m", fix="+31 6 12345678"), Finding("P005", "m"), Finding("P004", "m", fix="x"),
                Finding("P003", "m", fix="not fixable"), Finding("E002", "m", fix="a@b.org"))
    report = CheckReport("contacts check", ("c.yaml",), findings)
    assert (report.errors, report.warnings, report.fixable) == (2, 3, 3)
    assert json.loads(to_json(report))["summary"] == {"errors": 2, "warnings": 3, "fixable": 3}
    assert report.failed(strict=False) and CheckReport("contacts check", (), findings[:2]).failed(strict=True)
    assert not CheckReport("contacts check", (), findings[:2]).failed(strict=False)


def test_junit_of_many_contacts_each_with_a_finding() -> None:
    """One test case per contact checked or named by a finding (a set was once rebuilt for each of
    them: quadratic, minutes for 100,000 contacts)."""
    subjects = tuple(("c.yaml", f"c-{i}") for i in range(20_000))
    findings = (*(Finding("P003", "too short", contact=f"c-{i}", file="c.yaml", line=i + 1, column=9)
                  for i in range(0, 20_000, 2)), Finding("F007", "byte-order mark", file="c.yaml", line=1))
    out = render_report(CheckReport("contacts check", ("c.yaml",), findings, subjects), "junit")
    assert '<testsuites name="pressctl contacts check" tests="20001" failures="10000">' in out
    assert out.count("<testcase ") == 20_001 and out.count("<failure ") == 10_000
