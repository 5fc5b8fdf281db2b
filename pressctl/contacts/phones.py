"""Phone numbers: resolve, validate and format with phonenumbers.

`judge` is the rule logic behind the P codes of `contacts check`; each code it returns is documented
in `PHONE_RULES` below (what it catches, why it matters, an example that fails and one that passes),
and docs/checks.md is tested against those entries. `--fix` writes a verdict's `fix` and must never
change which line rings: the fix is always the same number, with the same extension, as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Imported by the commands that check, render or export, never at start-up.
import phonenumbers

from pressctl.findings import RULES, Severity
from pressctl.ruledocs import RuleDoc

# Keep every compiled metadata pattern: a book with numbers from dozens of regions needs more of them
# than the re module's own cache holds (512), and without this they are compiled again and again.
if hasattr(phonenumbers, "enable_pattern_cache"):
    phonenumbers.enable_pattern_cache()

PHONE_RULES = {
    "P002": RuleDoc(
        "A national number cannot be dialled from abroad without knowing its country.",
        'contacts:\n  - {id: a, name: A, phone: "020 123 4567"}',
        'contacts:\n  - {id: a, name: A, phone: "020 123 4567", region: NL}'),
    "P003": RuleDoc(
        "A number that is too short, too long or in no assigned range reaches nobody. When a national "
        "number is valid in another region, the message names it (`set region: GB`).",
        'defaults: {region: NL}\ncontacts:\n  - {id: a, name: A, phone: "020 7946 0958"}',
        'defaults: {region: NL}\ncontacts:\n  - {id: a, name: A, phone: "020 7946 0958", region: GB}'),
    "P004": RuleDoc(
        "A caller abroad who dials the trunk prefix after the country code does not get through.",
        'contacts:\n  - {id: a, name: A, phone: "+31 06 12345678"}',
        'contacts:\n  - {id: a, name: A, phone: "+31 6 12345678"}'),
    "P005": RuleDoc(
        "One way of writing numbers makes duplicates visible and outputs consistent. An extension is "
        "kept: `ext. 204` in the international form, `;ext=204` in the e164 form (E.164 has none).",
        'contacts:\n  - {id: a, name: A, phone: "+1 (202) 555 0143 x204"}',
        'contacts:\n  - {id: a, name: A, phone: "+1 202-555-0143 ext. 204"}'),
    "P010": RuleDoc(
        "A label inside the value (`Tel:`, `Mob.`) ends up in exports and links; the kind belongs in `type`.",
        'contacts:\n  - {id: a, name: A, phone: "Tel: +31 6 12345678"}',
        'contacts:\n  - id: a\n    name: A\n    phones: [{number: "+31 6 12345678", type: work}]'),
    "P011": RuleDoc(
        "Letters cannot be dialled on many phones and mailing tools drop them; --fix keeps them, so that "
        "the number stays the one its owner advertises. Write the digits, or ignore P011.",
        'contacts:\n  - {id: a, name: A, phone: "+1 800 FLOWERS"}',
        'contacts:\n  - {id: a, name: A, phone: "+1 800-356-9377"}'),
    "P012": RuleDoc(
        "`00` is the international prefix in most of the world, not everywhere (011 in North America, "
        "0011 in Australia); `+` is understood everywhere. A number that reads validly in more than one "
        "way is P002 instead.",
        'contacts:\n  - {id: a, name: A, phone: "0031 6 12345678"}',
        'contacts:\n  - {id: a, name: A, phone: "+31 6 12345678"}'),
}

_REASONS = {
    "TOO_SHORT": "too short",
    "TOO_LONG": "too long",
    "INVALID_LENGTH": "the wrong length",
    "INVALID_COUNTRY_CODE": "not under a known country code",
}
_PARSE_REASONS = {
    0: "it has no known country code",
    1: "it does not look like a phone number",
    2: "it is too short after the international prefix",
    3: "it is too short",
    4: "it is too long",
}

# phonenumbers reads no more than this; longer values are refused before any pattern looks at them.
MAX_NUMBER_LENGTH = 250
# Where a number starts: what stands before it is a label when it holds a letter (see _label).
_NUMBER_START = re.compile(r"[+(\d]")
# An extension as people write it: `x204`, `ext. 12`, `extension 12`, `;ext=12`, `#23`.
_EXTENSION = re.compile(r"(?i)\s*(?:;\s*ext\s*=\s*|(?:ext(?:ension)?\.?|x|#)\s*)(?P<ext>\d{1,7})#?\s*$")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_PLAIN = re.compile(r"[^\d \t()+\-./]")

# Besides `00` (most of the world), international prefixes that begin with 00: 000 (Kenya, Tanzania,
# Uganda), 0011 (Australia), and the carrier-selected 001, 002, 005, 006, 007, 008, 009 (such as Hong
# Kong, Singapore, South Korea, Taiwan, Thailand, Indonesia). A number written with 00 and no region
# is read as `+` only when exactly one of these readings gives a valid number.
INTERNATIONAL_PREFIXES = ("00", "000", "0011", "001", "002", "005", "006", "007", "008", "009")


@dataclass(frozen=True, slots=True)
class PhoneVerdict:
    """What the check learned about one number."""

    code: str | None  # the finding code, or None when the number is fine
    message: str = ""
    fix: str | None = None
    e164: str | None = None  # for duplicate detection (with `;ext=` when it has one), when it resolves


@dataclass(frozen=True, slots=True)
class DisplayedNumber:
    """A number as a reader sees and dials it: `+1 202-555-0143 ext. 204`, `tel:+12025550143;ext=204`."""

    text: str
    tel_uri: str  # RFC 3966


def parse(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(_without_label(number), region)
    except phonenumbers.NumberParseException:
        return None


def format_number(parsed: phonenumbers.PhoneNumber, style: str) -> str:
    """phonenumbers' own E.164 (no extension) or international form, for the exports."""
    fmt = phonenumbers.PhoneNumberFormat.E164 if style == "e164" else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, fmt)


