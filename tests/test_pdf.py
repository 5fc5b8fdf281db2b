"""`pressctl render --format pdf`: the PDF read back with pypdf (text layer, fonts, page size, metadata),
its first page drawn by pdftoppm, hostile values printed literally, and the clear messages."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import unicodedata
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, find_executable, require_tool
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_locale import ARTEFACTS, RELEASES, write_release

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.errors import UsageError
from pressctl.release import load_release
from pressctl.render.document import build_context

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
A4, LETTER = (595, 842), (612, 792)


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


@pytest.fixture
def typst_installed() -> None:
    """The optional extra: skipped without it on a developer's machine, a failure on CI."""
    try:
        import typst  # noqa: F401
    except ImportError:
        require_tool(None, "Typst (pip install '.[pdf]')")


def render(runner: Any, release: str | Path, output: str = "out.pdf") -> Any:
    from pypdf import PdfReader

    result = runner.invoke(app, ["render", str(release), "--format", "pdf", "-o", output])
    assert (result.exit_code, result.output) == (0, ""), result.output
    return PdfReader(output)


def squeeze(text: str) -> str:
    """Text without white space: a text layer breaks lines where the page does."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def text_layer(reader: Any) -> str:
    return squeeze("".join(page.extract_text() for page in reader.pages))


def expected_pieces(release_path: str | Path) -> list[str]:
    """The headline, dateline, each quote, each media contact's numbers and the About text."""
    from pressctl.render import markdown

    release, book, config = load_release(release_path), open_book(Path("contacts.yaml")), load_config()
    context = build_context(release, book, config)
    about = release.about if release.about is not None else config.organisation.about
    pieces = [release.headline, context["dateline"], *(quote.text for quote in context["quotes"]),
              *(phone.number for person in context["media_contacts"] for phone in person.phones),
              markdown.to_text(about.split("\n\n")[0])]
    return [piece for piece in pieces if piece]


@pytest.mark.usefixtures("typst_installed")
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_text_layer_holds_every_part_of_the_release(workspace: Path, runner, language: str) -> None:  # type: ignore[no-untyped-def]
    path = Path(EXAMPLE) if language == "en" else write_release(workspace, language)
    reader = render(runner, path)
    text = text_layer(reader)
    for piece in expected_pieces(path):
        assert squeeze(piece) in text, piece
    for piece in ("ENDS" if language == "en" else "FIN", "Harbour Workers Alliance", "https://example.org"):
        assert squeeze(piece) in text
    if language == "en":  # on paper a link's address follows its words, unless the words are the address
        assert squeeze("Harbour Workers Alliance website (https://example.org/campaigns/meridian).") in text
        assert squeeze("published at example.org/agreements/meridian-2024.") in text


@pytest.mark.usefixtures("typst_installed")
@pytest.mark.parametrize("language", ["km", "ar"])
def test_khmer_and_arabic_releases(workspace: Path, runner, language: str) -> None:  # type: ignore[no-untyped-def]
    """Numbers and Latin names read back exactly. Khmer and Arabic text does not: pypdf (like poppler)
    rebuilds it from glyphs in visual order, so the check is that their letters are all there; the page
    itself is drawn to a PNG in tests/artefacts for a person to look at."""
    path = write_release(workspace, language)
    reader = render(runner, path)
    text = text_layer(reader)
    for number in ("+855 12 345 678", "+855 23 430 715", "+31 6 51280210", "+31 20 555 0188"):
        assert squeeze(number) in text
    assert squeeze("Harbour Workers Alliance") in text and squeeze("Marieke van Dijk") in text
    source = RELEASES[language]
    for key in ("headline", "dateline", "quote", "quote2", "about"):
        letters = {c for c in source[key] if unicodedata.category(c) == "Lo"}
        assert letters <= set(text), (key, letters - set(text))
    assert reader.trailer["/Root"]["/Lang"] == language
    assert reader.metadata.title == source["headline"]


