"""`pressctl export contacts`: every target against golden files, read back in its own dialect, and safe."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOLDEN, UPDATE_GOLDEN, require_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.contacts.load import open_book
from pressctl.export import CONTACT_TARGETS
from pressctl.export.contacts import Selection, export_contacts
from pressctl.export.csvfile import defuse, defuse_phone
from pressctl.export.fields import ResolvedPhone
from pressctl.export.vcard import fold, uid

GOLDEN_EXPORT = GOLDEN / "export"
EXTENSIONS = {"vcard": "vcf", "json": "json"}
DIALECTS = {  # target: (delimiter, encoding)
    "mailchimp": (",", "utf-8"), "brevo": (";", "utf-8"), "listmonk": (",", "utf-8"),
    "constant-contact": (",", "utf-8"), "google": (",", "utf-8"), "outlook": (",", "utf-8-sig"),
    "csv": (",", "utf-8-sig"),
}
# Names that break naive CSV writers or turn into spreadsheet formulas.
HOSTILE_BOOK = """\
version: 1
defaults: {region: NL}
contacts:
  - id: formula
    name: '=HYPERLINK("http://x.example","y")'
    role: "+1 trick"
    organisation: "-Anna- & Co, Ltd"
    email: formula@example.org
    phones: [{number: "+31 6 51280210", type: mobile}]
    lists: [press-eu]
  - id: at-sign
    name: "@ops desk"
    role: "Editor; \\"night\\" desk"
    organisation: "Line one\\nline two"
    email: at@example.org
    phone: "+31 20 555 0188"
    lists: [press-eu]
  - id: spaced
    name: "  =1+2"
    organisation: "\\t@tab"
    email: spaced@example.org
    lists: [press-eu]