def canonical(parsed: phonenumbers.PhoneNumber, style: str) -> str:
    """The form --fix writes for `style`, extension kept: `+1 202-555-0143 ext. 204` (international);
    E.164 has no extension, so the e164 form adds it as RFC 3966 does: `+12025550143;ext=204`."""
    extension = parsed.extension
    if extension:
        parsed = phonenumbers.PhoneNumber(country_code=parsed.country_code, national_number=parsed.national_number,
                                          italian_leading_zero=parsed.italian_leading_zero,
                                          number_of_leading_zeros=parsed.number_of_leading_zeros)
    if style == "e164":
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) + (
            f";ext={extension}" if extension else "")
    text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return text + (f" ext. {extension}" if extension else "")


def international(number: str, region: str | None, style: str = "international") -> str | None:
    """The number as readers abroad dial it (with its extension), or None when it is not valid."""
    parsed = parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return canonical(parsed, style)


def displayed(number: str, region: str | None) -> DisplayedNumber | None:
    """How render prints and links a number; None when it does not resolve to a valid number."""
    parsed = parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return DisplayedNumber(canonical(parsed, "international"), "tel:" + canonical(parsed, "e164"))


def is_international(number: str) -> bool:
    return number.lstrip().startswith("+")


def judge(number: str, region: str | None, style: str, declared_type: str | None,
          hints: frozenset[str] = frozenset()) -> PhoneVerdict:
    """Validate one number as written; the verdict names the first problem found.

    `hints` are regions the contact is known to be tied to (its other numbers, its mail domain, its
    time zone): they choose which region to suggest for a national number valid elsewhere."""
    text = number.strip()
    if len(text) > MAX_NUMBER_LENGTH:
        return PhoneVerdict("P001", f"{text[:40]!r}… cannot be read as a phone number: it is "
                            f"{len(text):,} characters long")
    label, rest = _label(text)
    if label:
        verdict = judge(rest, region, style, declared_type, hints)
        if verdict.code is not None and RULES[verdict.code].severity is Severity.ERROR:
            return verdict  # the number itself is wrong: say that first (a fix replaces the whole value)
        fixed = verdict.fix or rest
        return PhoneVerdict("P010", f"{text!r} has the label {label!r} in the number; "
                            f"write the number alone ({fixed!r}) and the kind in `type`", fixed, verdict.e164)
    # Most numbers hold only digits and separators: one look tells, before the extension and letters.
    plain = _NOT_PLAIN.search(text) is None
    extension = None if plain else _EXTENSION.search(text)
    main = text[: extension.start()] if extension else text
    if not plain and _LETTER.search(main):
        vanity = _vanity(text, region)
        if vanity is not None:
            return vanity
    written_international = is_international(text)
    if not written_international and not region:
        if text.startswith("00"):
            return _double_zero(text, main, extension["ext"] if extension else None, style)
        return PhoneVerdict("P002", f"{text!r} is in national form and there is no region to read it with; "
                            "write it with its country code (+…) or set `region` on the contact or in defaults")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        reason = _PARSE_REASONS.get(err.error_type, str(err))
        return PhoneVerdict("P001", f"{text!r} cannot be read as a phone number: {reason}")
    # number_type() is UNKNOWN exactly when is_valid_number() is False, and gives the type
    # for the mobile check in the same pass: one metadata walk instead of two.
    kind = phonenumbers.number_type(parsed)
    valid = kind != phonenumbers.PhoneNumberType.UNKNOWN
    if written_international:
        trunk = _trunk_prefix(text, main, parsed, valid, style)
        if trunk is not None:
            return trunk
    if not valid:
        if not written_international and text.startswith("00"):
            # `00 31 …` read with a region whose international prefix is not 00 (KH dials 001):
            # the writer meant +31 when that is the only valid reading.
            idd = _double_zero(text, main, extension["ext"] if extension else None, style)
            if idd.code == "P012":
                return idd
        message = _invalid_message(text, parsed, declared_type)
        if not written_international and region:
            message += _valid_elsewhere(text, region, hints)
        return PhoneVerdict("P003", message)
    e164 = canonical(parsed, "e164")
    if declared_type == "mobile":
        mobile_kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                        phonenumbers.PhoneNumberType.PAGER, phonenumbers.PhoneNumberType.UNKNOWN)
        if kind not in mobile_kinds:
            name = {phonenumbers.PhoneNumberType.FIXED_LINE: "a fixed line"}.get(
                kind, phonenumbers.PhoneNumberType.to_string(kind).lower().replace("_", " "))
            return PhoneVerdict("P006", f"{text!r} is marked mobile but is {name}", e164=e164)
    if written_international:
        # National-form numbers are how people give them; only the international ones have a canonical form.
        wanted = canonical(parsed, style)
        if text != wanted:
            return PhoneVerdict("P005", f"{text!r} is not in the canonical format {wanted!r}", wanted, e164)
    return PhoneVerdict(None, e164=e164)


