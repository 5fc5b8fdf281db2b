"""Language versions: NAME.TAG.md beside NAME.md, shared facts inherited, versions compared, chosen per recipient."""

from __future__ import annotations

import email
import json
import subprocess
from email import policy
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.contacts.model import Contact
from pressctl.errors import InputError
from pressctl.release.versions import load_versions, split_name, version_for
from tests.test_render import _vnu

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
INDONESIAN = "releases/2024-06-26-three-port-wage-deal.id.md"


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


def translation(workspace: Path, name: str, front: str = "", body: str = "Een verklaring.\n") -> Path:
    path = workspace / "releases" / name
    path.write_text(f"---\nheadline: Een kop\n{front}---\n{body}", encoding="utf-8")
    return path


def check(runner, *paths: str, codes: str = "R0") -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["release", "check", *paths])
    return result.exit_code, [line for line in result.output.splitlines() if f": {codes}" in line]


def test_a_translation_inherits_the_shared_facts(workspace: Path) -> None:
    versions = load_versions(INDONESIAN)
    original, indonesian = versions["en"], versions["id"]
    assert list(versions) == ["en", "id"]
    assert indonesian.language == "id" and indonesian.headline.startswith("Buruh pelabuhan")
    for key in ("date", "embargo", "dateline", "media_contacts", "audience"):
        assert getattr(indonesian, key) == getattr(original, key), key
    assert [q.text.split()[0] for q in indonesian.quotes] == ["Bertahun-tahun", "Dulu"]


def test_the_example_versions_check_clean(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    code, lines = check(runner, EXAMPLE, INDONESIAN)
    # The embargo of 2024 is in the past: reported once, on the original, not again on the translation.
    assert (code, lines) == (0, [f"{EXAMPLE}:6:1: R006 [warning] the embargo (2024-06-26T06:00:00+02:00) is "
                                 "already in the past"])


@pytest.mark.parametrize(("name", "expected"), [
    ("deal.md", ("deal.md", None)),
    ("deal.km.md", ("deal.md", "km")),
    ("2024-06-26-deal.pt-BR.md", ("2024-06-26-deal.md", "pt-BR")),
    ("deal.zh-Hant.md", ("deal.md", "zh-Hant")),
    ("notes.final.md", ("notes.final.md", None)),  # `final` is no language tag
    ("v1.2.md", ("v1.2.md", None)),
    (".km.md", (".km.md", None)),
])
def test_split_name(name: str, expected: tuple[str, str | None]) -> None:
    path, tag = split_name(Path("releases") / name)
    assert (path.name, tag) == expected


@given(st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True), st.sampled_from(["en", "km", "id", "pt-BR", "ar"]))
def test_split_name_round_trip(stem: str, tag: str) -> None:
    assert split_name(Path(f"{stem}.{tag}.md")) == (Path(f"{stem}.md"), tag)