@pytest.mark.usefixtures("typst_installed")
def test_every_font_is_embedded(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    for language in ("km", "ar"):
        reader = render(runner, write_release(workspace, language), f"{language}.pdf")
        names = set()
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descendant = font["/DescendantFonts"][0].get_object() if font["/Subtype"] == "/Type0" else font
                descriptor = descendant["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
                names.add(str(font["/BaseFont"]).split("+")[-1])
        script = "Khmer" if language == "km" else "Arabic"
        assert any(script in name for name in names), names


@pytest.mark.usefixtures("typst_installed")
def test_metadata_and_page_size(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    reader = render(runner, EXAMPLE)
    release = load_release(EXAMPLE)
    assert reader.metadata.title == release.headline
    assert reader.metadata.author == "Harbour Workers Alliance"
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {A4}
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text() + '\n[render]\npaper = "letter"\n')
    letter = render(runner, EXAMPLE, "letter.pdf")
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in letter.pages} == {LETTER}


@pytest.mark.usefixtures("typst_installed")
def test_same_inputs_give_the_same_bytes(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    render(runner, EXAMPLE, "one.pdf")
    render(runner, EXAMPLE, "two.pdf")
    assert (workspace / "one.pdf").read_bytes() == (workspace / "two.pdf").read_bytes()


@pytest.mark.usefixtures("typst_installed")
@pytest.mark.external
@pytest.mark.parametrize("language", ["fr", "km", "ar"])
def test_first_page_as_png(workspace: Path, runner, language: str) -> None:  # type: ignore[no-untyped-def]
    pdftoppm = require_tool(find_executable("pdftoppm"), "pdftoppm (Debian package poppler-utils)")
    render(runner, write_release(workspace, language))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTEFACTS / f"pdf-{language}"
    shot = stem.with_suffix(".png")
    shot.unlink(missing_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "80", "-singlefile", "-f", "1", "-l", "1", "out.pdf", str(stem)],
                   check=True, timeout=60)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page with text on it, not a blank one


# Typst's markup and code characters, and Markdown's: as a headline they must print as written.
SPECIAL = "#*_$@<>[]{}()\\`/~=-+\"';:,.!?%&^|"
headlines = st.text(alphabet=st.sampled_from(SPECIAL + "abcXYZ éÅ"), min_size=1, max_size=60).map(
    lambda s: " ".join(s.split())).filter(bool)


@pytest.mark.usefixtures("typst_installed")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headline=headlines)
def test_a_headline_with_markup_characters_prints_literally(workspace: Path, headline: str) -> None:
    from pypdf import PdfReader

    from pressctl.render.pdf import render_pdf

    release, book, config = load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()
    pdf = render_pdf(dataclasses.replace(release, headline=headline), book, config)
    (workspace / "special.pdf").write_bytes(pdf)
    reader = PdfReader(workspace / "special.pdf")
    assert reader.metadata.title == headline
    assert squeeze(headline) in text_layer(reader)


HOSTILE = """\
---
headline: '#set page(width: 1cm) $x^2$ <label> @ref *bold* _it_ // not a comment'
dateline: Amsterdam
date: 2024-06-26
quotes:
  - name: '#panic("quote")'
    text: '] #raw("x") [ \\ $ $'
notes:
  - '`#include "/etc/passwd"` and #read("/etc/passwd")'
---
#image("/etc/passwd") and `#eval("1 + 1")` and $$ and ]] in the statement.
"""


@pytest.mark.usefixtures("typst_installed")
def test_typst_code_in_any_value_is_text(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    path = workspace / "releases" / "hostile.md"
    path.write_text(HOSTILE, encoding="utf-8")
    reader = render(runner, path)
    text = text_layer(reader)
    for piece in ("#set page(width: 1cm) $x^2$ <label> @ref *bold* _it_ // not a comment", '#panic("quote")',
                  '] #raw("x") [ \\ $ $', '#include "/etc/passwd"', '#read("/etc/passwd")',
                  '#image("/etc/passwd") and', '#eval("1 + 1")', "and $$ and ]] in the statement."):
        assert squeeze(piece) in text, piece
    assert {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages} == {A4}


@pytest.mark.usefixtures("typst_installed")
def test_letterhead_logo(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "logo.png").write_bytes(_png(40, 20, (11, 79, 108)))
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('website = "https://example.org"',
                                                 'website = "https://example.org"\nlogo = "logo.png"'))
    reader = render(runner, EXAMPLE)
    objects = [x.get_object() for x in reader.pages[0]["/Resources"]["/XObject"].values()]
    images = [(x["/Width"], x["/Height"]) for x in objects if x["/Subtype"] == "/Image"]
    assert images == [(40, 20)]