def _label(text: str) -> tuple[str, str]:
    """(`Tel`, `+31 …`) for `Tel: +31 …`: whatever stands before the first digit, `+` or `(` when it
    holds a letter (any script): `Tel:`, `Mob.`, `tel.`, `Tel/Fax:`, `Téléphone :`. ("", text) when
    there is none. One scan, no backtracking: the text may be anything the book holds."""
    start = _NUMBER_START.search(text)
    if start is None or not start.start() or not _LETTER.search(text, 0, start.start()):
        return "", text
    return text[: start.start()].strip().rstrip(":").strip(), text[start.start():]


def _without_label(text: str) -> str:
    return _label(text)[1]


def _vanity(text: str, region: str | None) -> PhoneVerdict | None:
    """`+1 800 FLOWERS`: kept as written (the owner advertises the letters), with the digits to dial.
    None when the text does not read as a number at all (`call the desk`)."""
    parsed = parse(text, region)
    if parsed is None:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return PhoneVerdict("P003", f"{text!r} is written with letters and does not spell a valid number")
    return PhoneVerdict("P011", f"{text!r} is written with letters; callers dial "
                        f"{canonical(parsed, 'international')!r} (--fix keeps the letters)",
                        e164=canonical(parsed, "e164"))


def _double_zero(text: str, main: str, extension: str | None, style: str) -> PhoneVerdict:
    """`0031 6 12345678` and no region: read the international prefix when only one reading is valid."""
    digits = re.sub(r"\D", "", main)
    readings: dict[str, tuple[str, phonenumbers.PhoneNumber]] = {}
    for prefix in INTERNATIONAL_PREFIXES:
        if not digits.startswith(prefix):
            continue
        candidate = parse("+" + digits[len(prefix):] + (f";ext={extension}" if extension else ""), None)
        if candidate is not None and phonenumbers.is_valid_number(candidate):
            readings.setdefault(canonical(candidate, "e164"), (prefix, candidate))
    if len(readings) == 1:
        e164, (prefix, parsed) = next(iter(readings.items()))
        wanted = canonical(parsed, style)
        return PhoneVerdict("P012", f"{text!r} starts with the international prefix {prefix}, which is not "
                            f"dialled the same everywhere; write it with `+`: {wanted!r}", wanted, e164)
    if readings:
        shown = " or ".join(f"{canonical(parsed, 'international')!r} (read {prefix} as +)"
                            for prefix, parsed in readings.values())
        return PhoneVerdict("P002", f"{text!r} can be read as {shown}; write it with its country code (+…) "
                            "or set `region` on the contact or in defaults")
    return PhoneVerdict("P002", f"{text!r} has no known country code after its international prefix and there "
                        "is no region to read it with; write it with its country code (+…) or set `region`")


