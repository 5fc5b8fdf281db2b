"""vCard 2.1, 3.0 and 4.0 files (several cards each) as Records, parsed by vobject.

vobject unfolds lines, decodes 2.1's quoted-printable and splits `N` and `ORG` into their parts;
what is left here is mapping TEL types and RFC 6350's `tel:` URIs onto the book's keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pressctl.errors import InputError
from pressctl.imports.record import PhoneIn, Record

VERSIONS = ("2.1", "3.0", "4.0")
_TEL_TYPES = (("fax", "fax"), ("cell", "mobile"), ("mobile", "mobile"), ("text", "mobile"), ("work", "work"),
              ("home", "home"))


def read_vcards(text: str, display: str) -> Iterator[Record]:
    import vobject

    cards = vobject.readComponents(text, ignoreUnreadable=False)
    number = 0
    while True:
        try:
            card = next(cards)
        except StopIteration:
            return
        except Exception as err:  # vobject raises ParseError and ValueError subclasses with the line
            raise InputError(f"card {number + 1} cannot be read: {_reason(err)}", path=display,
                             line=getattr(err, "lineNumber", None)) from None
        number += 1
        if card.name != "VCARD":
            raise InputError(f"item {number} is a {card.name}, not a VCARD", path=display)
        version = _value(card, "version")
        if version not in VERSIONS:
            raise InputError(f"card {number} has VERSION {version or 'missing'}; pressctl reads vCard "
                             f"{', '.join(VERSIONS)}", path=display)
        yield _record(card, display, number)


def _reason(err: Exception) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text[:200]


def _value(card: Any, name: str) -> str:
    found = getattr(card, f"{name}_list", None)
    if not found:
        return ""
    value = found[0].value
    return value.strip() if isinstance(value, str) else ""


def _record(card: Any, display: str, number: int) -> Record:
    given = family = ""
    if getattr(card, "n_list", None):
        n = card.n_list[0].value
        given = " ".join(part for part in (_joined(n.given), _joined(n.additional)) if part)
        family = _joined(n.family)
    organisation = ""
    if getattr(card, "org_list", None):
        org = card.org_list[0].value
        organisation = _joined(org[0] if isinstance(org, list) and org else org)
    emails = sorted(getattr(card, "email_list", []), key=lambda line: not _has_type(line, "pref"))
    lists: list[str] = []
    for line in getattr(card, "categories_list", []):
        values = line.value if isinstance(line.value, list) else str(line.value).split(",")
        lists += [v.strip() for v in values if v.strip()]
    languages = [str(line.value).strip() for line in getattr(card, "lang_list", []) if str(line.value).strip()]
    return Record(
        source=display, row=number, name=_value(card, "fn"), given_name=given, family_name=family,
        email=str(emails[0].value).strip() if emails else "",
        phones=tuple(_phone(line) for line in getattr(card, "tel_list", []) if str(line.value).strip()),
        organisation=organisation, role=_value(card, "title"), languages=tuple(dict.fromkeys(languages)),
        lists=tuple(dict.fromkeys(lists)), timezone=_timezone(card), notes=_value(card, "note"),
    )


def _joined(part: Any) -> str:
    if isinstance(part, list):
        return " ".join(str(p).strip() for p in part if str(p).strip())
    return str(part or "").strip()


def _types(line: Any) -> set[str]:
    found: set[str] = set()
    for value in line.params.get("TYPE", []):
        found.update(v.strip().casefold() for v in str(value).split(","))
    # vCard 2.1 writes bare parameters: TEL;CELL;VOICE:… which vobject keeps as singletons.
    found.update(str(v).casefold() for v in getattr(line, "singletonparams", []))
    return found


def _has_type(line: Any, wanted: str) -> bool:
    return wanted in _types(line) or "PREF" in line.params


def _phone(line: Any) -> PhoneIn:
    value = str(line.value).strip()
    if value.casefold().startswith("tel:"):
        value = value[4:]
    number, _, parameters = value.partition(";")
    extension = next((p[4:] for p in parameters.split(";") if p.casefold().startswith("ext=")), "")
    types = _types(line)
    kind = next((ours for theirs, ours in _TEL_TYPES if theirs in types), "other")
    return PhoneIn(f"{number.strip()} ext. {extension}" if extension else number.strip(), kind)


def _timezone(card: Any) -> str:
    value = _value(card, "tz")
    return value if "/" in value else ""  # an IANA name; a bare offset says nothing the book can keep