"""


def _book(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _read_csv(data: bytes, target: str) -> list[list[str]]:
    delimiter, encoding = DIALECTS[target]
    return list(csv.reader(io.StringIO(data.decode(encoding), newline=""), delimiter=delimiter))


@pytest.mark.parametrize("target", CONTACT_TARGETS)
def test_each_target_matches_its_golden_file(workspace: Path, runner, target: str) -> None:
    out = workspace / f"out.{target}"
    result = runner.invoke(app, ["export", "contacts", "--to", target, "-o", str(out)])
    assert result.exit_code == 0, result.output
    golden = GOLDEN_EXPORT / f"contacts-{target}.{EXTENSIONS.get(target, 'csv')}"
    if UPDATE_GOLDEN:
        golden.write_bytes(out.read_bytes())
    assert out.read_bytes() == golden.read_bytes()


@pytest.mark.parametrize(("target", "summary"), [
    ("mailchimp", "out: 12 contacts for mailchimp; left out 1 unsubscribed, 1 without an email address\n"),
    ("brevo", "out: 13 contacts for brevo; left out 1 unsubscribed\n"),
    ("vcard", "out: 13 contacts for vcard; left out 1 unsubscribed\n"),
])
def test_summary_counts_unsubscribed_and_unfit_on_stderr(workspace: Path, runner, target: str, summary: str) -> None:
    result = runner.invoke(app, ["export", "contacts", "--to", target, "-o", "out"])
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] + "\n" == summary
    assert result.stdout == ""


def test_selection_by_list_exclusion_and_language(workspace: Path) -> None:
    book = open_book(Path("contacts.yaml"))
    ids = lambda selection: [row["pressctl_id"] for row in _listmonk_attributes(book, selection)]  # noqa: E731
    assert ids(Selection(lists=("press-eu",))) == ["femke-jansen", "juergen-hoffmann", "siobhan-gallagher"]
    assert ids(Selection(lists=("press-eu",), exclude_lists=("labour-beat",))) == []
    assert ids(Selection(language="pt")) == ["ana-beatriz-souza"]
    assert ids(Selection(lists=("press-asia",), language="km")) == ["chan-sophea"]


def _listmonk_attributes(book, selection: Selection) -> list[dict]:
    rows = _read_csv(export_contacts(book, "listmonk", selection).data, "listmonk")
    return [json.loads(row[2]) for row in rows[1:]]


def test_unsubscribed_never_leave_for_any_target(workspace: Path) -> None:
    book = open_book(Path("contacts.yaml"))
    for target in CONTACT_TARGETS:
        data = export_contacts(book, target).data.decode("utf-8-sig")
        assert "camille" not in data.lower() and "Le Quai Social" not in data, target


def test_a_list_no_contact_is_on_is_a_warning(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "contacts", "--to", "csv", "--list", "press-mars", "-o", "out.csv"])
    assert result.exit_code == 0
    assert result.stderr == ("warning: no contact is on list 'press-mars'\n"
                             "out.csv: 0 contacts for csv; left out 0 unsubscribed\n")


def test_unknown_target_lists_the_known_ones(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "contacts", "--to", "excel", "-o", "out.csv"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown target 'excel' for contacts; known targets: mailchimp, brevo, "
                                    "listmonk, constant-contact, google, outlook, vcard, csv, json\n")
    assert not Path("out.csv").exists()


def test_missing_output_folder_is_a_usage_error(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "nowhere/out.csv"])
    assert result.exit_code == 2
    assert result.stderr == "error: nowhere: the folder does not exist\n"


def test_a_failed_write_leaves_the_old_file_whole(workspace: Path, runner, monkeypatch) -> None:
    old = b"old,file\r\n"
    Path("out.csv").write_bytes(old)

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    result = runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "out.csv"])
    assert result.exit_code != 0
    assert Path("out.csv").read_bytes() == old
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".out.csv")] == []


def test_same_input_gives_identical_bytes(workspace: Path) -> None:
    first = {t: export_contacts(open_book(Path("contacts.yaml")), t).data for t in CONTACT_TARGETS}
    second = {t: export_contacts(open_book(Path("contacts.yaml")), t).data for t in CONTACT_TARGETS}
    assert first == second


@pytest.mark.parametrize("target", sorted(DIALECTS))
def test_hostile_names_survive_and_formulas_are_defused(tmp_path: Path, target: str) -> None:
    book = open_book(_book(tmp_path, HOSTILE_BOOK))
    rows = _read_csv(export_contacts(book, target).data, target)
    assert len(rows) == 4 and len({len(row) for row in rows}) == 1  # no cell leaked into another
    spreadsheet = target in ("google", "outlook", "csv", "constant-contact")
    header = rows[0]
    for row in rows[1:]:
        for column, cell in zip(header, row, strict=True):
            if spreadsheet and cell[:1] in ("=", "+", "-", "@", "\t"):
                assert "Phone" in column or column == "phone", (column, cell)
                assert cell.startswith("+") and cell[1:].isdigit()
            if cell.lstrip(" \t")[:1] in ("=", "+", "-", "@") and not cell.startswith("+3"):
                assert not spreadsheet or cell.startswith("'"), (column, cell)
    text = "\n".join(",".join(row) for row in rows)
    if target == "listmonk":
        text = "\n".join(str(json.loads(row[2]).get(key)) for row in rows[1:] for key in ("organisation", "role"))
    assert "Line one\nline two" in text  # newlines kept inside the quoted cell
    assert 'Editor; "night" desk' in text


def test_outlook_and_google_keep_e164_numbers_in_phone_columns(tmp_path: Path) -> None:
    book = open_book(_book(tmp_path, HOSTILE_BOOK))
    outlook = _read_csv(export_contacts(book, "outlook").data, "outlook")
    assert dict(zip(outlook[0], outlook[1], strict=True))["Mobile Phone"] == "+31651280210"
    assert dict(zip(outlook[0], outlook[1], strict=True))["First Name"] == "'=HYPERLINK(\"http://x.example\",\"y\")"
    google = _read_csv(export_contacts(book, "google").data, "google")
    assert dict(zip(google[0], google[2], strict=True))["Phone 1 - Value"] == "+31205550188"
    assert dict(zip(google[0], google[2], strict=True))["File As"] == "'@ops desk"


@pytest.mark.parametrize(("value", "cell"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("@ops desk", "'@ops desk"), ("-Anna-", "'-Anna-"), ("+31651280210", "'+31651280210"),
    ("  =1+2", "'  =1+2"), ("\u00a0@x", "'\u00a0@x"), ("＝1", "'＝1"), ("\tx", "'\tx"), ("\r\nx", "'\r\nx"),
    ("Anna", "Anna"), ("", ""), ("a=b", "a=b"),
])
def test_defuse_follows_owasp(value: str, cell: str) -> None:
    assert defuse(value) == cell


def test_phone_cells_keep_e164_but_nothing_else() -> None:
    assert defuse_phone("+31651280210") == "+31651280210"
    assert defuse_phone("+31 6 51280210") == "'+31 6 51280210"
    assert defuse_phone("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"


@given(st.text())
@settings(max_examples=300)
def test_no_defused_cell_starts_a_formula(value: str) -> None:
    cell = defuse(value)
    assert cell.lstrip(" \u00a0")[:1] not in set("=+-@\t\r\n＝＋－＠") or cell.startswith("'")
    assert cell in (value, "'" + value)


# --- vCard ---------------------------------------------------------------------------------------

@given(st.text(min_size=0, max_size=300))
@settings(max_examples=300)
def test_folding_keeps_lines_short_and_characters_whole(value: str) -> None:
    line = "NOTE:" + value.replace("\r", "").replace("\n", "")
    physical = fold(line).split(b"\r\n")
    assert all(len(part) <= 75 for part in physical)
    for part in physical:
        part.decode("utf-8")  # never a split character
    assert b"".join([physical[0], *(p[1:] for p in physical[1:])]).decode("utf-8") == line


def test_uid_is_stable_across_runs() -> None:
    import uuid

    from pressctl.export.vcard import UID_NAMESPACE

    assert uid("ចាន់-x") == f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, 'ចាន់-x')}"
    # Pinned: a changed UID would make every address book duplicate the cards on the next import.
    assert uid("marieke-van-dijk") == "urn:uuid:f610055c-b449-57a7-b03d-14deccc37c0c"
    assert uid("a") != uid("b")


LONG_BOOK = """\
version: 1
contacts:
  - id: long-card
    name: "Anna, \\"the\\" Reporter; Jr\\\\"
    role: "Chief correspondent for ports, shipping, logistics and everything that floats between Rotterdam and Jakarta"
    organisation: "ចាន់ សុភា ចាន់ សុភា ចាន់ សុភា ចាន់ សុភា ចាន់ សុភា ចាន់ សុភា; Desk"
    email: anna@example.org
    phones:
      - {number: "+31 6 51280210", type: mobile}
      - {number: "+31 20 555 0188", type: fax}
    lists: ["press, eu", labour-beat]
    notes: "multi\\nline"
