"""`pressctl render`: golden outputs, templates, localisation, hostile input, and real HTML checkers."""

from __future__ import annotations

import email
import json
import os
import re
import struct
import subprocess
import zlib
from email import policy
from pathlib import Path

import pytest
from conftest import GOLDEN, REPO, UPDATE_GOLDEN, find_executable, require_tool

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.release import load_release
from pressctl.render import preheader_for, render_html, render_text, subject_for

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
FROZEN = "1719295200"  # 2024-06-25 06:00 UTC


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FROZEN)


def golden(name: str, data: bytes) -> None:
    path = GOLDEN / "render" / name
    if UPDATE_GOLDEN:
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} differs from the golden file; UPDATE_GOLDEN=1 rewrites it"


def parts(workspace: Path):  # type: ignore[no-untyped-def]
    return load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()


@pytest.mark.parametrize(("fmt", "name"), [("text", "release.txt"), ("html", "release.html"), ("eml", "release.eml")])
def test_golden_outputs(workspace: Path, runner, fmt: str, name: str) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "--format", fmt, "-o", f"out.{fmt}"])
    assert (result.exit_code, result.output) == (0, "")
    golden(name, (workspace / f"out.{fmt}").read_bytes())


def test_text_to_stdout_and_layout(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE])
    assert result.exit_code == 0
    text = result.output
    assert text == (GOLDEN / "render" / "release.txt").read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 72
    order = ["EMBARGOED UNTIL 26 June 2024, 06:00 (UTC+02:00)", "Dock workers in three", "Pay rises of up to 11%",
             "AMSTERDAM, 26 June 2024 – Dock workers", "“For years the company",
             "— Marieke van Dijk, General Secretary, Harbour Workers Alliance", "ENDS", "Notes to editors",
             "Media contacts", "Mobile: +31 6 51280210", "Work: +31 20 555 0188", "Mobile: +62 812-3456-7890",
             "About Harbour Workers Alliance"]
    positions = [text.index(piece) for piece in order]
    assert positions == sorted(positions)


def test_html_document(workspace: Path) -> None:
    html = render_html(*parts(workspace))
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<a href="tel:+31651280210">+31 6 51280210</a>' in html
    assert '<a href="mailto:marieke.vandijk@example.org">' in html
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None
    data = json.loads(ld.group(1))
    assert (data["@type"], data["datePublished"], data["inLanguage"]) == (
        "NewsArticle", "2024-06-26T06:00:00+02:00", "en")


def test_email_html_has_css_inlined(workspace: Path) -> None:
    html = render_html(*parts(workspace), email=True)
    assert "<style" not in html
    assert '<h1 style="' in html
    assert 'class="preheader"' in html


def test_eml_parses_back(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    sender = '"Press, \\"Desk\\"" <desk@example.org>'
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "eml", "--from", sender, "-o", "one.eml"])
    assert result.exit_code == 0, result.output
    message = email.message_from_bytes((workspace / "one.eml").read_bytes(), policy=policy.default)
    assert message.defects == []
    assert message["Subject"] == "[EMBARGOED] Dock workers in three countries win first shared wage deal with " \
                                 "Meridian Terminals"
    assert message["From"].addresses[0].display_name == 'Press, "Desk"'
    assert message["Date"].datetime.timestamp() == int(FROZEN)
    assert message["MIME-Version"] == "1.0" and message["Message-ID"].endswith("@example.org>")
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    text = message.get_body(("plain",)).get_content()
    assert text == (GOLDEN / "render" / "release.txt").read_text(encoding="utf-8").replace("\n", "\r\n") or \
        text.replace("\r\n", "\n") == (GOLDEN / "render" / "release.txt").read_text(encoding="utf-8")


def test_subject_and_preheader(workspace: Path) -> None:
    release = load_release(EXAMPLE)
    assert subject_for(release).startswith("[EMBARGOED] Dock workers")
    assert preheader_for(release) == release.subheadline
    plain = release.__class__(**{**release.__dict__, "subheadline": "", "embargo": None})
    assert subject_for(plain) == release.headline
    assert preheader_for(plain) == ("Dock workers at the three container terminals run by Meridian Terminals in "
                                    "Amsterdam, Jakarta and Sihanoukville will receive pay rises of up to 11%…")
    assert len(preheader_for(plain)) <= 150


HOSTILE = """\
---
headline: "<script>alert('headline')</script> & more"
dateline: Amsterdam
date: 2024-06-26
quotes:
  - name: "Evil <script>alert(1)</script>"
    role: "\\"Chief\\", Hacker"
    text: "Hello </blockquote><script>alert('quote')</script>"
notes:
  - "<img src=x onerror=alert(1)> [click](javascript:alert(1))"
---
<script>alert('statement')</script>

<div onclick="alert(1)">Raw HTML</div> and [a link](javascript:alert(2)).
"""


