"""Language versions of a release: `NAME.TAG.md` beside `NAME.md`, the shared facts inherited, the versions compared."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.contacts.model import Contact
from pressctl.errors import InputError, UsageError
from pressctl.findings import Finding, Severity, stop_at_first_error
from pressctl.findings import Path as KeyPath
from pressctl.release.load import read_release
from pressctl.release.model import Release, valid_language_tag
from pressctl.suggest import did_you_mean

# What a translation takes from its original unless it sets it (SPEC §9).
SHARED = ("date", "embargo", "dateline", "media_contacts", "audience")
# A tag in a file name: a two- or three-letter language, then subtags (`km`, `pt-BR`, `zh-Hant`). Longer
# first parts are left alone, so `notes.final.md` is a release of its own, not a translation.
_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def split_name(path: Path | str) -> tuple[Path, str | None]:
    """The original's path and the language tag in a translation's file name; (path, None) for an original."""
    path = Path(path)
    base, dot, tag = path.name.removesuffix(".md").rpartition(".")
    if not dot or not base or not path.name.endswith(".md") or not _TAG.fullmatch(tag):
        return path, None
    if not valid_language_tag(tag):
        return path, None
    return path.with_name(f"{base}.md"), tag


def translation_paths(original: Path | str) -> list[tuple[str, Path]]:
    """The translations beside an original, with the tag in their names, in name order (two files for one
    language included: `release check` reports them)."""
    original = Path(original)
    folder = original.parent
    stem = original.name.removesuffix(".md")
    try:
        names = sorted(entry.name for entry in folder.iterdir() if entry.name.startswith(stem + "."))
    except OSError:
        return []
    found = []
    for name in names:
        base, tag = split_name(folder / name)
        if tag is not None and base.name == original.name:
            found.append((tag, folder / name))
    return found


def _key(tag: str) -> str:
    return tag.casefold()


def same_language(a: str, b: str) -> bool:
    return _key(a) == _key(b)


def read_version(path: Path | str) -> tuple[Release | None, list[Finding]]:
    """Read a release or a translation (with the shared facts from its original); findings for it alone."""
    original_path, tag = split_name(path)
    if tag is None:
        return read_release(path)
    if not original_path.is_file():
        return None, [Finding("R015", f"a translation ({tag}) without its original: there is no {original_path}; "
                                      "name the translation after the release it translates",
                              file=str(path), line=1, column=1)]
    original, _ = read_release(original_path)
    release, findings = read_release(path, _inherited(original, tag))
    if release is not None and not same_language(release.language, tag):
        findings.append(release.finding(
            "R015", f"the file name says the language is {tag}, but `language` is {release.language}; make them agree",
            ("language",)))
    return release, findings


def _inherited(original: Release | None, tag: str) -> dict[str, Any]:
    values: dict[str, Any] = {"language": tag}
    if original is None:
        return values
    values.update(date=original.date, dateline=original.dateline, media_contacts=list(original.media_contacts),
                  audience=list(original.audience))
    if original.embargo is not None:
        values["embargo"] = original.embargo
    return values


def load_versions(path: Path | str) -> dict[str, Release]:
    """Every version of the release `path` belongs to, by language: the original first. The first error stops it."""
    original_path, _ = split_name(path)
    paths = [original_path, *(path for _, path in translation_paths(original_path))]
    versions: dict[str, Release] = {}
    for version_path in paths:
        release, findings = read_version(version_path)
        stop_at_first_error([f for f in findings if f.severity is Severity.ERROR], "release check", column=False)
        assert release is not None  # a release that could not be built has errors
        if _key(release.language) in versions:
            other = versions[_key(release.language)]
            raise InputError(f"two versions in {release.language}: this file and {other.path}; keep one",
                             path=release.path, line=release.line_of(("language",)))
        versions[_key(release.language)] = release
    return versions


def load_version(path: Path | str, language: str | None = None) -> Release:
    """The version of a release in `language` (`render --language TAG`); the file given when there is no tag."""
    if language is None:
        release, findings = read_version(path)
        stop_at_first_error([f for f in findings if f.severity is Severity.ERROR], "release check", column=False)
        assert release is not None
        return release
    versions = load_versions(path)
    if _key(language) in versions:
        return versions[_key(language)]
    known = [release.language for release in versions.values()]
    raise UsageError(f"--language {language}: the release has no version in that language (it has "
                     f"{', '.join(known)})", path=str(split_name(path)[0]), hint=did_you_mean(language, known))


def version_for(contact: Contact, versions: Mapping[str, Release]) -> Release:
    """The version in the first of the contact's `languages` that exists, else the original (the first).

    A language matches exactly (`pt-BR`), else by its primary subtag (a `pt-BR` reader gets `pt`, and a `pt`
    reader `pt-BR` when that is the only Portuguese one)."""
    by_key = {_key(release.language): release for release in versions.values()}
    for language in contact.languages:
        if _key(language) in by_key:
            return by_key[_key(language)]
        primary = _key(language).split("-")[0]
        for key, release in by_key.items():
            if key.split("-")[0] == primary:
                return release
    return next(iter(versions.values()))


@dataclass(frozen=True)
class VersionGroup:
    """The recipients who get one version."""

    release: Release
    recipients: tuple[Contact, ...]


def group_recipients(recipients: Iterable[Contact], versions: Mapping[str, Release]) -> list[VersionGroup]:
    """Recipients by the version each gets, the original's group first, each group in the recipients' order."""
    groups: dict[str, list[Contact]] = {key: [] for key in versions}
    chosen: dict[tuple[str, ...], str] = {}  # the version depends on the languages alone, and readers share them
    for contact in recipients:
        if contact.languages not in chosen:
            chosen[contact.languages] = _key(version_for(contact, versions).language)
        groups[chosen[contact.languages]].append(contact)
    return [VersionGroup(versions[key], tuple(people)) for key, people in groups.items() if people]


# `release check`: the versions compared.

def check_versions(paths: Iterable[Path | str]) -> list[Finding]:
    """Findings about the versions of every release that one of `paths` belongs to, each group once."""
    findings: list[Finding] = []
    seen: set[Path] = set()
    for path in paths:
        original_path, _ = split_name(path)
        if original_path in seen or not original_path.is_file():
            continue
        seen.add(original_path)
        findings.extend(_compare_group(original_path))
    return findings


def _compare_group(original_path: Path) -> Iterator[Finding]:
    original, _ = read_release(original_path)
    if original is None:
        return
    languages: dict[str, Release] = {_key(original.language): original}
    for tag, path in translation_paths(original_path):
        translation, _ = read_version(path)
        if translation is None:
            continue
        earlier = languages.get(_key(translation.language)) or languages.get(_key(tag))
        if earlier is not None:
            yield translation.finding(
                "R016", f"a second version in {translation.language}: {_where(earlier, ('language',))} is "
                        "already in that language; keep one of the two files", line=_line(translation, ("language",)))
            continue
        languages[_key(translation.language)] = translation
        yield from _compare(original, translation)


def _line(release: Release, path: KeyPath) -> int:
    """The line of a value the file sets; line 1 for one it inherits (it stands on no line of the file)."""
    return release.line_of(path) if path and _sets(release, str(path[0])) else 1


def _where(release: Release, path: KeyPath) -> str:
    return f"{release.path}:{_line(release, path)}"


def _sets(release: Release, key: str) -> bool:
    """Whether the file itself sets `key` (an inherited value stands on no line of it)."""
    import yaml

    try:
        data = yaml.safe_load(release.front_matter)
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and key in data


def _compare(original: Release, translation: Release) -> Iterator[Finding]:
    checks: list[tuple[str, str, Any, Any]] = [
        ("R017", "date", original.date, translation.date),
        ("R017", "embargo", original.embargo, translation.embargo),
        ("R018", "dateline", original.dateline, translation.dateline),
        ("R018", "media_contacts", set(original.media_contacts), set(translation.media_contacts)),
        ("R018", "audience", set(original.audience), set(translation.audience)),
    ]
    for code, key, mine, theirs in checks:
        if mine != theirs and _sets(translation, key):
            yield translation.finding(
                code, f"`{key}` is {_show(theirs)} here but {_show(mine)} in the original, "
                      f"{_where(original, (key,))}; a translation takes it from the original, so leave it out",
                (key,))
    yield from _compare_quotes(original, translation)


def _show(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, set):
        return ", ".join(sorted(value)) or "none"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _quote_keys(release: Release) -> dict[str, int]:
    """Each quote by its speaker's id, or by its number when it names its speaker itself."""
    return {quote.by or str(quote.index + 1): quote.index for quote in release.quotes}


