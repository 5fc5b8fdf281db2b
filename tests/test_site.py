"""`pressctl site`: the files of the newsroom, embargo safety, atomic and byte-identical rebuilds, refusals,
hostile input, Atom read back by feedparser and ninjs validated against the IPTC schema."""

from __future__ import annotations

import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from site_helpers import BASE, MAIN, NOW, NOW_TEXT, drop_example_translation, newsroom, write_release

from pressctl.cli import app

# The IPTC's schema, in the shared folder that lies beside every checkout and CI's clone.
SCHEMA = REPO.parent / "shared" / "schemas" / "ninjs-schema_3.1.json"
IPTC = Path(__file__).resolve().parent / "data" / "ninjs-3.1"


def build(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["site", "--now", NOW_TEXT, *args])


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def validator():  # type: ignore[no-untyped-def]
    import jsonschema

    require_tool(str(SCHEMA), "The ninjs 3.1 schema (../shared/schemas/ninjs-schema_3.1.json)")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def workspace(workspace: Path) -> Path:
    """The example workspace without its Indonesian version: these tests count the releases they write
    themselves (test_the_example_workspace_publishes_its_translation builds the example as it ships)."""
    drop_example_translation(workspace)
    return workspace


@pytest.fixture
def site(workspace: Path, runner) -> Path:  # type: ignore[no-untyped-def]
    newsroom(workspace)
    result = build(runner)
    assert (result.exit_code, result.stderr) == (0, "Built public/: 4 releases in 4 languages; 1 under embargo "
                                                    "left out.\n")
    return workspace / "public"


def test_the_site_has_every_file_and_nothing_else(site: Path) -> None:
    slugs = [MAIN, f"{MAIN}.km", "2024-06-27-accord-dockers", "2024-06-29-port-ar"]
    expected = {".pressctl-site.json", "index.html", "sitemap.xml", "feed.xml", "feed.en.xml", "feed.fr.xml",
                "feed.km.xml", "feed.ar.xml"}
    expected |= {f"{slug}.html" for slug in slugs} | {f"{slug}.ninjs.json" for slug in slugs}
    assert set(files(site)) == expected
    manifest = json.loads((site / ".pressctl-site.json").read_text())
    assert set(manifest["files"]) == expected - {".pressctl-site.json"}


@pytest.mark.parametrize(("offset", "present"), [(timedelta(seconds=1), False), (timedelta(seconds=-1), True),
                                                 (timedelta(0), True)])
def test_an_embargo_lifting_after_now_keeps_the_release_out_of_everything(workspace: Path, runner,  # type: ignore[no-untyped-def]
                                                                         offset: timedelta, present: bool) -> None:
    write_release(workspace / "releases", "2024-07-01-zebrafish", headline="Zebrafish merger of Harbour and Dock",
                  date="2024-07-01", embargo=NOW + offset, body="The zebrafish statement about the merger.")
    assert build(runner).exit_code == 0
    site = files(workspace / "public")
    holding = sorted(name for name, data in site.items() if b"zebrafish" in data.lower())
    if present:
        assert {"2024-07-01-zebrafish.html", "2024-07-01-zebrafish.ninjs.json", "index.html", "feed.xml", "feed.en.xml",
                "sitemap.xml", ".pressctl-site.json"} <= set(holding)
    else:
        assert holding == []


def test_a_published_page_no_longer_says_embargoed(site: Path) -> None:
    # The example release was under embargo until 26 June 2024, 06:00; the site is built on 1 July.
    page = (site / f"{MAIN}.html").read_text(encoding="utf-8")
    assert '<p class="status">FOR IMMEDIATE RELEASE</p>' in page
    assert "EMBARGOED" not in page.upper()
    from pressctl.render.phrases import phrases_for

    khmer, embargoed = phrases_for("km"), phrases_for("km")("EMBARGOED UNTIL {when}", when="")
    page = (site / f"{MAIN}.km.html").read_text(encoding="utf-8")
    assert f'<p class="status">{khmer("FOR IMMEDIATE RELEASE")}</p>' in page and embargoed.strip() not in page
    assert khmer("FOR IMMEDIATE RELEASE") != "FOR IMMEDIATE RELEASE"  # the catalogue translates it


