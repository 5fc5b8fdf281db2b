"""`--fix` and `--diff`: only the fixed values change, every other byte stays, and twice is once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import phonenumbers
import pytest
import yaml_rs
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
# The ways people write an extension after the number.
EXTENSIONS = [" x{}", " ext. {}", " ext {}", " extension {}", ";ext={}", "#{}", " X{}"]


@st.composite
def formatted_numbers(draw: st.DrawFn) -> tuple[str, str, str, phonenumbers.PhoneNumber | None]:
    region = draw(st.sampled_from(REGIONS))
    example = None
    for kind in draw(st.permutations(TYPES)):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is not None:
            break
    if example is None:
        example = phonenumbers.example_number(region)
    if example is None:
        return region, "", "", None
    fmt = draw(st.sampled_from(FORMATS))
    written = phonenumbers.format_number(example, fmt)
    if fmt == phonenumbers.PhoneNumberFormat.RFC3966:
        written = written.removeprefix("tel:")
    if draw(st.booleans()):
        extension = str(draw(st.integers(1, 99999)))
        written += draw(st.sampled_from(EXTENSIONS)).format(extension)
        example = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=example.national_number,
                                           italian_leading_zero=example.italian_leading_zero,
                                           number_of_leading_zeros=example.number_of_leading_zeros,
                                           extension=extension)
    style = draw(st.sampled_from(["international", "e164"]))
    return region, written, style, example


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(formatted_numbers())
def test_any_number_phonenumbers_formats_is_the_same_line_after_fix(
        tmp_path: Path, case: tuple[str, str, str, phonenumbers.PhoneNumber | None]) -> None:
    """check, --fix, check: nothing fixable is left, and the value dials the same number and extension."""
    region, written, style, number = case
    if not written or number is None:
        return
    path = tmp_path / "contacts.yaml"
    path.write_text(
        f"version: 1\ndefaults:\n  region: {region}\n  phone_format: {style}\n"
        f"contacts:\n  - id: a\n    name: A\n    phone: {json.dumps(written)}\n",
        encoding="utf-8",
    )
    run(str(path), "--fix")
    after = check_book(load_book(path)).findings
    assert [f for f in after if f.severity.value == "error" or f.fix is not None] == []
    value = yaml_rs.loads(path.read_text(encoding="utf-8"))["contacts"][0]["phone"]
    fixed = phonenumbers.parse(value, region)
    assert (fixed.country_code, fixed.national_number, fixed.extension) == (
        number.country_code, number.national_number, number.extension)
    assert phonenumbers.format_number(fixed, phonenumbers.PhoneNumberFormat.E164) == phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164)
    code, out, _ = run(str(path), "--strict")
    assert (code, out) == (0, "All checks passed.\n")


def book_with(phone: str, style: str = "international", region: str = "NL") -> str:
    return (f"version: 1\ndefaults:\n  region: {region}\n  phone_format: {style}\n"
            f"contacts:\n  - id: a\n    name: A\n    phone: {json.dumps(phone)}\n")


@pytest.mark.parametrize(("written", "style", "fixed"), [
    ("+1 202 555 0143 ext. 12", "e164", "+12025550143;ext=12"),
    ("+1 202 555 0143 x12", "e164", "+12025550143;ext=12"),
    ("+1 202 555 0143;ext=12", "e164", "+12025550143;ext=12"),
    ("+1 202 555 0143#23", "e164", "+12025550143;ext=23"),
    ("+1 202 555 0143#23", "international", "+1 202-555-0143 ext. 23"),
    ("+31 (0)20 555 0188 ext 8", "international", "+31 20 555 0188 ext. 8"),
    ("+31 020 555 0188 ext 8", "e164", "+31205550188;ext=8"),
])
def test_fix_keeps_the_extension_in_either_format(tmp_path: Path, written: str, style: str, fixed: str) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(book_with(written, style, "US"), encoding="utf-8")
    run(str(path), "--fix")
    assert path.read_text(encoding="utf-8") == book_with(fixed, style, "US")
    assert run(str(path), "--strict")[:2] == (0, "All checks passed.\n")


@pytest.mark.parametrize("written", ["+31 020 555 018 ext 8", "+1 800 FLOWERS", "+1-800-FLOWERS"])
def test_fix_never_makes_another_number(tmp_path: Path, written: str) -> None:
    """`+31 020 555 018 ext 8` is invalid: its extension digit is not the missing digit of the number."""
    path = tmp_path / "contacts.yaml"
    path.write_text(book_with(written, "e164"), encoding="utf-8")
    code, out, _ = run(str(path), "--fix")
    assert path.read_text(encoding="utf-8") == book_with(written, "e164")
    assert ("P003" in out and code == 1) or ("P011" in out and code == 0)


def test_fix_on_a_link_fixes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "contacts.yaml"
    target.parent.mkdir()
    target.write_text(COMMENTED, encoding="utf-8")
    link = tmp_path / "contacts.yaml"
    link.symlink_to(target)
    code, _, err = run(str(link), "--fix")
    assert code == 0 and err == f"Fixed 4 findings in {link}.\n"
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8") == FIXED
    assert sorted(os.listdir(tmp_path)) == ["contacts.yaml", "shared"]
    assert os.listdir(target.parent) == ["contacts.yaml"]


BLOCKS = """\
version: 1
contacts:
  - id: a
    name: A
    phone: |
      +31 (0)6 12345678
    email: A@EXAMPLE.org
  - id: b
    name: B
    phone: >-
      +31 (0)6 12345679
  - id: c
    name: C
    phone: | # a comment the fix would lose
      +31 (0)6 12345670
  - id: d
    name: D
    phone: "+31 (0)6 12345671"
