"""`--fix` and `--diff`: only the fixed values change, every other byte stays, and twice is once."""

from __future__ import annotations

import os
from pathlib import Path

import phonenumbers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.contacts.check import check_book
from pressctl.contacts.load import load_book

COMMENTED = """\
# Contact book of the Example Campaign.   (a header comment)
version: 1
defaults:
  region: NL   # national numbers are Dutch
  phone_format: international

contacts:
  # spokespeople first
  - id: desk
    name: 'Press Desk'
    email: Desk@EXAMPLE.org        # normalised to a lower-case domain
    phones:
      - {number: "+31 (0)6 12345678", type: mobile}   # trunk prefix
      - number: '+31201234567'      # single quotes stay single
        type: work
      - +31 6 23456789
  - id: reporter
    name: "A. Reporter"
    phone:    0612345679   # bare integer, odd spacing kept
    email: a.reporter@example.net
"""

FIXED = """\
# Contact book of the Example Campaign.   (a header comment)
version: 1
defaults:
  region: NL   # national numbers are Dutch
  phone_format: international

contacts:
  # spokespeople first
  - id: desk
    name: 'Press Desk'
    email: Desk@example.org        # normalised to a lower-case domain
    phones:
      - {number: "+31 6 12345678", type: mobile}   # trunk prefix
      - number: '+31 20 123 4567'      # single quotes stay single
        type: work
      - +31 6 23456789
  - id: reporter
    name: "A. Reporter"
    phone:    "+31 6 12345679"   # bare integer, odd spacing kept
    email: a.reporter@example.net
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["contacts", "check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_fix_changes_only_the_values_and_keeps_comments(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    code, out, err = run(str(path), "--fix")
    assert path.read_text(encoding="utf-8") == FIXED
    assert err == f"Fixed 4 findings in {path}.\n"
    assert (code, out) == (0, "All checks passed.\n")
    assert [name for name in os.listdir(tmp_path)] == ["contacts.yaml"]  # no temporary file left behind


def test_second_fix_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    run(str(path), "--fix")
    before = path.stat().st_mtime_ns
    code, _, err = run(str(path), "--fix")
    assert code == 0 and err == ""
    assert path.read_text(encoding="utf-8") == FIXED and path.stat().st_mtime_ns == before


def test_diff_prints_the_change_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    code, out, _ = run(str(path), "--diff")
    assert code == 1
    assert out.startswith(f"--- a/{path}\n+++ b/{path}\n")
    assert '-      - {number: "+31 (0)6 12345678", type: mobile}   # trunk prefix\n' in out
    assert '+      - {number: "+31 6 12345678", type: mobile}   # trunk prefix\n' in out
    assert path.read_text(encoding="utf-8") == COMMENTED
    path.write_text(FIXED, encoding="utf-8")
    assert run(str(path), "--diff") == (0, "", "")


def test_fix_keeps_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    path.chmod(0o600)
    run(str(path), "--fix")
    assert path.stat().st_mode & 0o777 == 0o600


def test_fix_in_a_read_only_folder_fails_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "contacts.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root ignores folder permissions
            return
        code, _, err = run(str(path), "--fix")
        assert code == 2 and "permission denied" in err
        assert path.read_text(encoding="utf-8") == COMMENTED
    finally:
        folder.chmod(0o700)


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
FORMATS = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
           phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.RFC3966]
TYPES = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
         phonenumbers.PhoneNumberType.TOLL_FREE, phonenumbers.PhoneNumberType.VOIP]


@st.composite
def formatted_numbers(draw: st.DrawFn) -> tuple[str, str, str]:
    region = draw(st.sampled_from(REGIONS))
    example = None
    for kind in draw(st.permutations(TYPES)):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            break
    if example is None:
        example = phonenumbers.example_number(region)
    if example is None:
        return region, "", ""
    fmt = draw(st.sampled_from(FORMATS))
    written = phonenumbers.format_number(example, fmt)
    if fmt == phonenumbers.PhoneNumberFormat.RFC3966:
        written = written.removeprefix("tel:")
    style = draw(st.sampled_from(["international", "e164"]))
    return region, written, style


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(formatted_numbers())
def test_any_number_phonenumbers_formats_passes_after_fix(tmp_path: Path, case: tuple[str, str, str]) -> None:
    region, written, style = case
    if not written:
        return
    path = tmp_path / "contacts.yaml"
    path.write_text(
        f"version: 1\ndefaults:\n  region: {region}\n  phone_format: {style}\n"
        f"contacts:\n  - id: a\n    name: A\n    phone: {written!r}\n",
        encoding="utf-8",
    )
    run(str(path), "--fix")
    errors = [f for f in check_book(load_book(path)).findings if f.severity.value == "error"]
    assert errors == []
    code, out, _ = run(str(path), "--strict")
    assert (code, out) == (0, "All checks passed.\n")
