"""Fixed phrases and dates in ten languages, right-to-left Arabic, the fallback to English, and the
scripts' fonts in HTML (checked in headless Chromium)."""

from __future__ import annotations

import email
import os
import re
import subprocess
import unicodedata
from email import policy
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, find_executable, require_tool

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.release import load_release
from pressctl.render import render_html, render_text
from pressctl.render.phrases import available_languages, phrases_for

LOCALE = REPO / "pressctl" / "locale"
TEN = ("en", "fr", "nl", "de", "es", "id", "km", "pt", "vi", "ar")
ARTEFACTS = Path(os.environ.get("PRESSCTL_ARTEFACTS") or REPO / "tests" / "artefacts")

FRONT = """\
---
headline: {headline}
dateline: {dateline}
date: 2024-06-26
embargo: "2024-06-26T06:00:00+02:00"
language: {language}
quotes:
  - by: sophal-meas
    text: "{quote}"
  - name: {name}
    role: {role}
    text: "{quote2}"
media_contacts: [sophal-meas, marieke-van-dijk]
notes:
  - "{note}"
about: "{about}"
---
{body}
"""

# The same release in French, Khmer and Arabic: what a press office in Phnom Penh or Amman would issue.
RELEASES = {
    "fr": {
        "headline": "Les dockers de trois pays obtiennent un premier accord salarial commun",
        "dateline": "Amsterdam",
        "quote": "Aujourd'hui, un grutier de Jakarta et un grutier d'Amsterdam signent le même accord.",
        "name": "Kunthea Sok", "role": "Cheffe d'équipe",
        "quote2": "Nous avons écrit la moitié de cet accord nous-mêmes.",
        "note": "Le texte intégral de l'accord est publié en quatre langues.",
        "about": "L'Alliance des travailleurs portuaires réunit des syndicats de trois pays.",
        "body": "Les dockers des trois terminaux obtiennent des hausses de salaire de **11 %** sur deux ans.",
    },
    "km": {
        "headline": "កម្មករផែនៅបីប្រទេសទទួលបានកិច្ចព្រមព្រៀងប្រាក់ឈ្នួលរួមគ្នាជាលើកដំបូង",
        "dateline": "ភ្នំពេញ",
        "quote": "ថ្ងៃនេះ អ្នកបើកស្ទូចនៅហ្សាការតា និងនៅអាំស្ទែរដាំ ចុះហត្ថលេខាលើកិច្ចព្រមព្រៀងតែមួយ។",
        "name": "សុខ គន្ធា", "role": "ប្រធានក្រុមចងទំនិញ",
        "quote2": "ក្រុមរបស់ខ្ញុំបានសរសេរកិច្ចព្រមព្រៀងនេះពាក់កណ្តាលដោយខ្លួនឯង។",
        "note": "អត្ថបទពេញនៃកិច្ចព្រមព្រៀងត្រូវបានបោះពុម្ពជាបួនភាសា។",
        "about": "សម្ព័ន្ធកម្មករផែ គឺជាសម្ព័ន្ធសហជីពកម្មករផែនៅបីប្រទេស។",
        "body": "កម្មករផែនៅស្ថានីយកុងតឺន័រទាំងបីនឹងទទួលបានការដំឡើងប្រាក់ឈ្នួលរហូតដល់ **១១ភាគរយ** ក្នុងរយៈពេលពីរឆ្នាំ។",
    },
    "ar": {
        "headline": "عمال الموانئ في ثلاثة بلدان يحصلون على أول اتفاق مشترك للأجور",
        "dateline": "عمّان",
        "quote": "اليوم يوقّع سائق الرافعة في جاكرتا وسائق الرافعة في أمستردام الاتفاق نفسه.",
        "name": "ليلى حداد", "role": "رئيسة فريق",
        "quote2": "كتب فريقي نصف هذا الاتفاق بنفسه.",
        "note": "نُشر النص الكامل للاتفاق بأربع لغات.",
        "about": "تحالف عمال الموانئ هو ائتلاف من نقابات عمال الموانئ في ثلاثة بلدان.",
        "body": "سيحصل عمال الموانئ في المحطات الثلاث على زيادات في الأجور تصل إلى **11٪** على مدى عامين.",
    },
}


