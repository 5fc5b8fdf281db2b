"""Markdown (CommonMark) to sanitised HTML and to plain text wrapped for a press release."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any

WIDTH = 72
# The schemes a link in the statement may have, in HTML and in text alike (a relative link has none).
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


References = dict[str, Any]  # link reference definitions, `[site]: https://…`, as markdown-it keeps them


@cache
def _parser() -> Any:
    from markdown_it import MarkdownIt

    # html=False: raw HTML in a statement is shown as text, never passed through.
    parser = MarkdownIt("commonmark", {"html": False})
    parser.add_render_rule("image", _image)
    return parser


def _image(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    """A web image as <img src alt>; any other (a relative path, data:) as its alt text, so no <img> lacks a src."""
    from markdown_it.common.utils import escapeHtml

    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = escapeHtml(renderer.renderInlineAsText(token.children or [], options, env))
    from pressctl.urls import is_web_url

    # cid: is an attached image in an e-mail (render/attachments.py points the statement's images there).
    return f'<img src="{escapeHtml(src)}" alt="{alt}">' if is_web_url(src) or src.startswith("cid:") else alt


def references(markdown: str) -> References:
    """The link reference definitions in `markdown`, for rendering it in parts (split at quote placeholders).

    Only the parts that hold a line that could be a definition are parsed: for a long statement without
    any, this costs one scan instead of a parse of the whole text."""
    refs: References = {}
    for part in parts(markdown):
        if "]:" in part and _DEFINITION.search(part):  # what every definition has: `[` opening a line, `]:`
            env: dict[str, Any] = {"references": dict(refs)} if refs else {}
            _parser().parse(part, env)
            for label, target in env.get("references", {}).items():
                refs.setdefault(label, target)  # the first definition of a label counts (CommonMark)
    return refs


_DEFINITION = re.compile(r"^ {0,3}\[", re.MULTILINE)
_FENCE = re.compile(r"(`{3,})[^`]*$|(~{3,})")
_INDENTED_FENCE = re.compile(r" {1,3}(?:`{3}|~{3})")
_LIST_MARKER = re.compile(r"(?:[-+*]|[0-9]{1,9}[.)])(?:[ \t]|$)")
PART_SIZE = 64 * 1024  # characters: large enough that a part costs little to set up, small enough to be cheap


def parts(markdown: str, size: int = PART_SIZE) -> Iterator[str]:
    """`markdown` cut into parts of about `size` characters that render exactly as the whole does, part by
    part, given the whole's reference definitions. A cut falls only where CommonMark starts a new top-level
    block whatever came before: at a blank line followed by a line that is not indented, is not a list item
    (which could continue a list above) and is not inside a fenced code block. Raw HTML blocks, the one other
    construct that spans blank lines, are off. Fences are followed only while they open at the margin,
    where they are always top-level; after an indented one (perhaps inside a list item) nothing more is cut.

    Rendering a long statement part by part keeps memory flat: markdown-it's tokens take some forty times
    the size of the text they come from."""
    if len(markdown) <= size:
        yield markdown
        return
    start = position = 0  # where the current part and the current line begin
    fence = ""  # the opening fence of the code block the scan is in
    previous_blank = False
    while position <= len(markdown):
        end = markdown.find("\n", position)
        end = len(markdown) if end < 0 else end
        line = markdown[position:end]
        body = line.rstrip(" \t\r")
        if fence:
            rest = body.lstrip(" ")
            if len(body) - len(rest) <= 3 and len(rest) >= len(fence) and set(rest) == {fence[0]}:
                fence = ""
        elif _INDENTED_FENCE.match(line):
            break
        else:
            if previous_blank and body[:1] not in ("", " ", "\t") and position - start >= size and \
                    not _LIST_MARKER.match(line):
                yield markdown[start:position]
                start = position
            opening = _FENCE.match(line)
            fence = (opening.group(1) or opening.group(2)) if opening else ""
        previous_blank = not body
        position = end + 1
    yield markdown[start:]


def _parse(markdown: str, refs: References | None) -> list[Any]:
    env = {"references": dict(refs)} if refs else {}
    return list(_parser().parse(markdown, env))


def render(markdown: str, *, lead: str = "", lead_html: str = "", refs: References | None = None,
           width: int = WIDTH, text: bool = True, html: bool = True, part_size: int = PART_SIZE) -> tuple[str, str]:
    """Block Markdown to (plain text, sanitised HTML), parsed once for both and part by part (see `parts`).

    `lead` and `lead_html` (already escaped) open the first paragraph, e.g. the dateline. In HTML, headings
    move down a level, `#` to <h2>: the headline is the document's only <h1>.
    """
    if refs is None and len(markdown) > part_size:
        refs = references(markdown)
    texts: list[str] = []
    htmls: list[str] = []
    for part in parts(markdown, part_size):
        tokens = _parse(part, refs)
        if not tokens:
            continue
        if html:
            htmls.append(_html(tokens, lead_html))
        if text:
            texts.append(_text(tokens, lead, width))
        lead = lead_html = ""
    if lead and text:
        texts.append(_fill(lead, width, "", ""))
    if lead_html and html:
        htmls.append(f"<p>{lead_html}</p>\n")
    return "\n\n".join(texts), "".join(htmls)


def to_html(markdown: str, *, lead_html: str = "", refs: References | None = None) -> str:
    """Block Markdown to sanitised HTML (see `render`)."""
    return render(markdown, lead_html=lead_html, refs=refs, text=False)[1]


def _html(tokens: list[Any], lead_html: str) -> str:
    parser = _parser()
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    html = parser.renderer.render(tokens, parser.options, {})
    if lead_html:
        html = html[3:] if html.startswith("<p>") else "</p>\n" + html
        html = f"<p>{lead_html} " + html
    return sanitise(html)


def inline_html(markdown: str) -> str:
    return sanitise(_parser().renderInline(markdown))


def sanitise(html: str) -> str:
    """A second line of defence: whatever the parser let through, no script or handler survives."""
    import nh3

    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "span": {"class"}, "img": {"src", "alt"}},
                     url_schemes=set(LINK_SCHEMES) | {"cid"}, link_rel="noopener")


_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr", "span", "img"}


def to_text(markdown: str, *, lead: str = "", width: int = WIDTH, refs: References | None = None) -> str:
    """Block Markdown to plain text: paragraphs wrapped, lists with hanging indents, links as `text <url>`."""
    return render(markdown, lead=lead, refs=refs, width=width, html=False)[0]


def _text(tokens: list[Any], lead: str, width: int) -> str:
    from markdown_it.token import Token

    blocks: list[str] = []
    if lead and tokens[0].type == "paragraph_open":
        tokens[1].children = [Token("text", "", 0, content=lead + " "), *(tokens[1].children or [])]
    elif lead:
        blocks.append(_fill(lead, width, "", ""))
    _blocks(tokens, 0, len(tokens), blocks, "", width)
    return "\n\n".join(blocks)


def first_paragraph_text(markdown: str) -> str:
    """The first block of `markdown` as one line of plain text, parsing only as much as that takes."""
    refs: References | None = None
    for part in parts(markdown, size=4096):
        if refs is None and "[" in part:  # a reference link may be defined anywhere: find the definitions
            refs = references(markdown)
        text = render(part, refs=refs or {}, width=10_000, html=False)[0]
        if text:
            return text.split("\n\n")[0]
    return ""


def inline_text(markdown: str) -> str:
    tokens = _parser().parseInline(markdown)
    return _inline(tokens[0].children or []) if tokens else ""


def _blocks(tokens: list[Any], start: int, stop: int, out: list[str], indent: str, width: int) -> None:
    i = start
    while i < stop:
        token = tokens[i]
        kind = token.type
        if kind in ("paragraph_open", "heading_open"):
            text = _inline(tokens[i + 1].children or [])
            if kind == "heading_open":
                text = text.upper()
            out.append(_fill(text, width, indent, indent))
            i += 3
        elif kind in ("bullet_list_open", "ordered_list_open"):
            close = _closing(tokens, i)
            out.append("\n".join(_list_items(tokens, i + 1, close, indent, width, kind == "ordered_list_open",
                                             int(token.attrGet("start") or 1))))
            i = close + 1
        elif kind == "blockquote_open":
            close = _closing(tokens, i)
            inner: list[str] = []
            _blocks(tokens, i + 1, close, inner, indent + "> ", width)
            out.append("\n".join(inner))
            i = close + 1
        elif kind in ("fence", "code_block"):
            out.append("\n".join(indent + "    " + line for line in token.content.rstrip("\n").split("\n")))
            i += 1
        elif kind == "hr":
            out.append(indent + "* * *")
            i += 1
        else:
            i += 1


def _list_items(tokens: list[Any], start: int, stop: int, indent: str, width: int, ordered: bool,
                first: int) -> list[str]:
    items = []
    i = start
    number = first
    while i < stop:
        if tokens[i].type != "list_item_open":
            i += 1
            continue
        close = _closing(tokens, i)
        marker = f"{number}. " if ordered else "- "
        inner: list[str] = []
        _blocks(tokens, i + 1, close, inner, indent + " " * len(marker), width)
        text = "\n".join(inner)
        items.append(indent + marker + text[len(indent) + len(marker):])
        number += 1
        i = close + 1
    return items


def _closing(tokens: list[Any], start: int) -> int:
    level = 0
    for i in range(start, len(tokens)):
        level += tokens[i].nesting
        if level == 0:
            return i
    return len(tokens) - 1


def _inline(children: list[Any]) -> str:
    parts: list[str] = []
    link_stack: list[str] = []
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline"):
            parts.append(child.content)
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append("\n")
        elif kind == "image":
            parts.append(child.content or "")
        elif kind == "link_open":
            link_stack.append(str(child.attrGet("href") or ""))
            parts.append("\x00")  # where the link text starts
        elif kind == "link_close":
            href = link_stack.pop()
            start = len(parts) - 1 - parts[::-1].index("\x00")
            label = "".join(parts[start + 1:])
            del parts[start:]
            same = href.removeprefix("mailto:").removeprefix("https://").removeprefix("http://") == label
            parts.append(label if same or not _linkable(href) else f"{label} <{href}>")
    return "".join(parts)


def _linkable(href: str) -> bool:
    """The HTML keeps this link (see sanitise), so the text shows it too."""
    from pressctl.urls import scheme_of

    return scheme_of(href) in LINK_SCHEMES | {""}


@lru_cache(maxsize=4096)  # a merge wraps the same release text for every recipient
def _fill(text: str, width: int, first: str, rest: str) -> str:
    lines = []
    for number, piece in enumerate(text.split("\n")):
        lines.append(textwrap.fill(piece, width, initial_indent=first if number == 0 else rest,
                                   subsequent_indent=rest, break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """The `wrap` filter for text templates."""
    return _fill(str(text), width, indent if first is None else first, indent)
