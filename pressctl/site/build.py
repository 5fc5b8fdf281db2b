"""Building the newsroom: the releases that are out at build time, rendered to every file of the site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pressctl.config import Config
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.release import Release
from pressctl.site.settings import SiteSettings

# Files in releases/ that are not releases: notes for the team, drafts kept out of the way.
NOT_RELEASES = ("readme.md",)


@dataclass(frozen=True)
class SiteInputs:
    """Where a workspace keeps what the site is made from."""

    releases: Path = Path("releases")
    contacts: Path = Path("contacts.yaml")
    config: Path | None = None  # None: ./pressctl.toml when present
    templates: Path | None = None  # None: ./templates when present
    workspace: Path = Path(".")


@dataclass(frozen=True)
class Article:
    """A release that is out: its render context and where its page lives."""

    release: Release
    context: dict[str, Any]
    slug: str
    href: str  # relative to the site's root, percent-encoded: "2024-06-26-deal.html"
    url: str  # absolute
    published: datetime  # the embargo, or the release date at midnight UTC

    @property
    def language(self) -> str:
        return self.release.language


@dataclass(frozen=True)
class BuildResult:
    output: Path
    pages: int  # releases published
    languages: tuple[str, ...]
    embargoed: int  # releases left out because their embargo has not lifted
    changed: bool  # False when the published folder already held exactly this site
    manifest: bytes  # the site's own record of its files (name and sha256)


def parse_now(text: str) -> datetime:
    """`--now`: an ISO 8601 date-time with its offset, e.g. 2024-06-26T04:00:00Z."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--now {text!r} is not an ISO 8601 date-time such as 2024-06-26T06:00:00+02:00") from None
    if moment.utcoffset() is None:
        raise UsageError(f"--now {text!r} has no time zone; add one, e.g. {text.strip()}+00:00 or Z")
    return moment


def build_site(inputs: SiteInputs, output: Path, *, base_url: str | None = None,
               now: datetime | None = None) -> BuildResult:
    """Build the site into `output`, replacing it as a whole, or leaving it untouched when nothing changed.

    Nothing is written unless every release checks and every page renders."""
    from pressctl.site.publish import check_output, publish

    check_output(output, inputs)
    files, articles, embargoed = render_site(inputs, base_url=base_url, now=now or datetime.now(UTC))
    changed, manifest = publish(output, files)
    languages = tuple(sorted({a.language for a in articles}))
    return BuildResult(output, len(articles), languages, embargoed, changed, manifest)


def render_site(inputs: SiteInputs, *, base_url: str | None, now: datetime) -> tuple[dict[str, bytes], list[Article],
                                                                                    int]:
    """Every file of the site (name -> bytes), the articles in it, and how many releases wait for their embargo."""
    from pressctl.config import load_config
    from pressctl.contacts.load import open_book
    from pressctl.site.settings import site_settings

    config = load_config(inputs.config)
    settings = site_settings(config, base_url)
    book = open_book(inputs.contacts)
    releases = load_releases(inputs.releases, book)
    published = [r for r in releases if r.embargo is None or r.embargo <= now]
    articles = sorted((_article(r, book, config, settings) for r in published),
                      key=lambda a: (a.published, a.slug), reverse=True)
    files = assemble(articles, settings, config, inputs.templates)
    files.update(_attachments(published, files))
    return files, articles, len(releases) - len(published)


def _attachments(releases: list[Release], pages: dict[str, bytes]) -> dict[str, bytes]:
    """The files the pages link as attachments, at the same relative path beside them (embargoed releases'
    files are not published either)."""
    import posixpath

    from pressctl.release.attachments import attachments_of

    found: dict[str, bytes] = {}
    for release in releases:
        for attachment in attachments_of(release):
            name = posixpath.normpath(attachment.file.replace("\\", "/"))
            if name.startswith(("../", "/")) or name == "..":
                raise InputError(f"the attachment {attachment.file!r} lies outside the release's folder, so its "
                                 "page could not link it", path=release.path, line=attachment.line,
                                 hint="keep attachments in the folder of the release or below it")
            data = attachment.path.read_bytes()
            if name in pages or found.get(name, data) != data:
                raise InputError(f"the attachment {attachment.file!r} would be published over another file of the "
                                 "site with the same name", path=release.path, line=attachment.line,
                                 hint="give each attachment its own file name")
            found[name] = data
    return found


def load_releases(folder: Path, book: ContactBook) -> list[Release]:
    """Every release in `folder` (and its subfolders), checked: the first error stops the build, naming its
    file and line, so that a broken release never half-appears. Embargoed releases are checked too, so that
    the build that publishes them does not fail on the morning the embargo lifts."""
    from pressctl.findings import Severity, stop_at_first_error
    from pressctl.release import check_release
    from pressctl.release.versions import read_version

    if not folder.is_dir():
        raise UsageError("no such releases folder", path=str(folder))
    paths = sorted(p for p in folder.rglob("*.md")
                   if p.name.lower() not in NOT_RELEASES and not any(part.startswith((".", "_"))
                                                                    for part in p.relative_to(folder).parts))
    releases: list[Release] = []
    seen: dict[str, str] = {}
    for path in paths:
        release, findings = read_version(path)  # a translation with its original's date, embargo, … (SPEC §9)
        if release is not None:
            findings += check_release(release, book)
        stop_at_first_error(sorted((f for f in findings if f.severity is Severity.ERROR), key=lambda f: f.line),
                            "release check", column=False)
        assert release is not None  # a release that could not be built has errors
        # Web servers and file systems that ignore case would serve one page for both.
        key = release.slug.casefold()
        if key in seen:
            raise InputError(f"two releases make the page {release.slug}.html: {seen[key]} and {release.path}",
                             path=release.path, hint="rename one of the files; the file name is the page's name")
        seen[key] = release.path
        releases.append(release)
    return releases


def original_slug(release: Release) -> str:
    """`deal` for `deal.km.md` in Khmer (SPEC §9: a translation's name ends with its language tag), else
    the release's own slug."""
    stem, _, suffix = release.slug.rpartition(".")
    return stem if stem and suffix.casefold() == release.language.casefold() else release.slug


def _article(release: Release, book: ContactBook, config: Config, settings: SiteSettings) -> Article:
    from pressctl.render.document import build_context

    href = quote(release.slug) + ".html"
    if release.embargo is not None:
        published = release.embargo.astimezone(UTC)
    else:
        published = datetime.combine(release.date, time(0), UTC)
    return Article(release, build_context(release, book, config, published=True), release.slug, href,
                   settings.base_url + href, published)


def assemble(articles: list[Article], settings: SiteSettings, config: Config,
             templates: Path | None) -> dict[str, bytes]:
    """The files of the site from its articles, newest first."""
    from pressctl.site import feeds, ninjs, pages, sitemap

    files: dict[str, bytes] = {}
    translations = pages.translations(articles)
    for article in articles:
        files[f"{article.slug}.html"] = pages.release_page(article, settings, translations[article.slug],
                                                           templates).encode("utf-8")
        files[f"{article.slug}.ninjs.json"] = ninjs.dumps(ninjs.document(article.release, article.context,
                                                                         settings.base_url, config))
    files["index.html"] = pages.index_page(articles, settings, templates).encode("utf-8")
    files[feeds.FEED] = feeds.atom(articles, settings, None)
    for language in sorted({a.language for a in articles}):
        files[feeds.feed_name(language)] = feeds.atom([a for a in articles if a.language == language], settings,
                                                      language)
    files["sitemap.xml"] = sitemap.sitemap(articles, settings)
    return files
