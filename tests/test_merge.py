"""Mail merge: one message per recipient, parsed back; skips counted; hostile names kept in their place."""

from __future__ import annotations

import email
import html
import mailbox
from email import policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.errors import InputError
from pressctl.release import load_release
from pressctl.render.merge import merge_messages, plan_merge

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


def parse(path: Path) -> email.message.EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message.defects == []
    return message  # type: ignore[return-value]


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


def test_merge_to_folder(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "--format", "eml", "--audience", "press-eu",
                                 "--audience", "labour-beat", "-o", "out"])
    assert result.exit_code == 0
    assert result.output == "Wrote 7 messages to out/ (7 en); skipped 1 (1 unsubscribed). Nothing was sent.\n"
    files = sorted(p.name for p in (workspace / "out").iterdir())
    assert files == ["ana-beatriz-souza.eml", "chan-sophea.eml", "femke-jansen.eml", "juergen-hoffmann.eml",
                     "marcus-reid.eml", "siobhan-gallagher.eml", "wanjiru-kamau.eml"]
    ids = set()
    for name in files:
        message = parse(workspace / "out" / name)
        contact = name.removesuffix(".eml")
        assert message["List-Unsubscribe"] == f"<https://example.org/press/unsubscribe?contact={contact}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
        ids.add(message["Message-ID"])
        html = message.get_body(("html",)).get_content()
        assert "<style" not in html and f"contact={contact}" in html
    assert len(ids) == len(files)
    femke = parse(workspace / "out" / "femke-jansen.eml")
    assert str(femke["To"]) == "Femke Jansen <femke.jansen@example.net>"
    assert text_of(femke).startswith("Beste Femke Jansen,\n\nEMBARGOED UNTIL")
    sophea = parse(workspace / "out" / "chan-sophea.eml")
    assert sophea["To"].addresses[0].display_name == "ចាន់ សុភា"
    assert "ជម្រាបសួរ ចាន់ សុភា" in sophea.get_body(("html",)).get_content()


def test_merge_is_reproducible(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    for folder in ("a", "b"):
        assert runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen,marcus-reid",
                                   "-o", folder]).exit_code == 0
    for name in ("femke-jansen.eml", "marcus-reid.eml"):
        assert (workspace / "a" / name).read_bytes() == (workspace / "b" / name).read_bytes()


def test_merge_to_mbox_and_skips(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace("    email: mreid", "    x-old-email: mreid"))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "camille-roux,marcus-reid,femke-jansen",
                                 "--mbox", "all.mbox"])
    assert result.exit_code == 0, result.output
    assert result.output == ("Wrote 1 message to all.mbox (1 en); skipped 2 (1 no email address, 1 unsubscribed). "
                             "Nothing was sent.\n")
    messages = list(mailbox.mbox(str(workspace / "all.mbox"), factory=None))
    assert [m["To"] for m in messages] == ["Femke Jansen <femke.jansen@example.net>"]


def test_names_with_quotes_and_commas(workspace: Path) -> None:
    book_path = workspace / "contacts.yaml"
    book_path.write_text(book_path.read_text().replace("name: Femke Jansen", 'name: \'Jansen, Femke "FJ" <x@evil>\''))
    release, book, config = load_release(EXAMPLE), open_book(book_path), load_config()
    plan = plan_merge(release, book, to=["femke-jansen"])
    [(_, data)] = list(merge_messages(release, book, config, plan.recipients))
    message = email.message_from_bytes(data, policy=policy.default)
    [address] = message["To"].addresses
    assert (address.display_name, address.addr_spec) == ('Jansen, Femke "FJ" <x@evil>', "femke.jansen@example.net")
    shown = message.get_body(("html",)).get_content()
    assert "<x@evil>" not in shown and "&lt;x@evil&gt;" in shown  # escaped, not a tag
    assert 'Jansen, Femke "FJ" <x@evil>,</p>' in html.unescape(shown)
    assert text_of(message).startswith('Beste Jansen, Femke "FJ" <x@evil>,\n')