"""


def test_vcard_parses_back_with_vobject(tmp_path: Path) -> None:
    import vobject

    data = export_contacts(open_book(_book(tmp_path, LONG_BOOK)), "vcard").data
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    card = vobject.readOne(data.decode("utf-8"))
    assert card.version.value == "4.0"
    assert card.fn.value == 'Anna, "the" Reporter; Jr\\'
    assert card.title.value.startswith("Chief correspondent for ports, shipping")
    assert card.categories.value == ["press, eu", "labour-beat"]
    tels = card.contents["tel"]
    assert [t.value for t in tels] == ["tel:+31651280210", "tel:+31205550188"]
    assert tels[0].params["TYPE"] == ["cell"] and tels[0].params["PREF"] == ["1"]
    assert tels[1].params["TYPE"] == ["work", "fax"]
    assert card.uid.value == uid("long-card")


def test_an_ascii_card_with_a_long_line_is_folded_too(tmp_path: Path) -> None:
    import vobject

    role = "Night editor for " + ", ".join(f"desk {n}" for n in range(20))
    book = f"version: 1\ncontacts:\n  - {{id: plain, name: Plain Name, role: '{role}'}}\n"
    data = export_contacts(open_book(_book(tmp_path, book)), "vcard").data
    assert data.isascii() and b"\r\n " in data
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert vobject.readOne(data.decode("utf-8")).title.value == role


def test_a_short_line_of_many_octets_is_folded(tmp_path: Path) -> None:
    import vobject

    organisation = "é" * 40  # 44 characters on its line, but 84 octets
    book = f"version: 1\ncontacts:\n  - {{id: accents, name: Accent Name, organisation: '{organisation}'}}\n"
    data = export_contacts(open_book(_book(tmp_path, book)), "vcard").data
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert vobject.readOne(data.decode("utf-8")).org.value == [organisation]


def test_constant_contact_takes_the_first_number_of_each_type(tmp_path: Path) -> None:
    book = """\
