"""Phone numbers in exports: only valid numbers go out as E.164, and extensions are kept."""

from __future__ import annotations

from pathlib import Path

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.contacts.load import open_book
from pressctl.export.contacts import export_contacts
from pressctl.export.fields import PhoneResolver


@pytest.mark.parametrize(("number", "region"), [
    ("+31 6 1234", "NL"),  # plain international, too short
    ("020 12", "NL"),  # trunk-0 national, too short
    ("06 12345678", "BE"),  # a Dutch mobile read as Belgian: no such Belgian number
    ("+31 2 12345678", None),  # no such Dutch range
])
def test_invalid_numbers_are_not_written_as_e164(number: str, region: str | None) -> None:
    assert PhoneResolver().e164(number, region) is None


@pytest.mark.parametrize(("number", "region", "e164"), [
    ("+31 6 12345678", None, "+31612345678"),
    ("020 555 0188", "NL", "+31205550188"),
    ("+39 06 6982 0000", None, "+390669820000"),  # Italian leading zero: parsed, kept
    ("+44 20 7946 0958", None, "+442079460958"),
])
def test_valid_numbers_become_e164(number: str, region: str | None, e164: str) -> None:
    assert PhoneResolver().e164(number, region) == e164


def test_an_invalid_number_is_left_out_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text("version: 1\ndefaults: {region: BE}\ncontacts:\n"
                    "  - {id: a, name: A B, email: a@example.org, phone: '06 12345678'}\n", encoding="utf-8")
    result = export_contacts(open_book(path), "csv")
    assert b"+32612345678" not in result.data
    assert any("1 phone number(s) that do not resolve" in warning for warning in result.warnings)


EXTENSION_BOOK = """\
version: 1
defaults: {region: NL}
contacts:
  - id: desk
    name: Night Desk
    email: desk@example.org
    phones: [{number: "+31 20 555 0188 ext. 12", type: work}]
  - id: plain
    name: Plain Reporter
    email: plain@example.org
    phones: [{number: "+31 6 12345678", type: mobile}]
"""


@pytest.fixture
def extension_book(tmp_path: Path):
    path = tmp_path / "contacts.yaml"
    path.write_text(EXTENSION_BOOK, encoding="utf-8")
    return open_book(path)


def test_vcard_keeps_the_extension_as_an_rfc3966_parameter(extension_book) -> None:
    data = export_contacts(extension_book, "vcard").data.decode("utf-8")
    assert "TEL;VALUE=uri;PREF=1;TYPE=work,voice:tel:+31205550188;ext=12\r\n" in data


@pytest.mark.parametrize(("target", "kept"), [
    ("csv", b"work:+31205550188;ext=12"),
    ("json", b'"extension": "12"'),
    ("listmonk", b'""extension"":""12""'),
])
def test_pressctl_formats_and_listmonk_keep_the_extension(extension_book, target: str, kept: bytes) -> None:
    result = export_contacts(extension_book, target)
    assert kept in result.data
    assert not any("extension" in warning for warning in result.warnings)


@pytest.mark.parametrize("target", ["mailchimp", "brevo", "constant-contact", "google", "outlook"])
def test_a_target_without_a_place_for_the_extension_warns_naming_the_contact(extension_book, target: str) -> None:
    result = export_contacts(extension_book, target)
    assert b"+31205550188" in result.data and b"ext" not in result.data
    assert (f"{target} has no place for a phone extension; the number went out without it for contact(s) 'desk'"
            in result.warnings)


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
KINDS = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
         phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.PREMIUM_RATE,
         phonenumbers.PhoneNumberType.VOIP, phonenumbers.PhoneNumberType.SHARED_COST]


@st.composite
def national_numbers(draw: st.DrawFn) -> tuple[int, str]:
    """Numbers near real ones: an example number of some region and kind, with digits changed, added or
    dropped, so that both valid and invalid numbers come up."""
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(KINDS)))
    if example is None:
        example = phonenumbers.example_number(region)
    if example is None:
        return 31, "612345678"
    digits = list(str(example.national_number))
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(digits) - 1))
        action = draw(st.sampled_from(["change", "add", "drop"]))
        digit = str(draw(st.integers(0, 9)))
        if action == "change":
            digits[position] = digit
        elif action == "add":
            digits.insert(position, digit)
        elif len(digits) > 2:
            del digits[position]
    national = "".join(digits).lstrip("0") or "1"
    return example.country_code, national


@settings(max_examples=3000, deadline=None)
@given(national_numbers())
def test_fast_validity_agrees_with_phonenumbers(case: tuple[int, str]) -> None:
    from pressctl.export.fields import is_valid

    country_code, national = case
    number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
    assert is_valid(country_code, national) == phonenumbers.is_valid_number(number)