def test_line_break_in_a_name_is_refused(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace("name: Femke Jansen", 'name: "Femke\\r\\nBcc: all@example.org"'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out"])
    assert result.exit_code == 1
    assert "contains a line break" in result.output
    assert not (workspace / "out").exists()  # nothing half-written, not even the folder


def test_unicode_line_separator_in_a_name_is_refused(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace("name: Femke Jansen", 'name: "Femke\\u2028Bcc: all@example.org"'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out"])
    assert result.exit_code == 1
    assert result.output.startswith("error: contact `femke-jansen`: the name or address 'Femke\\u2028Bcc: "
                                    "all@example.org' <femke.jansen@example.net> contains a line break or control "
                                    "character, U+2028 LINE SEPARATOR")
    assert not (workspace / "out").exists()


def test_template_using_recipient_in_a_condition(workspace: Path) -> None:
    """The fast path substitutes values; a template that tests them gets every message rendered in full."""
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.txt").write_text(
        '{% if recipient and recipient.language == "nl" %}Hallo{% else %}Hello{% endif %} {{ recipient.name }}\n')
    release, book, config = load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()
    plan = plan_merge(release, book, to=["femke-jansen", "marcus-reid"])
    texts = [text_of(email.message_from_bytes(data, policy=policy.default))  # type: ignore[arg-type]
             for _, data in merge_messages(release, book, config, plan.recipients)]
    assert texts == ["Hallo Femke Jansen\n", "Hello Marcus Reid\n"]


def test_user_template_branching_on_recipient_gets_each_recipients_branch(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """The first recipient's branch must not be reused for the others: user templates render every message."""
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace("    organisation: Het Havenblad\n", ""))
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.txt").write_text(
        "{% if recipient.organisation %}For the desk at {{ recipient.organisation }}.\n{% endif %}"
        '{% if recipient.language == "nl" %}Hallo{% else %}Hello{% endif %} {{ recipient.name }}\n')
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "marcus-reid,juergen-hoffmann,femke-jansen",
                                 "-o", "out"])
    assert result.exit_code == 0, result.output
    texts = [text_of(parse(workspace / "out" / f"{name}.eml")) for name in ("marcus-reid", "juergen-hoffmann",
                                                                             "femke-jansen")]
    assert texts == ["For the desk at Atlantic Labor Wire.\nHello Marcus Reid\n",
                     "For the desk at Häfen & Logistik.\nHello Jürgen Hoffmann\n", "Hallo Femke Jansen\n"]


def test_only_a_folder_that_overrides_a_builtin_template_counts_as_user_templates(tmp_path: Path) -> None:
    from pressctl.render.environment import builtin_only

    assert builtin_only(tmp_path)
    (tmp_path / "README.md").write_text("# Templates\n")  # what `pressctl init` makes
    assert builtin_only(tmp_path)
    (tmp_path / "email.html").write_text('{% extends "builtin/email.html" %}\n')
    assert not builtin_only(tmp_path)


