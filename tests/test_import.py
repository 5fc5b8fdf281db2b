"""`pressctl contacts import`: real files from each tool's format, into real books, read back by the loader."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.contacts.load import open_book
from pressctl.contacts.model import Contact, ContactBook, Phone
from pressctl.contacts.phones import international
from pressctl.contacts.suppression import suppression_hash
from pressctl.export.contacts import export_contacts
from pressctl.imports.merge import Options
from pressctl.imports.prepare import slug
from pressctl.imports.service import import_contacts

CONSENT = ["--consent-basis", "consent", "--consent-source", "import test"]
OUTLET_MAP = "Full name=name,Mail=email,Outlet=organisation"


def _people(book: ContactBook) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(c.name, c.email or "", tuple(sorted(filter(None, (international(p.number, c.phone_region, "e164")
                                                               for p in c.phones)))))
            for c in book.contacts]


# --- the example book through every export target and back ------------------------------------------------

CARRY_LISTS = ("google", "outlook", "mailchimp", "listmonk", "vcard", "csv", "json")


@pytest.mark.parametrize("target", ["google", "outlook", "mailchimp", "brevo", "listmonk", "constant-contact",
                                    "vcard", "csv", "json"])
def test_every_export_imports_back_as_the_same_people(workspace: Path, tmp_path: Path, target: str) -> None:
    book = open_book(Path("contacts.yaml"))
    exported = export_contacts(book, target)
    source = tmp_path / f"out.{target}"
    source.write_bytes(exported.data)
    empty = tmp_path / "book.yaml"
    result = import_contacts(empty, [source], options=Options(consent_basis="consent", consent_source="test",
                                                              region="NL"))
    assert not result.plan.bad, result.plan.bad
    assert result.written
    back = open_book(empty)
    kept = [c for c in book.contacts if not c.is_unsubscribed and (c.email or target in ("google", "outlook",
                                                                                        "vcard", "csv", "json",
                                                                                        "brevo"))]
    by_email = {c.email: c for c in back.contacts}
    for original in kept:
        match = by_email.get(original.email) if original.email else next(
            (c for c in back.contacts if c.name == original.name), None)
        assert match is not None, (target, original.id)
        if target not in ("outlook",) or original.email:
            assert match.name == original.name, target
        numbers = {international(p.number, original.phone_region, "e164") for p in original.phones} - {None}
        got = {international(p.number, match.phone_region, "e164") for p in match.phones}
        if target in ("google", "vcard", "csv", "json", "listmonk", "outlook"):
            assert numbers <= got | {None}, (target, original.id, numbers, got)
        if target in CARRY_LISTS:
            assert set(match.lists) == set(original.lists), (target, original.id)


# --- generated books: non-Latin names, commas, quotes --------------------------------------------------------

_NAME_WORD = st.sampled_from(["Marieke", "van", "Dijk", "Nguyễn", "Thị", "Hương", "សុផល", "មាស", "محمد", "علي",
                              "O'Brien", "Zoë", "Jürgen", "Smith, Jr.", '"Bo"', "Łukasz", "Ōta", "李", "小明"])
_NAMES = st.lists(_NAME_WORD, min_size=1, max_size=3).map(" ".join)
_NUMBERS = st.sampled_from(["+31 6 51280210", "+62 812-3456-7890", "+855 12 345 678", "+44 20 7946 0958",
                            "+49 30 901820", "+33 1 23 45 67 89", "+1 202-555-0143", "+84 24 3825 3595"])


_OUTLETS = st.sampled_from(["", "Le Monde, Paris", 'The "Post"', "=HYPERLINK(1)", "ខេមបូឌា ដេលី", "Two\nLines; Ltd"])


@st.composite
def _books(draw: st.DrawFn) -> ContactBook:
    count = draw(st.integers(1, 6))
    contacts = []
    numbers = draw(st.lists(_NUMBERS, min_size=count, max_size=count, unique=True)) if count <= 8 else []
    for n in range(count):
        name = draw(_NAMES)
        phone = (Phone(numbers[n], draw(st.sampled_from(["mobile", "work", "home"]))),) if draw(st.booleans()) else ()
        contacts.append(Contact(index=n, id=f"c-{n}", name=name, email=f"person{n}@bücher-{n}.example.org",
                                phones=phone, organisation=draw(_OUTLETS) or None,
                                lists=("press-eu",), languages=("fr",)))
    return ContactBook("contacts.yaml", None, "international", tuple(contacts))


@given(book=_books(), target=st.sampled_from(["google", "outlook", "mailchimp", "brevo", "listmonk",
                                              "constant-contact", "vcard", "csv", "json"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_books_round_trip(tmp_path: Path, book: ContactBook, target: str) -> None:
    import tempfile

    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    source = folder / "export"
    source.write_bytes(export_contacts(book, target).data)
    result = import_contacts(folder / "book.yaml", [source],
                             options=Options(consent_basis="consent", consent_source="test"))
    assert not result.plan.bad, result.plan.bad
    back = open_book(folder / "book.yaml")
    assert [(c.name, c.email) for c in back.contacts] == [(c.name, c.email) for c in book.contacts]
    if target not in ("mailchimp", "brevo", "constant-contact"):
        assert [c.organisation for c in back.contacts] == [c.organisation for c in book.contacts]
    if target in ("google", "vcard", "csv", "json", "listmonk", "outlook", "constant-contact", "brevo"):
        assert _people(back) == _people(book)


# --- each tool's own files -----------------------------------------------------------------------------------

def _csv(rows: list[list[str]], *, dialect: str = "excel", bom: bool = False, delimiter: str = ",",
         quoting: int = csv.QUOTE_MINIMAL) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, dialect=dialect, delimiter=delimiter, lineterminator="\r\n", quoting=quoting)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


GOOGLE_HEADER = ["First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name",
                 "Phonetic Last Name", "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name",
                 "Organization Title", "Organization Department", "Birthday", "Notes", "Photo", "Labels",
                 "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
                 "Phone 2 - Value"]


def _google_row(given: str, family: str, email: str, phone: str, labels: str = "* myContacts") -> list[str]:
    row = [""] * len(GOOGLE_HEADER)
    row[0], row[2], row[10], row[16], row[17], row[18] = given, family, "Example Daily", labels, "* Work", email
    row[19], row[20] = "Mobile", phone
    return row


def test_a_google_csv_with_bom_and_crlf_is_read_and_appended_in_the_books_style(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_text(encoding="utf-8")
    Path("google.csv").write_bytes(_csv([GOOGLE_HEADER, _google_row("Hương", "Nguyễn Thị", "huong@báo.example",
                                                                   "+84 91 234 56 78", "* myContacts ::: press-asia"),
                                         _google_row("Lan", "Trần", "lan@example.net", "0812 3456 7891")], bom=True))
    result = runner.invoke(app, ["contacts", "import", "google.csv", "--region", "ID", *CONSENT])
    assert result.exit_code == 0, result.output
    after = Path("contacts.yaml").read_text(encoding="utf-8")
    assert after.startswith(before.rstrip("\n"))  # every existing byte kept, comments included
    added = after[len(before.rstrip("\n")):]
    assert "  - id: huong-nguyen-thi\n    name: Hương Nguyễn Thị\n    given_name: Hương\n" in added
    assert "family_name: Nguyễn Thị" in added and "lists: [press-asia]" in added
    assert '{number: "+62 812-3456-7891", type: mobile}' in added
    book = open_book(Path("contacts.yaml"))
    lan = book.by_id()["lan-tran"]
    assert lan.email == "lan@example.net" and lan.region == "ID" and lan.lists == ()
    check = runner.invoke(app, ["contacts", "check"])
    assert check.exit_code == 0, check.output


def test_an_outlook_csv_quoted_everywhere_with_its_phone_columns(workspace: Path, runner) -> None:
    header = ["Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title",
              "Business Street", "Business Phone", "Business Phone 2", "Home Phone", "Mobile Phone", "Business Fax",
              "Categories", "E-mail Address", "E-mail Type", "E-mail Display Name", "Notes"]
    row = ["", "Jean-Luc", "", "Ferrand", "", "Le Quotidien", "", "Rédacteur en chef", "", "+33 1 23 45 67 89", "",
           "", "+33 6 12 34 56 78", "+33 1 23 45 67 00", "press-eu;labour-beat", "jl.ferrand@example.fr", "SMTP",
           "Jean-Luc Ferrand", "Met at the Lyon congress.\nPrefers e-mail."]
    Path("outlook.csv").write_bytes(_csv([header, row], bom=True, quoting=csv.QUOTE_ALL))  # as Outlook writes it
    result = runner.invoke(app, ["contacts", "import", "outlook.csv", *CONSENT])
    assert result.exit_code == 0, result.output
    contact = open_book(Path("contacts.yaml")).by_id()["jean-luc-ferrand"]
    assert [(p.type, international(p.number, None, "e164")) for p in contact.phones] == [
        ("work", "+33123456789"), ("mobile", "+33612345678"), ("fax", "+33123456700")]
    assert contact.lists == ("press-eu", "labour-beat")
    assert contact.notes == "Met at the Lyon congress.\nPrefers e-mail."


def test_mailchimp_unsubscribed_and_cleaned_exports_mark_contacts_and_import_nobody_active(workspace: Path,
                                                                                          runner) -> None:
    header = ["Email Address", "First Name", "Last Name", "MEMBER_RATING", "OPTIN_TIME", "UNSUB_TIME",
              "UNSUB_CAMPAIGN_TITLE", "UNSUB_REASON"]
    Path("unsubscribed.csv").write_bytes(_csv([
        header, ["Femke.Jansen@Example.NET", "Femke", "Jansen", "2", "", "2024-07-01 09:12:00", "Wage deal", "no"],
        ["new.person@example.com", "New", "Person", "2", "", "2024-07-02 10:00:00", "", ""]]))
    result = runner.invoke(app, ["contacts", "import", "unsubscribed.csv"])
    assert result.exit_code == 0, result.output
    book = open_book(Path("contacts.yaml"))
    reporter = next(c for c in book.contacts if c.email == "femke.jansen@example.net")
    assert str(reporter.unsubscribed) == "2024-07-01"
    newcomer = next(c for c in book.contacts if c.email == "new.person@example.com")
    assert newcomer.is_unsubscribed and newcomer.lists == ()
    # An ordinary import afterwards neither clears the mark nor adds the person again.
    Path("subscribed.csv").write_bytes(_csv([
        ["Email Address", "First Name", "Last Name", "MEMBER_RATING", "TAGS"],
        ["femke.jansen@example.net", "Femke", "Jansen", "2", "press-eu"]]))
    again = runner.invoke(app, ["contacts", "import", "subscribed.csv", "--update", *CONSENT])
    assert again.exit_code == 0, again.output
    assert next(c for c in open_book(Path("contacts.yaml")).contacts if c.id == reporter.id).is_unsubscribed


def test_an_unsubscribes_file_is_a_plain_list_of_addresses(workspace: Path, runner) -> None:
    Path("gone.txt").write_text("# from the mailbox\nmarieke.vandijk@EXAMPLE.org\n\n", encoding="utf-8")
    result = runner.invoke(app, ["contacts", "import", "--unsubscribes", "gone.txt"])
    assert result.exit_code == 0, result.output
    assert "marked unsubscribed 1" in result.output
    assert open_book(Path("contacts.yaml")).by_id()["marieke-van-dijk"].is_unsubscribed


def test_brevo_semicolons_and_blacklisted_rows(workspace: Path, runner) -> None:
    Path("brevo.csv").write_bytes(_csv([
        ["EMAIL", "FIRSTNAME", "LASTNAME", "SMS", "LANDLINE_NUMBER", "EMAIL_BLACKLISTED"],
        ["kim@example.org", "Kim", "Lee", "+82 10-1234-5678", "", "No"],
        ["blocked@example.org", "Bo", "Ck", "", "", "Yes"]], delimiter=";"))
    result = runner.invoke(app, ["contacts", "import", "brevo.csv"])
    assert result.exit_code == 0, result.output
    book = open_book(Path("contacts.yaml"))
    assert book.by_id()["kim-lee"].phones[0].type == "mobile"
    assert book.by_id()["bo-ck"].is_unsubscribed


def test_listmonk_blocklisted_status(workspace: Path, runner) -> None:
    Path("subs.csv").write_bytes(_csv([
        ["uuid", "email", "name", "attributes", "status", "created_at", "updated_at"],
        ["1", "one@example.org", "One Person", '{"role": "Editor"}', "enabled", "", ""],
        ["2", "two@example.org", "Two Person", "{}", "blocklisted", "", ""]]))
    assert runner.invoke(app, ["contacts", "import", "subs.csv"]).exit_code == 0
    book = open_book(Path("contacts.yaml"))
    assert book.by_id()["one-person"].role == "Editor" and book.by_id()["two-person"].is_unsubscribed


# --- vCards ------------------------------------------------------------------------------------------------

VCARD_21 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\nTEL;CELL;VOICE:+49 151 23456789\r\n"
    "TEL;WORK;VOICE:+49 30 901820\r\nEMAIL;INTERNET:juergen@example.de\r\nEND:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Meas;Sophal;;;\r\nFN:Sophal Meas\r\nORG:Phnom Penh Ledger\r\n"
    "TEL;TYPE=CELL:+855 12 345 67\r\n 8\r\nEMAIL;TYPE=INTERNET,PREF:sophal.meas@example.org\r\n"
    "CATEGORIES:press-asia,labour-beat\r\nEND:VCARD\r\n"
)


def test_vcard_21_quoted_printable_and_30_folded_lines(workspace: Path, runner) -> None:
    Path("cards.vcf").write_text(VCARD_21, encoding="utf-8", newline="")
    result = runner.invoke(app, ["contacts", "import", "cards.vcf", *CONSENT])
    assert result.exit_code == 0, result.output
    book = open_book(Path("contacts.yaml"))
    juergen = next(c for c in book.contacts if c.email == "juergen@example.de")
    assert (juergen.name, juergen.given_name, juergen.family_name) == ("Jürgen Müller", "Jürgen", "Müller")
    assert [p.type for p in juergen.phones] == ["mobile", "work"]
    sophal = next(c for c in book.contacts if c.email == "sophal.meas@example.org")  # matched: already in the book
    assert sophal.id == "sophal-meas" and {"press-asia", "labour-beat"} <= set(sophal.lists)
    assert "imported 1, updated 1" in result.output


def test_cards_written_by_vobject_are_imported(workspace: Path, runner) -> None:
    card = vobject.vCard()
    card.add("fn").value = "ឈុន សុភា"
    card.add("n").value = vobject.vcard.Name(family="ឈុន", given="សុភា")
    card.add("email").value = "sophea@example.org"
    tel = card.add("tel")
    tel.value = "+855 23 555 0123"
    tel.type_param = "WORK"
    Path("one.vcf").write_text(card.serialize(), encoding="utf-8")
    assert runner.invoke(app, ["contacts", "import", "one.vcf"]).exit_code == 0
    imported = next(c for c in open_book(Path("contacts.yaml")).contacts if c.email == "sophea@example.org")
    assert imported.name == "ឈុន សុភា" and imported.id == slug("ឈុន សុភា") and imported.id
    assert imported.phones[0].type == "work"


def test_cards_khard_writes_are_imported(workspace: Path, tmp_path: Path, runner) -> None:
    from tests.conftest import require_tool

    khard = require_tool(str(Path(sys.executable).parent / "khard") if (Path(sys.executable).parent / "khard").exists()
                         else shutil.which("khard"), "khard")
    folder = tmp_path / "addressbook"
    folder.mkdir()
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[press]]\npath = {folder}\n[general]\neditor = true\nmerge_editor = true\n")
    template = ("First name : Amara\nLast name : Okafor\nOrganisation : Lagos Evening Post\n"
                "Phone :\n    cell : +234 802 123 4567\nEmail :\n    work : amara@example.ng\n")
    subprocess.run([khard, "-c", str(config), "new", "-a", "press", "--vcard-version", "4.0"], input=template,
                   text=True, capture_output=True, check=True)
    cards = list(folder.glob("*.vcf"))
    assert len(cards) == 1
    result = runner.invoke(app, ["contacts", "import", str(cards[0])])
    assert result.exit_code == 0, result.output
    amara = next(c for c in open_book(Path("contacts.yaml")).contacts if c.email == "amara@example.ng")
    assert amara.name == "Amara Okafor" and amara.organisation == "Lagos Evening Post"
    assert international(amara.phones[0].number, None, "e164") == "+2348021234567"


@pytest.mark.parametrize(("text", "message"), [
    ("BEGIN:VCARD\r\nVERSION:5.0\r\nFN:X\r\nEND:VCARD\r\n", "VERSION 5.0"),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\n", "cannot be read"),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nNOTE:folded without\r\nits leading space\r\nEND:VCARD\r\n",
     "cannot be read"),
    ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nNOTE:" + "x" * 1_000_000 + "\r\nEMAIL:x@example.org\r\nEND:VCARD\r\n",
     None),
])
def test_broken_and_huge_vcards(workspace: Path, runner, text: str, message: str | None) -> None:
    before = Path("contacts.yaml").read_bytes()
    Path("bad.vcf").write_text(text, encoding="utf-8", newline="")
    result = runner.invoke(app, ["contacts", "import", "bad.vcf"])
    if message is None:  # a megabyte-long note is a note: imported, not a crash
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert Path("contacts.yaml").read_bytes() == before


# --- bad input: nothing written ---------------------------------------------------------------------------

def test_bad_rows_are_reported_with_file_and_row_and_nothing_is_written(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_bytes()
    Path("g.csv").write_bytes(_csv([GOOGLE_HEADER, _google_row("Ok", "Person", "ok@example.org", "+31 6 12345678"),
                                    _google_row("Bad", "Mail", "bad@@example.org", ""),
                                    _google_row("Bad", "Phone", "phone@example.org", "+31 6 1234")]))
    result = runner.invoke(app, ["contacts", "import", "g.csv"])
    assert result.exit_code == 1
    assert "g.csv:3: email: 'bad@@example.org' is not a valid e-mail address" in result.output
    assert "g.csv:4: phone: '+31 6 1234' is not a valid number" in result.output
    assert Path("contacts.yaml").read_bytes() == before
    skipped = runner.invoke(app, ["contacts", "import", "g.csv", "--skip-bad"])
    assert skipped.exit_code == 0, skipped.output
    assert "imported 1" in skipped.output and "2 left out with --skip-bad" in skipped.output


def test_a_generic_csv_needs_every_column_mapped_and_names_the_unknown_one(workspace: Path, runner) -> None:
    Path("list.csv").write_bytes(_csv([["Full name", "Mail", "Outlet", "Birthday"],
                                       ["Ana Lima", "ana@example.br", "Folha", "1990-01-01"]]))
    unknown = runner.invoke(app, ["contacts", "import", "list.csv", "--map", OUTLET_MAP])
    assert unknown.exit_code == 1 and "column 'Birthday'" in unknown.output
    typo = runner.invoke(app, ["contacts", "import", "list.csv", "--map", "Full name=name,Mail=emial"])
    assert typo.exit_code == 2 and "did you mean `email`?" in typo.output
    ok = runner.invoke(app, ["contacts", "import", "list.csv", "--map",
                             "Full name=name,Mail=email,Outlet=organisation,Birthday=-"])
    assert ok.exit_code == 0, ok.output
    assert open_book(Path("contacts.yaml")).by_id()["ana-lima"].organisation == "Folha"


def test_an_encoding_that_is_not_utf8_is_named(workspace: Path, runner) -> None:
    data = "Full name,Mail\r\nJosé Núñez,jose@example.es\r\n".encode("cp1252")
    Path("latin.csv").write_bytes(data)
    result = runner.invoke(app, ["contacts", "import", "latin.csv", "--map", "Full name=name,Mail=email"])
    assert result.exit_code == 1 and "--encoding" in result.output and "latin.csv" in result.output
    named = runner.invoke(app, ["contacts", "import", "latin.csv", "--map", "Full name=name,Mail=email",
                                "--encoding", "cp1252"])
    assert named.exit_code == 0, named.output
    assert open_book(Path("contacts.yaml")).by_id()["jose-nunez"].name == "José Núñez"


def test_utf16_with_bom_is_read(workspace: Path, runner) -> None:
    Path("u16.csv").write_bytes("Full name\tMail\r\nFatima Zahra\tfatima@example.ma\r\n".encode("utf-16"))
    result = runner.invoke(app, ["contacts", "import", "u16.csv", "--map", "Full name=name,Mail=email"])
    assert result.exit_code == 0, result.output


def test_formula_cells_stay_plain_text(workspace: Path, runner) -> None:
    Path("f.csv").write_bytes(_csv([["Full name", "Mail", "Outlet"],
                                    ["Eve Mallory", "eve@example.org", '=HYPERLINK("http://x.example","click")']]))
    result = runner.invoke(app, ["contacts", "import", "f.csv", "--map", OUTLET_MAP])
    assert result.exit_code == 0, result.output
    eve = open_book(Path("contacts.yaml")).by_id()["eve-mallory"]
    assert eve.organisation == '=HYPERLINK("http://x.example","click")'


def test_a_row_for_a_suppressed_person_is_refused_without_printing_them(workspace: Path, runner) -> None:
    text = Path("contacts.yaml").read_text(encoding="utf-8")
    Path("contacts.yaml").write_text(text + f"suppressed:\n  - {suppression_hash('gone@example.org')}\n",
                                     encoding="utf-8")
    Path("s.csv").write_bytes(_csv([["Full name", "Mail"], ["Gone Person", "Gone@Example.org"]]))
    result = runner.invoke(app, ["contacts", "import", "s.csv", "--map", "Full name=name,Mail=email"])
    assert result.exit_code == 0, result.output
    assert "1 asked to be forgotten" in result.output
    assert "Gone" not in result.output and "gone@" not in result.output
    assert "gone@example.org" not in Path("contacts.yaml").read_text(encoding="utf-8")


def test_listed_contacts_need_a_consent_record(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_bytes()
    Path("l.csv").write_bytes(_csv([["Full name", "Mail"], ["New Person", "np@example.org"]]))
    result = runner.invoke(app, ["contacts", "import", "l.csv", "--map", "Full name=name,Mail=email",
                                 "--list", "press-eu"])
    assert result.exit_code == 1 and "consent" in result.output
    assert Path("contacts.yaml").read_bytes() == before
    ok = runner.invoke(app, ["contacts", "import", "l.csv", "--map", "Full name=name,Mail=email", "--list",
                             "press-eu", *CONSENT])
    assert ok.exit_code == 0, ok.output
    contact = open_book(Path("contacts.yaml")).by_id()["new-person"]
    assert contact.lists == ("press-eu",) and contact.consent is not None and contact.consent.basis == "consent"


def test_update_fills_empty_keys_and_lists_conflicts_and_list_adds(tmp_path: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("contacts.yaml").write_text(
        "version: 1\ncontacts:\n  - id: camille-roux  # met in Lyon\n    name: Camille Roux\n"
        "    organisation: Le Quotidien\n    email: camille@example.fr\n    lists: [press-eu]\n"
        "    consent: {basis: consent, source: card, date: 2024-01-01}\n\n  - id: bo-ck\n    name: Bo Ck\n"
        "    email: bo@example.org\n", encoding="utf-8")
    Path("u.csv").write_bytes(_csv([["Full name", "Mail", "Outlet", "TZ"],
                                    ["Camille Roux", "CAMILLE@example.fr", "Another Outlet", "Europe/Paris"]]))
    result = runner.invoke(app, ["contacts", "import", "u.csv", "--map",
                                 "Full name=name,Mail=email,Outlet=organisation,TZ=timezone", "--update",
                                 "--list", "climate-desk", *CONSENT])
    assert result.exit_code == 0, result.output
    assert "conflict: u.csv:2: camille-roux: organisation: the book has 'Le Quotidien'" in result.output
    text = Path("contacts.yaml").read_text(encoding="utf-8")
    assert text.startswith("version: 1\ncontacts:\n  - id: camille-roux  # met in Lyon\n")
    after = open_book(Path("contacts.yaml")).by_id()["camille-roux"]
    assert after.timezone == "Europe/Paris" and after.organisation == "Le Quotidien"
    assert after.lists == ("press-eu", "climate-desk")
    assert [c.id for c in open_book(Path("contacts.yaml")).contacts] == ["camille-roux", "bo-ck"]


def test_dry_run_and_diff_write_nothing(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_bytes()
    Path("d.csv").write_bytes(_csv([["Full name", "Mail"], ["Dee Ryrun", "dee@example.org"]]))
    dry = runner.invoke(app, ["contacts", "import", "d.csv", "--map", "Full name=name,Mail=email", "--dry-run"])
    assert dry.exit_code == 0 and "would import 1" in dry.output
    diff = runner.invoke(app, ["contacts", "import", "d.csv", "--map", "Full name=name,Mail=email", "--diff"])
    assert diff.exit_code == 0 and "+  - id: dee-ryrun" in diff.output
    assert Path("contacts.yaml").read_bytes() == before


def test_ids_are_unique_slugs_and_block_style_books_get_block_lists(tmp_path: Path, runner, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("contacts.yaml").write_text(
        "version: 1\ncontacts:\n- id: ana-lima\n  name: Ana Lima\n  email: ana@example.br\n  languages:\n  - pt\n"
        "- id: bo-ck\n  name: Bo Ck\n  email: bo@example.org\n", encoding="utf-8")
    Path("n.csv").write_bytes(_csv([["Full name", "Mail", "Lang"], ["Ana Lima", "other.ana@example.br", "pt;en"],
                                    ["Ana Lima", "third.ana@example.br", ""]]))
    result = runner.invoke(app, ["contacts", "import", "n.csv", "--map", "Full name=name,Mail=email,Lang=languages"])
    assert result.exit_code == 0, result.output
    text = Path("contacts.yaml").read_text(encoding="utf-8")
    assert "- id: ana-lima-2\n  name: Ana Lima\n  email: other.ana@example.br\n  languages:\n    - pt\n    - en\n" \
        in text
    ids = [c.id for c in open_book(Path("contacts.yaml")).contacts]
    assert ids == ["ana-lima", "bo-ck", "ana-lima-2", "ana-lima-3"]


def test_the_json_export_of_the_example_book_imports_into_itself_as_no_change(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_bytes()
    Path("all.json").write_bytes(export_contacts(open_book(Path("contacts.yaml")), "json").data)
    result = runner.invoke(app, ["contacts", "import", "all.json"])
    assert result.exit_code == 0, result.output
    assert "imported 0" in result.output and Path("contacts.yaml").read_bytes() == before
    assert json.loads(Path("all.json").read_text(encoding="utf-8"))


# --- names: given_name/family_name in the book, and no wrong guesses ---------------------------------------

@pytest.mark.parametrize(("name", "given", "family", "expected"), [
    ("Nguyễn Thị Hương", "Hương", "Nguyễn Thị", ("Hương", "Nguyễn Thị")),
    ("Nguyễn Thị Hương", None, None, ("Nguyễn Thị Hương", "")),
    ("ចាន់ សុភា", None, None, ("ចាន់ សុភា", "")),
    ("山田 太郎", None, None, ("山田 太郎", "")),
    ("Marieke van Dijk", None, None, ("Marieke", "van Dijk")),
    ("Zoë Ōta", None, None, ("Zoë", "Ōta")),
])
def test_exports_split_names_only_where_the_book_or_the_script_allows(name, given, family, expected) -> None:
    from pressctl.export.fields import split_name

    assert split_name(Contact(index=0, id="x", name=name, given_name=given, family_name=family)) == expected


def test_given_and_family_names_reach_every_name_splitting_export(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("contacts.yaml").write_text(
        "version: 1\ncontacts:\n  - id: huong\n    name: Nguyễn Thị Hương\n    given_name: Hương\n"
        "    family_name: Nguyễn Thị\n    email: huong@example.vn\n", encoding="utf-8")
    book = open_book(Path("contacts.yaml"))
    for target in ("mailchimp", "brevo", "google", "outlook", "constant-contact"):
        rows = list(csv.reader(io.StringIO(export_contacts(book, target).data.decode("utf-8-sig")),
                               delimiter=";" if target == "brevo" else ","))
        assert "Hương" in rows[1] and "Nguyễn Thị" in rows[1], target
    card = vobject.readOne(export_contacts(book, "vcard").data.decode("utf-8"))
    assert (card.n.value.given, card.n.value.family) == ("Hương", "Nguyễn Thị")


def test_the_books_form_of_a_number_is_what_phonenumbers_makes_of_it() -> None:
    """The import formats numbers from the resolver's E.164 form; it must match a full parse everywhere."""
    import phonenumbers

    from pressctl.imports.prepare import _canonical

    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
             phonenumbers.PhoneNumberType.TOLL_FREE)
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for text, where in ((phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL),
                                 region),
                                (phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164), None),
                                (phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
                                 + " ext. 12", None)):
                parsed = phonenumbers.parse(text, where)
                expected = None
                if phonenumbers.is_valid_number(parsed):
                    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                    expected = (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL), e164)
                assert _canonical(text, where, "international") == expected, (region, text)
                checked += 1
    assert checked > 1000


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_any_text_is_written_as_a_scalar_both_yaml_readers_read_back(value: str) -> None:
    import yaml

    from pressctl.imports.yamltext import scalar
    from pressctl.yamlsource import SourceText, parse_fast

    written = scalar(value)
    assert parse_fast(SourceText(f"key: {written}\n"))["key"] == value
    assert yaml.safe_load(f"key: {written}\n")["key"] == value  # PyYAML locates findings in the same text