def test_hostile_values_never_reach_html(workspace: Path) -> None:
    path = workspace / "releases" / "hostile.md"
    path.write_text(HOSTILE, encoding="utf-8")
    release = load_release(path)
    book, config = open_book(Path("contacts.yaml")), load_config()
    for in_mail in (False, True):
        html = render_html(release, book, config, email=in_mail)
        elements = _elements(html)
        scripts = [attrs for tag, attrs in elements if tag == "script"]
        # The web page carries its JSON-LD; the e-mail none (no mail program reads a NewsArticle's), so no script
        assert scripts == ([] if in_mail else [{"type": "application/ld+json"}])
        assert not [tag for tag, attrs in elements if tag in ("img", "div", "iframe") and "class" not in attrs]
        assert not [attrs for _, attrs in elements if any(name.startswith("on") for name in attrs)]
        assert not [attrs for _, attrs in elements if "javascript" in attrs.get("href", "")]
        assert "&lt;script&gt;alert(" in html
        if scripts:
            ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
            assert ld is not None and "<" not in ld.group(1)
            assert json.loads(ld.group(1))["headline"].startswith("<script>")
    text = render_text(release, book, config)
    assert "<script>alert('statement')</script>" in text  # plain text shows it as text


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    from html.parser import HTMLParser

    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


MARKDOWN = """\
---
headline: Markdown in the statement
dateline: Amsterdam
date: 2024-06-26
quotes:
  - {name: A. Speaker, text: "Hello."}
---
See [our site][site] first.

# Background

![Our logo](https://example.org/logo.png) ![a chart](chart.png) ![dot](data:image/png;base64,iVBORw0KGgo=)

[[quote: 1]]

More on [the site][site].

[site]: https://example.org/full
"""


def test_markdown_references_images_and_headings(workspace: Path) -> None:
    path = workspace / "releases" / "markdown.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    release, book, config = load_release(path), open_book(Path("contacts.yaml")), load_config()
    html = render_html(release, book, config)
    # A reference definition serves every part of the statement, on either side of a placed quote.
    assert html.count('<a href="https://example.org/full" rel="noopener">') == 2 and "[site]" not in html
    # A web image keeps its src and alt; one that is not on the web becomes its alt text, never an empty <img>.
    assert '<img src="https://example.org/logo.png" alt="Our logo"> a chart dot</p>' in html
    assert html.count("<img") == 1
    # The headline is the only <h1>: body headings move down a level.
    assert re.findall(r"<h1\b", html) == ["<h1"] and "<h2>Background</h2>" in html
    text = render_text(release, book, config)
    assert "See our site <https://example.org/full> first." in text
    assert "More on the site <https://example.org/full>." in text


def test_undefined_variable_names_template_and_line(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.txt").write_text("{{ headline }}\n\n{{ no_such_value }}\n")
    result = runner.invoke(app, ["render", EXAMPLE])
    assert result.exit_code == 1
    assert result.output == "error: templates/release.txt:3: template: 'no_such_value' is undefined\n" \
                            "  hint: docs/templates.md lists every variable\n"


def test_template_syntax_error(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    folder = workspace / "mine"
    folder.mkdir()
    (folder / "release.html").write_text("<p>\n{% if headline %}\n{{ headline }\n")
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "html", "--templates", "mine"])
    assert result.exit_code == 1
    assert result.output.startswith("error: mine/release.html:3: template syntax: unexpected '}'")


@pytest.mark.parametrize(("name", "source", "fmt", "expected"), [
    ("release.txt", '{% extends "release.txt" %}\n', "text",
     "error: templates/release.txt: template: it extends or includes itself, directly or through another template\n"
     '  hint: to change the built-in one, write {% extends "builtin/release.txt" %}\n'),
    ("release.txt", "{{ headline }}\n{{ 1/0 }}\n", "text",
     "error: templates/release.txt:2: template: division by zero (ZeroDivisionError)\n"),
    ("email.html", '{% extends "builtin/email.html" %}\n'
                   '{% block style %}{{ super() }}<link rel="stylesheet" href="brand.css">{% endblock %}\n', "eml",
     'error: templates/email.html: the e-mail links a stylesheet, <link rel="stylesheet" href="brand.css">, which '
     "pressctl does not load\n  hint: put the styles in the template's <style> block\n"),
])
def test_template_mistakes_are_one_line_errors(workspace: Path, runner, name: str, source: str, fmt: str,  # type: ignore[no-untyped-def]
                                               expected: str) -> None:
    (workspace / "templates").mkdir()
    (workspace / "templates" / name).write_text(source)
    result = runner.invoke(app, ["render", EXAMPLE, "--format", fmt, "-o", "out"])
    assert (result.exit_code, result.output) == (1, expected)
    assert not (workspace / "out").exists()


