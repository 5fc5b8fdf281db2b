"""sitemap.xml (sitemaps.org 0.9): the index and every release page, with the day each was published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pressctl.site.settings import SiteSettings

if TYPE_CHECKING:
    from pressctl.site.build import Article

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(articles: Sequence[Article], settings: SiteSettings) -> bytes:
    urlset = ET.Element("urlset", xmlns=SITEMAP)
    pages = [(settings.base_url, articles[0] if articles else None)] + [(a.url, a) for a in articles]
    for location, article in pages:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = location
        if article is not None:
            ET.SubElement(url, "lastmod").text = article.published.date().isoformat()
    ET.indent(urlset)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(urlset, encoding="utf-8",
                                                                    xml_declaration=False) + b"\n"
