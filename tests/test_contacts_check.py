"""`pressctl contacts check`: findings, formats, exit codes, and bad input of every kind."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from tests.conftest import GOLDEN, REPO, UPDATE_GOLDEN, require_tool

BAD = REPO / "tests" / "data" / "contacts-bad.yaml"
IN_USE = REPO / "tests" / "data" / "contacts-in-use.yaml"


def check(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["contacts", "check", *args])
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path: Path, text: str | bytes, name: str = "contacts.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def book(*contacts: str, header: str = "version: 1\ndefaults:\n  region: NL\ncontacts:\n") -> str:
    return header + "".join(contacts)


def codes(runner: CliRunner, path: Path, *args: str) -> list[tuple[str, int, int, str | None]]:
    code, out, _ = check(runner, str(path), "--format", "json", *args)
    assert code in (0, 1), out
    return [(f["code"], f["line"], f["column"], f["contact"]) for f in json.loads(out)["findings"]]


def test_example_book_passes_strict(runner: CliRunner) -> None:
    code, out, _ = check(runner, str(REPO / "contacts.yaml"), "--strict")
    assert (code, out) == (0, "All checks passed.\n")


def test_default_file_is_contacts_yaml_in_current_folder(runner: CliRunner, workspace: Path) -> None:
    assert check(runner)[:2] == (0, "All checks passed.\n")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif", "junit"])
def test_golden_output(runner: CliRunner, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD.parent)
    code, out, _ = check(runner, BAD.name, "--format", fmt)
    assert code == 1
    golden = GOLDEN / "contacts" / f"check.{fmt}"
    if UPDATE_GOLDEN:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_golden_output_of_the_numbers_and_addresses_found_in_use(runner: CliRunner, fmt: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(IN_USE.parent)
    code, out, _ = check(runner, IN_USE.name, "--format", fmt)
    assert code == 1
    golden = GOLDEN / "contacts" / f"in-use.{fmt}"
    if UPDATE_GOLDEN:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8")


def test_sarif_validates_against_the_schema(runner: CliRunner) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema_path = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
    require_tool(str(schema_path), "The SARIF 2.1.0 schema", f"it is read from {schema_path}, which .ci/run "
                 "does not provide: put sarif-schema-2.1.0.json (OASIS, sarif-spec) there")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    _, out, _ = check(runner, str(BAD), "--format", "sarif")
    document = json.loads(out)
    jsonschema.Draft7Validator(schema).validate(document)
    results = document["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"P003", "P004", "E001", "C003"}


def test_junit_parses_and_fails_only_contacts_with_errors(runner: CliRunner) -> None:
    _, out, _ = check(runner, str(BAD), "--format", "junit")
    suites = ET.fromstring(out)
    cases = {case.get("name"): case for case in suites.iter("testcase")}
    assert set(cases) >= {"Desk_One", "reporter", "editor"}
    assert cases["editor"].find("failure") is not None
    example_out = check(runner, str(REPO / "contacts.yaml"), "--format", "junit")[1]
    example = ET.fromstring(example_out)
    assert example.get("failures") == "0" and int(example.get("tests") or 0) == 14


def test_github_format_is_chosen_under_github_actions(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    _, out, _ = check(runner, str(BAD))
    assert out.startswith("::error file=")


def test_select_ignore_and_strict(runner: CliRunner, tmp_path: Path) -> None:
    assert {c for c, *_ in codes(runner, BAD, "--select", "P")} == {"P001", "P003", "P004", "P005", "P006", "P008"}
    assert {c for c, *_ in codes(runner, BAD, "--select", "P", "--ignore", "P00")} == set()
    assert not {c for c, *_ in codes(runner, BAD, "--ignore", "P,E")} & {"P003", "E001"}
    warn_only = write(tmp_path, book('  - id: a\n    name: A\n    phone: "+31612345678"\n'))
    assert check(runner, str(warn_only))[0] == 0
    assert check(runner, str(warn_only), "--strict")[0] == 1
    code, _, err = check(runner, str(warn_only), "--select", "Z9")
    assert code == 2 and "unknown rule code or prefix 'Z9'" in err


# --- findings at the right place ------------------------------------------------------------

def test_each_finding_at_its_line_and_column(runner: CliRunner) -> None:
    found = codes(runner, BAD)
    assert ("F005", 8, 5, "Desk_One") in found  # emial: did you mean email
    assert ("P008", 9, 12, "Desk_One") in found
    assert ("P004", 14, 18, "reporter") in found
    assert ("P006", 15, 18, "reporter") in found
    assert ("P003", 16, 18, "reporter") in found
    assert ("P005", 17, 9, "reporter") in found
    assert ("L001", 18, 21, "reporter") in found
    assert ("L003", 20, 15, "reporter") in found
    assert ("C003", 21, 9, "reporter") in found
    assert ("C009", 23, 12, "reporter") in found
    assert ("E001", 26, 12, "editor") in found
    assert ("L002", 28, 13, "editor") in found


def test_bare_integer_number_names_the_lost_zero(runner: CliRunner) -> None:
    _, out, _ = check(runner, str(BAD), "--select", "P008")
    assert ("the number 0612345678 is written without quotes, so YAML reads it as the integer 612345678 "
            "and drops its leading zero") in out
    assert "fix: '+31 6 12345678'" in out


@pytest.mark.parametrize(
    ("snippet", "code", "message"),
    [
        ('  - id: a\n    name: [Ann, Bee]\n    email: a@example.org\n', "F004", "`name` should be text, not a list"),
        ('  - id: a\n    name: A\n    email: null\n', "C009", "`email` is null"),
        ('  - id: a\n    name: A\n    emial: a@example.org\n', "F005", "unknown key `emial`; did you mean `email`?"),
        ('  - id: a\n    name: A\n', "C004", "no email and no phone"),
        ('  - id: a\n    name: A\n    phone: "call the desk"\n', "P001", "does not look like a phone number"),
        ('  - id: a\n    name: A\n    phones: [{number: "+31 6 1234567", type: mobile}]\n', "P003",
         "'+31 6 1234567' is too short for a mobile number in NL"),
        ('  - id: a\n    name: A\n    phones: [{number: "+31 6 12345678901", type: mobile}]\n', "P003",
         "too long for NL"),
        ('  - id: a\n    name: A\n    phone: "+31 6 1234567890"\n', "P003", "no such range is assigned"),
        ('  - id: a\n    name: A\n    email: a@example.org\n    lists: [x]\n', "C006", "without a consent record"),
        ('  - id: a\n    name: A\n    email: a@example.org\n    unsubscribed: soon\n', "C008", None),
        ('  - id: a\n    name: A\n    email: a@example.org\n    consent: {basis: maybe}\n', "C007", None),
        ('  - id: a\n    name: A\n    phones: [{number: "+31 6 12345678", type: cell}]\n', "P009",
         "phone type `cell` is not one of mobile, work, home, fax, other"),
    ],
)
def test_single_findings(runner: CliRunner, tmp_path: Path, snippet: str, code: str, message: str | None) -> None:
    path = write(tmp_path, book(snippet))
    exit_code, out, _ = check(runner, str(path), "--format", "json")
    findings = json.loads(out)["findings"]
    assert code in [f["code"] for f in findings], findings
    if message:
        assert any(message in f["message"] for f in findings if f["code"] == code), findings
    assert exit_code == (0 if all(f["severity"] == "warning" for f in findings) else 1)


def test_national_number_without_region(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, 'version: 1\ncontacts:\n  - id: a\n    name: A\n    phone: "020 123 4567"\n')
    assert codes(runner, path) == [("P002", 5, 12, "a")]


def test_a_shared_address_is_an_error_and_a_shared_number_a_warning(runner: CliRunner, tmp_path: Path) -> None:
    """A mailing tool keys contacts by address and merges the two: E003 fails the check (issue #9)."""
    path = write(tmp_path, book(
        '  - id: a\n    name: A\n    email: same@example.org\n    phone: "+31 6 12345678"\n',
        '  - id: b\n    name: B\n    email: SAME@example.org\n    phone: "06 12345678"\n',
    ))
    assert codes(runner, path) == [("E003", 11, 12, "b"), ("P007", 12, 12, "b")]
    code, out, _ = check(runner, str(path))
    assert code == 1 and "E003 [error] b: email 'same@example.org' is also on contact `a`" in out
    assert check(runner, str(path), "--ignore", "E003")[0] == 0  # selectable like every code


def test_valid_international_names_and_domains_are_kept(runner: CliRunner, tmp_path: Path) -> None:
    text = book(
        '  - id: khmer\n    name: ចាន់ សុភា\n    email: sophea@example.org\n',
        '  - id: arabic\n    name: ليلى حداد\n    email: layla@example.org\n',
        '  - id: juergen\n    name: Jürgen Groß\n    email: jürgen@bücher.de\n',
    )
    path = write(tmp_path, text)
    assert check(runner, str(path), "--strict")[:2] == (0, "All checks passed.\n")
    check(runner, str(path), "--fix")
    assert path.read_text(encoding="utf-8") == text


# --- bad files ------------------------------------------------------------------------------

def test_missing_file_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, out, err = check(runner, str(tmp_path / "nope.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path / 'nope.yaml'}: no such file\n"


def test_folder_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, _, err = check(runner, str(tmp_path))
    assert code == 2 and "is a folder" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", ("F003", 1, 1)),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("F001", 3, 1)),
        (b"version: 1\ncontacts:\n  - id: a\n    name: Caf\xe9\n", ("F001", 4, 14)),
        (b"version: 1\ncontacts:\n\t- id: a\n", ("F002", 3, 2)),
        (b"version: 1\ncontacts: [\n", ("F002", 2, 11)),
        (b"- just\n- a list\n", ("F003", 1, 1)),
        (b"version: 2\ncontacts: []\n", ("F006", 1, 10)),
        (b"version: 1\ncontacts:\n  - id: a\n    name: A\n    id: b\n", ("F002", 5, 5)),
    ],
    ids=["empty", "binary", "latin-1", "tabs", "unclosed", "list", "version", "key-twice"],
)
def test_broken_files_give_one_clear_finding(runner: CliRunner, tmp_path: Path, content: bytes,
                                             expected: tuple[str, int, int]) -> None:
    path = write(tmp_path, content)
    exit_code, out, _ = check(runner, str(path), "--format", "json")
    assert exit_code == 1
    first = json.loads(out)["findings"][0]
    assert (first["code"], first["line"], first["column"]) == expected
    assert path.read_bytes() == content
    exit_code, _, err = check(runner, str(path), "--fix")
    assert exit_code == 1 and "Traceback" not in err
    assert path.read_bytes() == content


# Speed belongs in bench/; these two only fail (instead of hanging CI) if the input's expansion or size were
# ever followed, which would take hours: 9**11 list items, or a quadratic walk of 50 MB.
@pytest.mark.timeout(120)
def test_billion_laughs_is_refused_without_expanding(runner: CliRunner, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    path = write(tmp_path, "\n".join(lines) + "\n")
    found = codes(runner, path)
    assert found[0][0] == "F008"


@pytest.mark.timeout(120)
def test_fifty_megabyte_file_is_handled(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "notes: " + "x" * (50 * 1000 * 1000) + "\n")
    exit_code, out, _ = check(runner, str(path), "--format", "json")
    assert exit_code == 1
    assert [f["code"] for f in json.loads(out)["findings"]] == ["C001", "F005", "F006"]


def test_file_over_the_limit_is_refused_without_reading(runner: CliRunner, tmp_path: Path) -> None:
    from pressctl.yamlsource import MAX_FILE_BYTES

    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    assert codes(runner, path) == [("F009", 1, 1, None)]


def test_byte_order_mark_is_a_fixable_warning(runner: CliRunner, tmp_path: Path) -> None:
    text = book('  - id: a\n    name: A\n    email: a@example.org\n')
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode())
    assert codes(runner, path) == [("F007", 1, 1, None)]
    check(runner, str(path), "--fix")
    assert path.read_bytes() == text.encode()


def test_crlf_line_endings_keep_positions_and_survive_fix(runner: CliRunner, tmp_path: Path) -> None:
    text = book('  - id: a\n    name: A\n    phone: "+31612345678"  # mobile\n').replace("\n", "\r\n")
    path = write(tmp_path, text.encode())
    assert codes(runner, path) == [("P005", 7, 12, "a")]
    check(runner, str(path), "--fix")
    assert path.read_bytes() == text.replace("+31612345678", "+31 6 12345678").encode()


def test_memoised_domain_validation_gives_email_validators_own_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check memoises email-validator's domain validation; results and errors stay its own."""
    import sys

    from email_validator import EmailNotValidError, validate_email

    from pressctl.contacts.check import _check_email

    module = sys.modules["email_validator.validate_email"]
    memoised = module.validate_email_domain_name
    assert hasattr(memoised, "cache_info")
    addresses = ["a@example.org", "B@Example.ORG", "c@bücher.de", "d@xn--bcher-kva.de", "e@-bad-.org",
                 "f@localhost", "g@example..org", "h@EXAMPLE.org", "i@[127.0.0.1]", "j@ｅxample.org"]
    with monkeypatch.context() as patch:
        patch.setattr(module, "validate_email_domain_name", memoised.__wrapped__)
        expected: list[tuple[str | None, str | None]] = []
        for address in addresses:
            try:
                expected.append((validate_email(address, check_deliverability=False).normalized, None))
            except EmailNotValidError as err:
                expected.append((None, str(err)))
    for _ in range(2):
        got = [_check_email(address) for address in addresses]
        # The key of an address is its normalised form with the local part in lower case.
        assert [key for key, _ in got] == [e[0] and e[0].rsplit("@", 1)[0].lower() + "@" + e[0].rsplit("@", 1)[1]
                                           for e in expected]
        assert [problem[1].split(": ", 1)[1] if problem and problem[0] == "E001" else None
                for _, problem in got] == [e[1] for e in expected]
    assert memoised.cache_info().hits > 0


# --- found in use (issue #9) ----------------------------------------------------------------

NO_REGION = "version: 1\ncontacts:\n"


def only(runner: CliRunner, path: Path) -> list[dict[str, object]]:
    code, out, _ = check(runner, str(path), "--format", "json")
    assert code in (0, 1), out
    return [{k: f[k] for k in ("code", "severity", "message", "fix")} for f in json.loads(out)["findings"]]


def test_a_trunk_prefix_without_brackets_is_p004_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "+31 06 51280210"\n'))
    assert only(runner, path) == [{
        "code": "P004", "severity": "error", "fix": "+31 6 51280210",
        "message": "'+31 06 51280210' keeps the trunk prefix 0 after the country code; callers from abroad "
                   "must not dial it: '+31 6 51280210'"}]
    assert check(runner, str(path))[0] == 1


@pytest.mark.parametrize("written", ["+39 06 1234 5678", "+7 812 123-45-67", "+44 20 7946 0958"])
def test_a_leading_digit_that_belongs_to_the_number_is_no_trunk_prefix(runner: CliRunner, tmp_path: Path,
                                                                       written: str) -> None:
    path = write(tmp_path, book(f'  - id: a\n    name: A\n    phone: "{written}"\n'))
    assert [f["code"] for f in only(runner, path)] == []


def test_a_national_number_valid_in_another_region_names_it(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "020 7946 0958"\n'))
    [finding] = only(runner, path)
    assert finding["code"] == "P003" and finding["fix"] is None
    assert finding["message"] == ("'020 7946 0958' is not a valid number for NL: no such range is assigned; valid as a "
                                  "GB number (+44 20 7946 0958): set `region: GB` on the contact "
                                  "(it is also valid in CN, IN, NZ)")
    # What the contact is tied to chooses among the regions: here its time zone.
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "020 7946 0958"\n    timezone: Asia/Kolkata\n'))
    assert "valid as an IN number (+91 20 7946 0958): set `region: IN`" in str(only(runner, path)[0]["message"])
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "020 7946 0958"\n    region: GB\n'))
    assert only(runner, path) == []


def test_00_without_a_region_is_read_as_plus_with_a_fixable_warning(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, NO_REGION + '  - id: a\n    name: A\n    phone: "0031 6 51280210"\n'
                 '  - id: b\n    name: B\n    phone: "0011 61 2 9374 4000"\n')
    found = only(runner, path)
    assert [(f["code"], f["severity"], f["fix"]) for f in found] == [
        ("P012", "warning", "+31 6 51280210"), ("P012", "warning", "+61 2 9374 4000")]
    assert "international prefix 0011" in str(found[1]["message"])
    check(runner, str(path), "--fix")
    assert check(runner, str(path), "--strict")[:2] == (0, "All checks passed.\n")


def test_00_stays_an_error_where_it_reads_two_ways_or_none(runner: CliRunner, tmp_path: Path) -> None:
    # 00 reads +1 321-234-5678 (US); 001, the prefix of Hong Kong or Singapore, reads +32 12 34 56 78 (BE).
    path = write(tmp_path, NO_REGION + '  - id: a\n    name: A\n    phone: "001 321 234 5678"\n'
                 '  - id: b\n    name: B\n    phone: "0099 123"\n')
    found = only(runner, path)
    assert [(f["code"], f["severity"], f["fix"]) for f in found] == [("P002", "error", None)] * 2
    assert found[0]["message"] == (
        "'001 321 234 5678' can be read as '+1 321-234-5678' (read 00 as +) or '+32 12 34 56 78' (read 001 as +); "
        "write it with its country code (+…) or set `region` on the contact or in defaults")


def test_spaces_around_an_address_are_a_fixable_error(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, book('  - id: a\n    name: A\n    email: "  Press@EXAMPLE.org \\n"\n'))
    assert only(runner, path) == [{
        "code": "E005", "severity": "error", "fix": "Press@example.org",
        "message": "email '  Press@EXAMPLE.org \\n' has spaces around it; no mail tool takes it so: "
                   "'Press@example.org'"}]
    code, _, err = check(runner, str(path), "--fix")
    assert code == 0 and err.startswith("Fixed 1 finding")
    assert '    email: "Press@example.org"\n' in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("label", ["Tel: ", "Tel. ", "tel.", "Mob. ", "Mobile: ", "Tél. ", "Fax:", "Tel/Fax: ",
                                   "Téléphone : ", "Mobile phone: ", "M ", "tel:", "Телефон: ", "هاتف: "])
def test_a_label_in_the_number_is_a_fixable_warning(runner: CliRunner, tmp_path: Path, label: str) -> None:
    path = write(tmp_path, book(f'  - id: a\n    name: A\n    phone: "{label}+31 6 51280210"\n'))
    [finding] = only(runner, path)
    assert (finding["code"], finding["severity"], finding["fix"]) == ("P010", "warning", "+31 6 51280210")
    check(runner, str(path), "--fix")
    assert '    phone: "+31 6 51280210"\n' in path.read_text(encoding="utf-8")


def test_a_label_does_not_hide_a_wrong_number(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, NO_REGION + '  - id: a\n    name: A\n    phone: "Tel: 020 123 4567"\n'
                 '  - id: b\n    name: B\n    phone: "Tel: +31 (0)6 51280210"\n')
    assert [(f["code"], f["fix"]) for f in only(runner, path)] == [("P002", None), ("P004", "+31 6 51280210")]
    check(runner, str(path), "--fix")
    assert '    phone: "+31 6 51280210"\n' in path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("written", "region", "canonical"), [
    ("(202) 555-0143 x204", "US", None),
    ("+1 (202) 555-0143 x204", "US", "+1 202-555-0143 ext. 204"),
    ("+1 202 555 0143 ext. 12", "US", "+1 202-555-0143 ext. 12"),
    ("+1 202 555 0143;ext=12", "US", "+1 202-555-0143 ext. 12"),
    ("+1 202 555 0143#23", "US", "+1 202-555-0143 ext. 23"),
    ("+1 202-555-0143 ext. 204", "US", None),
])
def test_an_extension_is_kept_and_written_ext(runner: CliRunner, tmp_path: Path, written: str, region: str,
                                              canonical: str | None) -> None:
    path = write(tmp_path, book(f'  - id: a\n    name: A\n    phone: "{written}"\n', header=(
        f"version: 1\ndefaults:\n  region: {region}\ncontacts:\n")))
    assert [f["fix"] for f in only(runner, path)] == ([canonical] if canonical else [])


def test_the_same_number_with_another_extension_is_another_line(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "+31 20 555 0188 ext. 1"\n',
                                '  - id: b\n    name: B\n    phone: "+31 20 555 0188 ext. 2"\n',
                                '  - id: c\n    name: C\n    phone: "020 555 0188 x2"\n'))
    assert [(f["code"], f["message"]) for f in only(runner, path)] == [
        ("P007", "number +31205550188;ext=2 is also on contact `b`")]


