"""Each row on its own: its address and numbers checked and put in the book's form, and its text written.

What a row becomes depends on the row and the import's options only, not on the other rows or on the
book's contacts (that is the merge's part), so a large file is prepared in batches by forked worker
processes, in parallel, while the merge takes the prepared rows in order. Each batch's text is read
back at once: it must parse to exactly the values meant.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

from pressctl.contacts.addresses import mail_address
from pressctl.errors import InputError
from pressctl.imports.record import PhoneIn, Record
from pressctl.imports.yamltext import Style, contact_text

if TYPE_CHECKING:
    from pressctl.export.fields import PhoneResolver

ID_FALLBACK = "contact"
BATCH = 500  # rows prepared, and contacts read back, together
PARALLEL_BYTES = 1 << 20  # below this much source text a worker process costs more than it saves
_PLACEHOLDER_ID = "x"  # the merge gives each new contact its id; the text after the id line is prepared


@dataclass(frozen=True)
class Rules:
    """What preparing a row needs to know: the import's options as they apply to one row."""

    region: str | None  # for national numbers: --region, else the book's defaults.region
    phone_style: str  # the book's phone_format
    style: Style  # how the book writes its contacts
    lists: tuple[str, ...] = ()  # --list
    consent_basis: str = ""
    consent_source: str = ""
    named_region: str | None = None  # --region, written on contacts whose numbers needed it
    today: date = field(default_factory=date.today)
    known: frozenset[str] = frozenset()  # the book's address keys and E.164 numbers: rows that can match


@dataclass
class Prepared:
    """A row resolved against the book's rules, and (when it would be new) its text: what the merge
    needs of it, and no more, since it travels back from a worker."""

    where: str  # FILE:ROW
    record: Record | None  # the whole row, only when it matches a contact of the book (see Merger.matched)
    unsubscribed: date | None = None
    ref: str = ""
    email: str = ""
    email_key: str = ""  # MailAddress.key: how the merge matches addresses
    numbers: list[str] = field(default_factory=list)  # E.164
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, message): a bad row
    id_base: str = ""  # the slug a new id is made from
    unconsented: tuple[str, ...] = ()  # lists a new contact would join without a consent record
    text: str = ""  # the new contact's lines after its `- id:` line

    def __reduce__(self) -> tuple[type[Prepared], tuple[Any, ...]]:
        # As a plain tuple of its fields: a third of the time pickle takes for a dataclass's __dict__.
        return Prepared, (self.where, self.record, self.unsubscribed, self.ref, self.email, self.email_key,
                          self.numbers, self.problems, self.id_base, self.unconsented, self.text)


def consent_of(record: Record, rules: Rules) -> dict[str, object]:
    """The consent record a contact gets from the options or the row's own columns; {} without one."""
    basis = rules.consent_basis or record.consent_basis
    source = rules.consent_source or record.consent_source
    if not basis or not source:
        return {}
    return {"basis": basis, "source": source, "date": record.consent_date or rules.today}


def prepare(record: Record, rules: Rules,
            resolver: PhoneResolver | None = None) -> tuple[Prepared, dict[str, object] | None]:
    """The row resolved, and the values of the contact it would add (None for a bad row)."""
    prepared = Prepared(record.where, record, record.unsubscribed, record.ref)
    problems = prepared.problems
    phones: list[tuple[PhoneIn, str]] = []
    problems += record.problems
    if record.email:
        address = mail_address(record.email)
        if address is None:
            problems.append(("email", f"{record.email!r} is not a valid e-mail address"))
        else:
            prepared.email, prepared.email_key = address.normalised, address.key
    for phone in record.phones:
        written = _canonical(phone.number, rules.region, rules.phone_style, resolver)
        if written is None:
            problems.append(("phone", f"{phone.number!r} is not a valid number"
                             + ("" if phone.number.lstrip().startswith("+") or rules.region else
                                "; it has no country code: pass --region CC")))
            continue
        phones.append((phone, written[0]))
        prepared.numbers.append(written[1])
    if prepared.email_key not in rules.known and rules.known.isdisjoint(prepared.numbers):
        prepared.record = None  # no contact of the book to match: the merge needs only what is above
    if not prepared.email and not phones and not problems:
        problems.append(("email", "neither an e-mail address nor a phone number"))
    if problems:
        return prepared, None
    name = record.display_name
    prepared.id_base = slug(name) or slug(record.email.partition("@")[0]) or ID_FALLBACK
    lists = () if record.unsubscribed else tuple(dict.fromkeys((*record.lists, *rules.lists)))
    consent = consent_of(record, rules)
    if lists and not consent:
        prepared.unconsented = lists
        return prepared, None
    values: dict[str, object] = {"id": _PLACEHOLDER_ID, "name": name or prepared.email}
    if record.given_name and record.family_name:
        values["given_name"], values["family_name"] = record.given_name, record.family_name
    for key, value in (("role", record.role), ("organisation", record.organisation), ("email", prepared.email)):
        if value:
            values[key] = value
    if phones:
        values["phones"] = [_phone_entry(written, phone) for phone, written in phones]
    if rules.named_region and any(not p.number.lstrip().startswith("+") for p, _ in phones):
        values["region"] = rules.named_region
    if record.languages:
        values["languages"] = list(record.languages)
    if record.timezone:
        values["timezone"] = record.timezone
    if lists:
        values["lists"], values["consent"] = list(lists), consent
    if record.unsubscribed:
        values["unsubscribed"] = record.unsubscribed
    if record.notes:
        values["notes"] = record.notes
    return prepared, values


