"""One SMTP connection (smtplib), reused while it lives: verified TLS, AUTH, one transaction per message.

Each transaction is split where the journal needs to know: MAIL and RCPT (a refusal there means the
server has nothing), DATA and the message (a failure while sending it means the server cannot have
it: the final dot never arrived), and the server's answer (a connection lost while waiting for it
leaves the message's fate unknown: `unconfirmed`).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from pressctl.contacts.addresses import MailAddress
from pressctl.errors import PressctlError, UsageError
from pressctl.send.settings import SmtpSettings


class DeliveryError(PressctlError):
    """The server cannot be reached, or the connection was lost for good: exit 1."""


class ServerRefused(UsageError):
    """Authentication or TLS failed: the settings (or the server's certificate) need a look: exit 2."""


@dataclass(frozen=True)
class Outcome:
    state: str  # sent, deferred, failed or unconfirmed
    reply: str


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(message.split())}".strip()


def _state_for(code: int) -> str:
    if 200 <= code < 300:
        return "sent"
    return "failed" if 500 <= code < 600 else "deferred"


class Connection:
    def __init__(self, settings: SmtpSettings, password: str | None) -> None:
        self.settings = settings
        self.password = password
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        """Connect, say EHLO, start TLS when configured (never falling back to plain text), log in."""
        settings = self.settings
        where = f"{settings.host}:{settings.port}"
        context = ssl.create_default_context(cafile=settings.ca_file or None)
        smtp: smtplib.SMTP | None = None
        try:
            if settings.security == "tls":
                smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            smtp.ehlo()
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ServerRefused(f"{where} does not offer STARTTLS, so pressctl will not send (it never falls "
                                        "back to plain text)", path=settings.path, line=settings.line,
                                        hint='check `smtp.port`; for a server that starts with TLS use '
                                             'security = "tls" (port 465)')
                code, text = smtp.starttls(context=context)
                if code != 220:
                    raise ServerRefused(f"{where} refused STARTTLS ({_reply(code, text)}), so pressctl will not send "
                                        "(it never falls back to plain text)", path=settings.path, line=settings.line)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, self.password or "")
        except ssl.SSLCertVerificationError as err:
            _close(smtp)
            raise ServerRefused(f"the certificate of {where} does not verify ({err.verify_message}); nothing was sent",
                                path=settings.path, line=settings.line,
                                hint="check `smtp.host`; for a server with a private CA, name it in `smtp.ca_file`"
                                ) from None
        except ssl.SSLError as err:
            _close(smtp)
            raise ServerRefused(f"TLS with {where} failed ({err.reason or err}); nothing was sent",
                                path=settings.path, line=settings.line,
                                hint='check `smtp.security`: "tls" for port 465, "starttls" for 587') from None
        except smtplib.SMTPAuthenticationError as err:
            _close(smtp)
            raise ServerRefused(f"{where} refused the user name or password for {settings.username} "
                                f"({_reply(err.smtp_code, err.smtp_error)})", path=settings.path,
                                line=settings.line) from None
        except smtplib.SMTPNotSupportedError as err:
            _close(smtp)
            raise ServerRefused(f"{where}: {err}", path=settings.path, line=settings.line) from None
        except PressctlError:
            _close(smtp)
            raise
        except (smtplib.SMTPException, OSError) as err:
            _close(smtp)
            if isinstance(err, smtplib.SMTPResponseException):  # e.g. a 421 greeting: busy, or too many at once
                why = _reply(err.smtp_code, err.smtp_error)
            else:
                why = getattr(err, "strerror", None) or str(err) or type(err).__name__
            raise DeliveryError(f"cannot reach the mail server {where}: {why}", path=settings.path,
                                line=settings.line) from None
        self.smtp = smtp
        return smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None

    def _rset(self) -> None:
        """After a refusal: ready the connection for the next message, or give it up."""
        try:
            assert self.smtp is not None
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()

    def drop(self) -> None:
        _close(self.smtp)
        self.smtp = None

    def deliver(self, sender: MailAddress, recipient: MailAddress, data: bytes,
                before_data: Callable[[], None], meanwhile: Callable[[], None] | None = None) -> Outcome:
        """One transaction. `before_data` runs (and records) just before the message may reach the server;
        `meanwhile` (which must not raise) runs while the server takes the message in, before its answer."""
        smtp = self.smtp or self.open()
        utf8 = recipient.needs_smtputf8 or sender.needs_smtputf8
        if utf8 and not smtp.has_extn("smtputf8"):
            return Outcome("failed", "the address has non-ASCII letters before the @, and the server does not offer "
                                     "SMTPUTF8, which it needs to deliver it")
        options = " SMTPUTF8" if utf8 else ""
        if not data.isascii() and smtp.has_extn("8bitmime"):
            options += " BODY=8BITMIME"
        stage = "before DATA"
        try:
            if utf8:
                smtp.command_encoding = "utf-8"
            # MAIL and RCPT as smtplib's mail() and rcpt() send them, without their parsing of an address
            # that is validated already (two parses of each message's addresses, some 25 µs)
            smtp.putcmd("mail", f"FROM:<{_envelope(sender)}>{options}")
            code, text = smtp.getreply()
            if code == 250:
                smtp.putcmd("rcpt", f"TO:<{_envelope(recipient)}>")
                code, text = smtp.getreply()
            if code not in (250, 251):
                self._rset()
                return Outcome(_state_for(code), _reply(code, text))
            before_data()
            smtp.putcmd("data")
            code, text = smtp.getreply()
            if code != 354:
                self._rset()
                return Outcome(_state_for(code), _reply(code, text))
            payload = _dot_stuffed(data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload + b".\r\n")
            stage = "after the message"
            if meanwhile is not None:
                meanwhile()
            code, text = smtp.getreply()
        except (smtplib.SMTPException, OSError) as err:
            self.drop()
            why = str(err) or type(err).__name__
            if stage == "after the message":
                return Outcome("unconfirmed", f"connection lost while waiting for the server's answer: {why}")
            return Outcome("deferred", f"connection lost {stage}: {why}")
        finally:
            if utf8 and self.smtp is not None:
                self.smtp.command_encoding = "ascii"
        if code == -1 or code == 421:
            self.drop()  # the server is closing the connection; the next message opens a new one
        return Outcome(_state_for(code) if code > 0 else "unconfirmed", _reply(code, text))


def _dot_stuffed(data: bytes) -> bytes:
    """Every line that starts with a dot gets one more (RFC 5321 4.5.2), so that none ends the data.
    bytes.replace, not a multi-line regex: a tenth of the time on a 15 KB message."""
    stuffed = data.replace(b"\n.", b"\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


def _envelope(address: MailAddress) -> str:
    return address.ascii or f"{address.local}@{address.ascii_domain}"


def _close(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()