version: 1
contacts:
  - id: two-mobiles
    name: Two Mobiles
    email: two@example.org
    phones:
      - {number: "+31 6 51280210", type: mobile}
      - {number: "+31 6 51280211", type: mobile}
      - {number: "+31 20 555 0188", type: work}
"""
    result = export_contacts(open_book(_book(tmp_path, book)), "constant-contact")
    header, row = _read_csv(result.data, "constant-contact")
    cells = dict(zip(header, row, strict=True))
    assert (cells["Phone Number - Mobile"], cells["Phone Number - Work"]) == ("+31651280210", "+31205550188")
    assert result.warnings == ("1 phone number(s) have no column in constant-contact and were left out, of "
                               "contact(s) 'two-mobiles'",)


def test_every_example_card_parses_with_vobject(workspace: Path) -> None:
    import vobject

    data = export_contacts(open_book(Path("contacts.yaml")), "vcard").data.decode("utf-8")
    cards = list(vobject.readComponents(data))
    assert [c.fn.value for c in cards][:3] == ["HWA Press Desk", "Marieke van Dijk", "Ratih Kusumawardani"]
    assert len(cards) == 13


def _khard() -> str | None:
    from shutil import which

    here = Path(sys.executable).parent / "khard"
    return str(here) if here.exists() else which("khard")


def test_khard_imports_the_cards(workspace: Path, tmp_path: Path) -> None:
    khard = require_tool(_khard(), "khard")
    folder = tmp_path / "addressbook"
    folder.mkdir()
    data = export_contacts(open_book(Path("contacts.yaml")), "vcard").data
    cards = data.split(b"END:VCARD\r\n")[:-1]
    for n, card in enumerate(cards):  # khard keeps one card per file (a vdir)
        (folder / f"{n}.vcf").write_bytes(card + b"END:VCARD\r\n")
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[press]]\npath = {folder}\n[general]\neditor = true\nmerge_editor = true\n")
    run = lambda *args: subprocess.run([khard, "-c", str(config), *args], capture_output=True, text=True,  # noqa: E731
                                       check=True).stdout
    phones = run("phone", "--parsable")
    assert "+31651280210" in phones and "+85512345678" in phones
    assert "Marieke van Dijk" in run("list", "--parsable")
    assert len(run("list", "--parsable").splitlines()) == 13
    shown = run("show", "--format", "yaml", "Marieke")
    assert "Last name: van Dijk" in shown and "General Secretary" in shown


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(",;\"'\n=+-@"),
               min_size=1, max_size=40).filter(lambda s: s.strip() and not s[0].isspace()))
@settings(max_examples=60, deadline=None)
def test_any_organisation_round_trips_through_every_csv(value: str) -> None:
    from pressctl.contacts.model import Contact, ContactBook

    contact = Contact(index=0, id="x", name="A Name", organisation=value, email="x@example.org")
    book = ContactBook("contacts.yaml", None, "international", (contact,))
    columns = {"mailchimp": "Company", "brevo": "COMPANY", "constant-contact": "Company",
               "google": "Organization Name", "outlook": "Company", "csv": "organisation"}
    for target, column in columns.items():
        try:
            data = export_contacts(book, target).data
        except Exception as err:  # only the documented limits may refuse a value
            assert "takes at most" in str(err), err
            continue
        header, row = _read_csv(data, target)
        cell = dict(zip(header, row, strict=True))[column]
        spreadsheet = target in ("google", "outlook", "csv", "constant-contact")
        assert cell == (defuse(value) if spreadsheet else value), target


def test_write_output_goes_to_a_file_atomically_or_to_stdout(tmp_path: Path, capsysbinary) -> None:
    from pressctl.atomic import write_output

    target = tmp_path / "out.csv"
    target.write_bytes(b"old")
    target.chmod(0o600)
    assert write_output(target, "naïve\r\n") == str(target)
    assert target.read_bytes() == "naïve\r\n".encode() and target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temporary file left behind
    assert write_output(None, b"bytes\n") == "<stdout>"
    assert capsysbinary.readouterr().out == b"bytes\n"


@pytest.mark.parametrize(("epoch", "rev"), [("1719381600", "REV:20240626T060000Z\r\n"), ("", None)])
def test_vcard_rev_follows_source_date_epoch(workspace: Path, monkeypatch, epoch: str, rev: str | None) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    data = export_contacts(open_book(Path("contacts.yaml")), "vcard").data.decode()
    assert (rev in data) if rev else ("REV:" not in data)


@pytest.mark.parametrize("epoch", ["yesterday", "-5", "1.5", "99999999999999999999"])
def test_a_malformed_source_date_epoch_is_a_usage_error(workspace: Path, runner, monkeypatch, epoch: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = runner.invoke(app, ["export", "contacts", "--to", "vcard", "-o", "out.vcf"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds since 1970\n"
                             "  hint: unset it, or set it to a Unix time such as 1719381600\n")
    assert not Path("out.vcf").exists()


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)) | st.sampled_from('"\\\n\t,;é'), max_size=12)
RESOLVED = st.builds(ResolvedPhone, type=st.sampled_from(["mobile", "work", "fax", "other"]),
                     e164=st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True),
                     label=st.none() | TEXT, extension=st.none() | st.from_regex(r"[0-9]{1,5}", fullmatch=True))


@given(id_=TEXT, role=st.none() | TEXT, organisation=st.none() | TEXT, languages=st.lists(TEXT, max_size=3),
       lists=st.lists(TEXT, max_size=3), timezone=st.none() | TEXT, phones=st.lists(RESOLVED, max_size=3))
@settings(max_examples=400, deadline=None)
def test_listmonk_attributes_are_the_json_dumps_text(id_: str, role: str | None, organisation: str | None,
                                                     languages: list[str], lists: list[str], timezone: str | None,
                                                     phones: list[ResolvedPhone]) -> None:
    from pressctl.contacts.model import Contact
    from pressctl.export.listmonk import attributes, attributes_json

    contact = Contact(index=0, id=id_, name="A Name", role=role, organisation=organisation,
                      languages=tuple(languages), lists=tuple(lists), timezone=timezone)
    expected = json.dumps(attributes(contact, phones), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert attributes_json(contact, phones) == expected


@given(name=TEXT.filter(str.strip), role=st.none() | TEXT, languages=st.lists(TEXT, max_size=3),
       lists=st.lists(TEXT, max_size=2), extensions=st.dictionaries(st.from_regex(r"x-[a-z]{1,5}", fullmatch=True),
                                                                    st.none() | TEXT | st.integers(), max_size=2))
@settings(max_examples=200, deadline=None)
def test_the_json_target_is_laid_out_as_json_dumps_indent_2(name: str, role: str | None, languages: list[str],
                                                            lists: list[str], extensions: dict[str, object]) -> None:
    from pressctl.contacts.model import Contact, ContactBook, Phone

    contacts = tuple(Contact(index=n, id=f"c{n}", name=name, role=role, languages=tuple(languages),
                             lists=tuple(lists), extensions=extensions,
                             phones=(Phone("+31 6 51280210", "mobile", name),) * n) for n in range(3))
    data = export_contacts(ContactBook("contacts.yaml", None, "international", contacts), "json").data
    assert data == (json.dumps(json.loads(data), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


@pytest.mark.parametrize(("target", "role", "refused"), [
    ("constant-contact", "r" * 50, None),
    ("constant-contact", "r" * 51, "Job Title is 51 characters long; constant-contact takes at most 50"),
    ("mailchimp", "€" * 85, None),  # 255 bytes in UTF-8
    ("mailchimp", "€" * 85 + "r", "Job Title is 256 bytes long; mailchimp takes at most 255"),
])
def test_field_limits_hold_at_the_edge(target: str, role: str, refused: str | None) -> None:
    from pressctl.contacts.model import Contact, ContactBook
    from pressctl.errors import InputError

    contact = Contact(index=0, id="edge", name="Edge Case", role=role, email="edge@example.org")
    book = ContactBook("contacts.yaml", None, "international", (contact,))
    if refused is None:
        assert role in export_contacts(book, target).data.decode("utf-8")
    else:
        with pytest.raises(InputError, match=refused):
            export_contacts(book, target)


ODD_VALUES = """\
version: 1
contacts:
  - id: odd
    name: Odd Values
    email: odd@example.org
    x-meta: {"1": one, "2.5": half, "null": nothing}
    x-when: 2024-01-01T10:00:00
    x-list: [2024-02-03, 1, "a"]
