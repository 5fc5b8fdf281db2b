"""The release as a print-ready PDF, typeset by Typst (the optional extra `pressctl[pdf]`; docs/pdf.md).

The Typst source is a fixed template (templates/release.typ); the release goes in as JSON and the
template places each value as text. Nothing a press officer writes is ever spliced into Typst markup,
so no value needs escaping and none can change the document's code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pressctl.config import Config
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.release import Release
from pressctl.render.document import build_context, ensure_renderable
from pressctl.render.environment import builtin_dir, resolve_templates

TEMPLATE = "release.typ"
PAPERS = {"a4": "a4", "letter": "us-letter"}
INSTALL_HINT = "pip install 'pressctl[pdf]'"
# Latin first, then a face for each other script; Libertinus Serif ships inside the Typst wheel, so a
# Latin release always has a font. Only the installed families are named (Typst warns about the others).
SERIF = ("Noto Serif", "Libertinus Serif", "Noto Serif Khmer", "Khmer OS", "Noto Naskh Arabic", "Noto Sans Arabic",
         "Noto Serif Thai", "Noto Sans Thai", "Noto Serif CJK SC", "Noto Sans CJK SC")
SANS = ("Noto Sans", "Noto Sans Khmer", "Khmer OS", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans Thai",
        "Noto Sans CJK SC", "Noto Serif CJK SC", "DejaVu Sans", "Libertinus Serif")


@dataclass(frozen=True)
class Script:
    name: str
    ranges: tuple[tuple[int, int], ...]
    families: tuple[str, ...]  # any one of them will do
    packages: str  # the Debian/Ubuntu packages that carry one


SCRIPTS = (
    Script("Khmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF)), ("Noto Serif Khmer", "Noto Sans Khmer", "Khmer OS"),
           "fonts-khmeros or fonts-noto-core"),
    Script("Arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
           ("Noto Naskh Arabic", "Noto Sans Arabic"), "fonts-noto-core"),
    Script("Thai", ((0x0E00, 0x0E7F),), ("Noto Serif Thai", "Noto Sans Thai"), "fonts-noto-core"),
    Script("CJK", ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF)),
           ("Noto Serif CJK SC", "Noto Sans CJK SC"), "fonts-noto-cjk"),
)
# Scripts without italics or letter case, and Arabic, whose letters join: no slanting, no letter-spacing.
UPRIGHT = {"km", "ar", "th", "fa", "he", "ur", "zh", "ja", "ko"}
TALL = {"km", "th", "ar", "fa", "ur", "vi", "lo", "my"}


def render_pdf(release: Release, book: ContactBook, config: Config, *,
               templates: Path | str | None = None) -> bytes:
    """The release as PDF bytes: A4, or US letter with `[render] paper = "letter"`."""
    ensure_renderable(release, book)
    paper(config)  # the settings first: a mistake there is reported whether or not Typst is installed
    logo = _logo(config)
    typst = _typst()
    context = build_context(release, book, config)
    data = pdf_data(context, release, config)
    data["logo"] = f"/{logo.name}" if logo else ""
    require_fonts(json.dumps(data, ensure_ascii=False), set(_families()))
    template, source = _template(templates)
    from pressctl.render.email import message_date

    try:
        compiler = typst.Compiler(root=str(logo.parent) if logo else None)
        pdf = compiler.compile(source, format="pdf", sys_inputs={"release": json.dumps(data, ensure_ascii=False)},
                               timestamp=message_date())
    except typst.TypstError as err:
        # The diagnostic names the place as "┌─ <file>:LINE:COLUMN"; the file is the template.
        where = re.search(r"\u250c\u2500 \S*?:(\d+):\d+", err.diagnostic or "")
        raise InputError(f"Typst: {err.message}", path=template, line=int(where.group(1)) if where else None,
                         hint="; ".join(err.hints) or None) from None
    assert isinstance(pdf, bytes)  # one document, not one image per page
    return pdf


def paper(config: Config) -> str:
    """Typst's name for the paper `[render] paper` asks for (A4 unless it says "letter")."""
    section = config.raw.get("render", {})
    value = section.get("paper", "a4") if isinstance(section, dict) else "a4"
    if value not in PAPERS:
        raise UsageError(f"`render.paper` is {value!r}; it must be \"a4\" or \"letter\"", path=config.path)
    return PAPERS[value]


def pdf_data(context: dict[str, Any], release: Release, config: Config) -> dict[str, Any]:
    """What templates/release.typ reads: plain strings and the statement as a tree of elements."""
    t = context["t"]
    language, _, region = release.language.partition("-")
    organisation = config.organisation
    about = context["about"]
    # In right-to-left text a number or address is isolated left to right, or "+855 12 345 678" reads
    # "678 345 12 855+".
    ltr = ("\u2066", "\u2069") if t.direction == "rtl" else ("", "")
    return {
        "lang": language.lower(),
        "region": region.upper() if len(region) == 2 else None,
        "dir": t.direction,
        "paper": paper(config),
        "title": release.headline,
        "author": organisation.name or config.sender.name,
        "keywords": [t("Press release")],
        "footer": organisation.name,
        "organisation": organisation.name,
        "website": organisation.website,
        "fonts": {"serif": _installed(SERIF), "sans": _installed(SANS)},
        "tall": language.lower() in TALL,
        "italic": language.lower() not in UPRIGHT,
        "tracking": language.lower() not in UPRIGHT,
        "status": context["status"],
        "headline": release.headline,
        "subheadline": release.subheadline,
        "statement": [
            {"kind": "quote", "quoted": part.quote.quoted, "attribution": part.quote.attribution}
            if part.kind == "quote" else {"kind": "text", "nodes": html_tree(str(part.html))}
            for part in context["statement"]
        ],
        "ends": t("ENDS"),
        "notes_heading": t("Notes to editors"),
        "notes": [html_tree(str(note.html)) for note in context["notes"]],
        "contacts_heading": t("Media contacts"),
        "media_contacts": [
            {"name": person.name,
             "lines": [part for part in (person.role, person.organisation) if part]
             + ([f"{t('Email')}: {ltr[0]}{person.email}{ltr[1]}"] if person.email else [])
             + [f"{phone.label}: {ltr[0]}{phone.number}{ltr[1]}" for phone in person.phones]}
            for person in context["media_contacts"]
        ],
        "about": {"heading": about["heading"], "nodes": html_tree(str(about["html"]))} if about else None,
    }


