"""Phone numbers: resolve, validate and format with phonenumbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Imported by the commands that check, render or export, never at start-up.
import phonenumbers

# Keep every compiled metadata pattern: a book with numbers from dozens of regions needs more of them
# than the re module's own cache holds (512), and without this they are compiled again and again.
if hasattr(phonenumbers, "enable_pattern_cache"):
    phonenumbers.enable_pattern_cache()

_TRUNK_IN_BRACKETS = re.compile(r"\(\s*0\s*\)")

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


@dataclass(frozen=True, slots=True)
class PhoneVerdict:
    """What the check learned about one number."""

    code: str | None  # the finding code, or None when the number is fine
    message: str = ""
    fix: str | None = None
    e164: str | None = None  # for duplicate detection and exports, when the number resolves


def parse(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def format_number(parsed: phonenumbers.PhoneNumber, style: str) -> str:
    fmt = phonenumbers.PhoneNumberFormat.E164 if style == "e164" else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, fmt)


def international(number: str, region: str | None, style: str = "international") -> str | None:
    """The number as readers abroad dial it, or None when it does not resolve to a valid number."""
    parsed = parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return format_number(parsed, style)


def is_international(number: str) -> bool:
    return number.lstrip().startswith("+")


def judge(number: str, region: str | None, style: str, declared_type: str | None) -> PhoneVerdict:
    """Validate one number as written; the verdict names the first problem found."""
    text = number.strip()
    written_international = is_international(text)
    if not written_international and not region and not text.startswith("00"):
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
        trunk = _trunk_prefix_fix(text, parsed, valid, style)
        if trunk is not None:
            return trunk
    if not valid:
        return PhoneVerdict("P003", _invalid_message(text, parsed, declared_type))
    e164 = format_number(parsed, "e164")
    if declared_type == "mobile":
        mobile_kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                        phonenumbers.PhoneNumberType.PAGER, phonenumbers.PhoneNumberType.UNKNOWN)
        if kind not in mobile_kinds:
            name = {phonenumbers.PhoneNumberType.FIXED_LINE: "a fixed line"}.get(
                kind, phonenumbers.PhoneNumberType.to_string(kind).lower().replace("_", " "))
            return PhoneVerdict("P006", f"{text!r} is marked mobile but is {name}", e164=e164)
    if written_international:
        # National-form numbers are how people give them; only the international ones have a canonical form.
        canonical = e164 if style == "e164" else format_number(parsed, style)
        if text != canonical:
            return PhoneVerdict("P005", f"{text!r} is not in the canonical format {canonical!r}", canonical, e164)
    return PhoneVerdict(None, e164=e164)


def _trunk_prefix_fix(text: str, parsed: phonenumbers.PhoneNumber, valid: bool, style: str) -> PhoneVerdict | None:
    """`+31 (0)6 …` or `+31 06 …`: the national trunk prefix has no place after the country code."""
    bracketed = _TRUNK_IN_BRACKETS.search(text)
    if bracketed:
        candidate = text[: bracketed.start()] + " " + text[bracketed.end():]
    elif not valid:
        code = str(parsed.country_code)
        rest = re.sub(r"[^\d]", "", text)[len(code):]
        if not rest.startswith("0"):
            return None
        candidate = f"+{code}{rest[1:]}"
    else:
        return None
    fixed = parse(candidate, None)
    if fixed is None or not phonenumbers.is_valid_number(fixed):
        return None
    canonical = format_number(fixed, style)
    return PhoneVerdict("P004", f"{text!r} keeps the trunk prefix 0 after the country code; "
                        f"callers from abroad must not dial it: {canonical!r}", canonical,
                        format_number(fixed, "e164"))


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