TRUNK_ZERO_REGIONS = sorted(
    region for region in phonenumbers.SUPPORTED_REGIONS
    if (meta := phonenumbers.PhoneMetadata.metadata_for_region(region)) is not None
    and meta.national_prefix == "0" and meta.national_prefix_for_parsing == "0")


@st.composite
def national_forms(draw: st.DrawFn) -> tuple[str, str]:
    """A national number as written in a region whose trunk prefix is 0: an example number with the 0,
    digits changed, or a 0 and digits that may start the region's international prefix instead."""
    # Israel, New Zealand, Taiwan and Uruguay have international prefixes that start with 0 too.
    region = draw(st.sampled_from(["IL", "NZ", "TW", "UY"]) | st.sampled_from(TRUNK_ZERO_REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(KINDS)))
    digits = str(example.national_number) if example else "612345678"
    if draw(st.booleans()):
        start = draw(st.sampled_from(["1", "12", "19", "105", "134", "161", "0"]) | st.from_regex(r"[0-9]{1,3}",
                                                                                                fullmatch=True))
        digits = start + digits[draw(st.integers(0, 2)):]
    separator = draw(st.sampled_from(["", " ", "-", "."]))
    return "0" + separator.join([digits[:2], digits[2:]]).strip(separator), region


@settings(max_examples=2000, deadline=None)
@given(national_forms())
def test_national_numbers_resolve_as_phonenumbers_reads_them(case: tuple[str, str]) -> None:
    number, region = case
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        expected = None
    else:
        valid = phonenumbers.is_valid_number(parsed)
        expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if valid else None
    assert PhoneResolver().e164(number, region) == expected


def test_a_call_abroad_from_israel_is_not_read_as_a_national_number() -> None:
    # 019 is one of Israel's international prefixes: this is +1 9123456, which is not a valid number.
    assert PhoneResolver().e164("01919123456", "IL") is None
    assert PhoneResolver().e164("03-123-4567", "IL") == "+97231234567"


PLAN_TYPE_BOOK = """\
version: 1
defaults: {region: NL}
contacts:
  - id: mobile-untyped
    name: Mobile Untyped
    email: m@example.org
    phones: ["06 51280210"]
  - id: landline-untyped
    name: Landline Untyped
    email: l@example.org
    phones: ["+31 20 555 0188"]
  - id: declared
    name: Declared Home
    email: d@example.org
    phones: [{number: "+31 6 51280211", type: home}]
  - id: both-untyped
    name: Both Untyped
    email: b@example.org
    phones: ["+49 30 901820", "+49 1512 3456789"]
"""


def _plan_book(tmp_path: Path):
    path = tmp_path / "contacts.yaml"
    path.write_text(PLAN_TYPE_BOOK, encoding="utf-8")
    return open_book(path)


def test_a_number_without_a_type_goes_to_the_mobile_column_when_the_plan_says_mobile(tmp_path: Path) -> None:
    import csv
    import io

    data = export_contacts(_plan_book(tmp_path), "brevo").data.decode("utf-8")
    rows = {row["EXT_ID"]: row for row in csv.DictReader(io.StringIO(data), delimiter=";")}
    assert (rows["mobile-untyped"]["SMS"], rows["mobile-untyped"]["LANDLINE_NUMBER"]) == ("+31651280210", "")
    assert (rows["landline-untyped"]["SMS"], rows["landline-untyped"]["LANDLINE_NUMBER"]) == ("", "+31205550188")
    # A declared type wins over the numbering plan.
    assert (rows["declared"]["SMS"], rows["declared"]["LANDLINE_NUMBER"]) == ("", "+31651280211")
    assert (rows["both-untyped"]["SMS"], rows["both-untyped"]["LANDLINE_NUMBER"]) == ("+4915123456789",
                                                                                    "+4930901820")
    data = export_contacts(_plan_book(tmp_path), "constant-contact").data.decode("utf-8")
    rows = {row["Email Address"]: row for row in csv.DictReader(io.StringIO(data))}
    assert rows["m@example.org"]["Phone Number - Mobile"] == "+31651280210"
    data = export_contacts(_plan_book(tmp_path), "outlook").data.decode("utf-8-sig")
    rows = {row["E-mail Address"]: row for row in csv.DictReader(io.StringIO(data))}
    assert (rows["m@example.org"]["Mobile Phone"], rows["l@example.org"]["Other Phone"]) == ("+31651280210",
                                                                                            "+31205550188")


@pytest.mark.parametrize(("target", "mobile_marker"), [
    ("vcard", b"TYPE=cell:tel:+31651280210"),
    ("google", b"Mobile,+31651280210"),
])
def test_every_target_with_a_mobile_column_uses_the_plan_type(tmp_path: Path, target: str,
                                                               mobile_marker: bytes) -> None:
    result = export_contacts(_plan_book(tmp_path), target)
    assert mobile_marker in result.data
    assert not any("mobile-untyped" in warning for warning in result.warnings)
