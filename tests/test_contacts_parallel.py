"""A large book is parsed and checked in slices by worker processes: the findings must be exactly
those of checking the whole document in one process, and any slice that does not parse on its own
must send the check back to the whole document."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.contacts import check, load
from pressctl.contacts.check import check_book
from pressctl.contacts.load import load_book

CONTACT = """\
  # contact {i}
  - id: c-{i}
    name: Reporter {i}
    email: {email}
    phones:
      - {{number: "{number}", type: mobile}}
    notes: |
      - a note that looks like a list item
      - and another
    lists: [press-eu]
{consent}"""


def book(count: int, tail: str = "") -> str:
    parts = ["version: 1\ndefaults:\n  region: NL\ncontacts:\n"]
    for i in range(count):
        parts.append(CONTACT.format(
            i=i,
            email=f"r{i}@EXAMPLE.org" if i % 17 == 0 else ("bad@@example.org" if i % 23 == 0 else f"r{i}@example.org"),
            number="+31 6 1234" if i % 19 == 0 else f"+31 6 {10000000 + i * 7}",
            consent="" if i % 29 == 0 else "    consent: {basis: consent, source: form, date: 2024-05-02}\n",
        ))
    return "".join(parts) + tail


def findings(path: Path, jobs: int) -> list[tuple[str, int, int, str | None, str]]:
    return [(f.code, f.line, f.column, f.contact, f.message) for f in check_book(load_book(path), jobs=jobs).findings]


def parsed_whole(path: Path, jobs: int) -> bool:
    """Whether the check had to parse the whole document (rather than only slices, in workers)."""
    result = load_book(path)
    check_book(result, jobs=jobs)
    return result._data is not load._UNPARSED


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check, "PARALLEL_THRESHOLD", 20)


def test_slices_in_workers_find_exactly_what_one_process_finds(tmp_path: Path) -> None:
    text = book(120, tail="# the end\n")
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    serial = findings(path, jobs=1)
    assert findings(path, jobs=2) == serial
    assert not parsed_whole(path, jobs=2) and parsed_whole(path, jobs=1)
    assert {code for code, *_ in serial} == {"E001", "E002", "P003", "C006"}
    lines = text.splitlines()
    too_short = [i + 1 for i, line in enumerate(lines) if '"+31 6 1234"' in line]
    assert [(line, who) for code, line, _, who, _ in serial if code == "P003"] == [
        (line, f"c-{i}") for line, i in zip(too_short, range(0, 120, 19), strict=True)]


def test_a_duplicate_across_slices_is_found(tmp_path: Path) -> None:
    text = book(60).replace("+31 6 10000413", "+31 6 10000007")  # c-59 takes c-1's number
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    duplicates = [f for f in findings(path, jobs=2) if f[0] == "P007"]
    assert [(who, message) for _, _, _, who, message in duplicates] == [
        ("c-59", "number +31610000007 is also on contact `c-1`")]
    assert duplicates == [f for f in findings(path, jobs=1) if f[0] == "P007"]


def test_an_alias_across_contacts_falls_back_to_the_whole_document(tmp_path: Path) -> None:
    text = book(60).replace("    name: Reporter 3\n", "    name: &shared Reporter 3\n", 1).replace(
        "    name: Reporter 50\n", "    name: *shared\n", 1)
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    assert findings(path, jobs=2) == findings(path, jobs=1)
    assert parsed_whole(path, jobs=2)  # the slice with the alias does not parse alone


def test_a_key_twice_in_a_large_book_is_reported_at_its_line(tmp_path: Path) -> None:
    text = book(60).replace("    name: Reporter 40\n", "    name: Reporter 40\n    name: Again\n", 1)
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    name: Again") + 1
    assert findings(path, jobs=2)[:1] == [("F002", line, 5, None, "duplicate key: 'name': a key given twice")]


def test_a_book_with_a_finding_on_every_contact_is_placed_without_composing(tmp_path: Path) -> None:
    """Positions come from each contact's own lines (yamlscan), not from parsing it again with PyYAML:
    that second parse made a book full of findings ten times slower than the validators."""
    text = book(60).replace('number: "+31 6 ', 'number: "+31 (0)6 ').replace("@example.org", "@EXAMPLE.org")
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    result = load_book(path)
    checked = check_book(result, jobs=1)
    assert {f.contact for f in checked.findings} == {f"c-{i}" for i in range(60)}
    source_map = result.source_map
    assert source_map is not None and source_map._composed == {} and source_map._document is None
    lines = text.splitlines()
    assert {"P004", "E002"} <= {f.code for f in checked.findings}
    for finding in checked.findings:
        if finding.code == "P004":
            assert lines[finding.line - 1][finding.column - 1:].startswith('"+31 (0)6 ')
        if finding.code == "E002":
            assert lines[finding.line - 1][finding.column - 1:].startswith("r")
    assert findings(path, jobs=2) == findings(path, jobs=1)
