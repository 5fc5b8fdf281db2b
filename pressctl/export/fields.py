"""Values every target derives from a contact: split names and E.164 phone numbers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, partial
from typing import Any, NamedTuple

from pressctl.contacts.model import Contact
from pressctl.errors import InputError

# `+` and digits with spaces, hyphens or dots between them: the international form `contacts check --fix`
# writes. Brackets (`+31 (0)6 …`) and national forms go through phonenumbers.
_PLAIN_INTERNATIONAL = re.compile(r"\+[1-9][0-9 .\-]*[0-9]")
_PLAIN_NATIONAL = re.compile(r"0[1-9][0-9 .\-]*[0-9]")


class ResolvedPhone(NamedTuple):
    type: str  # mobile, work, home, fax or other
    e164: str
    label: str | None
    extension: str | None = None  # `ext. 12` as written after the number: digits only


class PhoneResolver:
    """Turns numbers as written into E.164, each distinct (number, region) once.

    Parsing with phonenumbers costs about 50 µs a number, more than everything else an export does per
    contact. Two plain forms have a unique E.164 form without parsing: an international number without a
    trunk prefix (its digits), and a national number with the trunk prefix 0 in a region whose only
    national prefix is a plain 0 (country code plus the digits after the 0). Only the others are parsed.
    Either way the number must be valid (see `is_valid`): an invalid number is left out and counted, never
    written as if it were E.164.
    """

    def __init__(self) -> None:
        # Importing phones turns on phonenumbers' pattern cache, which halves the cost of a parse.
        import pressctl.contacts.phones  # noqa: F401

        # (number, region) -> (E.164, extension or None), or None when the number does not resolve
        self._cache: dict[tuple[str, str | None], tuple[str, str | None] | None] = {}
        self._plan_types: dict[str, str] = {}  # E.164 -> mobile or other, for numbers without a type

    def e164(self, number: str, region: str | None) -> str | None:
        resolved = self.resolve(number, region)
        return resolved[0] if resolved else None

    def resolve(self, number: str, region: str | None) -> tuple[str, str | None] | None:
        """(E.164, extension or None), or None when the number is not valid."""
        key = (number, region)
        if key in self._cache:
            return self._cache[key]
        text = number.strip()
        fast = _plain(text) or _plain_national(text, region)
        value = (fast, None) if fast else _parsed(number, region)
        self._cache[key] = value
        return value

    def phones(self, contact: Contact, unresolved: Counter[str] | None = None) -> list[ResolvedPhone]:
        """The contact's valid numbers; one without a declared `type` takes its type from the numbering
        plan (a mobile number is `mobile`, so it reaches a tool's mobile or SMS column)."""
        resolved = []
        region = contact.phone_region
        for phone in contact.phones:
            value = self.resolve(phone.number, region)
            if value is None:
                if unresolved is not None:
                    unresolved["unresolved phone"] += 1
                continue
            kind = phone.type or self.plan_type(value[0])
            resolved.append(ResolvedPhone(kind, value[0], phone.label, value[1]))
        return resolved

    def plan_type(self, e164: str) -> str:
        """`mobile` when the numbering plan says the number is a mobile one, else `other` (a fixed line, or
        a plan such as +1's where fixed and mobile numbers cannot be told apart)."""
        kind = self._plan_types.get(e164)
        if kind is None:
            import phonenumbers

            number = phonenumbers.parse(e164)
            kind = "mobile" if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE else "other"
            self._plan_types[e164] = kind
        return kind


def _plain(number: str) -> str | None:
    """E.164 for a plain international number (`+31 6 12345678`) that is valid, else None."""
    if not _PLAIN_INTERNATIONAL.fullmatch(number):
        return None
    digits = _digits(number[1:])
    codes = _country_codes()
    for length in (1, 2, 3):
        if digits[:length] in codes:
            national = digits[length:]
            # A leading 0 is either a trunk prefix to drop or (Italy) part of the number: let
            # phonenumbers decide.
            if not national or national.startswith("0") or len(digits) > 15:
                return None
            return _if_valid(int(digits[:length]), national)
    return None


def _plain_national(number: str, region: str | None) -> str | None:
    """E.164 for a national number with the trunk prefix 0 (`020 555 0188`) in a region whose only
    national prefix is a plain 0, when it is valid; else None."""
    if region is None or not _PLAIN_NATIONAL.fullmatch(number):
        return None
    known = _trunk_zero_region(region)
    if known is None:
        return None
    country, international_prefix = known
    digits = _digits(number)
    # In a few regions a 0 can also start the international prefix (Israel's 012–019, New Zealand's
    # 0161, Taiwan's 019, Uruguay's 013x): such a number is a call abroad, for phonenumbers to read.
    if international_prefix.match(digits):
        return None
    national = digits[1:]
    return _if_valid(country, national) if len(f"{country}{national}") <= 15 else None


def _digits(plain: str) -> str:
    """A plain number without its spaces, hyphens and dots (chained replace is the quickest way)."""
    return plain.replace(" ", "").replace("-", "").replace(".", "")


@cache
def _trunk_zero_region(region: str) -> tuple[int, re.Pattern[str]] | None:
    """(country code, international prefix) of a region whose only national prefix is a plain 0."""
    from phonenumbers import PhoneMetadata

    meta = PhoneMetadata.metadata_for_region(region.upper())
    if (meta is None or meta.country_code is None or meta.national_prefix != "0"
            or meta.national_prefix_for_parsing != "0" or meta.national_prefix_transform_rule is not None):
        return None
    return meta.country_code, re.compile(meta.international_prefix or "(?!)")


def _if_valid(country_code: int, national: str) -> str | None:
    """`+` E.164 when the number is valid, else None (the slow path then gives the same answer)."""
    return f"+{country_code}{national}" if is_valid(country_code, national) else None


@cache
def _country_codes() -> frozenset[str]:
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    return frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)


