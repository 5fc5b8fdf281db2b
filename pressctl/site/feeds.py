"""Atom feeds (RFC 4287): one for the whole newsroom and one per language, newest entry first."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pressctl.site.settings import SiteSettings

if TYPE_CHECKING:
    from pressctl.site.build import Article

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEED = "feed.xml"
# Readers poll feeds often: the newest entries only (the index and the sitemap list every release).
FEED_ENTRIES = 50
# An empty feed still needs an <updated>; a fixed one keeps rebuilds byte-identical.
NO_ENTRIES = "1970-01-01T00:00:00Z"
# Characters XML 1.0 cannot carry at all, even escaped: a release that holds one still makes a valid feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def feed_name(language: str) -> str:
    return f"feed.{language}.xml"


def atom(articles: Sequence[Article], settings: SiteSettings, language: str | None) -> bytes:
    """The feed of the newest `articles` (given newest first); `language` None for the whole newsroom."""
    name = feed_name(language) if language else FEED
    feed = ET.Element("feed", xmlns=ATOM)
    if language:
        feed.set(XML_LANG, language)
    from pressctl.site.pages import language as language_named

    title = f"{settings.title} ({language_named(language).name})" if language else settings.title
    _text(feed, "title", title)
    _text(feed, "id", settings.base_url + name)
    _text(feed, "updated", _stamp(articles[0]) if articles else NO_ENTRIES)
    _link(feed, "self", settings.base_url + name, "application/atom+xml")
    _link(feed, "alternate", settings.base_url, "text/html")
    author = ET.SubElement(feed, "author")
    _text(author, "name", settings.title)
    _text(author, "uri", settings.base_url)
    generator = _text(feed, "generator", "pressctl")
    generator.set("uri", "https://pypi.org/project/pressctl/")
    for article in articles[:FEED_ENTRIES]:
        feed.append(_entry(article))
    ET.indent(feed)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8",
                                                                    xml_declaration=False) + b"\n"


def _entry(article: Article) -> ET.Element:
    from pressctl.site.body import body_html

    entry = ET.Element("entry")
    entry.set(XML_LANG, article.language)
    context = article.context
    _text(entry, "id", article.url)
    _text(entry, "title", context["headline"])
    _text(entry, "updated", _stamp(article))
    _text(entry, "published", _stamp(article))
    _link(entry, "alternate", article.url, "text/html")
    _link(entry, "alternate", article.url.removesuffix(".html") + ".ninjs.json", "application/json")
    _text(entry, "summary", context["preheader"])
    content = _text(entry, "content", body_html(context))
    content.set("type", "html")
    return entry


def _stamp(article: Article) -> str:
    return article.published.isoformat().replace("+00:00", "Z")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{tag}")
    element.text = _NOT_XML.sub("\ufffd", text)
    return element


def _link(parent: ET.Element, rel: str, href: str, kind: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": kind, "href": href})
