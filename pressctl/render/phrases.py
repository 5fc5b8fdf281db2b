"""Fixed phrases and dates in the release's language (Babel and the catalogues in pressctl/locale)."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# Babel carries no quotation marks; these are the ones each language's press uses.
QUOTE_MARKS = {"fr": ("\u00ab\u202f", "\u202f\u00bb"), "de": ("\u201e", "\u201c"), "es": ("\u00ab", "\u00bb"),
               "ar": ("\u00ab", "\u00bb")}


@dataclass(frozen=True)
class Phrases:
    """Translations for one language; English is the msgid itself."""

    language: str
    locale: Any  # babel.Locale
    catalogue: gettext.NullTranslations  # the compiled catalogue, or NullTranslations (English) without one

    def __call__(self, msgid: str, **fields: Any) -> str:
        text = self.catalogue.gettext(msgid)
        return text.format(**fields) if fields else text

    @property
    def translated(self) -> bool:
        return (self.language.replace("_", "-").split("-")[0].lower() == "en"
                or isinstance(self.catalogue, gettext.GNUTranslations))

    @property
    def direction(self) -> str:
        """`rtl` for Arabic and the other right-to-left scripts, else `ltr` (the HTML `dir`)."""
        return "rtl" if self.locale.text_direction == "rtl" else "ltr"

    @property
    def fallback_warning(self) -> str:
        """Why the fixed phrases are in English although the release is not, or "" when they are translated."""
        if self.translated:
            return ""
        return (f"pressctl has no catalogue of fixed phrases for `{self.language}`, so they are in English "
                f"(it has {', '.join(available_languages())})")

    def long_date(self, day: date) -> str:
        from babel.dates import format_date

        # English press releases write "26 June 2024" whatever the locale's habit.
        pattern = "d MMMM y" if self.locale.language == "en" else "long"
        return format_date(day, pattern, locale=self.locale)

    def moment(self, when: datetime) -> str:
        """An embargo time with its offset, e.g. "26 June 2024, 06:00 (UTC+02:00)"."""
        from zoneinfo import ZoneInfo

        from babel.dates import format_time

        offset = when.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else 0
        sign = "+" if minutes >= 0 else "-"
        zone = f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        # An embargo written with an IANA zone also shows the zone's abbreviation ("10:00 CEST (UTC+02:00)");
        # some zones have none but their offset ("+07"), which the bracket already says.
        name = when.tzname() if isinstance(when.tzinfo, ZoneInfo) else None
        shown = f" {name}" if name and name[0] not in "+-" and name != "UTC" else ""
        return f"{self.long_date(when.date())}, {format_time(when, 'HH:mm', locale=self.locale)}{shown} ({zone})"

    @property
    def quote_marks(self) -> tuple[str, str]:
        return QUOTE_MARKS.get(self.locale.language, ("\u201c", "\u201d"))


@cache
def phrases_for(language: str) -> Phrases:
    """The phrases for a BCP 47 tag, falling back from `pt-BR` to `pt`, and to English."""
    from babel import Locale, UnknownLocaleError

    candidates = [language.replace("-", "_"), language.split("-")[0]]
    for tag in candidates:
        try:
            locale = Locale.parse(tag)
        except (ValueError, UnknownLocaleError):
            continue
        catalogue = _catalogue(tag) or _catalogue(locale.language) or gettext.NullTranslations()
        return Phrases(language, locale, catalogue)
    return Phrases(language, Locale.parse("en"), gettext.NullTranslations())


@cache  # a book has a few dozen combinations of languages; a merge asks once per recipient
def translated_language(languages: tuple[str, ...], fallback: str) -> str:
    """The first of a recipient's languages whose fixed phrases are translated, else `fallback`."""
    for language in languages:
        if phrases_for(language).translated:
            return language
    return fallback


def available_languages() -> list[str]:
    """The languages with fixed phrases: English and every catalogue in pressctl/locale."""
    return sorted({"en", *(path.parent.parent.name for path in LOCALE_DIR.glob("*/LC_MESSAGES/pressctl.po"))})


@cache
def _catalogue(tag: str) -> gettext.NullTranslations | None:
    """The compiled catalogue (`pressctl.mo`, made from `pressctl.po` by compile_catalogues()) of a language."""
    path = LOCALE_DIR / tag / "LC_MESSAGES" / "pressctl.mo"
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def compile_catalogues() -> list[Path]:
    """Compile every `pressctl.po` into the `pressctl.mo` beside it (fuzzy and empty entries left out), which
    is what a run reads: the stdlib reads a .mo in a fraction of a millisecond, while parsing the .po text takes
    Babel's message machinery, about 40 ms to import and 3 ms a language to read. tests/test_locale.py checks
    that each .mo says what its .po says."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/pressctl.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo)
    return written