def test_a_workspace_template_sees_a_published_release_as_not_embargoed(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    newsroom(workspace)
    (workspace / "templates").mkdir(exist_ok=True)
    (workspace / "templates" / "release.html").write_text(
        '{% extends "builtin/release.html" %}{% block status %}<p class="status">'
        "{% if embargoed %}Embargoed until {{ embargo_text }}{% else %}Published{% endif %}</p>{% endblock %}",
        encoding="utf-8")
    assert build(runner).exit_code == 0
    page = (workspace / "public" / f"{MAIN}.html").read_text(encoding="utf-8")
    assert '<p class="status">Published</p>' in page and "Embargoed until" not in page


def test_the_index_lists_each_language_newest_first(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    newsroom(workspace)
    write_release(workspace / "releases", "2024-06-30-newer", headline="A newer English release", date="2024-06-30")
    assert build(runner).exit_code == 0
    html = (workspace / "public" / "index.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section lang="([^"]+)" dir="(\w+)">(.*?)</section>', html, re.S)
    order = [(lang, direction, re.findall(r'class="headline" href="([^"]+)"', body))
             for lang, direction, body in sections]
    assert order == [("en", "ltr", ["2024-06-30-newer.html", f"{MAIN}.html"]),
                     ("ar", "rtl", ["2024-06-29-port-ar.html"]),
                     ("fr", "ltr", ["2024-06-27-accord-dockers.html"]),
                     ("km", "ltr", [f"{MAIN}.km.html"])]
    assert html.startswith('<!DOCTYPE html>\n<html lang="en" dir="ltr">')
    assert "<h2>Français " in html and "<h2>ខ្មែរ " in html


def test_every_page_has_its_language_canonical_url_and_card_metadata(site: Path) -> None:
    for name, lang in ((f"{MAIN}.html", "en"), (f"{MAIN}.km.html", "km"), ("2024-06-27-accord-dockers.html", "fr")):
        html = (site / name).read_text(encoding="utf-8")
        assert html.startswith(f'<!DOCTYPE html>\n<html lang="{lang}">')
        url = BASE + name
        assert f'<link rel="canonical" href="{url}">' in html
        assert f'<meta property="og:url" content="{url}">' in html
        for meta in ('property="og:type" content="article"', 'property="og:title"', 'property="og:description"',
                     'property="og:site_name" content="Harbour Workers Alliance newsroom"',
                     'name="twitter:card" content="summary"', 'name="twitter:title"'):
            assert f"<meta {meta}" in html, (name, meta)
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
        assert (ld["@type"], ld["inLanguage"]) == ("NewsArticle", lang)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{BASE}">' in index
    assert '<meta property="og:type" content="website">' in index


def test_translations_link_each_other(site: Path) -> None:
    english = (site / f"{MAIN}.html").read_text(encoding="utf-8")
    khmer = (site / f"{MAIN}.km.html").read_text(encoding="utf-8")
    assert f'<link rel="alternate" hreflang="km" href="{BASE}{MAIN}.km.html">' in english
    assert f'<a href="{MAIN}.km.html" hreflang="km" lang="km" dir="ltr">ខ្មែរ</a>' in english
    assert f'<link rel="alternate" hreflang="en" href="{BASE}{MAIN}.html">' in khmer


def test_links_are_relative_and_reach_files_of_the_site(site: Path) -> None:
    """So the folder works opened from disk and served under any sub-path."""
    for page in site.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for link in re.findall(r'<a [^>]*href="([^"]+)"', html):
            if link.startswith(("https://", "http://", "mailto:", "tel:")):
                continue
            assert not link.startswith("/"), (page.name, link)
            assert (site / link).is_file(), (page.name, link)


def test_a_rebuild_with_nothing_changed_leaves_the_folder_untouched(site: Path, runner) -> None:  # type: ignore[no-untyped-def]
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [site, *site.iterdir()]}
    result = build(runner)
    assert (result.exit_code, result.stderr) == (0, "public/ is up to date (4 releases in 4 languages; 1 under "
                                                    "embargo left out); nothing was written.\n")
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [site, *site.iterdir()]} == before


def test_the_same_inputs_give_the_same_bytes_anywhere(site: Path, workspace: Path, tmp_path_factory,  # type: ignore[no-untyped-def]
                                                      runner, monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path_factory.mktemp("elsewhere")
    for name in ("contacts.yaml", "pressctl.toml", "releases"):
        (shutil.copytree if name == "releases" else shutil.copy)(workspace / name, other / name)
    monkeypatch.chdir(other)
    assert build(runner, "-o", "out").exit_code == 0
    assert files(other / "out") == files(site)


def test_a_change_replaces_the_whole_folder(site: Path, workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    inode = site.stat().st_ino
    (workspace / "releases" / "2024-06-29-port-ar.md").unlink()
    assert build(runner).exit_code == 0
    assert site.stat().st_ino != inode
    assert not (site / "2024-06-29-port-ar.html").exists()
    assert b"port-ar" not in b"".join(files(site).values())
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".public")] == []  # nothing left beside


def test_a_release_that_does_not_check_stops_the_build_and_the_old_site_stays(site: Path, workspace: Path,  # type: ignore[no-untyped-def]
                                                                               runner) -> None:
    before = files(site)
    path = workspace / "releases" / "2024-06-27-accord-dockers.md"
    path.write_text(path.read_text().replace("language: fr", "language: fr\nmedia_contacts: [nobody-here]"))
    result = build(runner)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: releases/2024-06-27-accord-dockers.md:6: media contact `nobody-here` "
                                    "is not in contacts.yaml")
    assert files(site) == before


def test_an_embargoed_release_that_does_not_check_stops_the_build_too(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    write_release(workspace / "releases", "2024-07-09-later", headline="Later", date="2024-07-09",
                  embargo=NOW + timedelta(days=8), extra="quotes: [{by: nobody-here, text: Hello}]\n")
    result = build(runner)
    assert result.exit_code == 1
    assert "releases/2024-07-09-later.md:" in result.stderr and "nobody-here" in result.stderr
    assert not (workspace / "public").exists()


def test_two_releases_with_the_same_slug_are_refused(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    write_release(workspace / "releases" / "2023", "deal", headline="One deal", date="2023-05-01")
    write_release(workspace / "releases" / "2024", "Deal", headline="Another deal", date="2024-05-01")
    result = build(runner)
    assert result.exit_code == 1
    assert result.stderr == ("error: releases/2024/Deal.md: two releases make the page Deal.html: "
                             "releases/2023/deal.md and releases/2024/Deal.md\n"
                             "  hint: rename one of the files; the file name is the page's name\n")
    assert not (workspace / "public").exists()


@pytest.mark.parametrize("url", ["example.org/press/", "/press/", "ftp://example.org/", "https://", "https://x/?a=1"])
def test_a_base_url_that_is_not_absolute_is_refused(workspace: Path, runner, url: str) -> None:  # type: ignore[no-untyped-def]
    result = build(runner, "--base-url", url)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --base-url {url!r} ")
    assert not (workspace / "public").exists()


def test_the_base_url_from_the_settings_is_checked_too(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    toml = workspace / "pressctl.toml"
    toml.write_text(toml.read_text().replace('base_url = "https://example.org/press/"', 'base_url = "press/"'))
    result = build(runner)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: pressctl.toml: `site.base_url` 'press/' is not an absolute")
    toml.write_text(toml.read_text().replace('base_url = "press/"\n', ""))
    result = build(runner)
    assert (result.exit_code, result.stderr.splitlines()[0]) == (
        2, "error: the site needs its address for canonical links, feeds and ninjs")
    assert build(runner, "--base-url", "http://localhost:8000/sub").exit_code == 0
    index = (workspace / "public" / "index.html").read_text()
    assert '<link rel="canonical" href="http://localhost:8000/sub/">' in index


def test_an_unknown_site_key_is_refused(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    toml = workspace / "pressctl.toml"
    toml.write_text(toml.read_text().replace("[site]\n", "[site]\nbase_ulr = \"x\"\n"))
    result = build(runner)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: pressctl.toml:") and "unknown key `site.base_ulr`" in result.stderr


@pytest.mark.parametrize("output", [".", "..", "releases", "releases/site", "templates"])
def test_the_workspace_and_its_inputs_are_never_the_output(workspace: Path, runner, output: str) -> None:  # type: ignore[no-untyped-def]
    (workspace / "templates").mkdir()
    before = sorted(p.name for p in workspace.rglob("*"))
    result = build(runner, "-o", output)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {output}: is ")
    assert sorted(p.name for p in workspace.rglob("*")) == before


def test_a_folder_with_files_pressctl_did_not_write_is_refused(site: Path, workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    mine = workspace / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    result = build(runner, "-o", "mine")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: mine: holds notes.txt, which pressctl did not write")
    assert (mine / "notes.txt").read_text() == "my notes"
    (site / "extra.html").write_text("added by hand")
    assert "holds extra.html" in build(runner).stderr
    (site / "extra.html").unlink()
    (site / "index.html").write_text("edited by hand")
    result = build(runner)
    assert (result.exit_code, "holds index.html" in result.stderr) == (2, True)
    assert (site / "index.html").read_text() == "edited by hand"


def test_an_empty_folder_is_fine(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "empty").mkdir()
    assert build(runner, "-o", "empty").exit_code == 0
    assert (workspace / "empty" / "index.html").exists()


def test_now_needs_a_time_zone(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["site", "--now", "2024-07-01T10:00:00"])
    assert (result.exit_code, result.stderr) == (2, "error: --now '2024-07-01T10:00:00' has no time zone; add one, "
                                                    "e.g. 2024-07-01T10:00:00+00:00 or Z\n")


HOSTILE_HEADLINE = "<script>alert('h')</script> & \"quotes\" ]]> <!-- x"
HOSTILE_BODY = "<script>alert('body')</script>\n\n<img src=x onerror=alert(1)> and **bold** \x01 & done."


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag in `html` as a browser's tokenizer sees it."""
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str | None]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Collect().feed(html)
    return found


def harmless(html: str) -> bool:
    tags = elements(html)
    scripts = [attrs for tag, attrs in tags if tag == "script" and attrs.get("type") != "application/ld+json"]
    handlers = [attrs for _, attrs in tags if any(name.startswith("on") for name in attrs)]
    return not scripts and not handlers and not [tag for tag, _ in tags if tag == "img"]


def test_hostile_values_are_escaped_in_html_atom_and_json(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    write_release(workspace / "releases", "2024-06-30-hostile", headline=HOSTILE_HEADLINE, date="2024-06-30",
                  body=HOSTILE_BODY, dateline="Am<b>sterdam",
                  extra='subheadline: "</title><script>alert(2)</script>"\nnotes: ["<b onclick=x>note</b>"]\n')
    assert build(runner).exit_code == 0
    site = workspace / "public"
    for name in ("index.html", "2024-06-30-hostile.html"):
        html = (site / name).read_text(encoding="utf-8")
        assert harmless(html), name
        assert "&lt;script&gt;alert(&#39;h&#39;)&lt;/script&gt; &amp; &#34;quotes&#34;" in html
        assert "<title>" in html and "</title><script>" not in html
    for feed in ("feed.xml", "feed.en.xml"):
        root = ET.fromstring((site / feed).read_bytes())  # well-formed despite ]]>, <!-- and \x01
        entry = next(e for e in root.iter("{http://www.w3.org/2005/Atom}entry")
                     if e.findtext("{http://www.w3.org/2005/Atom}title") == HOSTILE_HEADLINE)
        content = entry.findtext("{http://www.w3.org/2005/Atom}content") or ""
        assert harmless(content) and "<strong>bold</strong>" in content
    document = json.loads((site / "2024-06-30-hostile.ninjs.json").read_text(encoding="utf-8"))
    assert document["headlines"][0]["value"] == HOSTILE_HEADLINE
    assert document["located"] == "Am<b>sterdam"
    html_body = next(b["value"] for b in document["bodies"] if b["contentType"] == "text/html")
    assert harmless(html_body) and "&lt;script&gt;" in html_body
    assert list(validator().iter_errors(document)) == []


def test_the_feeds_read_back_with_feedparser(site: Path) -> None:
    import feedparser

    pages = {p.name for p in site.glob("*.html")} - {"index.html"}
    everything = feedparser.parse((site / "feed.xml").read_bytes())
    assert everything.bozo == 0, everything.get("bozo_exception")
    assert everything.feed.title == "Harbour Workers Alliance newsroom"
    assert [e.link for e in everything.entries] == [BASE + name for name in (
        "2024-06-29-port-ar.html", "2024-06-27-accord-dockers.html", f"{MAIN}.km.html", f"{MAIN}.html")]
    for language in ("en", "fr", "km", "ar"):
        feed = feedparser.parse((site / f"feed.{language}.xml").read_bytes())
        assert feed.bozo == 0
        assert feed.entries, language
        for entry in feed.entries:
            name = entry.link.removeprefix(BASE)
            assert name in pages
            assert entry.id == entry.link
            assert entry.title_detail.language == language
            assert entry.title == json.loads((site / name.replace(".html", ".ninjs.json")).read_text())[
                "headlines"][0]["value"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry.updated), entry.updated
            assert entry.updated_parsed is not None
    english = feedparser.parse((site / "feed.en.xml").read_bytes()).entries
    assert [(e.updated, e.published) for e in english] == [("2024-06-26T04:00:00Z", "2024-06-26T04:00:00Z")]


def test_the_sitemap_lists_the_index_and_every_page(site: Path) -> None:
    root = ET.fromstring((site / "sitemap.xml").read_bytes())
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = [url.findtext(f"{ns}loc") for url in root.iter(f"{ns}url")]
    assert locations[0] == BASE
    assert sorted(locations[1:]) == sorted(BASE + p.name for p in site.glob("*.html") if p.name != "index.html")


def test_every_ninjs_document_is_valid_ninjs_3_1(site: Path) -> None:
    check = validator()
    for path in site.glob("*.ninjs.json"):
        assert [e.message for e in check.iter_errors(json.loads(path.read_text(encoding="utf-8")))] == [], path.name


def test_the_ninjs_document_carries_the_release(site: Path) -> None:
    doc = json.loads((site / f"{MAIN}.ninjs.json").read_text(encoding="utf-8"))
    assert doc["uri"] == BASE + MAIN
    assert (doc["type"], doc["language"], doc["located"]) == ("text", "en", "Amsterdam")
    assert [(h["role"], h["value"][:30]) for h in doc["headlines"]] == [
        ("main", "Dock workers in three countrie"), ("sub", "Pay rises of up to 11% and a t")]
    assert [b["contentType"] for b in doc["bodies"]] == ["text/html", "text/plain"]
    text = doc["bodies"][1]["value"]
    assert text.startswith("AMSTERDAM, 26 June 2024 – Dock workers") and "— Kunthea Sok, Lashing crew" in text
    assert (doc["embargoedUntil"], doc["firstCreated"], doc["versionCreated"]) == (
        "2024-06-26T04:00:00Z", "2024-06-26T00:00:00Z", "2024-06-26T04:00:00Z")
    people = {(p["name"], p["rel"]): p for p in doc["people"]}
    marieke = people[("Marieke van Dijk", "mediaContact")]
    assert {"type": "email", "value": "marieke.vandijk@example.org"} in marieke["contactInfo"]
    assert {"type": "phone", "name": "Mobile", "value": "+31651280210"} in marieke["contactInfo"]
    assert ("Marieke van Dijk", "quoted") in people and ("Kunthea Sok", "quoted") in people
    assert doc["organisations"] == [{"name": "Harbour Workers Alliance", "rel": "issuer", "uri": "https://example.org"}]
    notes = [d for d in doc["descriptions"] if d["role"] == "note"]
    assert len(notes) == 3 and "Pieter Bakker" in notes[1]["value"]
    khmer = json.loads((site / f"{MAIN}.km.ninjs.json").read_text(encoding="utf-8"))
    # The translation sets no embargo: it has its original's (SPEC §9).
    assert (khmer["embargoedUntil"], khmer["language"]) == ("2024-06-26T04:00:00Z", "km")


def test_the_schema_refuses_a_property_it_does_not_name(site: Path) -> None:
    doc = json.loads((site / f"{MAIN}.ninjs.json").read_text(encoding="utf-8"))
    assert list(validator().iter_errors(doc)) == []
    doc["embargoed"] = doc["embargoedUntil"]
    assert [e.validator for e in validator().iter_errors(doc)] == ["unevaluatedProperties"]


def test_the_iptc_suite_passes_and_fails_as_published() -> None:
    check = validator()
    passing = sorted((IPTC / "should_pass").glob("*.json"))
    failing = sorted((IPTC / "should_fail").glob("*.json"))
    assert len(passing) >= 2 and failing
    for path in passing:
        assert list(check.iter_errors(json.loads(path.read_text(encoding="utf-8")))) == [], path.name
    for path in failing:
        assert list(check.iter_errors(json.loads(path.read_text(encoding="utf-8")))) != [], path.name


def test_export_release_to_ninjs_writes_the_same_document(site: Path, workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["export", "release", f"releases/{MAIN}.md", "--to", "ninjs", "-o", "release.json"])
    assert (result.exit_code, result.output) == (0, "")
    assert (workspace / "release.json").read_bytes() == (site / f"{MAIN}.ninjs.json").read_bytes()


def test_an_export_job_rebuilds_the_site(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    toml = workspace / "pressctl.toml"
    toml.write_text(toml.read_text() + '\n[[export]]\nname = "newsroom"\nwhat = "site"\noutput = "public"\n')
    write_release(workspace / "releases", "2999-07-01-future", headline="Far future", date="2999-07-01",
                  embargo=NOW.replace(year=2999))
    result = runner.invoke(app, ["export", "--job", "newsroom"])
    assert (result.exit_code, result.output) == (0, "")
    assert (workspace / "public" / f"{MAIN}.html").exists()
    assert not list((workspace / "public").glob("2999*"))
    record = json.loads((workspace / "manifest.json").read_text())["files"]
    assert [(r["file"], r["what"], r["rows"], r["left_out"]) for r in record] == [
        ("public", "site", 1, {"embargoed": 1})]
    toml.write_text(toml.read_text().replace('what = "site"\n', 'what = "site"\nto = "mailchimp"\n'))
    result = runner.invoke(app, ["export", "--job", "newsroom"])
    assert result.exit_code == 2 and "unknown target 'mailchimp' for site" in result.stderr


def test_a_workspace_template_overrides_the_index_by_name(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "templates" / "site").mkdir(parents=True)
    (workspace / "templates" / "site" / "index.html").write_text(
        '{% extends "builtin/site/index.html" %}{% block header %}<h1>Our own press room</h1>{% endblock %}')
    assert build(runner).exit_code == 0
    assert "<h1>Our own press room</h1>" in (workspace / "public" / "index.html").read_text()


def test_the_site_templates_ship_in_the_wheel(repo_root: Path) -> None:
    import tomllib

    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "pressctl.site" in project["packages"]
    assert "**/*" in project["package-data"]["pressctl.templates"]
    assert {p.name for p in (repo_root / "templates" / "site").iterdir()} >= {"index.html", "release.html"}


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Newsroom\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_every_command_in_the_readme_newsroom_section_works(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    import shlex
    import signal
    import subprocess
    import sys

    commands = readme_commands()
    assert len(commands) == 4 and all(c.startswith("pressctl ") for c in commands)
    for command in commands:
        args = shlex.split(command)[1:]
        if "--serve" in args:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            process = subprocess.Popen([sys.executable, "-m", "pressctl", *args], cwd=workspace, env=env,
                                       stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
            assert process.stderr is not None
            lines = [process.stderr.readline(), process.stderr.readline()]
            process.send_signal(signal.SIGINT)
            process.wait(timeout=20)
            assert lines[1].startswith("Serving public/ at http://127.0.0.1:"), lines
            assert process.returncode == 0
            continue
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (command, result.output)
    assert (workspace / "public" / f"{MAIN}.html").exists()
    assert json.loads((workspace / "release.ninjs.json").read_text())["uri"] == BASE + MAIN


def test_with_every_release_under_embargo_the_site_is_empty_but_valid(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    import feedparser

    (workspace / "releases" / f"{MAIN}.md").unlink()
    write_release(workspace / "releases", "2024-07-02-not-yet", headline="Zebrafish later", date="2024-07-02",
                  embargo=NOW + timedelta(hours=1))
    result = build(runner)
    assert (result.exit_code, result.stderr) == (0, "Built public/: 0 releases; 1 under embargo left out.\n")
    site = files(workspace / "public")
    assert set(site) == {".pressctl-site.json", "index.html", "feed.xml", "sitemap.xml"}
    assert not [name for name, data in site.items() if b"ebrafish" in data or b"not-yet" in data]
    feed = feedparser.parse(site["feed.xml"])
    assert (feed.bozo, feed.entries, feed.feed.updated) == (0, [], "1970-01-01T00:00:00Z")


def test_a_feed_holds_the_newest_fifty(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    import feedparser

    for n in range(55):
        write_release(workspace / "releases", f"2024-05-{1 + n % 28:02d}-item-{n:02d}", headline=f"Item {n}",
                      date=f"2024-05-{1 + n % 28:02d}")
    assert build(runner).exit_code == 0
    entries = feedparser.parse((workspace / "public" / "feed.xml").read_bytes()).entries
    assert len(entries) == 50 and entries[0].link == BASE + f"{MAIN}.html"
    assert [e.updated for e in entries] == sorted((e.updated for e in entries), reverse=True)
    assert len(re.findall(r'class="headline"', (workspace / "public" / "index.html").read_text())) == 56


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headline=st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), min_size=1,
                        max_size=60).filter(lambda text: text.strip()),
       body=st.text(st.characters(blacklist_categories=("Cs", "Co", "Cn")), min_size=1, max_size=80))
def test_any_headline_survives_html_atom_and_json_as_written(workspace: Path, headline: str, body: str) -> None:
    import html

    from pressctl.site.build import SiteInputs, render_site

    for old in (workspace / "releases").iterdir():
        old.unlink()
    if not body.strip() or body.lstrip().startswith(("---", "...")):
        body = "Statement. " + body
    write_release(workspace / "releases", "2024-06-30-any", headline=headline, date="2024-06-30", body=body)
    site, _, _ = render_site(SiteInputs(), base_url=None, now=NOW)
    expected = headline.strip()
    page = site["2024-06-30-any.html"].decode("utf-8")
    assert html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)) == expected  # type: ignore[union-attr]
    assert harmless(page)
    for feed in ("feed.xml", "feed.en.xml"):
        root = ET.fromstring(site[feed])
        assert root.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}title") == expected
    document = json.loads(site["2024-06-30-any.ninjs.json"])
    assert document["headlines"][0]["value"] == expected
    assert harmless(document["bodies"][0]["value"])


def test_a_translation_without_an_embargo_waits_for_its_original(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    releases = workspace / "releases"
    write_release(releases, "2024-07-02-zebrafish", headline="Zebrafish deal", date="2024-07-02",
                  embargo=NOW + timedelta(seconds=1))
    write_release(releases, "2024-07-02-zebrafish.fr", headline="Accord zebrafish", date="2024-07-02", language="fr")
    assert build(runner).exit_code == 0
    assert not [name for name, data in files(workspace / "public").items() if b"ebrafish" in data]
    result = runner.invoke(app, ["site", "--now", (NOW + timedelta(seconds=1)).isoformat()])
    assert result.exit_code == 0
    french = json.loads((workspace / "public" / "2024-07-02-zebrafish.fr.ninjs.json").read_text())
    assert french["embargoedUntil"] == "2024-07-01T10:00:01Z"


def test_each_language_feed_is_titled_in_its_language(site: Path) -> None:
    import feedparser

    titles = {lang: feedparser.parse((site / f"feed.{lang}.xml").read_bytes()).feed.title for lang in ("fr", "km")}
    assert titles == {"fr": "Harbour Workers Alliance newsroom (Français)",
                      "km": "Harbour Workers Alliance newsroom (ខ្មែរ)"}


def test_a_missing_releases_folder_is_one_message(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = build(runner, "--releases", "press")
    assert (result.exit_code, result.stderr) == (2, "error: press: no such releases folder\n")


def test_docs_name_every_option_of_pressctl_site(runner) -> None:  # type: ignore[no-untyped-def]
    help_text = runner.invoke(app, ["site", "--help"]).output
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", help_text)) - {"--help"}
    docs = (REPO / "docs" / "site.md").read_text(encoding="utf-8")
    assert len(options) == 9
    assert sorted(option for option in options if f"`{option}" not in docs) == []


def test_the_example_workspace_publishes_its_translation(tmp_path: Path, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The example as it ships: the English release and its Indonesian version, which inherits the embargo."""
    workspace = tmp_path / "example"
    workspace.mkdir()
    for name in ("contacts.yaml", "pressctl.toml"):
        shutil.copy(REPO / name, workspace / name)
    shutil.copytree(REPO / "releases", workspace / "releases")
    monkeypatch.chdir(workspace)
    result = runner.invoke(app, ["site", "-o", "public", "--now", "2024-06-26T12:00:00+02:00"])
    assert result.exit_code == 0, result.output
    assert (workspace / "public" / f"{MAIN}.html").exists() and (workspace / "public" / f"{MAIN}.id.html").exists()
    page = (workspace / "public" / f"{MAIN}.id.html").read_text(encoding="utf-8")
    assert '<html lang="id"' in page and f'hreflang="en" href="{MAIN}.html"' in page
    # The attachment the translation carries is published where its page links it.
    assert 'href="media/signing-amsterdam.png"' in page
    assert (workspace / "public" / "media" / "signing-amsterdam.png").read_bytes() == \
        (workspace / "releases" / "media" / "signing-amsterdam.png").read_bytes()
    early = runner.invoke(app, ["site", "-o", "early", "--now", "2024-06-26T05:59:59+02:00"])
    assert early.exit_code == 0, early.output
    assert not list((workspace / "early").glob(f"{MAIN}*"))  # both wait for the original's embargo


def test_a_folder_being_built_is_never_taken_for_a_killed_builds(tmp_path: Path) -> None:
    """Another build's folder is removed only once nobody holds it: a build in progress keeps its own."""
    from pressctl.atomic import remove_stale, temporary_folder

    left = tmp_path / ".public.wxyz5678.new"
    kept = [tmp_path / ".public.new", tmp_path / ".public.abcd12345.new", tmp_path / ".other.abcd1234.new"]
    for folder in [left, *kept]:
        folder.mkdir()
        (folder / "index.html").write_text("<p>half</p>")
    (tmp_path / ".public.file1234.new").write_text("a file, not a build's folder")
    with temporary_folder(tmp_path, ".public.", ".new") as building:
        (building / "index.html").write_text("<p>being written</p>")
        remove_stale(tmp_path, ".public.", ".new", folders=True)
        assert (building / "index.html").is_file() and not left.exists()
    remove_stale(tmp_path, ".public.", ".new", folders=True)
    assert not building.exists()
    assert all(folder.is_dir() for folder in kept) and (tmp_path / ".public.file1234.new").is_file()


def test_a_folder_removed_before_its_lock_is_given_up_for_a_new_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The moment between creating a build's folder and locking it: another run's clean-up removes it
    there (as it may, since nobody holds it yet), and the build makes a new one instead of writing into
    a folder that is gone."""
    import fcntl

    from pressctl import atomic

    made: list[Path] = []
    real_flock = fcntl.flock

    def clean_up_first(fd: int, operation: int) -> None:
        if len(made) == 1 and operation == fcntl.LOCK_EX:  # the first folder, not yet locked
            atomic.remove_stale(tmp_path, ".public.", ".new", folders=True)
        real_flock(fd, operation)

    real_mkdtemp = atomic.tempfile.mkdtemp

    def mkdtemp(**kwargs: str) -> str:
        made.append(Path(real_mkdtemp(**kwargs)))
        return str(made[-1])

    monkeypatch.setattr(atomic.fcntl, "flock", clean_up_first)
    monkeypatch.setattr(atomic.tempfile, "mkdtemp", mkdtemp)
    with atomic.temporary_folder(tmp_path, ".public.", ".new") as folder:
        assert len(made) == 2 and not made[0].exists()
        assert folder == made[1] and folder.is_dir()