def prepare_batch(records: Iterable[Record], rules: Rules) -> list[Prepared]:
    """Rows prepared, and the text of the new contacts among them read back with one parse."""
    from pressctl.export.fields import PhoneResolver

    out, written = [], []
    newline = rules.style.newline
    resolver = PhoneResolver()  # one a batch: its memo of numbers stays small
    for record in records:
        prepared, values = prepare(record, rules, resolver)
        if values is not None:
            text = contact_text(values, rules.style)
            prepared.text = text[text.index(newline) + len(newline):]
            written.append((text, values, record.where))
        out.append(prepared)
    _reads_back(written)
    return out


def prepare_all(rows: Iterable[Any], to_record: Callable[[Any], Record], rules: Rules,
                parallel: bool) -> Iterator[Prepared]:
    """Every row prepared, in order: in two forked worker processes when `parallel`, with a few batches in
    flight at a time (memory holds those, not the file)."""
    from pressctl.workers import can_fork, in_workers

    batches = _batches(rows)
    if not parallel or not can_fork():
        for batch in batches:
            yield from prepare_batch(map(to_record, batch), rules)
        return
    # The workers inherit the row mapping and the rules at fork: only the rows are sent to them.
    for prepared in in_workers(_prepare_in_worker, batches, shared=(to_record, rules), workers=2, ahead=5):
        yield from prepared


def _prepare_in_worker(batch: list[Any]) -> list[Prepared]:
    from pressctl.workers import shared

    to_record, rules = shared()
    return prepare_batch(map(to_record, batch), rules)


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield batch


def _phone_entry(written: str, phone: PhoneIn) -> dict[str, str]:
    entry = {"number": written}
    if phone.type:
        entry["type"] = phone.type
    if phone.label:
        entry["label"] = phone.label
    return entry


def _reads_back(written: list[tuple[str, dict[str, object], str]]) -> None:
    """The text written for each contact must parse to exactly the values meant (a check of the YAML
    writer), one parse for a batch; a wrong contact is named by its row."""
    from pressctl.yamlsource import SourceText, YamlSyntaxError, parse_fast

    if not written:
        return
    try:
        parsed = parse_fast(SourceText("".join(text for text, _, _ in written)))
    except YamlSyntaxError:
        parsed = None
    if parsed == [_as_read(values) for _, values, _ in written]:
        return
    for text, values, where in written:
        try:
            alone = parse_fast(SourceText(text))
        except YamlSyntaxError:
            alone = None
        if alone != [_as_read(values)]:
            raise InputError(f"{where}: the contact would not read back as written; nothing was written "
                             "(please report this)")
    raise InputError(f"{written[0][2]}: the contacts from here on would not read back as written; nothing was "
                     "written (please report this)")


def _as_read(values: dict[str, object]) -> dict[str, object]:
    """A contact's values as the book's parser gives them back: its two dates (consent, unsubscribed) as
    their text, as YAML 1.2 reads them (pressctl.yamlsource.parse_fast)."""
    consent, unsubscribed = values.get("consent"), values.get("unsubscribed")
    if isinstance(consent, dict) and isinstance(consent.get("date"), date):
        values = {**values, "consent": {**consent, "date": consent["date"].isoformat()}}
    if isinstance(unsubscribed, date):
        values = {**values, "unsubscribed": unsubscribed.isoformat()}
    return values