def write_release(workspace: Path, language: str) -> Path:
    path = workspace / "releases" / f"2024-06-26-deal-{language}.md"
    path.write_text(FRONT.format(language=language, **RELEASES[language]), encoding="utf-8")
    return path


def parts(workspace: Path, language: str) -> tuple[Any, Any, Any]:
    return load_release(write_release(workspace, language)), open_book(Path("contacts.yaml")), load_config()


def read_catalogue(language: str) -> dict[str, str]:
    from babel.messages.pofile import read_po

    with open(LOCALE / language / "LC_MESSAGES" / "pressctl.po", "rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def template_ids() -> list[str]:
    from babel.messages.pofile import read_po

    with open(LOCALE / "pressctl.pot", "rb") as handle:
        return [str(m.id) for m in read_po(handle) if m.id]


def test_ten_languages_have_phrases() -> None:
    assert set(TEN) <= set(available_languages())


@pytest.mark.parametrize("language", [tag for tag in TEN if tag != "en"])
def test_every_catalogue_translates_every_phrase_and_keeps_its_fields(language: str) -> None:
    catalogue = read_catalogue(language)
    for msgid in template_ids():
        assert catalogue.get(msgid), f"{language}: {msgid!r} is not translated"
        assert re.findall(r"{\w+}", catalogue[msgid]) == re.findall(r"{\w+}", msgid), (language, msgid)


@pytest.mark.parametrize("language", sorted(path.parent.parent.name for path in LOCALE.glob("*/LC_MESSAGES/*.po")))
def test_each_compiled_catalogue_says_what_its_po_says(language: str) -> None:
    import gettext

    compiled = LOCALE / language / "LC_MESSAGES" / "pressctl.mo"
    assert compiled.is_file(), f"{language}: no pressctl.mo; run compile_catalogues() (docs/templates.md)"
    with compiled.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    from babel.messages.pofile import read_po

    with open(LOCALE / language / "LC_MESSAGES" / "pressctl.po", "rb") as handle:
        messages = [m for m in read_po(handle) if m.id]
    assert messages
    for message in messages:
        expected = str(message.string) if message.string and not message.fuzzy else str(message.id)
        assert translations.gettext(str(message.id)) == expected, (language, message.id)
    assert phrases_for(language)("Notes to editors") == translations.gettext("Notes to editors")


NEW = {
    "pt": ("SOB EMBARGO ATÉ 26 de junho de 2024, 06:00 (UTC+02:00)", "AMSTERDAM, 26 de junho de 2024 –"),
    "vi": ("KHÔNG ĐƯỢC CÔNG BỐ TRƯỚC 26 tháng 6, 2024, 06:00 (UTC+02:00)", "AMSTERDAM, 26 tháng 6, 2024 –"),
    "ar": ("يُحظر النشر قبل 26 يونيو 2024, 06:00 (UTC+02:00)", "AMSTERDAM, 26 يونيو 2024 –"),
}


@pytest.mark.parametrize("language", sorted(NEW))
def test_new_languages_localise_dates_and_phrases(workspace: Path, language: str) -> None:
    path = workspace / "releases" / "2024-06-26-three-port-wage-deal.md"
    path.write_text(path.read_text().replace("language: en", f"language: {language}"))
    release, book, config = load_release(path), open_book(Path("contacts.yaml")), load_config()
    text = render_text(release, book, config)
    status, dateline = NEW[language]
    assert text.startswith(status)
    assert dateline in text.replace("\n", " ")
    catalogue = read_catalogue(language)
    for phrase in ("ENDS", "Notes to editors", "Media contacts", "Mobile", "Work"):
        assert catalogue[phrase] in text
    assert catalogue["About {organisation}"].format(organisation="Harbour Workers Alliance") in text


def test_arabic_is_right_to_left_in_html_and_email(workspace: Path) -> None:
    release, book, config = parts(workspace, "ar")
    for html in (render_html(release, book, config), render_html(release, book, config, email=True)):
        assert re.match(r'<!DOCTYPE html>\n?<html lang="ar" dir="rtl">', html)
    english = load_release(workspace / "releases" / "2024-06-26-three-port-wage-deal.md")
    assert "dir=" not in render_html(english, book, config).split("\n")[1]


def test_text_of_a_right_to_left_release_keeps_its_logical_order(workspace: Path) -> None:
    release, book, config = parts(workspace, "ar")
    text = render_text(release, book, config)
    source = RELEASES["ar"]
    lines = text.splitlines()
    # The headline, as typed, is the third line: not reversed, not reshaped, no bidi controls added.
    assert lines[:3] == ["يُحظر النشر قبل 26 يونيو 2024, 06:00 (UTC+02:00)", "", source["headline"]]
    flat = " ".join(text.split())
    assert f"«{source['quote']}»" in flat
    assert "— ليلى حداد, رئيسة فريق" in flat
    assert not [c for c in text if unicodedata.category(c) == "Cf" and c != "\u200c"]
    assert not any("\ufb50" <= c <= "\ufeff" for c in text)  # no presentation forms: still logical text


@pytest.mark.parametrize("language", ["sw", "tlh"])
def test_a_language_without_a_catalogue_falls_back_to_english_with_a_warning(workspace: Path, runner,  # type: ignore[no-untyped-def]
                                                                            language: str) -> None:
    path = workspace / "releases" / "2024-06-26-three-port-wage-deal.md"
    path.write_text(path.read_text().replace("language: en", f"language: {language}"))
    result = runner.invoke(app, ["render", str(path), "-o", "out.txt"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"warning: pressctl has no catalogue of fixed phrases for `{language}`, so "
                                    "they are in English (it has ar, de, en, es, fr, id, km, nl, pt, vi")
    text = (workspace / "out.txt").read_text(encoding="utf-8")
    assert text.startswith("EMBARGOED UNTIL") and "Notes to editors" in text and "ENDS" in text
    assert not phrases_for("en-GB").fallback_warning and not phrases_for("pt-BR").fallback_warning


def test_merge_greets_each_recipient_in_their_language(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    entries = "".join(
        f"  - id: reader-{tag}\n    name: Reader {tag.upper()}\n    email: reader-{tag}@example.org\n"
        f"    languages: [{tag}]\n    lists: [polyglots]\n" for tag in TEN)
    book.write_text(book.read_text() + entries, encoding="utf-8")
    release = "releases/2024-06-26-three-port-wage-deal.md"
    result = runner.invoke(app, ["render", release, "-f", "eml", "--audience", "polyglots", "-o", "outbox/"])
    assert result.exit_code == 0, result.output
    for tag in TEN:
        message = email.message_from_bytes((workspace / "outbox" / f"reader-{tag}.eml").read_bytes(),
                                           policy=policy.default)
        expected = (read_catalogue(tag).get("Dear {name},") if tag != "en" else None) or "Dear {name},"
        greeting = expected.format(name=f"Reader {tag.upper()}")
        assert message.get_body(("plain",)).get_content().startswith(greeting), tag
        html = message.get_body(("html",)).get_content()
        assert greeting in html, tag


def test_stylesheet_names_a_font_for_each_script_and_room_for_tall_lines() -> None:
    css = (REPO / "templates" / "release.html").read_text(encoding="utf-8").split("<style>")[1].split("</style>")[0]
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    stacks = re.findall(r"font-family: ([^;]+);", css)
    assert len(stacks) == 2  # one serif, one sans, each ending in the generic family
    for stack in stacks:
        families = [name.strip(" '") for name in stack.split(",")]
        assert families[0] in ("Georgia", "Arial") and families[-1] in ("serif", "sans-serif")
        for script in ("Khmer", "Arabic", "Thai", "CJK"):
            first = next(n for n, family in enumerate(families) if script in family)
            assert first > 1, f"{script} comes after the Latin faces"
    heights = {selector.strip(): float(value) for selectors, value in
               re.findall(r"([^{}]+)\{[^}]*line-height: ([\d.]+)", css) for selector in selectors.split(",")}
    assert heights["h1"] >= 1.3 and heights['html[lang|="km"] h1'] >= 1.5 and heights['html[lang|="ar"] h1'] >= 1.5
    assert heights["body"] >= 1.5


def _chromium(args: list[str], profile: Path) -> None:
    chromium = require_tool(find_executable("chromium") or "/usr/bin/chromium", "Chromium (Debian package chromium)")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", *args], capture_output=True, timeout=90, check=False)


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize(("language", "fonts"), [("km", ("Khmer",)), ("ar", ("Arabic",))])
def test_chromium_draws_khmer_and_arabic_with_their_fonts(workspace: Path, tmp_path: Path, language: str,
                                                          fonts: tuple[str, ...]) -> None:
    """A screenshot for a person to look at (kept in tests/artefacts), and Chromium's own PDF of the page,
    whose embedded fonts show which faces it chose: a script font, not empty boxes."""
    from pypdf import PdfReader

    release, book, config = parts(workspace, language)
    page = workspace / f"release-{language}.html"
    page.write_text(render_html(release, book, config), encoding="utf-8")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / f"html-{language}.png"
    shot.unlink(missing_ok=True)
    _chromium([f"--screenshot={shot}", "--window-size=900,1300", page.as_uri()], tmp_path / "profile")
    assert shot.exists() and shot.stat().st_size > 20_000, "Chromium wrote no screenshot"
    printed = tmp_path / "printed.pdf"
    _chromium([f"--print-to-pdf={printed}", "--no-pdf-header-footer", page.as_uri()], tmp_path / "profile")
    reader = PdfReader(printed)
    used = {str(font.get_object()["/BaseFont"]) for p in reader.pages
            for font in p["/Resources"]["/Font"].values()}
    for script in fonts:
        assert any(script in name.replace("-", "").replace("OS", " OS") or script in name for name in used), used


@pytest.mark.external
@pytest.mark.slow
def test_khmer_and_arabic_pages_are_valid_html5(workspace: Path) -> None:
    import json

    jar = os.environ.get("PRESSCTL_VNU_JAR") or str(REPO / ".ci" / "node" / "node_modules" / "vnu-jar" / "build" /
                                                    "dist" / "vnu.jar")
    jar = require_tool(jar if find_executable("java") else None, "The Nu Html Checker (vnu.jar and Java)")
    files = []
    example = workspace / "releases" / "2024-06-26-three-port-wage-deal.md"
    for language in ("km", "ar", "vi", "pt"):
        if language not in RELEASES:
            path = workspace / "releases" / f"example-{language}.md"
            path.write_text(example.read_text().replace("language: en", f"language: {language}"))
            release, book, config = load_release(path), open_book(Path("contacts.yaml")), load_config()
        else:
            release, book, config = parts(workspace, language)
        for kind, email_html in (("page", False), ("email", True)):
            name = f"{language}-{kind}.html"
            (workspace / name).write_text(render_html(release, book, config, email=email_html), encoding="utf-8")
            files.append(name)
    run = subprocess.run(["java", "-jar", jar, "--errors-only", "--format", "json", *files], cwd=workspace,
                         capture_output=True, text=True, timeout=120)
    assert json.loads(run.stderr or run.stdout)["messages"] == []
