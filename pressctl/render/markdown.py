"""Markdown (CommonMark) to sanitised HTML and to plain text wrapped for a press release."""

from __future__ import annotations

import textwrap
from functools import cache
from typing import Any

WIDTH = 72


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
    # cid: is an attached image in an e-mail (render/attachments.py points the statement's images there).
    return f'<img src="{escapeHtml(src)}" alt="{alt}">' if src.startswith(("https://", "http://", "cid:")) else alt


def references(markdown: str) -> References:
    """The link reference definitions in `markdown`, for rendering it in parts (split at quote placeholders)."""
    env: dict[str, Any] = {}
    _parser().parse(markdown, env)
    return dict(env.get("references", {}))


def _parse(markdown: str, refs: References | None) -> list[Any]:
    env = {"references": dict(refs)} if refs else {}
    return list(_parser().parse(markdown, env))


def to_html(markdown: str, *, lead_html: str = "", refs: References | None = None) -> str:
    """Block Markdown to HTML. `lead_html` (already escaped) opens the first paragraph, e.g. the dateline.

    Headings move down a level, `#` to <h2>: the headline is the document's only <h1>.
    """
    parser = _parser()
    tokens = _parse(markdown, refs)
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
                     url_schemes={"http", "https", "mailto", "tel", "cid"}, link_rel="noopener")


_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr", "span", "img"}


def to_text(markdown: str, *, lead: str = "", width: int = WIDTH, refs: References | None = None) -> str:
    """Block Markdown to plain text: paragraphs wrapped, lists with hanging indents, links as `text <url>`."""
    from markdown_it.token import Token

    tokens = _parse(markdown, refs)
    blocks: list[str] = []
    if lead and tokens and tokens[0].type == "paragraph_open":
        tokens[1].children = [Token("text", "", 0, content=lead + " "), *(tokens[1].children or [])]
    elif lead:
        blocks.append(_fill(lead, width, "", ""))
    _blocks(tokens, 0, len(tokens), blocks, "", width)
    return "\n\n".join(blocks)


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
            parts.append(label if same else f"{label} <{href}>")
    return "".join(parts)


def _fill(text: str, width: int, first: str, rest: str) -> str:
    lines = []
    for number, piece in enumerate(text.split("\n")):
        lines.append(textwrap.fill(piece, width, initial_indent=first if number == 0 else rest,
                                   subsequent_indent=rest, break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines)


def wrap(text: str, width: int = WIDTH, indent: str = "", first: str | None = None) -> str:
    """The `wrap` filter for text templates."""
    return _fill(str(text), width, indent if first is None else first, indent)