# The kinds of number in phonenumbers' metadata, the common ones first: a number is valid when it matches
# its region's general pattern and the pattern of at least one kind.
_KINDS = ("mobile", "fixed_line", "toll_free", "premium_rate", "shared_cost", "voip", "personal_number", "pager",
          "uan", "voicemail")


def is_valid(country_code: int, national: str) -> bool:
    """phonenumbers.is_valid_number for a number given as country code and national digits, in a
    fraction of its time.

    is_valid_number asks which kind a number is, trying every kind's pattern in turn (premium rate
    first), each a separate call, even though the answer needed here is only whether any kind matches.
    For a country code that belongs to one region, the general pattern and the patterns of every kind
    whose lengths allow the number's length are compiled once into one expression per (country code,
    length), so a check is one dictionary lookup and one match; the answer is the same
    (tests/test_export_phones.py compares the two). Country codes shared by several regions (+1, +7,
    +44 …) and non-geographic ones go to is_valid_number itself."""
    return bool(_validity_test(country_code, len(national))(national))


@cache
def _validity_test(country_code: int, length: int) -> Callable[[str], object]:
    import phonenumbers

    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    if len(regions) != 1 or regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
        return partial(_is_valid_number, country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
    general = metadata.general_desc if metadata is not None else None
    if metadata is None or general is None or not _fits(general, length):
        return _never
    kinds = [desc.national_number_pattern for desc in (getattr(metadata, kind) for kind in _KINDS)
             if _fits(desc, length)]
    if not kinds:
        return _never
    # The lookahead holds the general pattern to the whole number; then any one kind must match it whole.
    alternatives = "|".join(f"(?:{pattern})" for pattern in kinds)
    return re.compile(f"(?=(?:{general.national_number_pattern})\\Z)(?:{alternatives})").fullmatch


def _fits(desc: Any, length: int) -> bool:
    """A kind exists in the metadata and allows numbers of this length, as phonenumbers tests it."""
    if desc is None or not desc.national_number_pattern:
        return False
    return not desc.possible_length or length in desc.possible_length


def _is_valid_number(country_code: int, national: str) -> bool:
    import phonenumbers

    return bool(phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))))


def _never(national: str) -> bool:
    return False


def _parsed(number: str, region: str | None) -> tuple[str, str | None] | None:
    import phonenumbers

    from pressctl.contacts.phones import format_number, parse

    parsed = parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return format_number(parsed, "e164"), parsed.extension or None


def primary(phones: list[ResolvedPhone]) -> ResolvedPhone | None:
    """The first number that is not a fax."""
    return next((p for p in phones if p.type != "fax"), None)


def first_of(phones: list[ResolvedPhone], *types: str) -> ResolvedPhone | None:
    return next((p for p in phones if p.type in types), None)


def split_name(contact: Contact) -> tuple[str, str]:
    """(given, family): `given_name`/`family_name` when set (then `x-given-name`/`x-family-name`); else, for a
    name written family name first (Chinese, Japanese, Korean, Khmer, Vietnamese script), the whole name as the
    given name, since a guess there is wrong more often than right; else the last word with the lower-case
    particles before it (`Marieke van Dijk` → `Marieke`, `van Dijk`)."""
    if contact.given_name is not None or contact.family_name is not None:
        return contact.given_name or "", contact.family_name or ""
    if contact.extensions:
        given = contact.extensions.get("x-given-name")
        family = contact.extensions.get("x-family-name")
        if given is not None or family is not None:
            return str(given or ""), str(family or "")
    words = contact.name.split()
    if len(words) < 2 or family_name_first(contact.name):
        return contact.name.strip(), ""
    if len(words) == 2:
        return words[0], words[1]
    start = len(words) - 1
    while start > 1 and words[start - 1].islower():
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


