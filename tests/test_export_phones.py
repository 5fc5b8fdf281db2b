"""Phone numbers in exports: only valid numbers go out as E.164, and extensions are kept."""

from __future__ import annotations

from pathlib import Path

import pytest

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