def _trunk_prefix(text: str, main: str, parsed: phonenumbers.PhoneNumber, valid: bool,
                  style: str) -> PhoneVerdict | None:
    """`+31 (0)6 …` or `+31 06 …`: the national trunk prefix has no place after the country code.

    Only when the number without it is a valid number (and, when the number is valid as written, the
    same one): `+39 06 …` is a valid Italian number whose 0 belongs to it. The extension is kept."""
    code = str(parsed.country_code)
    digits = re.sub(r"\D", "", main)
    if not digits.startswith(code):
        return None
    national = digits[len(code):]
    trunk = _trunk_prefix_of(parsed.country_code)
    significant = phonenumbers.national_significant_number(parsed)
    if not national.startswith(trunk) or national == significant:
        return None
    # When parsing dropped the trunk prefix already, the number without it is this one (a valid number
    # is what its E.164 form parses to: tests/test_contacts_check.py holds phonenumbers to that).
    fixed = parsed
    if not valid or national[len(trunk):] != significant:
        without = parse(f"+{code}{national[len(trunk):]}" + (f";ext={parsed.extension}" if parsed.extension else ""),
                        None)
        if without is None or not phonenumbers.is_valid_number(without):
            return None
        if valid and canonical(without, "e164") != canonical(parsed, "e164"):
            return None
        fixed = without
    wanted = canonical(fixed, style)
    return PhoneVerdict("P004", f"{text!r} keeps the trunk prefix {trunk} after the country code; "
                        f"callers from abroad must not dial it: {wanted!r}", wanted,
                        canonical(fixed, "e164"))


@lru_cache(maxsize=512)
def _trunk_prefix_of(country_code: int) -> str:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region != "ZZ" else None
    return (metadata.national_prefix if metadata is not None else None) or "0"


def _valid_elsewhere(text: str, region: str, hints: frozenset[str]) -> str:
    """`; valid as a GB number: set `region: GB`` for a national number that is valid in other regions.

    Regions whose national format is the number exactly as written come first. Among several numbers,
    one is named alone when it is the only one in a region the contact is tied to (`hints`), else the
    only one on the same continent as `region` (by the regions' time zones)."""
    found = dict(_valid_in_other_regions(text, region))
    if not found:
        return ""
    if any(exact for exact, _ in found.values()):
        found = {e164: v for e164, v in found.items() if v[0]}
    choices = sorted(found.items(), key=lambda item: item[1][1])
    for preferred in ({v[1] for v in found.values()} & hints,
                      {v[1] for v in found.values() if _continent(v[1]) == _continent(region)}, {""}):
        named = [(e164, home) for e164, (_, home) in choices if home in preferred or len(choices) == 1]
        if len(named) == 1:
            e164, home = named[0]
            others = sorted({other for _, (_, other) in choices} - {home})
            also = f" (it is also valid in {', '.join(others)})" if others else ""
            return (f"; valid as {_article(home)} {home} number ({_shown(e164)}): "
                    f"set `region: {home}` on the contact{also}")
    listed = ", ".join(f"{home} ({_shown(e164)})" for e164, (_, home) in choices[:5])
    more = f" and {len(choices) - 5} more" if len(choices) > 5 else ""
    return f"; valid in {listed}{more}: set `region` on the contact to its country"