def test_a_vanity_number_is_checked_and_never_rewritten(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "+1 800 FLOWERS"\n'))
    assert only(runner, path) == [{
        "code": "P011", "severity": "warning", "fix": None,
        "message": "'+1 800 FLOWERS' is written with letters; callers dial '+1 800-356-9377' "
                   "(--fix keeps the letters)"}]
    assert check(runner, str(path))[0] == 0
    path = write(tmp_path, book('  - id: a\n    name: A\n    phone: "+1 800 FLOW"\n'))
    assert [f["code"] for f in only(runner, path)] == ["P003"]


def test_phone_helpers_for_render_print_and_link_the_extension() -> None:
    from pressctl.contacts import phones

    shown = phones.displayed("(202) 555-0143 x204", "US")
    assert shown is not None
    assert (shown.text, shown.tel_uri) == ("+1 202-555-0143 ext. 204", "tel:+12025550143;ext=204")
    assert phones.displayed("+31 6 51280210", None) == phones.DisplayedNumber("+31 6 51280210", "tel:+31651280210")
    assert phones.displayed("+31 6 1234", None) is None


@pytest.mark.parametrize("value", ["1" + " " * 50_000 + "a", "1" + " \t" * 50_000 + "#", "a" * 100_000,
                                   "Tel" + ":" * 100_000 + "+31 6 51280210"])
def test_a_huge_hostile_number_is_refused_at_once(value: str) -> None:
    from pressctl.contacts import phones

    # Refused by length before any pattern looks at it: the label and extension patterns took
    # quadratic time on such values (13 s for the first).
    verdict = phones.judge(value, "NL", "international", None)
    assert verdict.code == "P001" and "characters long" in verdict.message


def example_numbers() -> list[object]:
    """phonenumbers' example number of every region and kind of number."""
    import phonenumbers

    kinds = [getattr(phonenumbers.PhoneNumberType, name) for name in (
        "FIXED_LINE", "MOBILE", "TOLL_FREE", "PREMIUM_RATE", "SHARED_COST", "VOIP", "PERSONAL_NUMBER", "PAGER", "UAN")]
    found = (phonenumbers.example_number_for_type(region, kind)
             for region in sorted(phonenumbers.SUPPORTED_REGIONS) for kind in kinds)
    return [number for number in found if number is not None]


def test_a_valid_number_is_what_its_e164_form_parses_to() -> None:
    """What the trunk-prefix check relies on to skip a second parse (phones._trunk_prefix)."""
    import phonenumbers

    from pressctl.contacts import phones

    numbers = example_numbers()
    assert len(numbers) > 1000
    for number in numbers:
        for extension in ("", ";ext=204"):
            again = phonenumbers.parse(phones.canonical(number, "e164") + extension, None)
            assert phonenumbers.is_valid_number(again)
            assert phones.canonical(again, "international") == phones.canonical(number, "international") + (
                " ext. 204" if extension else "")


def test_a_trunk_prefix_is_found_in_every_region_that_dials_one() -> None:
    import phonenumbers

    from pressctl.contacts import phones

    found = set()
    for number in example_numbers():
        region = phonenumbers.region_code_for_number(number)
        trunk = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix
        if not trunk:
            continue
        code, significant = number.country_code, phonenumbers.national_significant_number(number)
        for written in (f"+{code} ({trunk}){significant}", f"+{code} {trunk}{significant}"):
            verdict = phones.judge(written, None, "international", None)
            if verdict.code == "P004":
                found.add(region)
                assert verdict.fix == phones.canonical(number, "international"), written
                assert verdict.e164 == phones.canonical(number, "e164")
    assert len(found) > 100 and {"NL", "GB", "DE", "FR", "ID", "KH", "BR", "JP"} <= found