def test_merge_refuses_a_folder_with_messages_it_would_not_replace(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """A stale <id>.eml from an earlier merge (a contact since unsubscribed) would be sent with the new ones."""
    merge = ["render", EXAMPLE, "-f", "eml", "-o", "out", "--to"]
    assert runner.invoke(app, [*merge, "femke-jansen,marcus-reid"]).exit_code == 0
    again = runner.invoke(app, [*merge, "femke-jansen,marcus-reid"])
    assert (again.exit_code, again.output) == (0, "Wrote 2 messages to out/ (2 en). Nothing was sent.\n")
    before = {p.name: p.read_bytes() for p in (workspace / "out").iterdir()}
    (workspace / "out" / "notes.txt").write_text("not a message\n")
    result = runner.invoke(app, [*merge, "femke-jansen"])
    assert (result.exit_code, result.output) == (
        2, "error: out: already holds marcus-reid.eml, which this merge would not replace; empty the folder or "
           "merge into a new one, so that no message from an earlier merge is sent by mistake\n")
    after = {p.name: p.read_bytes() for p in (workspace / "out").iterdir() if p.name != "notes.txt"}
    assert after == before


def test_extension_keys_reach_the_templates(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """SPEC §1: `x-…` keys are passed through to templates, on recipients, media contacts and speakers."""
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text().replace("    name: Marieke van Dijk\n",
                                             "    name: Marieke van Dijk\n    x-pronouns: she/her\n"))
    (workspace / "templates").mkdir()
    (workspace / "templates" / "release.txt").write_text(
        '{{ recipient.extensions.get("x-desk", "no desk") }}; {{ media_contacts[0].extensions["x-pronouns"] }}; '
        '{{ quotes[0].by.extensions["x-pronouns"] }}\n')
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "marcus-reid,femke-jansen", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert text_of(parse(workspace / "out" / "marcus-reid.eml")) == "Labor and workplace; she/her; she/her\n"
    assert text_of(parse(workspace / "out" / "femke-jansen.eml")) == "no desk; she/her; she/her\n"


def test_unknown_recipients_and_lists(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    release, book = load_release(EXAMPLE), open_book(Path("contacts.yaml"))
    with pytest.raises(InputError, match="no contact `femke-janssen`"):
        plan_merge(release, book, to=["femke-janssen"])
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--audience", "press-euro", "-o", "out"])
    assert (result.exit_code, result.output) == (
        1, "error: contacts.yaml: no contact is on the list `press-euro`\n  hint: did you mean `press-eu`?\n")
    usage = runner.invoke(app, ["render", EXAMPLE, "--audience", "press-eu", "-o", "out"])
    assert (usage.exit_code, usage.output) == (2, "error: --audience, --to and --mbox make e-mails: add --format eml\n")


def test_release_audience_is_the_default(workspace: Path) -> None:
    plan = plan_merge(load_release(EXAMPLE), open_book(Path("contacts.yaml")))
    assert len(plan.recipients) == 7 and plan.skipped == {"unsubscribed": 1}


def test_output_with_a_trailing_slash_is_a_folder_to_merge_into(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """`-o outbox/` means a folder even when it does not exist yet: not a file called `outbox`."""
    release = "releases/2024-06-26-three-port-wage-deal.md"
    result = runner.invoke(app, ["render", release, "--format", "eml", "-o", "outbox/"])
    assert result.exit_code == 0, result.output
    assert (workspace / "outbox").is_dir()
    assert sorted(p.name for p in (workspace / "outbox").iterdir()) == [
        "ana-beatriz-souza.eml", "chan-sophea.eml", "femke-jansen.eml", "juergen-hoffmann.eml",
        "marcus-reid.eml", "siobhan-gallagher.eml", "wanjiru-kamau.eml"]
    result = runner.invoke(app, ["render", release, "--format", "html", "-o", "outbox/"])
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_merge_into_a_folder_that_already_has_other_files_keeps_them(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    (workspace / "out").mkdir()
    (workspace / "out" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen,marcus-reid", "-o", "out"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (workspace / "out").iterdir()) == ["femke-jansen.eml", "marcus-reid.eml",
                                                                      "notes.txt"]
    assert (workspace / "out" / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert oct((workspace / "out").stat().st_mode & 0o777) == "0o755"


def test_a_new_folder_is_made_whole_and_readable(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "fresh/"])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (workspace / "fresh").iterdir()] == ["femke-jansen.eml"]
    assert (workspace / "fresh").stat().st_mode & 0o777 == 0o755
    assert [p.name for p in workspace.iterdir() if "pressctl-merge" in p.name] == []  # no staging left


@pytest.mark.parametrize(("https", "header", "one_click"), [
    (True, "<https://example.org/press/unsubscribe?contact=femke-jansen>, "
           "<mailto:press@example.org?subject=unsubscribe%20femke-jansen>", True),
    (False, "<mailto:press@example.org?subject=unsubscribe%20femke-jansen>", False),
])
def test_list_unsubscribe_carries_the_mailto_address_too(workspace: Path, runner, https: bool, header: str,  # type: ignore[no-untyped-def]
                                                         one_click: bool) -> None:
    config = workspace / "pressctl.toml"
    text = config.read_text().replace(
        "[email]\n", '[email]\nlist_unsubscribe_mailto = "mailto:press@example.org?subject=unsubscribe%20{id}"\n')
    if not https:
        text = "\n".join(line for line in text.splitlines() if not line.startswith("list_unsubscribe ="))
    config.write_text(text)
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out/"])
    assert result.exit_code == 0, result.output
    message = parse(workspace / "out" / "femke-jansen.eml")
    assert " ".join(str(message["List-Unsubscribe"]).split()) == header
    assert (message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click") is one_click
    raw = (workspace / "out" / "femke-jansen.eml").read_bytes()
    assert (b">,\r\n <mailto:" in raw) is https  # one address per (folded) line


def test_a_list_unsubscribe_mailto_that_is_not_mailto_is_refused(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace(
        "[email]\n", '[email]\nlist_unsubscribe_mailto = "https://example.org/unsubscribe"\n'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out/"])
    assert result.exit_code == 2
    assert "`email.list_unsubscribe_mailto` must be a mailto: address" in result.output
    assert not (workspace / "out").exists()


def test_an_mbox_merge_that_fails_half_way_leaves_the_old_mbox_whole(tmp_path: Path) -> None:
    from pressctl.render.merge import write_mbox

    mbox = tmp_path / "all.mbox"
    mbox.write_bytes(b"From old\r\nSubject: the old one\r\n\r\nold\r\n")

    def messages():  # type: ignore[no-untyped-def]
        yield "first", b"Subject: first\r\n\r\nfirst\r\n"
        raise InputError("the second message cannot be made")

    with pytest.raises(InputError):
        write_mbox(mbox, messages())
    assert mbox.read_bytes() == b"From old\r\nSubject: the old one\r\n\r\nold\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["all.mbox"]
    assert write_mbox(mbox, iter([("one", b"Subject: one\r\n\r\nbody\r\n")])) == 1
    assert [m["Subject"] for m in mailbox.mbox(str(mbox))] == ["one"]


def test_mbox_quotes_from_lines_and_keeps_a_lone_carriage_return(tmp_path: Path) -> None:
    """mboxrd: `From ` and `>From ` at a line start get one more `>`; CRLF becomes LF, and nothing else moves."""
    from pressctl.render.merge import write_mbox

    plain = (b"Subject: one\r\nDate: Tue, 25 Jun 2024 06:00:00 +0000\r\n\r\n"
             b"From the port\r\n>From here\r\nmid From x\r\n")
    lone = b"Subject: two\r\n\r\nquoted=\r\nprintable a\rb\r\n"
    mbox = tmp_path / "all.mbox"
    assert write_mbox(mbox, iter([("one", plain), ("two", lone)])) == 2
    assert mbox.read_bytes() == (
        b"From pressctl Tue Jun 25 06:00:00 2024\nSubject: one\nDate: Tue, 25 Jun 2024 06:00:00 +0000\n\n"
        b">From the port\n>>From here\nmid From x\n\n"
        b"From pressctl Thu Jan  1 00:00:00 1970\nSubject: two\n\nquoted=\nprintable a\rb\n\n")
    assert [m["Subject"] for m in mailbox.mbox(str(mbox))] == ["one", "two"]


def test_mbox_keeps_a_lone_carriage_return_beside_a_lone_line_feed(tmp_path: Path) -> None:
    """As many CRs as LFs is no proof that each CR ends a line: here one stands alone and so does one LF."""
    from pressctl.render.merge import write_mbox

    mbox = tmp_path / "all.mbox"
    write_mbox(mbox, iter([("one", b"Subject: one\r\n\r\na\rb\nc\r\n")]))
    assert mbox.read_bytes() == b"From pressctl Thu Jan  1 00:00:00 1970\nSubject: one\n\na\rb\nc\n\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"Date: ", b"Date:", b"X-Date: ", b"\r\n", b"\n", b"\r", b"From: a",
                                 b"Tue, 25 Jun 2024 06:00:00 +0000", b" ", b"D"]), max_size=12).map(b"".join))
def test_the_mbox_from_line_takes_the_first_date_line_as_a_multiline_pattern_would(head: bytes) -> None:
    """The From line's date is the value of the first line that starts with `Date: `, up to CR or LF."""
    import re

    from pressctl.render.merge import _date_of

    match = re.search(rb"^Date: ([^\r\n]*)", head, re.MULTILINE)
    assert _date_of(head) == (match.group(1) if match else b"")
