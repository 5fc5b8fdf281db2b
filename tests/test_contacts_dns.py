"""--check-deliverability against a real DNS server on loopback (dnslib), not a stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

dnslib = pytest.importorskip("dnslib")
dns_resolver = pytest.importorskip("dns.resolver")

from dnslib import MX, QTYPE, RR  # noqa: E402
from dnslib.server import BaseResolver, DNSServer  # noqa: E402

from pressctl.contacts.check import check_book  # noqa: E402
from pressctl.contacts.load import load_book  # noqa: E402


class Zone(BaseResolver):  # type: ignore[misc]
    """news.example has a mail server; closed.example says it takes no mail (null MX, RFC 7505);
    every other name does not exist."""

    def resolve(self, request, handler):  # type: ignore[no-untyped-def]
        reply = request.reply()
        name = str(request.q.qname).rstrip(".")
        if name == "news.example" and request.q.qtype == QTYPE.MX:
            reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX("mail.news.example", 10), ttl=60))
        elif name == "closed.example" and request.q.qtype == QTYPE.MX:
            reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX(".", 0), ttl=60))
        elif name not in ("news.example", "closed.example", "mail.news.example"):
            reply.header.rcode = dnslib.RCODE.NXDOMAIN
        return reply


@pytest.fixture
def resolver() -> Iterator[object]:
    server = DNSServer(Zone(), port=0, address="127.0.0.1")
    server.start_thread()
    try:
        port = server.server.server_address[1]
        resolver = dns_resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = port
        resolver.lifetime = 5
        yield resolver
    finally:
        server.stop()


def test_deliverability_reports_domains_without_mail(tmp_path: Path, resolver: object) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(
        "version: 1\ncontacts:\n"
        "  - {id: a, name: A, email: a@news.example}\n"
        "  - {id: b, name: B, email: b@closed.example}\n"
        "  - {id: c, name: C, email: c@gone.example}\n"
        "  - {id: d, name: D, email: d@gone.example}\n",
        encoding="utf-8",
    )
    found = check_book(load_book(path), deliverability=True, dns_resolver=resolver).findings
    assert [(f.code, f.contact, f.line) for f in found] == [
        ("E004", "b", 4), ("E004", "c", 5), ("E004", "d", 6)]
    assert "does not accept email" in found[0].message
    assert "does not exist" in found[1].message
    assert check_book(load_book(path)).findings == []  # no lookups unless asked
