"""The two YAML loaders (contact book, release front matter) on odd and hostile data: each answer is a
finding that says what is wrong, in bounded time, never a traceback or a wrong reading."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.contacts.check import check_book
from pressctl.contacts.load import build_book, load_book, new_contact
from pressctl.contacts.model import Consent, Contact, Phone
from pressctl.release.load import read_release

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
RELEASE_HEAD = "---\nheadline: Café au lait\ndateline: PARIS\ndate: 2024-06-26\n"


def book_findings(tmp_path: Path, text: str | bytes) -> list[tuple[str, int, str]]:
    path = tmp_path / "contacts.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return [(f.code, f.line, f.message) for f in check_book(load_book(path)).findings]


def release_findings(tmp_path: Path, text: str | bytes) -> list[tuple[str, int, str]]:
    path = tmp_path / "release.md"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return [(f.code, f.line, f.message) for f in read_release(path)[1]]


def alias_graph(levels: int, indent: str) -> list[str]:
    """A duplicate key first, then anchors that each name the one before twice: 2**levels paths to the
    last one from the root, a few hundred bytes of text."""
    lines = [f"{indent}x-dup: {{z: 1, z: 2}}", f"{indent}x-a0: &a0 [leaf]"]
    lines += [f"{indent}x-a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    return lines


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # In a process of its own with a time limit: exponential work must fail the test, not hang it.
    return subprocess.run([sys.executable, "-m", "pressctl", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_duplicate_key_beside_an_alias_graph_is_found_at_once(tmp_path: Path) -> None:
    contact = ["version: 1", "contacts:", "  - id: a", "    name: A", "    email: a@example.org",
               *alias_graph(40, "    ")]
    (tmp_path / "contacts.yaml").write_text("\n".join(contact) + "\n", encoding="utf-8")
    result = run_cli(["contacts", "check", "contacts.yaml"], tmp_path)
    assert result.stdout.startswith("contacts.yaml:6:19: F002 [error] duplicate key: 'z'"), result.stdout
    release = [*RELEASE_HEAD.splitlines(), *alias_graph(40, ""), "---", "The statement."]
    (tmp_path / "release.md").write_text("\n".join(release) + "\n", encoding="utf-8")
    (tmp_path / "ok.yaml").write_text("version: 1\ncontacts:\n  - {id: a, name: A, email: a@example.org}\n",
                                      encoding="utf-8")
    result = run_cli(["release", "check", "release.md", "--contacts", "ok.yaml"], tmp_path)
    assert "release.md:5:" in result.stdout and "duplicate key: 'z'" in result.stdout, result.stdout


@pytest.mark.parametrize("written", ["true", "1.0", "'1'", "1.5", "2", "[1]", "null"])
def test_only_the_integer_1_is_version_1(tmp_path: Path, written: str) -> None:
    found = book_findings(tmp_path, f"version: {written}\ncontacts: []\n")
    assert [(code, line) for code, line, _ in found] == [("F006", 1)]
    assert found[0][2].endswith("this pressctl reads `version: 1`")


def test_version_1_is_read(tmp_path: Path) -> None:
    assert book_findings(tmp_path, "version: 1\ncontacts: []\n") == []


@SETTINGS
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40),
       st.sampled_from(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))
def test_wide_encodings_are_named_not_called_binary(tmp_path: Path, name: str, encoding: str) -> None:
    text = f"version: 1\ncontacts:\n  - id: a\n    name: {yaml.safe_dump(name).splitlines()[0]!s}x\n"
    data = text.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + text).encode(encoding)
    for found in (book_findings(tmp_path, data), release_findings(tmp_path, (RELEASE_HEAD + "---\nx\n").encode(
            encoding))):
        assert len(found) == 1
        code, line, message = found[0]
        assert code in ("F001", "R001") and line == 1
        assert encoding[:6].upper() in message and "binary" not in message, message


def test_utf16_without_a_mark_is_named_too(tmp_path: Path) -> None:
    [(code, _, message)] = book_findings(tmp_path, "version: 1\ncontacts: []\n".encode("utf-16-le"))
    assert (code, message.split(",")[0]) == ("F001", "the file is UTF-16 text (little-endian")


@pytest.mark.parametrize(("text", "line"), [
    ("version: 1\ncontacts: []\n---\nversion: 1\ncontacts: []\n", 3),
    ("---\nversion: 1\n---\n- a\n---\n- b\n", 3),
    ("- a\n...\n---\n- b\n", 3),
])
def test_several_documents_are_named(tmp_path: Path, text: str, line: int) -> None:
    [(code, found_line, message)] = book_findings(tmp_path, text)
    assert (code, found_line) == ("F003", line)
    assert "YAML documents" in message and "not a list" not in message


def test_one_document_with_markers_is_one_document(tmp_path: Path) -> None:
    assert book_findings(tmp_path, "---\nversion: 1\ncontacts: []\n...\n") == []


@pytest.mark.parametrize(("first", "second"), [("1", "true"), ("0", "false"), ("1", "1.0"), ("true", "1")])
def test_keys_equal_only_in_python_are_not_called_duplicates(tmp_path: Path, first: str, second: str) -> None:
    text = f"version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n    {first}: x\n    {second}: y\n"
    [(code, line, message)] = book_findings(tmp_path, text)
    assert (code, line) == ("F004", 7)
    assert f"`{first}` and `{second}`" in message and "duplicate" not in message
    [(code, line, message)] = release_findings(tmp_path, f"{RELEASE_HEAD}{first}: x\n{second}: y\n---\nx\n")
    assert (code, line) == ("R001", 6) and "duplicate" not in message


def test_a_real_duplicate_is_still_a_duplicate(tmp_path: Path) -> None:
    text = "version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n    x-n: 1\n    x-n: 2\n"
    assert book_findings(tmp_path, text) == [("F002", 7, "duplicate key: 'x-n': a key given twice")]


KEYS = st.one_of(
    st.integers(-5, 10**6), st.integers(-100, 100).map(lambda n: n + 0.5), st.booleans(),
    st.lists(st.sampled_from(["a", "b", 1]), min_size=1, max_size=2).map(tuple),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), min_size=1, max_size=2).map(
        lambda d: tuple(sorted(d.items()))).map(lambda pairs: ("map", pairs)),
)


def key_yaml(key: Any) -> str:
    """The key as YAML text (a mapping key written as a flow mapping, a list as a flow list)."""
    if isinstance(key, tuple) and key and key[0] == "map":
        return "{" + ", ".join(f"{k}: {v}" for k, v in key[1]) + "}"
    if isinstance(key, tuple):
        return "[" + ", ".join(str(item) for item in key) + "]"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


PLACES = [
    "{key}: x\nversion: 1\ncontacts: []\n",
    "version: 1\ndefaults:\n  {key}: x\ncontacts: []\n",
    "version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n    {key}: x\n",
    "version: 1\ncontacts:\n  - id: a\n    name: A\n    phones:\n      - {{number: '+31 6 12345678', {key}: x}}\n",
    "version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n"
    "    consent: {{basis: consent, {key}: x}}\n",
    "version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n    x-desk:\n      - {{{key}: x}}\n",
]


@SETTINGS
@given(KEYS, st.sampled_from(PLACES))
def test_keys_that_are_not_text_are_a_clear_finding_in_the_book(tmp_path: Path, key: Any, place: str) -> None:
    found = book_findings(tmp_path, place.format(key=key_yaml(key)))
    not_text = [message for code, _, message in found if code == "F004" and "not text" in message]
    assert not_text, found
    assert not [f for f in found if f[0] == "F005"], found


@SETTINGS
@given(KEYS, st.sampled_from(["{key}: x\n", "quotes:\n  - {{text: Bonjour, name: Zoé, {key}: x}}\n"]))
def test_keys_that_are_not_text_are_a_clear_finding_in_front_matter(tmp_path: Path, key: Any, place: str) -> None:
    written = key_yaml(key)
    found = release_findings(tmp_path, RELEASE_HEAD + place.format(key=written) + "---\nLe texte.\n")
    assert [code for code, _, message in found if "not text" in message] == ["R011"], found


# Dates: every scalar that is not a number, a boolean or null is text (YAML 1.2), so a quoted date stays the
# text it is, and the loaders read the dates they expect from that text.

@pytest.mark.parametrize("written", ['"2024-05-02"', "'2024-05-02'", "2024-05-02"])
def test_a_date_in_a_text_field_is_the_text_written(tmp_path: Path, written: str) -> None:
    text = (f"version: 1\ncontacts:\n  - id: a\n    name: {written}\n    email: a@example.org\n"
            f"    notes: {written}\n    x-met: {written}\n    {written}: x\n")
    found = book_findings(tmp_path, text)
    assert [code for code, _, _ in found] == ["F005"], found  # only the key that is not a known one
    assert "unknown key `2024-05-02`" in found[0][2]
    book, _ = load_book(tmp_path / "contacts.yaml").build()
    contact = book.contacts[0]
    assert (contact.name, contact.notes, contact.extensions["x-met"]) == ("2024-05-02", "2024-05-02", "2024-05-02")


@pytest.mark.parametrize("written", ["2024-05-02", '"2024-05-02"', "2024-05-02T10:30:00",
                                     "'2024-05-02 10:30:00+02:00'", "2024-05-02 10:30:00 +2", "2024-05-02t10:30z"])
def test_consent_and_unsubscribe_dates_are_read_from_their_text(tmp_path: Path, written: str) -> None:
    text = (f"version: 1\ncontacts:\n  - id: a\n    name: A\n    email: a@example.org\n    lists: [press]\n"
            f"    consent: {{basis: consent, source: form, date: {written}}}\n    unsubscribed: {written}\n")
    assert book_findings(tmp_path, text) == []
    book, _ = load_book(tmp_path / "contacts.yaml").build()
    contact = book.contacts[0]
    assert contact.consent is not None
    assert contact.consent.date == contact.unsubscribed == date(2024, 5, 2)


@pytest.mark.parametrize(("date_line", "embargo_line"), [
    ("date: 2024-06-26", "embargo: 2024-06-26T06:00:00+02:00"),
    ('date: "2024-06-26"', 'embargo: "2024-06-26T06:00:00+02:00"'),
    ("date: 2024-06-26", "embargo: 2024-06-26 06:00:00 +02:00"),
    ("date: 2024-06-26", "embargo: 2024-06-26T04:00:00Z"),
    ("date: 2024-06-26", "embargo: 2024-06-26T06:00 Europe/Amsterdam"),
    ("date: 2024-06-26", "embargo: 2024-06-26 06:00:00 +2"),  # YAML 1.1 timestamps allow one hour digit
    ("date: 2024-06-26", "embargo: 2024-06-26t04:00:00z"),
])
def test_release_dates_read_the_same_quoted_or_not(tmp_path: Path, date_line: str, embargo_line: str) -> None:
    path = tmp_path / "release.md"
    path.write_text(f"---\nheadline: Café au lait\ndateline: PARIS\n{date_line}\n{embargo_line}\n---\nLe texte.\n",
                    encoding="utf-8")
    release, findings = read_release(path)
    assert [f for f in findings if f.severity.value == "error"] == []
    assert release is not None and release.date == date(2024, 6, 26)
    assert release.embargo is not None and release.embargo.isoformat().startswith(("2024-06-26T06:00:00+02:00",
                                                                                     "2024-06-26T04:00:00+00:00"))


@pytest.mark.parametrize(("line", "message"), [
    ("date: 2024-06-26T10:00:00", "`date` is a date without a time, `YYYY-MM-DD`; put the time in `embargo`"),
    ("date: 2024-06-26\nembargo: 2024-06-26", "`embargo` needs a time and a time zone"),
])
def test_a_date_given_the_wrong_precision_is_named(tmp_path: Path, line: str, message: str) -> None:
    found = release_findings(tmp_path, f"---\nheadline: Café\ndateline: PARIS\n{line}\n---\nLe texte.\n")
    assert any(message in text for _, _, text in found), found


BROKEN_CONTACTS: list[Any] = [
    {"id": "ok-one", "name": "Ok One", "email": "a@example.org", "languages": ["en"], "lists": "press"},
    {"id": "Bad Id", "name": "", "emial": "x", "x-desk": {1: "a"}, "phone": 612345678,
     "phones": [{"number": "+31 6 1", "type": "mobil"}, 5, {"type": "work"}]},
    {"name": None, "role": 3, "languages": ["en", "", 4], "lists": {"a": 1}, "unsubscribed": "soon",
     "consent": {"basis": "maybe", "date": "2024-13-01"}, "notes": "  "},
    "not a mapping",
    {"id": "ok-one", "name": "Again", "given_name": True, "region": "nl", "timezone": [], "consent": "yes", 7: "x"},
]


def test_a_broken_book_gives_each_finding_in_order_and_the_contacts_that_can_be_built() -> None:
    """The loader's fast paths (known keys only, lists all text, absent keys) change neither a value nor a
    finding, nor their order: the contact builder walks the keys in this order for every contact."""
    book, findings = build_book({"version": 1, "contacts": BROKEN_CONTACTS}, "c.yaml")
    assert [(f.code, f.path[1:]) for f in findings] == [
        ("F005", (1, "emial")), ("F004", (1, "x-desk", "1")), ("C009", (1, "name")), ("C002", (1, "id")),
        ("C005", (1, "phone")), ("P009", (1, "phones", 0, "type")), ("C001", (1, "phones", 2)),
        ("C001", (2,)), ("C009", (2, "name")), ("C004", (2,)), ("F004", (2, "role")),
        ("F004", (2, "languages", 1)), ("F004", (2, "languages", 2)), ("F004", (2, "lists")),
        ("C008", (2, "unsubscribed")), ("C007", (2, "consent", "basis")), ("C007", (2, "consent", "date")),
        ("C009", (2, "notes")), ("F003", (3,)), ("F004", (4, "7")), ("C004", (4,)), ("F004", (4, "given_name")),
        ("F004", (4, "timezone")), ("F004", (4, "consent")), ("C003", (4, "id")),
    ]
    assert [f.contact for f in findings] == ["Bad Id"] * 7 + [None] * 12 + ["ok-one"] * 6
    assert [f.extra for f in findings if f.extra] == [{"at_key": True}] * 4
    first, bad, unnamed, again = book.contacts
    assert first == Contact(0, "ok-one", "Ok One", email="a@example.org", languages=("en",), lists=("press",))
    assert bad == Contact(1, "Bad Id", "", extensions={"x-desk": {1: "a"}}, phones=(
        Phone("612345678", path=("contacts", 1, "phone"), written_as_integer=True),
        Phone("+31 6 1", path=("contacts", 1, "phones", 0, "number")),
        Phone("5", path=("contacts", 1, "phones", 1), written_as_integer=True)))
    assert unnamed == Contact(2, "#3", "", languages=("en",), unsubscribed=True, consent=Consent("maybe", None, None))
    assert again == Contact(4, "ok-one", "Again", region="nl")


def test_new_contact_builds_what_contact_builds() -> None:
    values = (3, "a-b", "A B", "Role", "A", "B", "Org", "a@b.org", (Phone("1"),), "NL", ("en",), ("press",),
              "Europe/Amsterdam", date(2024, 5, 2), Consent("consent", "form", None), "notes", {"x-a": 1}, "BE")
    assert not hasattr(Contact, "__post_init__")
    built, reference = new_contact(*values), Contact(*values)
    assert built == reference and repr(built) == repr(reference)
    assert [getattr(built, f.name) for f in fields(Contact)] == list(values)
    with pytest.raises(ValueError):
        new_contact(*values[:-1])  # every field is given, none left unset
