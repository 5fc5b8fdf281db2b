"""The HTML of the site: a page per release (the HTML render inside the site's shell) and the index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.site.feeds import FEED, feed_name
from pressctl.site.settings import SiteSettings

if TYPE_CHECKING:
    from pressctl.site.build import Article

RELEASE_TEMPLATE = "site/release.html"  # extends release.html, so a workspace's own release.html shows through
INDEX_TEMPLATE = "site/index.html"


@dataclass(frozen=True)
class Language:
    tag: str
    name: str  # in that language: "Français", "ខ្មែរ"
    direction: str  # "ltr" or "rtl"
    og_locale: str  # Open Graph's form: "fr_FR", "km_KH", else the tag with "_"
    feed_href: str


@dataclass(frozen=True)
class Link:
    href: str
    url: str
    headline: str
    language: Language


@cache
def language(tag: str) -> Language:
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Language(tag, tag, "ltr", tag.replace("-", "_"), feed_name(tag))
    name = locale.get_display_name(locale) or tag
    territory = locale.territory or _likely_territory(locale)
    og = f"{locale.language}_{territory}" if territory else locale.language
    direction = "rtl" if locale.character_order == "right-to-left" else "ltr"
    return Language(tag, name[:1].upper() + name[1:], direction, og, feed_name(tag))


def _likely_territory(locale: Any) -> str:
    from babel.core import get_global

    likely = get_global("likely_subtags").get(locale.language, "")
    parts = likely.split("_")
    return parts[-1] if len(parts) > 1 and parts[-1].isupper() else ""


def translations(articles: Sequence[Article]) -> dict[str, list[Link]]:
    """Each article's other language versions: `deal.md` and `deal.km.md` are one release in two languages
    when the second's name ends with its own language tag."""
    from pressctl.site.build import original_slug

    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(original_slug(article.release), []).append(article)
    links: dict[str, list[Link]] = {}
    for group in groups.values():
        ordered = sorted(group, key=lambda a: a.language)
        for article in group:
            links[article.slug] = [Link(o.href, o.url, o.release.headline, language(o.language))
                                   for o in ordered if o is not article]
    return links


def release_page(article: Article, settings: SiteSettings, others: list[Link], templates: Path | None) -> str:
    from pressctl.render.environment import compile_template

    context = dict(article.context)
    context["site"] = _site(settings)
    context["page"] = {
        "url": article.url,
        "language": language(article.language),
        "description": context["preheader"],
        "published": article.published.isoformat().replace("+00:00", "Z"),
        "translations": others,
        "ninjs_href": article.href.removesuffix(".html") + ".ninjs.json",
    }
    return compile_template(templates, RELEASE_TEMPLATE, html=True)(context)


def index_page(articles: Sequence[Article], settings: SiteSettings, templates: Path | None) -> str:
    from pressctl.render.environment import compile_template
    from pressctl.render.phrases import phrases_for

    sections = []
    # The site's own language first, then the others by tag, each newest first.
    tags = sorted({a.language for a in articles}, key=lambda tag: (tag != settings.language, tag))
    for tag in tags:
        sections.append({"language": language(tag), "t": phrases_for(tag),
                         "articles": [_entry(a) for a in articles if a.language == tag]})
    context = {"site": _site(settings), "lang": settings.language, "language": language(settings.language),
               "sections": sections, "t": phrases_for(settings.language), "url": settings.base_url}
    return compile_template(templates, INDEX_TEMPLATE, html=True)(context)


def _entry(article: Article) -> dict[str, Any]:
    context = article.context
    return {"href": article.href, "url": article.url, "headline": context["headline"],
            "subheadline": context["subheadline"], "date_text": context["date_text"],
            "date": article.release.date.isoformat(), "dateline": article.release.dateline,
            "description": context["preheader"]}


def _site(settings: SiteSettings) -> dict[str, Any]:
    return {"title": settings.title, "base_url": settings.base_url, "language": settings.language,
            "index_href": "index.html", "feed_href": FEED}