def test_a_translation_without_its_original(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    translation(workspace, "2024-07-01-strike.nl.md")
    code, lines = check(runner, "releases/2024-07-01-strike.nl.md")
    assert code == 1
    assert lines == ["releases/2024-07-01-strike.nl.md:1:1: R015 [error] a translation (nl) without its original: "
                     "there is no releases/2024-07-01-strike.md; name the translation after the release it translates"]
    result = runner.invoke(app, ["render", "releases/2024-07-01-strike.nl.md"])
    assert result.exit_code == 1 and "without its original" in result.output


def test_two_files_for_one_language(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    translation(workspace, "2024-06-26-three-port-wage-deal.en.md")
    code, lines = check(runner, EXAMPLE, codes="R01")
    assert code == 1
    assert lines == [
        "releases/2024-06-26-three-port-wage-deal.en.md:1:1: R016 [error] a second version in en: "
        f"{EXAMPLE}:7 is already in that language; keep one of the two files",
    ]
    (workspace / "releases" / "2024-06-26-three-port-wage-deal.en.md").unlink()
    translation(workspace, "2024-06-26-three-port-wage-deal.ID.md")
    code, lines = check(runner, EXAMPLE, codes="R016")
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith("releases/2024-06-26-three-port-wage-deal.id.md:4:1: R016 [error] a second version "
                               "in id: releases/2024-06-26-three-port-wage-deal.ID.md:1 is already")
    result = runner.invoke(app, ["render", EXAMPLE, "--language", "id"])
    assert result.exit_code == 1 and "two versions in id" in result.output


def test_a_translation_that_sets_another_date_or_embargo(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    text = (workspace / INDONESIAN).read_text(encoding="utf-8")
    (workspace / INDONESIAN).write_text(text.replace("language: id\n", "language: id\ndate: 2024-06-27\n"
                                                     "embargo: 2024-06-27T06:00:00+07:00\n"), encoding="utf-8")
    code, lines = check(runner, INDONESIAN, codes="R01")
    assert code == 1
    assert lines == [
        f"{INDONESIAN}:5:1: R017 [error] `date` is 2024-06-27 here but 2024-06-26 in the original, {EXAMPLE}:5; "
        "a translation takes it from the original, so leave it out",
        f"{INDONESIAN}:6:1: R017 [error] `embargo` is 2024-06-27T06:00:00+07:00 here but 2024-06-26T06:00:00+02:00 "
        f"in the original, {EXAMPLE}:6; a translation takes it from the original, so leave it out",
    ]


def test_contacts_and_quotes_that_disagree(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    text = (workspace / INDONESIAN).read_text(encoding="utf-8")
    text = text.replace("language: id\n", "language: id\nmedia_contacts: [ratih-kusumawardani]\n")
    text = text.replace("[[quote: marieke-van-dijk]]\n", "Tanpa kutipan di sini.\n")
    text = text.replace("  - name: Kunthea Sok\n    role: Ketua regu lashing\n", "  - name: Kunthea Sok\n")
    text = text.replace("  - by: marieke-van-dijk\n", "  - by: sophal-meas\n")
    (workspace / INDONESIAN).write_text(text, encoding="utf-8")
    code, lines = check(runner, EXAMPLE, INDONESIAN, codes="R01")
    assert code == 0  # warnings: the versions may differ on purpose
    assert lines == [
        f"{INDONESIAN}:5:1: R018 [warning] `media_contacts` is ratih-kusumawardani here but marieke-van-dijk, "
        f"ratih-kusumawardani, sophal-meas in the original, {EXAMPLE}:22; a translation takes it from the original, "
        "so leave it out",
        f"{INDONESIAN}:6:1: R019 [warning] quote `marieke-van-dijk` of the original ({EXAMPLE}:9) is missing here",
        f"{INDONESIAN}:7:1: R019 [warning] quote `sophal-meas` is not in the original, {EXAMPLE}",
    ]


def test_a_quote_placed_in_one_version_only(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    text = (workspace / INDONESIAN).read_text(encoding="utf-8")
    (workspace / INDONESIAN).write_text(text.replace("[[quote: marieke-van-dijk]]\n", "[[quote: 2]]\n"),
                                        encoding="utf-8")
    code, lines = check(runner, INDONESIAN)
    assert code == 0
    assert lines == [
        f"{INDONESIAN}:28:1: R019 [warning] quote `marieke-van-dijk` is placed in the original ({EXAMPLE}:43) "
        "but not here, so it follows the statement; add `[[quote: marieke-van-dijk]]` where it belongs",
        f"{INDONESIAN}:44:1: R019 [warning] quote `2` is placed here but not in the original ({EXAMPLE}), where it "
        "follows the statement",
    ]


def test_render_language(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "--language", "id"])
    assert result.exit_code == 0
    assert "AMSTERDAM, 26 Juni 2024 \u2013 Buruh pelabuhan" in result.output
    assert result.output == runner.invoke(app, ["render", INDONESIAN]).output
    english = runner.invoke(app, ["render", INDONESIAN, "--language", "EN"])
    assert english.exit_code == 0 and "Dock workers at the three" in english.output
    missing = runner.invoke(app, ["render", EXAMPLE, "--language", "km"])
    assert missing.exit_code == 2
    assert "--language km: the release has no version in that language (it has en, id)" in missing.output


def contact(*languages: str) -> Contact:
    return Contact(0, "reader", "Reader", email="reader@example.org", languages=languages)


def test_version_for_takes_the_first_language_that_exists(workspace: Path) -> None:
    versions = load_versions(EXAMPLE)
    assert version_for(contact("id", "en"), versions).language == "id"
    assert version_for(contact("de", "id"), versions).language == "id"
    assert version_for(contact("de", "en", "id"), versions).language == "en"
    assert version_for(contact("km"), versions).language == "en"  # none exists: the original
    assert version_for(contact(), versions).language == "en"
    assert version_for(contact("id-ID"), versions).language == "id"  # by the primary language
    assert version_for(contact("ID"), versions).language == "id"


def test_merge_gives_each_recipient_their_version(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to",
                                 "ratih-kusumawardani,femke-jansen,sophal-meas", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert result.output == "Wrote 3 messages to out/ (2 en, 1 id). Nothing was sent.\n"
    subjects = {}
    for path in (workspace / "out").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message.defects == []
        subjects[path.stem] = (message["Content-Language"], str(message["Subject"]).split("] ")[1][:12])
    assert subjects == {"ratih-kusumawardani": ("id", "Buruh pelabu"), "femke-jansen": ("en", "Dock workers"),
                        "sophal-meas": ("en", "Dock workers")}
    # --language makes it one version for everybody.
    forced = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--language", "id", "--to",
                                 "ratih-kusumawardani,femke-jansen", "--mbox", "all.mbox"])
    assert forced.output == "Wrote 2 messages to all.mbox. Nothing was sent.\n"


def test_versions_link_each_other(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    for name, args in (("en.html", [EXAMPLE]), ("id.html", [INDONESIAN])):
        assert runner.invoke(app, ["render", *args, "-f", "html", "-o", name]).exit_code == 0
    english = (workspace / "en.html").read_text(encoding="utf-8")
    indonesian = (workspace / "id.html").read_text(encoding="utf-8")
    assert '<link rel="alternate" hreflang="id" href="2024-06-26-three-port-wage-deal.id.html">' in english
    assert '<link rel="alternate" hreflang="en" href="2024-06-26-three-port-wage-deal.html">' in indonesian
    assert ('<a href="2024-06-26-three-port-wage-deal.id.html" hreflang="id" lang="id">Indonesia</a>' in english)
    assert '<strong lang="id">Indonesia</strong>' in indonesian
    assert "hreflang" not in runner.invoke(app, ["render", EXAMPLE, "-f", "eml"]).output


def test_an_invalid_language_in_a_translation(workspace: Path) -> None:
    translation(workspace, "2024-06-26-three-port-wage-deal.km.md", "language: th\n")
    with pytest.raises(InputError, match="the file name says the language is km, but `language` is th"):
        load_versions(EXAMPLE)


@pytest.mark.external
@pytest.mark.slow
def test_version_html_is_valid_html5(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    jar = _vnu()
    for name, args in (("en.html", [EXAMPLE]), ("id.html", [INDONESIAN])):
        assert runner.invoke(app, ["render", *args, "-f", "html", "-o", name]).exit_code == 0
    run = subprocess.run(["java", "-jar", jar, "--errors-only", "--format", "json", "en.html", "id.html"],
                         cwd=workspace, capture_output=True, text=True, timeout=120)
    assert json.loads(run.stderr or run.stdout)["messages"] == []


def test_a_reader_of_a_translation_is_greeted_in_its_language(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = (workspace / "contacts.yaml").read_text(encoding="utf-8")
    (workspace / "contacts.yaml").write_text(book.replace("languages: [id, en]", "languages: [de, id]"),
                                             encoding="utf-8")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "ratih-kusumawardani,juergen-hoffmann",
                                 "-o", "out"])
    assert result.output == "Wrote 2 messages to out/ (1 en, 1 id). Nothing was sent.\n"
    greetings = {}
    for path in (workspace / "out").iterdir():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        greetings[path.stem] = message.get_body(("plain",)).get_content().splitlines()[0]  # type: ignore[union-attr]
    # Jürgen ([de, en]) reads the English original, greeted in German as before.
    assert greetings == {"ratih-kusumawardani": "Yth. Ratih Kusumawardani,",
                         "juergen-hoffmann": "Guten Tag Jürgen Hoffmann,"}


def test_the_common_language_tags_are_those_langcodes_finds_valid() -> None:
    import langcodes

    from pressctl.release.model import COMMON_TAGS, valid_language_tag

    assert all(langcodes.tag_is_valid(tag) for tag in COMMON_TAGS)
    assert not valid_language_tag("jp") and not valid_language_tag("en-") and valid_language_tag("sw-TZ")