def test_override_one_block(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.html").write_text(
        '{% extends "builtin/release.html" %}\n{% block about %}<p class="mine">Our own {{ organisation.name }}</p>'
        "{% endblock %}\n")
    html = runner.invoke(app, ["render", EXAMPLE, "--format", "html"]).output
    assert '<p class="mine">Our own Harbour Workers Alliance</p>' in html
    assert "About Harbour Workers Alliance" not in html and "Notes to editors" in html
    # The e-mail HTML extends release.html, so it picks the override up too.
    assert "Our own Harbour" in render_html(*parts(workspace), email=True)


def test_missing_templates_folder_is_a_usage_error(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "--templates", "nowhere"])
    assert (result.exit_code, result.output) == (2, "error: nowhere: no such templates folder\n")


def test_render_refuses_unknown_contacts(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    path = workspace / "releases" / "2024-06-26-three-port-wage-deal.md"
    path.write_text(path.read_text().replace("sophal-meas]", "sophal-mea]"))
    result = runner.invoke(app, ["render", EXAMPLE])
    assert result.exit_code == 1
    assert result.output == (f"error: {EXAMPLE}:22: media contact `sophal-mea` is not in contacts.yaml; "
                             "did you mean `sophal-meas`?\n")


def test_render_refuses_a_media_contact_number_it_cannot_print_internationally(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """'Work: 020 555 0188' cannot be dialled from abroad: refuse rather than print it as written."""
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace('"+31 20 555 0188"', '"+31 20 555"'))
    result = runner.invoke(app, ["render", EXAMPLE])
    assert (result.exit_code, result.output) == (
        1, f"error: {EXAMPLE}:22: media contact `marieke-van-dijk` has the number '+31 20 555', which cannot be "
           "written in international form; run `pressctl contacts check` to see why, and correct it\n")
    check = runner.invoke(app, ["release", "check", EXAMPLE, "--select", "R014"])
    assert check.exit_code == 1 and f"{EXAMPLE}:22:1: R014 [error] media contact `marieke-van-dijk`" in check.output


def test_a_speakers_unresolvable_number_is_never_printed(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace('"+31 20 555 0188"', '"+31 20 555"'))
    release = workspace / EXAMPLE
    release.write_text(release.read_text().replace("media_contacts: [marieke-van-dijk, ", "media_contacts: ["))
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.txt").write_text(
        "{% for quote in quotes %}{% for phone in quote.by.phones %}{{ phone.number }};{% endfor %}{% endfor %}\n")
    result = runner.invoke(app, ["render", EXAMPLE])
    assert (result.exit_code, result.output) == (0, "+31 6 51280210;")


LOCALISED = {
    "fr": ("SOUS EMBARGO JUSQU'AU 26 juin 2024, 06:00 (UTC+02:00)", "AMSTERDAM, 26 juin 2024 –"),
    "nl": (None, "AMSTERDAM, 26 juni 2024 –"),
    "de": (None, "AMSTERDAM, 26. Juni 2024 –"),
    "es": (None, "AMSTERDAM, 26 de junio de 2024 –"),
    "id": (None, "AMSTERDAM, 26 Juni 2024 –"),
    "km": (None, "AMSTERDAM, 26 មិថុនា 2024 –"),
}


