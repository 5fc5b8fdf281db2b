"""E-mail messages: RFC 5322 headers, multipart/alternative bodies, CSS inlined once."""

from __future__ import annotations

import binascii
import hashlib
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pressctl.config import Config
from pressctl.contacts.addresses import mail_address, require_address
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError, PressctlError, UsageError
from pressctl.release import Release, line_break_in
from pressctl.render.document import build_context, render_document, subject_for
from pressctl.render.headers import mailbox, unstructured
from pressctl.render.phrases import phrases_for

CRLF = b"\r\n"


def greeting_for(name: str, language: str) -> str:
    t = phrases_for(language)
    return t("Dear {name},", name=name) if name else t("Dear editor,")


def unsubscribe_url(config: Config, contact_id: str) -> str:
    return config.email.list_unsubscribe.replace("{id}", contact_id) if config.email.list_unsubscribe else ""


def message_date() -> datetime:
    """When the message is dated: now, or SOURCE_DATE_EPOCH for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except ValueError:
            raise UsageError(f"SOURCE_DATE_EPOCH is {epoch!r}, not a number of seconds") from None
    return datetime.now().astimezone().replace(microsecond=0)


@dataclass(frozen=True)
class Envelope:
    """The headers every message of one release shares, already folded."""

    sender: str  # the From: value, encoded and folded
    subject: bytes  # the folded "Subject: …\r\n"
    date: str
    domain: str  # for Message-IDs
    language: str
    seed: str  # release identity and Date, for Message-IDs and boundaries (with what makes each message's bodies)
    unsubscribe_mailto: str = ""  # `[email] list_unsubscribe_mailto`, its `{id}` not yet filled in

    @cached_property
    def _hash_seed(self) -> Any:
        return hashlib.sha256(f"{self.seed}\n".encode())

    @cached_property
    def _headers(self) -> tuple[bytes, bytes, bytes]:
        """The header bytes every message shares: From; Subject, Date and the start of Message-ID; its end,
        MIME-Version and Content-Language."""
        subject_to_id = self.subject + f"Date: {self.date}\r\nMessage-ID: <".encode("ascii")
        after_id = f"@{self.domain}>\r\nMIME-Version: 1.0\r\nContent-Language: {self.language}\r\n".encode("ascii")
        return f"From: {self.sender}\r\n".encode("ascii"), subject_to_id, after_id

    @cached_property
    def layout(self) -> MessageLayout:
        """The layout of a message whose bodies are given whole (message_bytes)."""
        return MessageLayout(self)

    def mailto_for(self, contact_id: str) -> str:
        """The mailto: unsubscribe address of one contact; `{id}` (in a subject, say) is percent-encoded."""
        if not self.unsubscribe_mailto:
            return ""
        return self.unsubscribe_mailto.replace("{id}", quote(contact_id, safe=""))


def envelope(release: Release, config: Config, sender: str | None) -> Envelope:
    subject_text = subject_for(release)
    breaking = line_break_in(subject_text)
    if breaking:
        # release.py refuses such a headline; this guards every other way a subject could be made.
        raise InputError(f"the subject {subject_text!r} contains {breaking}, which could add a mail header",
                         path=release.path, line=release.line_of(("headline",)))
    name, address, where = _sender(config, sender)
    header = address_header(name, address, where=where, error=UsageError, field="From")
    domain = require_address(address, where=where).ascii_domain  # valid: address_header checked it
    date = format_datetime(message_date())
    seed = f"{release.slug}\n{release.headline}\n{release.date.isoformat()}\n{date}"
    return Envelope(header, unstructured("Subject", subject_text).encode("ascii"), date, domain, release.language,
                    seed, config.email.list_unsubscribe_mailto)


def _sender(config: Config, sender: str | None) -> tuple[str, str, str]:
    """(display name, address, where it was written) of the From: address."""
    if sender:
        from email import errors, policy

        # Exactly one address, read strictly: a lenient reading of `a@x.org>, <evil@y.org` keeps a@x.org.
        parsed = policy.default.header_factory("From", sender)
        defects = [d for d in parsed.defects if not isinstance(d, errors.NonASCIILocalPartDefect)]
        if len(parsed.addresses) != 1 or defects or line_break_in(sender) or "@" not in parsed.addresses[0].addr_spec:
            raise UsageError(f"--from {sender!r} is not one address such as 'Press Office <press@example.org>'",
                             hint='quote a name with a comma in it: \'"Press, Desk" <press@example.org>\'')
        return parsed.addresses[0].display_name, parsed.addresses[0].addr_spec, "--from"
    if not config.sender.email:
        raise UsageError("no sender: set [sender] email in pressctl.toml, or pass --from")
    return config.sender.name, config.sender.email, f"{config.path or 'pressctl.toml'}: `sender.email`"


def address_header(name: str, address: str, *, contact: str | None = None, where: str = "", field: str = "To",
                   error: type[PressctlError] = InputError) -> str:
    """The value of a From: or To: header: the display name encoded (RFC 2047) and folded, the address
    validated and in its ASCII form (IDNA 2008 A-labels). Line breaks and control characters are refused, and
    so is an address whose local part is not ASCII: only SMTPUTF8 mail can carry it, not an .eml file or mbox
    that ordinary mail programs read (docs/templates.md, "Addresses and non-ASCII text"). White space in the
    name is read as single spaces, as RFC 5322 reads it anyway."""
    who = f"contact `{contact}`: " if contact else (f"{where}: " if where else "")
    hint = "correct it in the contact book" if contact else "correct it in pressctl.toml or --from"
    breaking = line_break_in(name + address)
    if breaking:
        raise error(f"{who}the name or address {name!r} <{address}> contains {breaking}, which could add a "
                    "mail header", hint=hint)
    checked = mail_address(address)
    if checked is None:
        raise error(f"{who}{address!r} is not a valid e-mail address",
                    hint=f"run `pressctl contacts check`; {hint}")
    if checked.ascii is None:
        leave_out = ", or leave the contact out of this merge" if contact else ""
        raise error(f"{who}the address {checked.normalised} has a non-ASCII local part, which only SMTPUTF8 mail "
                    "can carry; an .eml file or mbox for ordinary mail programs cannot",
                    hint=f"give an ASCII address (the domain may stay international){leave_out}")
    folded = mailbox(field, " ".join(name.split()), checked.ascii)
    return folded[len(field) + 2:-2]


Body = tuple[str, bytes]  # (Content-Transfer-Encoding, encoded bytes with CRLF line ends)


class MimeMessage(bytes):
    """A message as message_bytes() makes it: every line ends with CRLF, and no other CR or LF is in it (the
    header values refuse line breaks, a body is 7bit or 8bit only without a lone CR, and quoted-printable
    encodes one), so its mbox form need only delete the CRs (pressctl.render.merge). `from_lines` is False when
    the merge knows that no line starts with `From ` (after any `>`), so that the mbox need not look for one."""

    from_lines = True


def message_bytes(env: Envelope, *, text: str | Body, html: str | Body, to: str | None = None, key: str = "",
                  unsubscribe: tuple[str, ...] = ()) -> MimeMessage:
    """Assemble one message. The Message-ID and boundary are a hash of the release, the Date, the recipient and
    the bodies: reproducible with SOURCE_DATE_EPOCH, yet new for a corrected release. (A merge's placeholder
    path makes its messages with a MessageLayout of its own, which hashes what determines the bodies.)"""
    (text_encoding, text_data), (html_encoding, html_data) = (
        encode_body(body) if isinstance(body, str) else body for body in (text, html))
    return MimeMessage(env.layout.message(
        to=to, key=key, unsubscribe=unsubscribe, made_from=None, bodies=(text_data, html_data),
        text=(text_encoding, (text_data,)), html=(html_encoding, (html_data,))))


class MessageLayout:
    """All of a message but what differs per recipient, as one bytes %-template: the envelope's headers, the
    MIME parts around the two bodies, and each body's own template (its `%` doubled, a `%s` for each value it
    takes; `b"%s"` for a body given whole). A message is then one C-level formatting, and `lf=True` makes
    it with LF line ends, as an mbox holds it, instead of converting the CRLF form afterwards (bench/merge.py).
    Every CR in the template is one of a CRLF (the headers are folded with CRLF, and a body template holds no
    other CR), and so is every CR in the per-recipient headers; the values put in hold no CR or LF."""

    def __init__(self, env: Envelope, text: bytes = b"%s", html: bytes = b"%s") -> None:
        from_line, subject_to_id, after_id = (piece.replace(b"%", b"%%") for piece in env._headers)
        hole = b"%s"
        self.env = env
        self.crlf = _MESSAGE % (from_line, hole, subject_to_id, hole, after_id, hole, hole, hole, hole, text, hole,
                                hole, html, hole)
        self.lf = self.crlf.replace(b"\r", b"")

    def message(self, *, to: str | None, key: str, unsubscribe: tuple[str, ...], made_from: bytes | None,
                bodies: tuple[bytes, bytes] | None, text: tuple[str, tuple[bytes, ...]],
                html: tuple[str, tuple[bytes, ...]], lf: bool = False) -> bytes:
        """One message: `text` and `html` are each body's transfer encoding and the values its template takes.
        The Message-ID hashes `made_from` (a digest of what determines the bodies, a few hundred bytes for 13 KB
        of them) or, without it, the two `bodies` as they stand in the message."""
        hashed = self.env._hash_seed.copy()  # the same as hashing f"{env.seed}\n{key}\n" whole
        hashed.update(f"{key}\n".encode())
        if made_from is None:
            assert bodies is not None, "a Message-ID hashes the bodies or what determines them"
            for data in bodies:
                hashed.update(len(data).to_bytes(8, "big"))
                hashed.update(data)
        else:
            hashed.update(b"\xff" + made_from)  # never the first byte of a body's 8-byte length
        digest = hashed.hexdigest().encode("ascii")
        # No body can hold the boundary: it carries 128 bits of a hash of the bodies themselves (or of what
        # determines them).
        boundary = b"=_pressctl_" + digest[:32]
        to_line = b"To: %s\r\n" % to.encode("ascii") if to else b""
        listed = _list_unsubscribe(unsubscribe)
        if lf:
            to_line, listed = to_line.replace(b"\r", b""), listed.replace(b"\r", b"")
        return (self.lf if lf else self.crlf) % (
            to_line, digest[:40], listed, boundary, boundary, text[0].encode("ascii"), *text[1], boundary,
            html[0].encode("ascii"), *html[1], boundary)


def _list_unsubscribe(unsubscribe: tuple[str, ...]) -> bytes:
    """RFC 2369: the addresses in order of preference, one per line (folded) to keep lines short; RFC 8058's
    one-click header beside an https address."""
    if not unsubscribe:
        return b""
    addresses = ",\r\n ".join(f"<{address}>" for address in unsubscribe)
    one_click = any(address.startswith("https://") for address in unsubscribe)
    return (f"List-Unsubscribe: {addresses}\r\n" + (
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" if one_click else "")).encode("ascii")


# A whole message: the header lines message_bytes() makes, then the parts around the two bodies, filled in by
# one C-level formatting (MessageLayout).
_MESSAGE = (b"%s%s%s%s%s%s"
            b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\n\r\n'
            b"--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n%s"
            b"\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: %s\r\n\r\n%s"
            b"\r\n--%s--\r\n")


MAX_LINE = 990  # octets; RFC 5322 allows 998 plus CRLF


def encode_body(text: str) -> tuple[str, bytes]:
    """UTF-8 as it is (8bit) when every line fits the 998-octet limit, else quoted-printable.

    8bit costs nothing per message, which is what makes merging 10,000 messages fast; every mail
    system of this century accepts it (RFC 6152).
    """
    data = text.replace("\r\n", "\n").encode("utf-8")
    if b"\r" not in data and max(map(len, data.split(b"\n"))) <= MAX_LINE:
        return ("7bit" if data.isascii() else "8bit"), data.replace(b"\n", CRLF)
    return "quoted-printable", quoted_printable(text)


def quoted_printable(text: str) -> bytes:
    data = text.replace("\r\n", "\n").encode("utf-8")
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    # b2a_qp keeps a CR that is not part of a line end as it is; a message must not hold one (RFC 5322).
    return encoded.replace(b"\r", b"=0D").replace(b"\n", CRLF)


_HEADER_URL = re.compile("[!-;=?-~]*")  # printable ASCII but space, `<` and `>`


def header_url(url: str) -> str:
    """An unsubscribe address as List-Unsubscribe carries it: ASCII, no white space, no control character,
    nothing that ends the `<…>` around it (pressctl.toml is checked when read; this guards every other way)."""
    if not _HEADER_URL.fullmatch(url):
        shown = url.encode("unicode_escape").decode("ascii")
        raise UsageError(f"the unsubscribe address '{shown}' must be an ASCII URL without spaces, control "
                         "characters or angle brackets", hint="correct `[email]` in pressctl.toml")
    return url


def single_message(release: Release, book: ContactBook, config: Config, *, templates: Path | str | None,
                   sender: str | None) -> bytes:
    from pressctl.render.attachments import for_mail, with_attachments

    release, parts = for_mail(release)
    context: dict[str, Any] = build_context(release, book, config, both=True)
    text = render_document("text", context, templates)
    html = render_document("email", context, templates)
    return bytes(with_attachments(message_bytes(envelope(release, config, sender), text=text, html=html), parts))
