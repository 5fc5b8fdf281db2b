"""The `[site]` table of pressctl.toml and `--base-url`: where the newsroom will live, its title and language."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pressctl.config import Config
from pressctl.errors import UsageError

BASE_URL_HINT = ('set base_url under [site] in pressctl.toml, e.g. base_url = "https://example.org/press/", '
                 "or give --base-url to pressctl site")


@dataclass(frozen=True)
class SiteSettings:
    base_url: str  # absolute, ends with "/"
    title: str
    language: str  # the index page's language


def site_settings(config: Config, base_url: str | None = None) -> SiteSettings:
    """The settings for a build: `base_url` (from --base-url) wins over `[site] base_url`."""
    table = config.raw.get("site", {})  # config.py has checked that every value is a one-line string
    where = config.path or "pressctl.toml"
    if base_url is not None:
        url = absolute_base_url(base_url, "--base-url")
    elif table.get("base_url"):
        url = absolute_base_url(table["base_url"], "`site.base_url`", path=where)
    else:
        raise UsageError("the site needs its address for canonical links, feeds and ninjs", hint=BASE_URL_HINT)
    language = table.get("language", "en").strip() or "en"
    import langcodes

    if not langcodes.tag_is_valid(language):
        raise UsageError(f"`site.language` {language!r} is not a BCP 47 tag (e.g. en, fr, pt-BR)", path=where)
    title = table.get("title", "").strip() or config.organisation.name or "Newsroom"
    return SiteSettings(url, title, language)


def absolute_base_url(value: str, name: str, *, path: str | None = None) -> str:
    """An http(s) URL with a host and no query or fragment, ending with "/" so that page names join it."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{name} {value!r} is not an absolute http:// or https:// URL", path=path,
                         hint=BASE_URL_HINT)
    if parts.query or parts.fragment:
        raise UsageError(f"{name} {value!r} has a query or fragment; give the folder's address only", path=path,
                         hint=BASE_URL_HINT)
    if any(char.isspace() or char in '<>"' for char in value):
        raise UsageError(f"{name} {value!r} contains spaces or quotes; percent-encode them", path=path)
    return value if value.endswith("/") else value + "/"