@given(st.text(min_size=1, max_size=30))
@settings(max_examples=300, deadline=None)
def test_a_double_quoted_scalar_is_written_as_json_writes_it(value: str) -> None:
    """The writer quotes plain-safe text itself, without json.dumps: the books it writes stay byte for byte
    what they were."""
    import json

    from pressctl.imports.yamltext import scalar

    expected = json.dumps(value, ensure_ascii=False)
    if expected.isprintable():
        assert scalar(value, force=True) == expected


def test_a_later_row_unsubscribing_an_earlier_one_marks_it_wherever_its_text_stands(tmp_path: Path, runner,
                                                                                     monkeypatch) -> None:
    """The new contacts' text is joined a batch at a time: a mark for a contact in an earlier batch, or
    in the one still open, changes only that contact."""
    from pressctl.imports.prepare import BATCH

    monkeypatch.chdir(tmp_path)
    Path("contacts.yaml").write_text("version: 1\ncontacts: []\n", encoding="utf-8")
    count = BATCH + 20
    rows = [["Full name", "Mail", "Gone"]]
    rows += [[f"Person {n}", f"p{n}@example.org", ""] for n in range(count)]
    rows += [["Person 3", "p3@example.org", "yes"], [f"Person {count - 2}", f"p{count - 2}@example.org", "yes"]]
    Path("u.csv").write_bytes(_csv(rows))
    result = runner.invoke(app, ["contacts", "import", "u.csv", "--map", "Full name=name,Mail=email,Gone=unsubscribed",
                                 "--list", "press-eu", *CONSENT])
    assert result.exit_code == 0, result.output
    assert "unsubscribes `person-3`, added from an earlier row" in result.output
    book = open_book(Path("contacts.yaml"))
    assert [c.id for c in book.contacts] == [f"person-{n}" for n in range(count)]
    gone = {c.id for c in book.contacts if c.is_unsubscribed}
    assert gone == {"person-3", f"person-{count - 2}"}
    assert all(c.lists == () for c in book.contacts if c.id in gone)
    assert all(c.lists == ("press-eu",) and c.consent is not None for c in book.contacts if c.id not in gone)