_VOID = {"br", "img", "hr"}
_BLOCKS = {"p", "ul", "ol", "li", "blockquote", "pre", "h2", "h3", "h4", "h5", "h6", "hr"}


def html_tree(html: str) -> list[Any]:
    """The sanitised HTML pressctl makes from Markdown, as nested {tag, attrs, children} with text
    strings; white space collapses as a browser would, and the text of `code` and `pre` is kept."""

    class Builder(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.root: dict[str, Any] = {"tag": "", "attrs": {}, "children": [], "text": ""}
            self.stack = [self.root]

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            element = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "children": [], "text": ""}
            self.stack[-1]["children"].append(element)
            if tag not in _VOID:
                self.stack.append(element)

        def handle_endtag(self, tag: str) -> None:
            for depth in range(len(self.stack) - 1, 0, -1):
                if self.stack[depth]["tag"] == tag:
                    del self.stack[depth:]
                    return

        def handle_data(self, data: str) -> None:
            for element in self.stack:
                if element["tag"] in ("code", "pre"):
                    element["text"] += data
            self.stack[-1]["children"].append(data)

    builder = Builder()
    builder.feed(html)
    builder.close()
    return _tidy(builder.root)["children"]


def _tidy(element: dict[str, Any]) -> dict[str, Any]:
    children: list[Any] = []
    for child in element["children"]:
        if isinstance(child, str):
            text = " ".join(child.split())
            if child[:1].isspace() and text:
                text = " " + text
            if child[-1:].isspace() and child.strip():
                text += " "
            if not text.strip() and (element["tag"] in ("", *_BLOCKS - {"p", "li"}) or not children):
                continue
            children.append(text or " ")
        else:
            children.append(_tidy(child))
    tidy = {**element, "children": children}
    if element["tag"] == "a":
        tidy["note"] = _link_note(element["attrs"].get("href", ""), _text_of(tidy))
    return tidy


def _text_of(element: dict[str, Any]) -> str:
    return "".join(child if isinstance(child, str) else _text_of(child) for child in element["children"])


def _link_note(href: str, text: str) -> str:
    """On paper a link is only its words: print the address after them unless the words are the address."""
    address = href.removeprefix("mailto:").removeprefix("tel:")
    bare = address.removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    shown = text.strip().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    return "" if not address or shown == bare else address


def _typst() -> Any:
    try:
        import typst
    except ImportError:
        raise UsageError("making a PDF needs the Typst compiler, which is not installed",
                         hint=f"install it with {INSTALL_HINT}") from None
    return typst


def _template(templates: Path | str | None) -> tuple[str, bytes]:
    folder = resolve_templates(templates)
    path = folder / TEMPLATE if folder is not None and (folder / TEMPLATE).is_file() else builtin_dir() / TEMPLATE
    try:
        return str(path), path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read the PDF template: {err.strerror}", path=str(path)) from None


def _logo(config: Config) -> Path | None:
    """`[organisation] logo`, a path relative to pressctl.toml."""
    value = config.organisation.logo
    if not value:
        return None
    base = Path(config.path).parent if config.path else Path()
    logo = (base / value).resolve()
    if not logo.is_file():
        raise UsageError(f"`organisation.logo` names {value!r}, which is not a file", path=config.path)
    if logo.suffix.lower() not in (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"):
        raise UsageError(f"`organisation.logo` must be a PNG, JPEG, GIF, WebP or SVG image, not {value!r}",
                         path=config.path)
    return logo


@cache
def _families() -> tuple[str, ...]:
    """The font families Typst finds: its own and the system's."""
    return tuple(_typst().Fonts().families())


def _installed(wanted: tuple[str, ...]) -> list[str]:
    found = set(_families())
    return [family for family in wanted if family in found]


def require_fonts(text: str, families: set[str]) -> None:
    """Refuse a PDF that would print empty boxes: each script in the release needs a font for it."""
    present = {ord(char) for char in text if ord(char) > 0x2FF}
    for script in SCRIPTS:
        if any(low <= point <= high for point in present for low, high in script.ranges) and \
                not families & set(script.families):
            raise UsageError(f"the release has {script.name} text, but no {script.name} font is installed "
                             f"(pressctl looks for {', '.join(script.families)})",
                             hint=f"on Debian or Ubuntu: apt-get install {script.packages}; elsewhere install "
                                  f"one of those fonts for all users")
