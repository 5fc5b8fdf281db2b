"""A real SMTP server on loopback for the send tests and bench/send.py: aiosmtpd with STARTTLS or TLS,
AUTH, a certificate made here, and rules that refuse, defer, drop or stall chosen recipients; and a
real terminal (a pty) to answer pressctl's questions."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import select
import socket
import ssl
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "press@example.org"
PASSWORD = "correct horse battery staple"


def make_certificates(folder: Path, *, name: str = "Test CA") -> tuple[Path, Path, Path]:
    """A CA and a certificate for 127.0.0.1 and localhost signed by it: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class Mailbox:
    """The server's own record, and what it should do for which recipient."""

    received: list[tuple[str, bytes]] = field(default_factory=list)  # (recipient, message) per accepted message
    rules: dict[str, str] = field(default_factory=dict)  # recipient -> "451", "550", "drop" or "stall"
    keep_content: bool = True
    connections: int = 0  # EHLOs seen: a new connection, or STARTTLS on one (which says EHLO again)
    at_once: int | None = None  # connections taken at once; one more is greeted with 421 and closed
    open_now: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[bytes]:
        with self.lock:
            return [data for rcpt, data in self.received if rcpt == address]

    def recipients(self) -> list[str]:
        with self.lock:
            return [rcpt for rcpt, _ in self.received]

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        self.connections += 1
        return responses

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        rule = self.rules.get(address)
        if rule == "451":
            return "451 4.7.1 Greylisted, try again later"
        if rule == "550":
            return "550 5.1.1 No such user here"
        if rule == "stall":
            await asyncio.sleep(30)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rcpt = envelope.rcpt_tos[0]
        if self.rules.get(rcpt) == "drop":
            assert server.transport is not None
            server.transport.close()  # the message arrived whole, and the answer never leaves
            return "250 OK"
        content = envelope.original_content or b"" if self.keep_content else b""
        with self.lock:
            self.received.append((rcpt, content if isinstance(content, bytes) else content.encode()))
        return "250 2.0.0 OK queued"


class _Session(SMTP):
    """aiosmtpd's SMTP protocol, which refuses a connection beyond the mailbox's `at_once` as a server
    that limits connections per sender does: a 421 greeting, then the connection closed."""

    def __init__(self, mailbox: Mailbox, *args: Any, **kwargs: Any) -> None:
        super().__init__(mailbox, *args, **kwargs)
        self.mailbox = mailbox
        self.counted = False

    async def _handle_client(self) -> None:  # once per connection (STARTTLS does not come here again)
        box = self.mailbox
        box.open_now += 1
        self.counted = True
        if box.at_once is not None and box.open_now > box.at_once:
            await self.push("421 4.7.0 Too many connections from you at once")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()

    def connection_lost(self, error: Exception | None) -> None:
        if self.counted:
            self.mailbox.open_now -= 1
            self.counted = False
        super().connection_lost(error)


def _authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and data.login.decode() == USER and data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Controller(Controller):
    def __init__(self, mailbox: Mailbox, port: int, *, security: str, certs: tuple[Path, Path, Path] | None,
                 auth: bool, smtputf8: bool, starttls_offered: bool) -> None:
        self.tls_context: ssl.SSLContext | None = None
        if certs:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_context.load_cert_chain(certs[1], certs[2])
        self.security, self.auth, self.smtputf8, self.starttls_offered = security, auth, smtputf8, starttls_offered
        super().__init__(mailbox, hostname="127.0.0.1", port=port,
                         ssl_context=self.tls_context if security == "tls" else None,
                         server_hostname="localhost")

    def factory(self) -> SMTP:
        starttls = self.security == "starttls" and self.starttls_offered
        with warnings.catch_warnings():  # AUTH without STARTTLS is right for implicit TLS, which aiosmtpd cannot see
            warnings.simplefilter("ignore", UserWarning)
            return _Session(self.handler, enable_SMTPUTF8=self.smtputf8, decode_data=False,
                        tls_context=self.tls_context if starttls else None, require_starttls=starttls,
                        authenticator=_authenticate if self.auth else None,
                        auth_require_tls=self.security == "starttls", auth_required=self.auth, hostname="mx.test")


@contextmanager
def smtp_server(*, security: str = "none", certs: tuple[Path, Path, Path] | None = None, auth: bool = False,
                smtputf8: bool = True, starttls_offered: bool = True, keep_content: bool = True
                ) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox(keep_content=keep_content)
    controller = _Controller(mailbox, free_port(), security=security, certs=certs, auth=auth, smtputf8=smtputf8,
                             starttls_offered=starttls_offered)
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


def smtp_table(port: int, *, security: str = "none", ca_file: Path | None = None, auth: bool = False,
               extra: str = "") -> str:
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", f'security = "{security}"', "timeout = 5",
             "retries = 1", "retry_wait = 0.2"]
    if ca_file:
        lines.append(f'ca_file = "{ca_file}"')
    if auth:
        lines += [f'username = "{USER}"', 'password_env = "PRESSCTL_TEST_SMTP_PASSWORD"']
    return "\n".join(lines) + "\n" + extra


def on_a_terminal(args: list[str], folder: Path, answer: bytes) -> tuple[int, str]:
    """Run pressctl with a pty as its terminal, answering each of its questions."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the terminal is its stdin, stdout and stderr
        os.chdir(folder)
        os.execv(sys.executable, [sys.executable, "-m", "pressctl", *args])
    output, answered = b"", 0
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        if output.count(b"[y/N]") > answered:  # every question gets the same answer
            os.write(fd, answer)
            answered += 1
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")
