"""A phone number as a release prints and links it: international form, and a tel: URI (RFC 3966).

phonenumbers keeps an extension (`x204`, `ext. 204`) apart from the number; E.164 has no place for it,
so a link made from E.164 alone rings the switchboard instead of the person.
"""

from __future__ import annotations

import copy
from typing import NamedTuple


class DialForms(NamedTuple):
    printed: str  # "+1 202-555-0143 ext. 204"
    tel: str  # what follows `tel:`: "+12025550143;ext=204"


def dial_forms(number: str, region: str | None) -> DialForms | None:
    """The printed and the tel: form of a number, or None when it does not resolve to a valid number."""
    import phonenumbers

    from pressctl.contacts.phones import parse

    parsed = parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    extension = parsed.extension or ""
    bare = copy.copy(parsed)
    bare.extension = None
    printed = phonenumbers.format_number(bare, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    e164 = phonenumbers.format_number(bare, phonenumbers.PhoneNumberFormat.E164)
    if extension:
        return DialForms(f"{printed} ext. {extension}", f"{e164};ext={extension}")
    return DialForms(printed, e164)