@cache
def _resolver() -> PhoneResolver:
    from pressctl.export.fields import PhoneResolver

    return PhoneResolver()


def e164(number: str, region: str | None) -> str | None:
    return _resolver().e164(number, region)


def _canonical(number: str, region: str | None, style: str,
               resolver: PhoneResolver | None = None) -> tuple[str, str] | None:
    """(as the book writes it, E.164) for a number, its extension kept; None when it is not valid.

    The exports' resolver finds the E.164 form and checks validity without a full parse for the plain
    forms most lists hold; the book's form is then formatted from the country code and national digits
    (tests/test_import.py holds this equal to parsing with phonenumbers for every region's examples)."""
    resolved = (resolver or _resolver()).resolve(number, region)
    if resolved is None:
        return None
    number_e164, extension = resolved
    if style == "e164" and not extension:
        return number_e164, number_e164
    return _international(number_e164, extension), number_e164


def _international(e164: str, extension: str | None) -> str:
    """phonenumbers' INTERNATIONAL format of a valid number, from its E.164 digits: the first of the
    country's formats whose leading digits and pattern fit the national number, as format_number
    chooses it, with each country's formats compiled once (format_number finds and compiles them
    again for every number, most of an import's time per number)."""
    digits = e164[1:]
    country, length = _country_code(digits[:3])
    national = digits[length:]
    formats, extension_prefix = _number_formats(country)
    for leading, whole, pattern, rule, template in formats:
        if (leading is None or leading(national)) and whole(national):
            found = pattern.match(national)  # what sub() replaces first
            if template is not None and found is not None and found.end() == len(national) \
                    and None not in found.groups():
                national = template.format(*found.groups())
            else:
                national = pattern.sub(rule, national)
            break
    written = f"+{country} {national}"
    return written + extension_prefix + extension if extension else written


@cache
def _country_code(first_digits: str) -> tuple[int, int]:
    """The country code an E.164 number starts with (from its first three digits), and its length."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    length = next(n for n in (1, 2, 3) if int(first_digits[:n]) in COUNTRY_CODE_TO_REGION_CODE)
    return int(first_digits[:length]), length


# (leading digits test, whole-number test, pattern, rule, the rule as a str.format template or None)
_NumberFormat = tuple[Callable[[str], object] | None, Callable[[str], object], re.Pattern[str], str, str | None]


@cache
def _number_formats(country: int) -> tuple[list[_NumberFormat], str]:
    """A country's international number formats, compiled (leading digits: the last, most detailed
    pattern, matched at the start; the pattern, matched whole), and its extension prefix."""
    import phonenumbers
    from phonenumbers import PhoneMetadata

    region = phonenumbers.region_code_for_country_code(country)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country, region.upper())
    assert metadata is not None  # the country code is one phonenumbers knows
    available = metadata.intl_number_format or metadata.number_format
    formats: list[_NumberFormat] = []
    for number_format in available:
        leading, pattern = number_format.leading_digits_pattern, re.compile(str(number_format.pattern))
        rule = str(number_format.format)
        formats.append((re.compile(leading[-1]).match if leading else None, pattern.fullmatch, pattern, rule,
                        _template(rule, pattern)))
    prefix = metadata.preferred_extn_prefix
    return formats, " ext. " if prefix is None else prefix


def _template(rule: str, pattern: re.Pattern[str]) -> str | None:
    """A format rule such as `\\1 \\2-\\3` as `{0} {1}-{2}`, filled from one match without re's template
    machinery (a third of the time of a number); None for a rule that is anything but group references
    and plain characters, or a pattern that could also match nothing (then sub() would replace twice)."""
    if pattern.match("") is not None or re.search(r"\\(?!\d(?!\d))|[{}]", rule):
        return None
    return re.sub(r"\\(\d)", lambda ref: "{" + str(int(ref.group(1)) - 1) + "}", rule)


def slug(name: str) -> str:
    """An id from a name: transliterated to ASCII (anyascii covers Khmer, Arabic, CJK …), a-z, 0-9, '-'."""
    from anyascii import anyascii

    return _NOT_IN_SLUG.sub("-", anyascii(name).lower()).strip("-")[:60].strip("-")


_NOT_IN_SLUG = re.compile(r"[^a-z0-9]+")