def _many_google_rows(count: int) -> list[list[str]]:
    given, family = ("Marieke", "Hương", "សុផល", "محمد", "Zoë"), ("van Dijk", "Nguyễn", "មាស", "علي", "O'Brien")
    rows = [GOOGLE_HEADER]
    for n in range(count):
        phone = f"+31 6 {10000000 + n:08d}" if n % 2 else f"06 {20000000 + n:08d}"
        row = _google_row(given[n % 5], f"{family[n // 5 % 5]} {n % 300}", f"r{n % 700}@example.org", phone,
                          "* myContacts ::: press-eu" if n % 4 else "* myContacts")
        row[14] = 'Met in Lyon, "2024".\nPrefers e-mail.' if n % 7 == 0 else ""
        rows.append(row)
    return rows


def test_rows_prepared_in_worker_processes_give_the_same_book(tmp_path: Path, monkeypatch) -> None:
    """A large file is prepared by forked workers, a batch each; the merge takes their rows in order, so
    the book (ids, duplicates left out, every byte) is the one a single process writes."""
    from pressctl.imports import service
    from pressctl.imports.prepare import BATCH

    source = tmp_path / "google.csv"
    source.write_bytes(_csv(_many_google_rows(3 * BATCH + 17), bom=True))
    books = []
    for parallel_from in (0, 1 << 40):
        monkeypatch.setattr(service, "PARALLEL_BYTES", parallel_from)
        book = tmp_path / f"book-{parallel_from}.yaml"
        book.write_text("version: 1\ndefaults:\n  region: NL\ncontacts: []\n", encoding="utf-8")
        result = import_contacts(book, [source], options=Options(consent_basis="consent", consent_source="test"))
        assert not result.plan.bad and result.written
        assert result.plan.skipped == {"same person as an earlier row": 3 * BATCH + 17 - 700}, result.plan.skipped
        books.append(book.read_bytes())
    assert books[0] == books[1]
    assert len(open_book(tmp_path / "book-0.yaml").contacts) == 700


def test_a_bad_row_prepared_in_a_worker_is_named_and_nothing_is_written(tmp_path: Path, runner, monkeypatch) -> None:
    from pressctl.imports import service
    from pressctl.imports.prepare import BATCH

    monkeypatch.setattr(service, "PARALLEL_BYTES", 0)
    monkeypatch.chdir(tmp_path)
    Path("contacts.yaml").write_text("version: 1\ndefaults:\n  region: NL\ncontacts: []\n", encoding="utf-8")
    rows = _many_google_rows(2 * BATCH)
    rows[BATCH + 5][18] = "not-an-address"
    Path("g.csv").write_bytes(_csv(rows))
    result = runner.invoke(app, ["contacts", "import", "g.csv", *CONSENT])
    assert result.exit_code == 1
    assert f"g.csv:{BATCH + 6}: email: 'not-an-address' is not a valid e-mail address" in result.output
    assert Path("contacts.yaml").read_text(encoding="utf-8").endswith("contacts: []\n")
