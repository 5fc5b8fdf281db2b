"""The one way a contact's e-mail address becomes a deliverable one: validated, normalised, IDNA 2008.

Merge, send, every export and import take addresses from here, never from the raw `email:` text, so
an address that `contacts check` refuses (`a@x.org>, <evil@y.org`) can never add a hidden recipient,
and a domain such as `straße.de` is written as its own A-label (`xn--strae-oqa.de`, IDNA 2008), not
as Python's IDNA 2003 `strasse.de`, which is another domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from pressctl.errors import InputError


@dataclass(frozen=True)
class MailAddress:
    """A validated address: its normalised Unicode form and the ASCII forms a mail header can carry."""

    local: str  # the local part as normalised by email-validator (case kept: it may matter to the server)
    domain: str  # the domain in Unicode, lower case (U-labels)
    ascii_domain: str  # the same domain as IDNA 2008 A-labels

    @property
    def normalised(self) -> str:
        """The form `contacts check` asks for and exports write: `jürgen@bücher.de`."""
        return f"{self.local}@{self.domain}"

    @property
    def key(self) -> str:
        """What two contacts share when they share an address: the normalised form in any letter case.

        lower(), not casefold(): casefold turns `ß` into `ss`, and `straße.de` is not `strasse.de`.
        """
        return f"{self.local.lower()}@{self.domain}"

    @property
    def needs_smtputf8(self) -> bool:
        """A non-ASCII local part has no ASCII form: only a server that offers SMTPUTF8 can deliver it."""
        return not self.local.isascii()

    @property
    def ascii(self) -> str | None:
        """`local@xn--…`: what an ASCII-only header or SMTP envelope carries; None when no such form exists."""
        return None if self.needs_smtputf8 else f"{self.local}@{self.ascii_domain}"


def memoise_domain_validation() -> None:
    """Validate each mail domain once per process, not once per address.

    email-validator checks the domain of every address from scratch (IDNA and UTS #46, character by
    character), which is most of its time; a contact book has a few hundred distinct domains across
    thousands of addresses. The function is pure (a domain and two flags in, a dict that
    validate_email only reads out), so it is memoised where validate_email looks it up. Failures are
    not cached and are raised again, with the same message, for every address that has them.
    """
    import sys

    import email_validator  # noqa: F401  (loads the submodule patched below)

    # Not `import email_validator.validate_email`: the package's attribute of that name is the function.
    module = sys.modules["email_validator.validate_email"]
    original = getattr(module, "validate_email_domain_name", None)
    if original is not None and not hasattr(original, "cache_info"):
        setattr(module, "validate_email_domain_name", lru_cache(maxsize=65536)(original))  # noqa: B010


@lru_cache(maxsize=65536)
def mail_address(text: str) -> MailAddress | None:
    """The validated address written as `text`, or None when it is not a valid address.

    Syntax only, no network. Surrounding white space is not forgiven here: `contacts check` reports
    it (and `--fix` removes it); until then the address is not used.
    """
    local, at, domain = text.rpartition("@")
    if at and _plain_local(local) and len(text.encode("utf-8")) <= _MAX_LENGTH:
        # Most of the time is the domain's, and a book has few domains: validate each once. A plain ASCII
        # local part is valid and normalised as written; tests/test_addresses_fast.py checks the agreement.
        valid_domain = _domain(domain)
        if valid_domain is None:
            return None
        unicode_domain, ascii_domain = valid_domain
        if max(len(f"{local}@{unicode_domain}".encode()), len(f"{local}@{ascii_domain}")) <= _MAX_LENGTH:
            return MailAddress(local, unicode_domain, ascii_domain)
    from email_validator import EmailNotValidError, validate_email

    memoise_domain_validation()
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return MailAddress(checked.local_part, checked.domain, checked.ascii_domain)


_MAX_LENGTH = 254  # octets, as email-validator counts them


def _plain_local(local: str) -> bool:
    dot_atom, mailbox_names = _local_rules()
    return bool(dot_atom.match(local)) and local.lower() not in mailbox_names


@cache
def _local_rules() -> tuple[re.Pattern[str], frozenset[str]]:
    """email-validator's dot-atom pattern and the mailbox names it writes in lower case (`Postmaster`),
    imported once, not once an address (the import statement was a quarter of mail_address's time)."""
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES, DOT_ATOM_TEXT

    return DOT_ATOM_TEXT, frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


@lru_cache(maxsize=4096)
def _domain(domain: str) -> tuple[str, str] | None:
    """The domain's Unicode and A-label forms, as email-validator gives them, or None when it is not valid."""
    from email_validator import EmailNotValidError, validate_email

    memoise_domain_validation()
    try:
        checked = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.domain, checked.ascii_domain


def require_address(text: str, *, where: str) -> MailAddress:
    """mail_address() for a value that must be valid, such as the configured sender; `where` names it."""
    address = mail_address(text)
    if address is None:
        raise InputError(f"{where}: {text!r} is not a valid e-mail address")
    return address