def _placed(release: Release) -> dict[str, int]:
    keys = {index: key for key, index in _quote_keys(release).items()}
    return {keys[p.quote]: p.line for p in release.placements if p.quote is not None and p.quote in keys}


def _compare_quotes(original: Release, translation: Release) -> Iterator[Finding]:
    mine, theirs = _quote_keys(original), _quote_keys(translation)
    for key in mine.keys() - theirs.keys():
        yield translation.finding(
            "R019", f"quote `{key}` of the original ({_where(original, ('quotes', mine[key]))}) is missing here",
            line=_line(translation, ("quotes",)))
    for key in theirs.keys() - mine.keys():
        yield translation.finding(
            "R019", f"quote `{key}` is not in the original, {original.path}", ("quotes", theirs[key]))
    placed_mine, placed_theirs = _placed(original), _placed(translation)
    for key in (placed_mine.keys() - placed_theirs.keys()) & theirs.keys():
        yield translation.finding(
            "R019", f"quote `{key}` is placed in the original ({original.path}:{placed_mine[key]}) but not here, "
                    "so it follows the statement; add `[[quote: " + key + "]]` where it belongs",
            line=translation.body_line)
    for key in (placed_theirs.keys() - placed_mine.keys()) & mine.keys():
        yield translation.finding(
            "R019", f"quote `{key}` is placed here but not in the original ({original.path}), where it follows the "
                    "statement", line=placed_theirs[key])


def inherited_only(release: Release, finding: Finding) -> bool:
    """A finding about a value a translation takes from its original: reported there, at its line, not here."""
    return (split_name(release.path)[1] is not None and bool(finding.path) and finding.path[0] in SHARED
            and not _sets(release, str(finding.path[0])))


@dataclass(frozen=True)
class VersionLink:
    """Another language version, as the HTML links it (`hreflang`, and a visible list)."""

    language: str
    name: str  # the language in its own words: "Nederlands", "ភាសាខ្មែរ"
    href: str  # the version's HTML, named like its release: NAME.TAG.html beside NAME.html
    current: bool


def version_links(release: Release) -> tuple[VersionLink, ...]:
    """Every version of the release, itself included (marked `current`); empty when it has no translation."""
    original_path, _ = split_name(release.path)
    translations = translation_paths(original_path)
    if not translations or not original_path.is_file():
        return ()
    languages = [(_original_language(original_path), original_path)]
    languages += translations
    here = Path(release.path).name
    return tuple(VersionLink(language, _autonym(language), path.name.removesuffix(".md") + ".html",
                             path.name == here) for language, path in languages)


def _original_language(path: Path) -> str:
    release, _ = read_release(path)
    return release.language if release is not None else "en"


def _autonym(tag: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return tag
    name = locale.get_display_name(locale) or tag
    return name[:1].upper() + name[1:]