_FAMILY_FIRST_SCRIPTS = re.compile(
    "[\u1780-\u17ff"  # Khmer
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u1ea0-\u1ef9\u01a0\u01a1\u01af\u01b0\u0110\u0111\u0102\u0103]"  # letters only Vietnamese uses
)


def family_name_first(name: str) -> bool:
    """Whether a name is written in a script whose names put the family name first (a guess from the letters)."""
    return _FAMILY_FIRST_SCRIPTS.search(name) is not None


@dataclass
class ExportContext:
    """What a target needs besides the contacts: phone numbers, limits to enforce, and counts of
    what it had to leave out."""

    target: str
    book_file: str
    resolver: PhoneResolver = field(default_factory=PhoneResolver)
    left_out: Counter[str] = field(default_factory=Counter)
    # Contacts whose extension this target has no place for, in book order.
    extension_dropped: dict[str, None] = field(default_factory=dict)
    # Contacts with a number left out, in book order: one that does not resolve, one without a column.
    unresolved: dict[str, None] = field(default_factory=dict)
    without_column: dict[str, None] = field(default_factory=dict)

    def email(self, contact: Contact) -> str:
        """The address every target writes: validated and normalised (`email_cell`), "" without one."""
        return email_cell(contact, book_file=self.book_file)

    def phones(self, contact: Contact) -> list[ResolvedPhone]:
        before = self.left_out["unresolved phone"]
        phones = self.resolver.phones(contact, self.left_out)
        if self.left_out["unresolved phone"] != before:
            self.unresolved[contact.id] = None
        return phones

    def number(self, contact: Contact, phone: ResolvedPhone | None) -> str:
        """The cell for `phone` in a target whose phone columns take E.164 only: the number without its
        extension, which is noted for a warning that names the contact."""
        if phone is None:
            return ""
        if phone.extension:
            self.extension_dropped[contact.id] = None
        return phone.e164

    def no_column(self, contact: Contact, count: int) -> None:
        """`count` of the contact's numbers have no column in this target."""
        if count > 0:
            self.left_out["phone without a column"] += count
            self.without_column[contact.id] = None

    def limit(self, contact: Contact, column: str, value: str, limit: int, *, unit: str = "characters") -> str:
        if len(value) * (4 if unit == "bytes" else 1) <= limit:
            return value  # short enough even at 4 bytes a character
        size = len(value.encode("utf-8")) if unit == "bytes" else len(value)
        if size > limit:
            self.fail(contact, f"{column} is {size} {unit} long; {self.target} takes at most {limit}")
        return value

    def fail(self, contact: Contact, problem: str) -> None:
        raise InputError(f"contact {contact.id!r}: {problem}", path=self.book_file,
                         hint="correct the contact book, or leave this contact out with --exclude-list")

    def warnings(self) -> list[str]:
        notes = []
        if count := self.left_out["unresolved phone"]:
            notes.append(f"{count} phone number(s) that do not resolve were left out, of contact(s) "
                         f"{name_ids(self.unresolved)}; run `pressctl contacts check`")
        if count := self.left_out["phone without a column"]:
            notes.append(f"{count} phone number(s) have no column in {self.target} and were left out, of "
                         f"contact(s) {name_ids(self.without_column)}")
        if self.extension_dropped:
            notes.append(f"{self.target} has no place for a phone extension; the number went out without it "
                         f"for contact(s) {name_ids(self.extension_dropped)}")
        return notes


def name_ids(ids: Iterable[str], shown: int = 5) -> str:
    """`'a', 'b', 'c', 'd', 'e' and 3 more`: whose, without a line of a thousand ids."""
    ids = list(ids)
    named = ", ".join(repr(i) for i in ids[:shown])
    return named + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def email_cell(contact: Contact, *, book_file: str | None = None) -> str:
    """The contact's address as every export writes it: the validated, normalised form from mail_address()
    (`jürgen@bücher.de`, domain in lower case), "" for a contact without one. An address that `contacts check`
    calls invalid (`a@x.org>, <evil@y.org`, which a tool would read as two) stops the export, naming the
    contact, rather than reaching a mailing tool."""
    from pressctl.contacts.addresses import mail_address

    if not contact.email:
        return ""
    address = mail_address(contact.email)
    if address is None:
        raise InputError(f"contact {contact.id!r}: {contact.email!r} is not a valid e-mail address", path=book_file,
                         hint="run `pressctl contacts check` and correct it")
    return address.normalised