"""


def test_a_block_scalar_does_not_block_the_other_fixes(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(BLOCKS, encoding="utf-8")
    code, out, err = run(str(path), "--fix")
    assert err == f"Fixed 4 findings in {path}.\n"
    assert path.read_text(encoding="utf-8") == BLOCKS.replace(
        "|\n      +31 (0)6 12345678\n", '"+31 6 12345678"\n').replace(
        ">-\n      +31 (0)6 12345679\n", '"+31 6 12345679"\n').replace(
        "A@EXAMPLE", "A@example").replace('"+31 (0)6 12345671"', '"+31 6 12345671"')
    # The one with a comment on its indicator line is left as written, and still reported.
    assert code == 1 and out.count("P004") == 1 and "c: '+31 (0)6 12345670'" in out


def test_diff_of_many_fixes_lists_each(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    contacts = "".join(f'  - id: r{i}\n    name: R\n    phone: "+31 (0)6 {10000000 + i}"\n' for i in range(300))
    path.write_text("version: 1\ncontacts:\n" + contacts, encoding="utf-8")
    code, out, _ = run(str(path), "--diff")
    assert code == 1 and out.count("\n+    phone: ") == 300 and out.count("\n-    phone: ") == 300


@st.composite
def texts_and_edits(draw: st.DrawFn) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """Lines that are all different, and edits inside them that are all different too."""
    count = draw(st.integers(1, 40))
    lines = [f"{i}: {draw(st.text('ab #:', max_size=6))}\n" for i in range(count)]
    text = "".join(lines)
    edits, offset = [], 0
    for i, line in enumerate(lines):
        if draw(st.integers(0, 3)) == 0:
            start = offset + draw(st.integers(0, len(line) - 1))
            end = draw(st.integers(start, offset + len(line) - 1))
            edits.append((start, end, f"~{i}~"))
        offset += len(line)
    return text, tuple(edits)


@settings(max_examples=200, deadline=None)
@given(texts_and_edits())
def test_the_diff_made_from_the_edits_is_difflibs(case: tuple[str, tuple[tuple[int, int, str], ...]]) -> None:
    import difflib

    from pressctl.contacts.fix import _replace_spans, unified_diff

    text, edits = case
    fixed = _replace_spans(text, list(edits))
    expected = "".join(difflib.unified_diff(text.splitlines(keepends=True), fixed.splitlines(keepends=True),
                                            fromfile="a/x", tofile="b/x"))
    assert unified_diff(text, edits, "a/x", "b/x") == expected


def test_the_diff_applies_with_patch_also_without_a_final_line_break(tmp_path: Path) -> None:
    import shutil
    import subprocess

    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("patch is not installed")
    path = tmp_path / "contacts.yaml"
    text = COMMENTED.rstrip("\n")
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(str(path), "--diff")
    assert code == 1 and out.endswith("\n\\ No newline at end of file\n")
    (tmp_path / "fix.diff").write_text(out, encoding="utf-8")
    subprocess.run([patch, "-s", str(path), str(tmp_path / "fix.diff")], check=True)
    assert path.read_text(encoding="utf-8") == FIXED.rstrip("\n")


def test_the_book_found_in_use_fixes_to_its_golden_copy(tmp_path: Path) -> None:
    """Every fixable finding of tests/data/contacts-in-use.yaml mended; what --fix must not guess stays."""
    from tests.conftest import GOLDEN, REPO, UPDATE_GOLDEN

    path = tmp_path / "contacts.yaml"
    path.write_text((REPO / "tests" / "data" / "contacts-in-use.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, err = run(str(path), "--fix", "--format", "json")
    golden = GOLDEN / "contacts" / "in-use.fixed.yaml"
    if UPDATE_GOLDEN:
        golden.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == golden.read_text(encoding="utf-8")
    assert err == f"Fixed 7 findings in {path}.\n"
    assert code == 1 and [f["code"] for f in json.loads(out)["findings"]] == ["P003", "P003", "P011", "E003"]
