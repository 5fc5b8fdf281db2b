"""Release files: the loader's errors with their lines, and `pressctl release check`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pressctl.cli import app
from pressctl.contacts.load import open_book
from pressctl.errors import InputError
from pressctl.release import check_release, load_release, read_release

EXAMPLE = Path("releases/2024-06-26-three-port-wage-deal.md")
BEFORE_EMBARGO = datetime(2024, 6, 25, 12, tzinfo=UTC)

GOOD = """\
---
headline: Harbour deal signed
dateline: Amsterdam
date: 2024-06-26
quotes:
  - by: marieke-van-dijk
    text: We did it.
media_contacts: [marieke-van-dijk]
---
The statement.
"""


def write(folder: Path, text: str, name: str = "r.md") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_release(path)
    return caught.value


def test_example_release_loads_with_everything(workspace: Path) -> None:
    release = load_release(EXAMPLE)
    assert release.headline.startswith("Dock workers in three countries")
    assert release.embargo is not None and release.embargo.utcoffset() is not None
    assert [q.by or q.name for q in release.quotes] == ["marieke-van-dijk", "Kunthea Sok"]
    assert release.placements[0].quote == 0 and release.placements[0].line == 43
    assert release.audience == ("press-eu", "labour-beat")


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (("dateline: Amsterdam\n", "datelin: Amsterdam\n"), 3, "unknown key `datelin`; did you mean `dateline`?"),
        (("date: 2024-06-26", "date: 2024-02-30"), 4, "`date` is 2024-02-30, a date that does not exist"),
        (("date: 2024-06-26\n", "date: 2024-06-26\nembargo: 2024-06-26T06:00:00\n"), 5,
         "`embargo` 2024-06-26T06:00:00 has no time zone"),
        (("headline: Harbour deal signed", 'headline: "Deal\\nBcc: all@example.org"'), 2, "must be one line of text"),
        (("    text: We did it.\n", "    txt: We did it.\n"), 7, "unknown key `txt` in quote 1; did you mean `text`?"),
        (("The statement.\n", "\n"), 9, "the statement is empty"),
        (("The statement.\n", "The statement.\n\n[[quote: nobody]]\n"), 12, "`[[quote: nobody]]` names no quote"),
        (("date: 2024-06-26\n", "date: [2024]\n"), 4, "write the date as YYYY-MM-DD"),
    ],
)
def test_bad_front_matter_names_the_line(tmp_path: Path, change: tuple[str, str], line: int, message: str) -> None:
    assert change[0] in GOOD
    err = error_of(write(tmp_path, GOOD.replace(change[0], change[1])))
    assert err.line == line
    assert message in err.message
    assert str(err.path).endswith("r.md")


def test_missing_required_key(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("dateline: Amsterdam\n", "")))
    assert err.message == "missing required key `dateline`"


def test_no_front_matter(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "# Just Markdown\n"))
    assert (err.line, err.message.split(":")[0]) == (1, "no front matter")


def test_unclosed_front_matter(tmp_path: Path) -> None:
    assert "not closed" in error_of(write(tmp_path, "---\nheadline: x\n")).message


def test_broken_yaml_is_located_in_the_file(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, GOOD.replace("dateline: Amsterdam", "dateline: [Amsterdam")))
    assert err.message.startswith("front matter: YAML syntax")
    assert err.line is not None and err.line >= 3


def test_check_finds_contact_problems(workspace: Path) -> None:
    text = GOOD.replace("by: marieke-van-dijk", "by: marieke-van-dyk").replace(
        "[marieke-van-dijk]", "[marieke-van-dijk, femke-jansen, camille-roux, nobody]")
    text = text.replace("date: 2024-06-26\n", "date: 2024-06-26\naudience: [press-eu, press-mars]\n")
    release = load_release(write(workspace, text))
    findings = check_release(release, open_book(Path("contacts.yaml")), now=BEFORE_EMBARGO)
    summary = [(f.code, f.line, f.message) for f in findings]
    assert summary == [
        ("R003", 5, "audience list `press-mars` has nobody on it in contacts.yaml; did you mean `press-asia`?"),
        ("R003", 7, "quote 1 is by `marieke-van-dyk`, who is not in contacts.yaml; did you mean `marieke-van-dijk`?"),
        ("R003", 9, "media contact `nobody` is not in contacts.yaml"),
        ("R004", 9, "media contact `camille-roux` is unsubscribed"),
    ]


def test_check_finds_text_problems(workspace: Path) -> None:
    text = GOOD.replace("Harbour deal signed", "TODO " + "long headline " * 8).replace(
        "The statement.", "Signed today, Tuesday, in Amsterdam.\n\nOn Sunday 24 June the talks ended. Lorem ipsum.")
    text = text.replace("date: 2024-06-26\n", "date: 2024-06-26\nembargo: 2024-06-27T09:00:00+02:00\n")
    release = load_release(write(workspace, text))
    codes = [(f.code, f.line) for f in check_release(release, open_book(Path("contacts.yaml")), now=BEFORE_EMBARGO)]
    assert codes == [("R008", 2), ("R009", 2), ("R005", 5), ("R007", 11), ("R007", 13), ("R008", 13)]


def test_embargo_in_the_past_is_a_warning(workspace: Path) -> None:
    release = load_release(EXAMPLE)
    findings = check_release(release, open_book(Path("contacts.yaml")), now=datetime(2026, 11, 26, tzinfo=UTC))
    assert [(f.code, f.severity.value) for f in findings] == [("R006", "warning")]
    assert check_release(release, open_book(Path("contacts.yaml")), now=BEFORE_EMBARGO) == []


def test_read_release_collects_every_problem(tmp_path: Path) -> None:
    text = GOOD.replace("dateline: Amsterdam\n", "dateline: Amsterdam\nlanguge: fr\nlanguage: 12\n")
    release, findings = read_release(write(tmp_path, text))
    assert release is not None
    assert [(f.code, f.line) for f in findings] == [("R013", 4), ("R011", 5)]


def test_cli_release_check_clean_and_failing(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    ok = runner.invoke(app, ["release", "check", str(EXAMPLE), "--ignore", "R006"])
    assert (ok.exit_code, ok.output) == (0, "All checks passed.\n")
    bad = write(workspace, GOOD.replace("[marieke-van-dijk]", "[nobody]"), "bad.md")
    result = runner.invoke(app, ["release", "check", bad.name, "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [(f["code"], f["line"], f["file"]) for f in data["findings"]] == [("R003", 8, "bad.md")]


def test_cli_release_check_strict_and_missing_file(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["release", "check", str(EXAMPLE), "--strict"]).exit_code == 1
    missing = runner.invoke(app, ["release", "check", "releases/nope.md"])
    assert missing.exit_code == 2
    assert "releases/nope.md: no such file" in missing.output


def test_cli_release_check_reports_front_matter_error(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    bad = write(workspace, GOOD.replace("date: 2024-06-26", "date: 2024-02-30"), "bad.md")
    result = runner.invoke(app, ["release", "check", bad.name])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "bad.md:4:1: R011 [error] `date` is 2024-02-30, a date that does not exist (day is out of range for month)")


@pytest.mark.parametrize("key", ["headline", "subheadline", "dateline"])
@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u0085", "\v", "\f", "\x1c", "\x00", "\x1b"])
def test_one_line_values_refuse_every_line_break(tmp_path: Path, key: str, char: str) -> None:
    """Mail header folding breaks a line wherever str.splitlines() does, not only at \\n and \\r."""
    values = {"headline": "Deal", "subheadline": "More", "dateline": "Amsterdam"}
    values[key] = f"a{char}Bcc: evil@example.net".encode("unicode_escape").decode("ascii")
    front = "".join(f'{name}: "{value}"\n' for name, value in values.items())
    err = error_of(write(tmp_path, f"---\n{front}date: 2024-06-26\n---\nThe statement.\n"))
    assert (err.path, err.line) == (str(tmp_path / "r.md"), 2 + list(values).index(key))
    assert err.message.startswith(f"`{key}` must be one line of text, but it contains a line break or control "
                                  f"character, U+{ord(char):04X}")


@pytest.mark.parametrize(("language", "sentence", "warned"), [
    ("nl", "Op dinsdag 26 juni 2024 tekenden zij.", "'dinsdag 26 juni 2024': 2024-06-26 is a Wednesday"),
    ("nl", "Op Woensdag 26 juni tekenden zij.", None),
    ("de", "Am Dienstag, den 26. Juni 2024 unterschrieben sie.",
     "'Dienstag, den 26. Juni 2024': 2024-06-26 is a Wednesday"),
    ("de", "Am Mittwoch, 26. Juni unterschrieben sie.", None),
    ("fr", "Signé le mardi 26 juin 2024.", "'mardi 26 juin 2024': 2024-06-26 is a Wednesday"),
    ("es", "Firmado el martes 26 de junio de 2024.", "'martes 26 de junio de 2024': 2024-06-26 is a Wednesday"),
    ("id", "Ditandatangani Rabu, 26 Juni 2024.", None),
    ("id", "Ditandatangani Selasa, 26 Juni 2024.", "'Selasa, 26 Juni 2024': 2024-06-26 is a Wednesday"),
    ("pt-BR", "Assinado na terça-feira, 26 de junho.", "'terça-feira, 26 de junho': 2024-06-26 is a Wednesday"),
    ("fr", "Signé le jeudi 31 juin.", "'jeudi 31 juin' is not a date"),
    ("nl", "Signed on Tuesday 26 June.", "'Tuesday 26 June': 2024-06-26 is a Wednesday"),  # English too
])
def test_weekdays_are_checked_in_the_release_language(workspace: Path, language: str, sentence: str,
                                                      warned: str | None) -> None:
    text = GOOD.replace("date: 2024-06-26\n", f"date: 2024-06-26\nlanguage: {language}\n").replace(
        "The statement.", sentence)
    release = load_release(write(workspace, text))
    messages = [f.message for f in check_release(release, open_book(Path("contacts.yaml")), now=BEFORE_EMBARGO)
                if f.code == "R007"]
    assert messages == ([f"{warned} in the body"] if warned else [])