@pytest.mark.parametrize("language", sorted(LOCALISED))
def test_localised_dates_and_phrases(workspace: Path, language: str) -> None:
    from babel.messages.pofile import read_po

    path = workspace / "releases" / "2024-06-26-three-port-wage-deal.md"
    path.write_text(path.read_text().replace("language: en", f"language: {language}"))
    release, book, config = parts(workspace)
    text = render_text(release, book, config)
    status, dateline = LOCALISED[language]
    with open(REPO / "pressctl" / "locale" / language / "LC_MESSAGES" / "pressctl.po", "rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    if status:
        assert text.startswith(status)
    assert dateline in text.replace("\n", " ")
    for phrase in ("ENDS", "Notes to editors", "Media contacts"):
        assert catalogue[phrase] and catalogue[phrase] in text
    assert f'<html lang="{language}">' in render_html(release, book, config)


def test_builtin_templates_ship_in_the_package(repo_root: Path) -> None:
    import tomllib

    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "pressctl.templates" in project["packages"]
    assert project["package-dir"]["pressctl.templates"] == "templates"
    shipped = {p.name for p in (repo_root / "templates").iterdir()}
    assert {"release.txt", "release.html", "email.html", "__init__.py"} <= shipped


def _vnu() -> str:
    jar = os.environ.get("PRESSCTL_VNU_JAR") or str(REPO / ".ci" / "node" / "node_modules" / "vnu-jar" / "build" /
                                                    "dist" / "vnu.jar")
    return require_tool(jar if find_executable("java") else None, "The Nu Html Checker (vnu.jar and Java)")


@pytest.mark.external
@pytest.mark.slow
def test_html_is_valid_html5(workspace: Path) -> None:
    jar = _vnu()
    release, book, config = parts(workspace)
    hostile = workspace / "releases" / "hostile.md"
    hostile.write_text(HOSTILE, encoding="utf-8")
    files = {"release.html": render_html(release, book, config),
             "email.html": render_html(release, book, config, email=True),
             "hostile.html": render_html(load_release(hostile), book, config)}
    markdown = workspace / "releases" / "markdown.md"
    markdown.write_text(MARKDOWN, encoding="utf-8")
    files["markdown.html"] = render_html(load_release(markdown), book, config)
    for name, html in files.items():
        (workspace / name).write_text(html, encoding="utf-8")
    run = subprocess.run(["java", "-jar", jar, "--errors-only", "--format", "json", *files], cwd=workspace,
                         capture_output=True, text=True, timeout=120)
    report = json.loads(run.stderr or run.stdout)
    assert report["messages"] == []


def _png_colours(data: bytes) -> int:
    """How many distinct pixels a PNG has (8-bit RGB/RGBA, the kind Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    channels = {2: 3, 6: 4}[colour]
    assert depth == 8
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows = [raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)] for y in range(0, height, 25)]
    # Filter bytes make raw values differ from pixels, but a blank page gives one repeated row pattern.
    return len({row[x:x + channels] for row in rows for x in range(0, stride, channels * 10)})


@pytest.mark.external
@pytest.mark.slow
def test_chromium_renders_a_page(workspace: Path, tmp_path: Path) -> None:
    chromium = require_tool(find_executable("chromium") or "/usr/bin/chromium", "Chromium (Debian package chromium)")
    page = workspace / "release.html"
    page.write_text(render_html(*parts(workspace)), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1000,1400",
                    page.as_uri()], capture_output=True, timeout=90, check=False)
    assert shot.exists(), "Chromium wrote no screenshot"
    assert _png_colours(shot.read_bytes()) > 10


def test_email_headers_refuse_line_breaks_however_the_release_was_made(workspace: Path) -> None:
    """The loader refuses such a headline; the e-mail code refuses it again for releases built in code."""
    import dataclasses

    from pressctl.errors import InputError
    from pressctl.render import render_email

    release, book, config = parts(workspace)
    for char in ("\u2028", "\x85", "\v"):
        broken = dataclasses.replace(release, headline=f"Deal{char}Bcc: evil@example.net")
        with pytest.raises(InputError, match=f"contains a line break or control character, U\\+{ord(char):04X}"):
            render_email(broken, book, config)


def test_message_id_changes_with_the_bodies_and_the_date_but_is_reproducible(workspace: Path, runner,  # type: ignore[no-untyped-def]
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def message_id() -> str:
        result = runner.invoke(app, ["render", EXAMPLE, "--format", "eml", "-o", "one.eml"])
        assert result.exit_code == 0, result.output
        message = email.message_from_bytes((workspace / "one.eml").read_bytes(), policy=policy.default)
        return str(message["Message-ID"])

    first = message_id()
    assert message_id() == first  # same inputs, same SOURCE_DATE_EPOCH: the same bytes
    path = workspace / EXAMPLE
    path.write_text(path.read_text().replace("4,200 workers", "4,300 workers"))  # a corrected release
    corrected = message_id()
    assert corrected != first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FROZEN) + 60))
    assert message_id() not in (first, corrected)


QUOTE_FIRST = """\
---
headline: A statement that opens with a quote
dateline: Phnom Penh
date: 2024-06-26
language: {language}
quotes:
  - {{name: Kunthea Sok, text: "We wrote half of it ourselves."}}
---
[[quote: 1]]

The agreement takes effect on 1 July.
"""


@pytest.mark.parametrize(("language", "dateline"), [("en", "PHNOM PENH, 26 June 2024 –"),
                                                    ("km", "PHNOM PENH, 26 មិថុនា 2024 –")])
def test_a_statement_that_opens_with_a_placed_quote_keeps_its_dateline(workspace: Path, language: str,
                                                                        dateline: str) -> None:
    """The dateline went with the first text part; a quote placed first left it out of text and HTML."""
    path = workspace / "releases" / "quote-first.md"
    path.write_text(QUOTE_FIRST.format(language=language), encoding="utf-8")
    release, book, config = load_release(path), open_book(Path("contacts.yaml")), load_config()
    text = render_text(release, book, config)
    assert text.index(dateline) < text.index("We wrote half") < text.index("The agreement takes effect")
    assert text.count(dateline) == 1
    for html in (render_html(release, book, config), render_html(release, book, config, email=True)):
        assert html.count('class="dateline"') == 1
        assert re.search(rf'<p><span class="dateline"[^>]*>{dateline}</span></p>\s*<figure class="quote"', html)
    # A statement of one placed quote and nothing else still says where and when.
    path.write_text(QUOTE_FIRST.format(language=language).replace("The agreement takes effect on 1 July.\n", ""),
                    encoding="utf-8")
    assert dateline in render_text(load_release(path), book, config)


def test_an_extension_is_printed_and_dialled(workspace: Path) -> None:
    """`(202) 555-0143 x204` lost its extension in the tel: link, which then rang the switchboard."""
    book_path = workspace / "contacts.yaml"
    book_path.write_text(book_path.read_text(encoding="utf-8").replace(
        '{number: "+31 20 555 0188", type: work, label: Amsterdam office}',
        '{number: "+1 (202) 555-0143 x204", type: work, label: Washington office}'), encoding="utf-8")
    release, book, config = parts(workspace)
    assert "Work: +1 202-555-0143 ext. 204" in render_text(release, book, config)
    html = render_html(release, book, config)
    assert '<a href="tel:+12025550143;ext=204">+1 202-555-0143 ext. 204</a>' in html
    assert '<a href="tel:+31651280210">+31 6 51280210</a>' in html  # a number without one is unchanged


@pytest.mark.parametrize("website", ["javascript:alert(1)", "JavaScript:alert(document.cookie)",
                                     "data:text/html,<script>alert(1)</script>", "ftp://example.org",
                                     "//example.org", "https://", "https://exa mple.org"])
def test_only_a_web_address_becomes_the_publishers_url(workspace: Path, runner, website: str) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('website = "https://example.org"', f"website = {json.dumps(website)}"))
    for fmt in ("html", "eml", "text"):
        result = runner.invoke(app, ["render", EXAMPLE, "-f", fmt, "-o", f"out.{fmt}"])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"error: pressctl.toml: `organisation.website` is {website!r}, not an "
                                        "http:// or https:// address\n")
        assert not (workspace / f"out.{fmt}").exists()


def test_a_web_address_is_the_publishers_url(workspace: Path) -> None:
    html = render_html(*parts(workspace))
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert ld is not None and json.loads(ld.group(1))["publisher"]["url"] == "https://example.org"


def test_statement_links_in_text_keep_only_the_schemes_html_keeps(workspace: Path) -> None:
    path = workspace / "releases" / "links.md"
    path.write_text("---\nheadline: Links\ndateline: Amsterdam\ndate: 2024-06-26\n---\n"
                    "See [the file](ftp://example.org/a), [mail](mailto:press@example.org), "
                    "[call](tel:+31651280210), [the site](https://example.org/s) and [the page](/about).\n",
                    encoding="utf-8")
    release, book, config = load_release(path), open_book(Path("contacts.yaml")), load_config()
    text = " ".join(render_text(release, book, config).split())
    assert "See the file, mail <mailto:press@example.org>, call <tel:+31651280210>, the site " \
           "<https://example.org/s> and the page </about>." in text
    html = render_html(release, book, config)
    assert "ftp:" not in html and 'href="https://example.org/s"' in html


def test_a_media_contacts_mailto_link_is_the_validated_address(workspace: Path) -> None:
    """`mailto:a?cc=…` would add a Cc to the message a reader starts from the link."""
    book_path = workspace / "contacts.yaml"
    book_path.write_text(book_path.read_text(encoding="utf-8")
                         .replace("marieke.vandijk@example.org", "m?cc=evil@example.net")
                         .replace("ratih.k@example.org", "ratih@häfen.example"), encoding="utf-8")
    html = render_html(*parts(workspace))
    assert '<a href="mailto:m%3Fcc%3Devil@example.net">m?cc=evil@example.net</a>' in html
    assert '<a href="mailto:ratih@xn--hfen-loa.example">ratih@häfen.example</a>' in html
    assert 'href="mailto:m?cc' not in html