@lru_cache(maxsize=4096)
def _valid_in_other_regions(text: str, region: str) -> tuple[tuple[str, tuple[bool, str]], ...]:
    """(E.164, (written exactly as that region writes it, the number's region)) for every region other
    than `region` where the national number `text` is valid."""
    found: dict[str, tuple[bool, str]] = {}
    digits = re.sub(r"\D", "", text)
    for other, prefix, lengths, pattern in _national_patterns():
        national = digits[len(prefix):] if prefix and digits.startswith(prefix) else digits
        # A cheap look at the length and the region's overall pattern first: parsing the number in
        # all 245 regions would cost tens of milliseconds for every invalid number in the book.
        if other == region or len(national) not in lengths or not pattern.fullmatch(national):
            continue
        parsed = parse(text, other)
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            continue
        e164 = canonical(parsed, "e164")
        exact = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL) == text
        home = phonenumbers.region_code_for_number(parsed) or other
        if e164 not in found or (exact and not found[e164][0]):
            found[e164] = (exact, home)
    return tuple(found.items())


@lru_cache(maxsize=1)
def _national_patterns() -> tuple[tuple[str, str, frozenset[int], re.Pattern[str]], ...]:
    """Per region: its trunk prefix, the lengths and the pattern of its national numbers."""
    table = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        general = metadata.general_desc if metadata is not None else None
        if metadata is None or general is None or not general.national_number_pattern:
            continue
        table.append((region, metadata.national_prefix or "", frozenset(general.possible_length or ()),
                      re.compile(general.national_number_pattern)))
    return tuple(table)


def _article(code: str) -> str:
    return "an" if code[0] in "AEFHILMNORSX" else "a"  # as the letters are read: an NZ, a GB


@lru_cache(maxsize=512)
def _continent(region: str) -> str:
    """`Europe` for NL and GB, `Asia` for CN: the first part of the region's first time zone."""
    from babel.core import get_global

    zones = get_global("territory_zones").get(region, ())
    return zones[0].split("/", 1)[0] if zones else ""


def _shown(e164: str) -> str:
    parsed = parse(e164, None)
    return canonical(parsed, "international") if parsed is not None else e164


_TYPE_FOR_DECLARED = {"mobile": phonenumbers.PhoneNumberType.MOBILE, "work": phonenumbers.PhoneNumberType.FIXED_LINE,
                      "home": phonenumbers.PhoneNumberType.FIXED_LINE, "fax": phonenumbers.PhoneNumberType.FIXED_LINE}


def _invalid_message(text: str, parsed: phonenumbers.PhoneNumber, declared_type: str | None) -> str:
    region = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    where = f"for {region}" if region and region != "ZZ" else f"under +{parsed.country_code}"
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == phonenumbers.ValidationResult.IS_POSSIBLE and declared_type in _TYPE_FOR_DECLARED:
        # The length fits some kind of number in the region; measure it against the declared kind.
        typed = phonenumbers.is_possible_number_for_type_with_reason(parsed, _TYPE_FOR_DECLARED[declared_type])
        if typed != reason and region and region != "ZZ":
            reason, where = typed, f"for a {declared_type} number in {region}"
    name = {v: k for k, v in vars(phonenumbers.ValidationResult).items() if k.isupper()}.get(reason, "")
    if name in _REASONS:
        return f"{text!r} is {_REASONS[name]} {where}"
    return f"{text!r} is not a valid number {where}: no such range is assigned"
