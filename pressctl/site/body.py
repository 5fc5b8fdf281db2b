"""The statement alone, quotes in place, as HTML and as plain text: the body of feed entries and of ninjs."""

from __future__ import annotations

from html import escape
from typing import Any


def body_html(context: dict[str, Any]) -> str:
    """The statement's blocks as the HTML render makes them (already sanitised); quotes as figures."""
    parts = []
    for block in context["statement"]:
        if block.kind == "quote":
            quote = block.quote
            parts.append(f'<figure class="quote"><blockquote><p>{escape(quote.quoted)}</p></blockquote>'
                         f"<figcaption>\u2014 {escape(quote.attribution)}</figcaption></figure>")
        else:
            parts.append(str(block.html).strip())
    return "\n".join(parts)


def body_text(context: dict[str, Any]) -> str:
    """The statement as the text render wraps it, the dateline leading; quotes with their attribution."""
    parts = []
    for block in context["statement"]:
        if block.kind == "quote":
            parts.append(f"{block.quote.quoted}\n\u2014 {block.quote.attribution}")
        else:
            parts.append(block.text.strip("\n"))
    return "\n\n".join(parts)