"""


@pytest.mark.parametrize("target", ["json", "listmonk"])
def test_odd_extension_keys_and_values_become_json_text(tmp_path: Path, runner, target: str) -> None:
    book = _book(tmp_path, ODD_VALUES)
    result = runner.invoke(app, ["export", "contacts", "--to", target, "--contacts", str(book)])
    assert result.exit_code == 0, result.output
    if target == "json":
        attributes = json.loads(result.stdout)[0]["attributes"]
    else:
        attributes = json.loads(_read_csv(result.stdout.encode(), target)[1][2])
    assert attributes["x-meta"] == {"1": "one", "2.5": "half", "null": "nothing"}
    assert attributes["x-when"] == "2024-01-01T10:00:00"
    assert attributes["x-list"] == ["2024-02-03", 1, "a"]


@pytest.mark.parametrize(("value", "expected"), [
    (".nan", "`x-score` is .nan, which JSON cannot hold"),
    ("-.inf", "`x-score` is -.inf, which JSON cannot hold"),
    ("{a: {b: [1, .inf]}}", "`x-score.a.b[1]` is .inf, which JSON cannot hold"),
])
@pytest.mark.parametrize("target", ["json", "listmonk"])
def test_extension_values_json_cannot_hold_are_refused_by_name(tmp_path: Path, runner, target: str, value: str,
                                                               expected: str) -> None:
    book = _book(tmp_path, f"version: 1\ncontacts:\n  - id: odd\n    name: Odd\n    email: o@example.org\n"
                           f"    x-score: {value}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "contacts", "--to", target, "--contacts", str(book), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {book}: contact 'odd': {expected}\n  hint: ")
    assert not out.exists()


@pytest.mark.parametrize("value", ["{[1, 2]: x}", "{1: a, '1': b}", "{1: one, 2024-01-01: day}"])
@pytest.mark.parametrize("target", ["json", "listmonk"])
def test_extension_keys_that_are_not_text_stop_the_export_at_their_line(tmp_path: Path, runner, target: str,
                                                                        value: str) -> None:
    """The loader refuses them for every command (contacts check names them too); nothing is written."""
    book = _book(tmp_path, f"version: 1\ncontacts:\n  - id: odd\n    name: Odd\n    email: o@example.org\n"
                           f"    x-score: {value}\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", "contacts", "--to", target, "--contacts", str(book), "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {book}:6:") and "not text" in result.stderr
    assert not out.exists()


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.dates(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.integers() | st.text() | st.dates() | st.booleans(), inner, max_size=3),
                    max_leaves=8))
def test_any_extension_value_is_strict_json_or_a_clear_refusal(value) -> None:
    from pressctl.contacts.model import Contact
    from pressctl.errors import InputError
    from pressctl.export.attributes import extension_values

    contact = Contact(0, "c", "C", extensions={"x-v": value})
    try:
        plain = extension_values(contact, "contacts.yaml")
    except InputError as err:
        assert str(err).startswith("contacts.yaml: contact 'c': `x-v")
        return
    json.loads(json.dumps(plain, allow_nan=False))


@pytest.mark.parametrize("target", ["mailchimp", "brevo", "listmonk", "constant-contact", "google", "outlook", "vcard",
                                    "csv", "json"])
def test_every_export_writes_only_validated_normalised_addresses(tmp_path: Path, runner, target: str) -> None:
    """One function (fields.email_cell, on mail_address()) gives every target its addresses."""
    good = _book(tmp_path, "version: 1\ncontacts:\n  - id: jo\n    name: Jo Müller\n    email: Jo@BÜCHER.example\n")
    result = runner.invoke(app, ["export", "contacts", "--to", target, "--contacts", str(good)])
    assert result.exit_code == 0, result.output
    assert "Jo@bücher.example" in result.stdout and "BÜCHER" not in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\ncontacts:\n  - id: eve\n    name: Eve\n    email: \"a@x.org>, <evil@y.org\"\n",
                   encoding="utf-8")
    out = tmp_path / f"out-{target}"
    refused = runner.invoke(app, ["export", "contacts", "--to", target, "--contacts", str(bad), "-o", str(out)])
    assert refused.exit_code == 1 and "contact 'eve'" in refused.stderr
    assert "not a valid e-mail address" in refused.stderr
    assert not out.exists()
