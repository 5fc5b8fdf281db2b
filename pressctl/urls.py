"""Which URLs pressctl writes into what it makes: web addresses are http(s), never `javascript:` or `data:`."""

from __future__ import annotations

from urllib.parse import urlsplit

WEB_SCHEMES = frozenset({"http", "https"})


def is_web_url(text: str) -> bool:
    """An absolute http:// or https:// URL with a host, and no white space or control character in it."""
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:  # a malformed IPv6 host, say
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case, "" for a relative URL."""
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return ""
