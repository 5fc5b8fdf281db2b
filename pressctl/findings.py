"""Findings: what a check reports, and the one table of rule codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    name: str  # kebab-case, stable, used by SARIF and the docs
    summary: str
    fixable: bool = False


# A path into the parsed document: keys and list indexes, from the root.
Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    path: Path = ()
    contact: str | None = None
    fix: str | None = None  # the fixed value, where one exists
    file: str = ""
    line: int = 0
    column: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    def located(self, file: str, line: int, column: int) -> Finding:
        # Not dataclasses.replace, which looks the fields up again each time: twice as slow, and a
        # check locates a finding for each of 100,000 contacts.
        return Finding(self.code, self.message, self.path, self.contact, self.fix, file, line, column, self.extra)


def _rules(*rules: Rule) -> dict[str, Rule]:
    return {rule.code: rule for rule in rules}


E, W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = _rules(
    # The file itself
    Rule("F001", E, "unreadable-file", "The file is not text: binary data or not valid UTF-8."),
    Rule("F002", E, "yaml-syntax", "The file is not valid YAML."),
    Rule("F003", E, "wrong-shape",
         "A part of the file has the wrong shape (a list where a mapping belongs, …)."),
    Rule("F004", E, "wrong-type", "A value has the wrong type (a list, a number or a mapping where text belongs, …)."),
    Rule("F005", E, "unknown-key", "A key that pressctl does not know; usually a typo."),
    Rule("F006", E, "unsupported-version", "`version` is missing or not a version this pressctl reads."),
    Rule("F007", W, "byte-order-mark", "The file starts with a byte-order mark, which some tools mishandle.", True),
    Rule("F008", E, "yaml-alias", "Anchors and aliases expand beyond the limit (a 'billion laughs' document)."),
    Rule("F009", E, "file-too-large", "The file is larger than pressctl reads."),
    # Contacts
    Rule("C001", E, "missing-key", "A required key is missing (id, name)."),
    Rule("C002", E, "bad-id", "An id is not a slug of a-z, 0-9 and '-'."),
    Rule("C003", E, "duplicate-id", "Two contacts share one id."),
    Rule("C004", E, "no-way-to-reach", "A contact has neither an email address nor a phone number."),
    Rule("C005", E, "phone-and-phones", "A contact has both `phone` and `phones`; use one."),
    Rule("C006", W, "list-without-consent", "A contact on a distribution list has no consent record."),
    Rule("C007", E, "bad-consent", "A consent record has an unknown basis or a bad date."),
    Rule("C008", E, "bad-unsubscribed", "`unsubscribed` is neither true/false nor a date."),
    Rule("C009", E, "empty-value", "A value is empty or null where text belongs."),
    Rule("C010", E, "forgotten-person",
         "A contact whose address or number is in `suppressed:`: the person asked to be forgotten."),
    # Email
    Rule("E001", E, "invalid-email", "An email address is not valid (email-validator's reason)."),
    Rule("E002", W, "email-not-normalised", "An email address is not in its normalised form.", True),
    Rule("E003", E, "duplicate-email", "The same email address (in any letter case) is on two contacts."),
    Rule("E004", E, "undeliverable-email", "The mail domain does not accept mail (--check-deliverability)."),
    Rule("E005", E, "email-whitespace", "An email address with spaces around it, as pasted.", True),
    # Phone
    Rule("P001", E, "unparseable-phone", "A phone number cannot be read as a phone number."),
    Rule("P002", E, "phone-needs-region", "A national-form number with no region to resolve it."),
    Rule("P003", E, "invalid-phone", "A number that is not valid for its region: too short, too long, unassigned."),
    Rule("P004", E, "trunk-prefix", "A trunk prefix inside an international number: +31 (0)6 or +31 06.", True),
    Rule("P005", W, "phone-not-canonical",
         "An international number not in the canonical format (extension included).", True),
    Rule("P006", W, "phone-type-mismatch", "The declared type contradicts the number (a fixed line marked mobile)."),
    Rule("P007", W, "duplicate-phone", "The same number is on two contacts."),
    Rule("P008", E, "phone-as-integer",
         "A number written as a bare YAML integer, which loses its leading zero or '+'.", True),
    Rule("P009", E, "bad-phone-type", "A phone type other than mobile, work, home, fax or other."),
    Rule("P010", W, "phone-label", "A label written into the number: `Tel: +31 …`, `Mob. …`.", True),
    Rule("P011", W, "vanity-phone", "A number written with letters (`+1 800 FLOWERS`); --fix keeps it."),
    Rule("P012", W, "phone-00-prefix", "A number written with 00 for + and no region to read it with.", True),
    # Locale values
    Rule("L001", E, "invalid-language", "A language that is not a valid BCP 47 tag."),
    Rule("L002", E, "invalid-region", "A region that is not an ISO 3166-1 alpha-2 code."),
    Rule("L003", E, "invalid-timezone", "A time zone that is not an IANA name."),
    Rule("L004", E, "invalid-phone-format", "defaults.phone_format is neither international nor e164."),
    # Releases (`pressctl release check`)
    Rule("R001", E, "release-front-matter", "The release has no front matter, or front matter that does not parse."),
    Rule("R002", E, "release-missing-key", "A required front-matter key is missing (headline, dateline, date)."),
    Rule("R003", E, "release-unknown-contact",
         "A media contact, quote speaker or audience list not in the contact book."),
    Rule("R004", E, "release-contact-unreachable",
         "A media contact who is unsubscribed or has neither email nor phone."),
    Rule("R005", E, "release-bad-embargo", "An embargo without a time zone, or after the release date."),
    Rule("R006", W, "release-embargo-past", "The embargo is already in the past."),
    Rule("R007", W, "release-weekday",
         "A weekday in the text contradicts its date or the release date (English and the release's language)."),
    Rule("R008", W, "release-placeholder", "Leftover placeholder text: TODO, XX, lorem ipsum."),
    Rule("R009", W, "release-long-headline", "The headline is longer than editors read in a subject line."),
    Rule("R010", E, "release-empty-statement", "The statement (the Markdown body) is empty."),
    Rule("R011", E, "release-bad-value", "A front-matter value has the wrong type or an impossible date."),
    Rule("R012", E, "release-quote-placement", "A quote placeholder names a quote that does not exist."),
    Rule("R013", E, "release-unknown-key", "A front-matter key that pressctl does not know; usually a typo."),
    Rule("R014", E, "release-contact-number", "A media contact's number cannot be written in international form."),
    # Language versions and attachments (pressctl/release/versions.py, pressctl/release/attachments.py)
    Rule("R015", E, "release-translation-name",
         "A translation (`NAME.TAG.md`) without its original `NAME.md`, or whose `language` contradicts its name."),
    Rule("R016", E, "release-duplicate-language", "Two files of one release in the same language."),
    Rule("R017", E, "release-version-date",
         "A translation sets another date or embargo than its original (both files and lines named)."),
    Rule("R018", W, "release-version-facts",
         "A translation sets another dateline, media contacts or audience than its original."),
    Rule("R019", W, "release-version-quotes",
         "A quote in one version is missing in another, or placed in one and not in the other."),
    Rule("R020", E, "release-attachment",
         "An attachment that is missing, a folder, empty, outside the workspace, or badly named."),
    Rule("R021", W, "release-attachments-large", "The attachments come to more than 10 MB; many inboxes refuse that."),
    Rule("R022", E, "release-attachments-too-large",
         "The attachments come to more than 25 MB, more than mail carries."),
)


def stop_at_first_error(errors: list[Finding], command: str, *, column: bool = True) -> None:
    """For commands that need valid input (render, export): the first error as one message with its
    file and line (and column), and how many more `pressctl COMMAND` would show."""
    from pressctl.errors import InputError

    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; run `pressctl {command}`)" if len(errors) > 1 else ""
        raise InputError(first.message + more, path=first.file, line=first.line or None,
                         column=(first.column or None) if column else None)


def select_rules(select: list[str] | None, ignore: list[str] | None) -> set[str]:
    """Codes kept by --select/--ignore; a prefix such as `P` or `P00` selects a group."""
    from pressctl.errors import UsageError

    def expand(patterns: list[str]) -> set[str]:
        chosen: set[str] = set()
        for pattern in patterns:
            pattern = pattern.strip().upper()
            if not pattern:
                continue
            if pattern == "ALL":
                chosen |= set(RULES)
                continue
            matched = {code for code in RULES if code.startswith(pattern)}
            if not matched:
                raise UsageError(f"unknown rule code or prefix {pattern!r}", hint="see docs/checks.md")
            chosen |= matched
        return chosen

    kept = expand(select) if select else set(RULES)
    return kept - expand(ignore or [])