@pytest.mark.parametrize(("toml", "expected"), [
    ('[render]\npaper = "A5"\n', "error: pressctl.toml: `render.paper` is 'A5'; it must be \"a4\" or \"letter\"\n"),
    ('[render]\npapier = "a4"\n', "error: pressctl.toml:{line}: unknown key `render.papier`\n  hint: did you mean "
                                  "`render.paper`?\n"),
])
def test_bad_paper_is_a_configuration_error(workspace: Path, runner, toml: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    before = config.read_text()
    config.write_text(before + "\n" + toml)
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "pdf", "-o", "out.pdf"])
    line = len(before.splitlines()) + 3  # the key's line: after the blank line and `[render]`
    assert (result.exit_code, result.output) == (2, expected.format(line=line))
    assert not (workspace / "out.pdf").exists()


def test_a_missing_logo_is_a_configuration_error(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('website = "https://example.org"',
                                                 'website = "https://example.org"\nlogo = "brand/logo.png"'))
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "pdf", "-o", "out.pdf"])
    assert (result.exit_code, result.output) == (
        2, "error: pressctl.toml: `organisation.logo` names 'brand/logo.png', which is not a file\n")


def test_without_typst_one_clear_message(workspace: Path) -> None:
    """The extra left out: Python's import of typst fails for real (the module is blocked), nothing is written."""
    code = ("import sys; sys.modules['typst'] = None; from pressctl.cli import main; "
            f"sys.argv = ['pressctl', 'render', {EXAMPLE!r}, '--format', 'pdf', '-o', 'out.pdf']; main()")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == ("error: making a PDF needs the Typst compiler, which is not installed\n"
                          "  hint: install it with pip install 'pressctl[pdf]'\n")
    assert not (workspace / "out.pdf").exists()


def test_a_script_without_a_font_is_refused_with_the_package_to_install() -> None:
    from pressctl.render.pdf import require_fonts

    khmer = RELEASES["km"]["headline"]
    with pytest.raises(UsageError) as caught:
        require_fonts(khmer, {"Libertinus Serif", "Noto Sans Arabic"})
    assert str(caught.value) == (
        "the release has Khmer text, but no Khmer font is installed (pressctl looks for Noto Serif Khmer, "
        "Noto Sans Khmer, Khmer OS)\n  hint: on Debian or Ubuntu: apt-get install fonts-khmeros or "
        "fonts-noto-core; elsewhere install one of those fonts for all users")
    require_fonts(khmer, {"Khmer OS"})
    require_fonts("Les dockers — accord signé, Đà Nẵng", {"Libertinus Serif"})


def test_paper_is_a4_unless_letter(workspace: Path) -> None:
    from pressctl.render.pdf import paper

    assert paper(load_config()) == "a4"
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text() + '\n[render]\npaper = "letter"\n')
    assert paper(load_config()) == "us-letter"


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_readme_names_the_extra() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"pip install '\.\[pdf\]'", readme)
    assert "- **pdf**" in readme


@pytest.mark.usefixtures("typst_installed")
def test_a_mistake_in_a_workspace_typst_template_names_its_line(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.typ").write_text(
        "#let data = json(bytes(sys.inputs.release))\n= #data.headline\n#data.no_such_key\n", encoding="utf-8")
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "pdf", "-o", "out.pdf"])
    assert (result.exit_code, result.output) == (
        1, 'error: templates/release.typ:3: Typst: dictionary does not contain key "no_such_key"\n')
    assert not (workspace / "out.pdf").exists()
