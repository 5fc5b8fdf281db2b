"""Who receives a release: validated addresses only, unsubscribed per address, every skip counted by reason."""

from __future__ import annotations

import csv
import email
import io
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.errors import InputError
from pressctl.export.contacts import Selection, export_contacts
from pressctl.recipients import UnsubscribedAddresses, choose_recipients
from pressctl.release import load_release
from pressctl.render.merge import merge_messages, messages, plan_merge

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
FEMKE = "femke.jansen@example.net"


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


def add_contacts(workspace: Path, yaml: str) -> None:
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "\n" + yaml, encoding="utf-8")


def to_addresses(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found += [address.addr_spec for address in message["To"].addresses]
    return found


def test_an_invalid_address_never_reaches_to_and_is_counted(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """`a@x.org>, <evil@y.org` is one invalid address, not two recipients."""
    add_contacts(workspace, '  - id: hidden-recipient\n    name: Hidden\n    email: "a@x.org>, <evil@y.org"\n'
                            "    lists: [press-eu]\n"
                            "  - id: spaced\n    name: Spaced\n    email: ' spaced@example.org'\n"
                            "    lists: [press-eu]\n")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--audience", "press-eu", "-o", "out/"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Wrote 3 messages to out/ (3 en); skipped 3 (2 invalid email address, 1 unsubscribed). "
                             "Nothing was sent.\n")
    addresses = to_addresses(workspace / "out")
    assert "evil@y.org" not in addresses and "a@x.org" not in addresses and len(addresses) == 3
    assert not (workspace / "out" / "hidden-recipient.eml").exists()


def test_unsubscribed_is_per_address_in_merge_and_export(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """Another contact with Femke's address, in other letter case, has unsubscribed: Femke gets nothing either."""
    add_contacts(workspace, "  - id: femke-twin\n    name: Femke (old entry)\n    email: Femke.Jansen@EXAMPLE.net\n"
                            "    unsubscribed: 2024-05-01\n")
    release, book = load_release(EXAMPLE), open_book(Path("contacts.yaml"))
    plan = choose_recipients(release, book, to=["femke-jansen", "marcus-reid"])
    assert [r.id for r in plan.recipients] == ["marcus-reid"]
    assert plan.skipped == {"same address as an unsubscribed contact": 1}
    for target in ("csv", "mailchimp", "brevo", "vcard", "json"):
        exported = export_contacts(book, target).data.decode("utf-8-sig")
        assert FEMKE not in exported.lower(), target
        assert "mreid@example.com" in exported, target
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "--mbox", "all.mbox"])
    assert (result.exit_code, result.output) == (
        0, "Wrote 0 messages to all.mbox; skipped 1 (1 same address as an unsubscribed contact). Nothing was sent.\n")


def _case_variants() -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(FEMKE), max_size=len(FEMKE)).map(
        lambda flips: "".join(c.upper() if flip else c for c, flip in zip(FEMKE, flips, strict=True)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(written=_case_variants(), unsubscribed_first=st.booleans())
def test_no_letter_case_of_an_unsubscribed_address_gets_through(workspace: Path, written: str,
                                                                unsubscribed_first: bool) -> None:
    twin = f"  - id: femke-twin\n    name: Twin\n    email: {written}\n    lists: [press-eu]\n    unsubscribed: true\n"
    text = Path(workspace / "contacts.yaml").read_text(encoding="utf-8")
    if unsubscribed_first:  # the unsubscribed entry before or after the subscribed one in the book
        text = text.replace("  - id: femke-jansen\n", twin + "\n  - id: femke-jansen\n")
    else:
        text += "\n" + twin
    (workspace / "book.yaml").write_text(text, encoding="utf-8")
    book = open_book(workspace / "book.yaml")
    plan = choose_recipients(load_release(EXAMPLE), book, audience=["press-eu"])
    assert all(r.address.key != FEMKE for r in plan.recipients)
    assert all(row["email"].lower() != FEMKE for row in csv.DictReader(
        io.StringIO(export_contacts(book, "csv", Selection(lists=("press-eu",))).data.decode("utf-8-sig"))))


def test_unsubscribed_addresses_match_normalised_forms() -> None:
    from pressctl.contacts.model import Contact

    gone = UnsubscribedAddresses([Contact(0, "a", "A", email="J.Hoffmann@HÄFEN.example", unsubscribed=True),
                                  Contact(1, "b", "B", email="not an address ", unsubscribed=True)])
    assert "j.hoffmann@häfen.example" in gone
    assert "J.HOFFMANN@xn--hfen-loa.example" in gone  # the A-label of the same domain
    assert "Not An Address" in gone  # an unusable address still shuts that text out
    assert "j.hoffmann@hafen.example" not in gone and None not in gone


def test_repeated_addresses_are_merged_once_and_idn_addresses_are_normalised(workspace: Path) -> None:
    add_contacts(workspace, "  - id: juergen-again\n    name: J. Hoffmann\n    email: J.Hoffmann@HÄFEN.example\n"
                            "    lists: [press-eu]\n"
                            "  - id: no-address\n    name: Nobody\n    lists: [press-eu]\n")
    plan = choose_recipients(load_release(EXAMPLE), open_book(Path("contacts.yaml")), audience=["press-eu"])
    assert plan.skipped == {"same address as an earlier recipient": 1, "no email address": 1, "unsubscribed": 1}
    [juergen] = [r for r in plan.recipients if r.id == "juergen-hoffmann"]
    assert (juergen.address.normalised, juergen.address.ascii) == ("j.hoffmann@häfen.example",
                                                                   "j.hoffmann@xn--hfen-loa.example")


def test_the_api_send_uses_and_the_older_names(workspace: Path) -> None:
    """choose_recipients() + messages() give (Recipient, bytes); plan_merge()/merge_messages() still work."""
    release, book, config = load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()
    plan = choose_recipients(release, book, to=["marcus-reid", "femke-jansen"])
    made = list(messages(release, book, config, plan))
    assert [(r.id, r.address.normalised) for r, _ in made] == [("marcus-reid", "mreid@example.com"),
                                                                ("femke-jansen", FEMKE)]
    old = plan_merge(release, book, to=["marcus-reid", "femke-jansen"])
    assert [c.id for c in old.recipients] == ["marcus-reid", "femke-jansen"] and old.skipped == plan.skipped
    assert list(merge_messages(release, book, config, old.recipients)) == [(r.id, data) for r, data in made]


def test_the_older_api_refuses_a_contact_with_an_invalid_address(workspace: Path) -> None:
    add_contacts(workspace, '  - id: hidden-recipient\n    name: Hidden\n    email: "a@x.org>, <evil@y.org"\n')
    release, book, config = load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()
    hidden = [c for c in book.contacts if c.id == "hidden-recipient"]
    with pytest.raises(InputError, match=r"contact `hidden-recipient`: .* is not a valid e-mail address"):
        list(merge_messages(release, book, config, hidden))
