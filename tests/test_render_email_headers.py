"""E-mail headers beyond ASCII and against hostile values: RFC 2047 subjects and names, IDNA 2008 domains,
SMTPUTF8 refused, encoded words and control characters neutralised. Every message is parsed back with the
standard library's `email` package (policy.default)."""

from __future__ import annotations

import dataclasses
import email
import email.header
import json
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from conftest import GOLDEN, UPDATE_GOLDEN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.config import Sender, load_config
from pressctl.contacts.load import open_book
from pressctl.errors import InputError, UsageError
from pressctl.release import line_break_in, load_release
from pressctl.render import render_email, subject_for
from pressctl.render.email import address_header, envelope, message_bytes

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
FROZEN = "1719295200"

# One release per script: headline, the sender's name in that language, and the recipient it is merged to.
HEADLINES = {
    "fr": ("Les dockers de trois pays obtiennent leur premier accord salarial commun : « une journée historique »",
           "Bureau de presse de l’Alliance", "ana-beatriz-souza"),
    "de": ("Hafenarbeiter in drei Ländern erkämpfen erstmals einen gemeinsamen Tarifvertrag – Löhne steigen um 11 %",
           "Pressestelle Hafenarbeiter", "juergen-hoffmann"),
    "km": ("កម្មករផែនៅបីប្រទេសទទួលបានកិច្ចព្រមព្រៀងប្រាក់ឈ្នួលរួមលើកដំបូងជាមួយ Meridian Terminals",
           "ការិយាល័យព័ត៌មាន", "chan-sophea"),
    "ar": ("عمال الموانئ في ثلاث دول يحصلون على أول اتفاق مشترك للأجور مع ميريديان", "المكتب الصحفي",
           "siobhan-gallagher"),
    "vi": ("Công nhân cảng ở ba nước giành được thỏa thuận tiền lương chung đầu tiên với Meridian Terminals",
           "Văn phòng báo chí", "femke-jansen"),
}


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FROZEN)


def write_release(workspace: Path, name: str, **front: str) -> str:
    """A copy of the example release with some front-matter values replaced."""
    text = (workspace / EXAMPLE).read_text(encoding="utf-8")
    for key, value in front.items():
        text, count = re.subn(rf"(?m)^{key}: .*$", lambda _, k=key, v=value: f"{k}: {json.dumps(v)}", text)
        assert count == 1, key
    path = f"releases/{name}.md"
    (workspace / path).write_text(text, encoding="utf-8")
    return path


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert message.defects == []
    return message  # type: ignore[return-value]


def header_lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def assert_clean_header(data: bytes) -> None:
    """ASCII only, each continuation line folded with white space, within 998 octets (RFC 5322), and the
    lines of From, To and Subject within 78 (only an unbreakable URL or boundary may pass that)."""
    lines = header_lines(data)
    assert all(line.isascii() and len(line) <= 998 for line in lines)
    assert all(line[:1] in (b" ", b"\t") or re.match(rb"[A-Za-z-]+: ", line) for line in lines)
    field = ""
    for line in lines:
        field = field if line[:1] == b" " else line.split(b":", 1)[0].decode()
        if field in ("From", "To", "Subject"):
            assert len(line) <= 78, line


def field_names(data: bytes) -> list[str]:
    return [line.split(b":", 1)[0].decode() for line in header_lines(data) if line[:1] not in (b" ", b"\t")]


def raw_value(message: EmailMessage, field: str) -> str:
    """The field as written, unfolded."""
    return re.sub(r"\r?\n", "", next(value for name, value in message.raw_items() if name == field))


def rfc2047_display_name(message: EmailMessage, field: str) -> str:
    """The display name as RFC 2047 §6.2 reads it: white space between two encoded words is no part of the
    text. Python 3.11's policy.default keeps it in address headers (CPython gh-128110), so names that need
    more than one encoded word are checked with the older decoder, which follows the RFC."""
    raw = raw_value(message, field)
    phrase = raw.rsplit(" <", 1)[0].strip() if raw.endswith(">") else ""
    if phrase.startswith('"'):
        return re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return str(email.header.make_header(email.header.decode_header(phrase)))


def assert_display_name(message: EmailMessage, field: str, expected: str) -> None:
    """The field's one display name decodes to `expected`: exactly under RFC 2047, and under policy.default
    too unless it spans several encoded words, where gh-128110 adds spaces (and only spaces)."""
    (address,) = message[field].addresses
    assert rfc2047_display_name(message, field) == expected
    if raw_value(message, field).count("=?") <= 1:
        assert address.display_name == expected
    else:
        assert address.display_name.replace(" ", "") == expected.replace(" ", "")


@pytest.mark.parametrize("language", sorted(HEADLINES))
def test_golden_merged_messages_in_five_scripts(workspace: Path, runner, language: str) -> None:  # type: ignore[no-untyped-def]
    headline, sender_name, recipient = HEADLINES[language]
    path = write_release(workspace, f"headline-{language}", headline=headline, language=language)
    sender = f"{sender_name} <press@bücher.de>"
    result = runner.invoke(app, ["render", path, "-f", "eml", "--to", recipient, "--from", sender, "-o", "out"])
    assert result.exit_code == 0, result.output
    data = (workspace / "out" / f"{recipient}.eml").read_bytes()
    golden = GOLDEN / "render" / f"merged-{language}.eml"
    if UPDATE_GOLDEN:
        golden.write_bytes(data)
    assert data == golden.read_bytes(), f"{golden.name} differs; UPDATE_GOLDEN=1 rewrites it"

    assert_clean_header(data)
    message = parse(data)
    release = load_release(path)
    assert str(message["Subject"]) == subject_for(release) and headline in str(message["Subject"])
    assert message["From"].addresses[0].addr_spec == "press@xn--bcher-kva.de"
    assert_display_name(message, "From", sender_name)
    assert_display_name(message, "To", open_book(Path("contacts.yaml")).by_id()[recipient].name)
    assert message["Message-ID"].endswith("@xn--bcher-kva.de>")
    assert headline in message.get_body(("plain",)).get_content().replace("\r\n", " ")  # type: ignore[union-attr]
    assert "<h1" in message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert headline in message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def test_single_message_with_a_non_ascii_headline(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """`Café` made `render -f eml` fail with UnicodeEncodeError."""
    path = write_release(workspace, "cafe", headline="Café")
    result = runner.invoke(app, ["render", path, "-f", "eml", "-o", "one.eml"])
    assert (result.exit_code, result.output) == (0, "")
    data = (workspace / "one.eml").read_bytes()
    assert b"Subject: [EMBARGOED] =?utf-8?q?Caf=C3=A9?=\r\n" in data
    assert str(parse(data)["Subject"]) == "[EMBARGOED] Café"
    assert_clean_header(data)


def test_recipient_domains_go_out_as_idna_2008_a_labels(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("siobhan.gallagher@example.com", "siobhan@straße.de"),
                    encoding="utf-8")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "juergen-hoffmann,siobhan-gallagher",
                                 "-o", "out"])
    assert result.exit_code == 0, result.output
    juergen = parse((workspace / "out" / "juergen-hoffmann.eml").read_bytes())
    assert juergen["To"].addresses[0].addr_spec == "j.hoffmann@xn--hfen-loa.example"
    assert juergen["To"].addresses[0].display_name == "Jürgen Hoffmann"
    # IDNA 2003 (Python's `idna` codec) would write strasse.de: another domain, another owner.
    siobhan = parse((workspace / "out" / "siobhan-gallagher.eml").read_bytes())
    assert siobhan["To"].addresses[0].addr_spec == "siobhan@xn--strae-oqa.de"


def test_a_non_ascii_local_part_is_refused_per_recipient(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("j.hoffmann@häfen.example", "jürgen@bücher.de"),
                    encoding="utf-8")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen,juergen-hoffmann",
                                 "-o", "out"])
    assert result.exit_code == 1
    assert result.output == (
        "error: contact `juergen-hoffmann`: the address jürgen@bücher.de has a non-ASCII local part, which only "
        "SMTPUTF8 mail can carry; an .eml file or mbox for ordinary mail programs cannot\n"
        "  hint: give an ASCII address (the domain may stay international), or leave the contact out of this "
        "merge\n")
    assert not (workspace / "out").exists()


@pytest.mark.parametrize(("sender", "where", "expected"), [
    ("Presse <prés@bücher.de>", ["--from", "Presse <prés@bücher.de>"],
     "error: --from: the address prés@bücher.de has a non-ASCII local part"),
    ("", [], "error: pressctl.toml: `sender.email`: the address prés@bücher.de has a non-ASCII local part"),
])
def test_a_non_ascii_sender_local_part_is_a_usage_error(workspace: Path, runner, sender: str, where: list[str],  # type: ignore[no-untyped-def]
                                                        expected: str) -> None:
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('email = "press@example.org"', 'email = "prés@bücher.de"'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", *where, "-o", "one.eml"])
    assert result.exit_code == 2
    assert result.output.startswith(expected)
    assert not (workspace / "one.eml").exists()


def test_an_idn_sender_and_a_non_ascii_display_name(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('email = "press@example.org"', 'email = "press@bücher.de"')
                      .replace('name = "Harbour Workers Alliance Press Office"', 'name = "Büro für Presse, „HWA“"'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "chan-sophea", "--mbox", "all.mbox"])
    assert result.exit_code == 0, result.output
    data = (workspace / "all.mbox").read_bytes().split(b"\n", 1)[1].replace(b"\n", b"\r\n")
    message = parse(data)
    assert (message["From"].addresses[0].display_name, message["From"].addresses[0].addr_spec) == (
        "Büro für Presse, „HWA“", "press@xn--bcher-kva.de")
    assert message["To"].addresses[0].display_name == "ចាន់ សុភា"


def test_an_encoded_word_in_a_headline_is_shown_as_written_never_decoded(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """A headline that spells an encoded word decoding to CR LF was copied raw into Subject: a reader's
    mail program decoded it into a line break and a Bcc: line."""
    headline = "=?utf-8?q?Deal=0D=0ABcc:_evil@example.net?="
    path = write_release(workspace, "encoded", headline=headline)
    result = runner.invoke(app, ["render", path, "-f", "eml", "--to", "femke-jansen", "-o", "out"])
    assert result.exit_code == 0, result.output
    data = (workspace / "out" / "femke-jansen.eml").read_bytes()
    message = parse(data)
    assert str(message["Subject"]) == f"[EMBARGOED] {headline}"
    assert "\r" not in str(message["Subject"]) and "Bcc" not in message
    # Decoded once, the subject is the text as written; the older decoder agrees.
    subject = raw_value(message, "Subject")
    assert str(email.header.make_header(email.header.decode_header(subject))) == f"[EMBARGOED] {headline}"
    assert_clean_header(data)


@pytest.mark.parametrize("value", ["mailto:press@example.org?subject=unsubscribe\\u0000{id}",
                                   "mailto:press@example.org?subject=unsub\\tscribe"])
def test_a_control_character_in_the_unsubscribe_address_never_reaches_a_header(workspace: Path, runner,  # type: ignore[no-untyped-def]
                                                                               value: str) -> None:
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace(
        '# list_unsubscribe_mailto = "mailto:press@example.org?subject=unsubscribe%20{id}"',
        f'list_unsubscribe_mailto = "{value}"'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out"])
    assert result.exit_code == 2
    # pressctl.toml refuses it at its line when it is read, before any header is built.
    assert result.output.startswith("error: pressctl.toml:")
    assert "`email.list_unsubscribe_mailto` holds" in result.output and "it must be one line of text" in result.output
    assert not (workspace / "out").exists()


def test_the_mailto_unsubscribe_goes_out_beside_the_url(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().replace('# list_unsubscribe_mailto = "', 'list_unsubscribe_mailto = "'))
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "-o", "out"])
    assert result.exit_code == 0, result.output
    message = parse((workspace / "out" / "femke-jansen.eml").read_bytes())
    assert str(message["List-Unsubscribe"]).split(", ") == [
        "<https://example.org/press/unsubscribe?contact=femke-jansen>",
        "<mailto:press@example.org?subject=unsubscribe%20femke-jansen>"]


# --- Properties: any text in a headline or a name ------------------------------------------------------

# Any character a headline or name may hold: line breaks and control characters are refused (tested above
# and in test_render.py), so they are left out here; surrogates cannot be encoded at all.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=160)
KNOWN_FIELDS = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Language",
                "List-Unsubscribe", "List-Unsubscribe-Post", "Content-Type"]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from conftest import REPO

    release = load_release(REPO / EXAMPLE)
    return dataclasses.replace(release, embargo=None), load_config(REPO / "pressctl.toml")


def _message(release, config, *, headline: str, name: str = "Femke Jansen") -> bytes:  # type: ignore[no-untyped-def]
    env = envelope(dataclasses.replace(release, headline=headline), config, None)
    to = address_header(name, "femke.jansen@example.net", contact="femke-jansen")
    return message_bytes(env, text="Hello.\n", html="<p>Hello.</p>\n", to=to, key="femke-jansen",
                         unsubscribe=("https://example.org/u?c=femke-jansen",))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(headline=TEXT)
def test_any_headline_round_trips_and_never_adds_a_header(example, headline: str) -> None:  # type: ignore[no-untyped-def]
    release, config = example
    if line_break_in(headline):
        with pytest.raises(InputError, match="could add a mail header"):
            _message(release, config, headline=headline)
        return
    data = _message(release, config, headline=headline)
    assert field_names(data) == KNOWN_FIELDS
    assert_clean_header(data)
    assert str(parse(data)["Subject"]) == headline


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=TEXT)
def test_any_display_name_round_trips_and_never_adds_a_header_or_recipient(example, name: str) -> None:  # type: ignore[no-untyped-def]
    release, config = example
    if line_break_in(name):
        with pytest.raises(InputError, match="could add a mail header"):
            _message(release, config, headline="Deal", name=name)
        return
    # The same name as the sender's, from pressctl.toml, and as the recipient's.
    config = dataclasses.replace(config, sender=Sender(name=name, email="press@bücher.de"))
    data = _message(release, config, headline="Deal", name=name)
    assert field_names(data) == KNOWN_FIELDS
    assert_clean_header(data)
    message = parse(data)
    (reader,) = message["To"].addresses
    (author,) = message["From"].addresses
    assert (reader.addr_spec, author.addr_spec) == ("femke.jansen@example.net", "press@xn--bcher-kva.de")
    shown = " ".join(name.split())  # runs of white space read as one space (RFC 5322 §3.2.2)
    assert_display_name(message, "To", shown)
    assert_display_name(message, "From", shown)


def test_a_long_name_is_folded_into_encoded_words_that_never_split_a_character_cluster(example) -> None:  # type: ignore[no-untyped-def]
    import unicodedata

    release, config = example
    name = "សម្ព័ន្ធកម្មករកំពង់ផែ និងអ្នកដឹកជញ្ជូនកម្ពុជា"
    data = _message(release, config, headline="Deal", name=name)
    assert_clean_header(data)
    message = parse(data)
    words = re.findall(r"=\?utf-8\?[bq]\?[^?]*\?=", raw_value(message, "To"))
    assert len(words) >= 2
    pieces = [str(email.header.make_header(email.header.decode_header(word))) for word in words]
    assert "".join(pieces) == name == rfc2047_display_name(message, "To")
    # A subscript consonant or vowel sign opens no encoded word: it stays with the letter it belongs to.
    assert not [piece for piece in pieces if unicodedata.category(piece[0]).startswith("M")]


def test_render_email_api_takes_a_unicode_sender(workspace: Path) -> None:
    release, book, config = load_release(EXAMPLE), open_book(Path("contacts.yaml")), load_config()
    data = render_email(release, book, config, sender="Sophal Méas <presse@häfen.example>")
    (author,) = parse(data)["From"].addresses
    assert (author.display_name, author.addr_spec) == ("Sophal Méas", "presse@xn--hfen-loa.example")
    with pytest.raises(UsageError, match=re.escape("--from 'a@x.org>, <evil@y.org' is not one address")):
        render_email(release, book, config, sender="a@x.org>, <evil@y.org")


def test_an_encoded_word_in_a_name_is_shown_as_written(example) -> None:  # type: ignore[no-untyped-def]
    release, config = example
    name = "=?utf-8?q?Femke=0D=0ABcc:_evil@example.net?="
    data = _message(release, config, headline="Deal", name=name)
    message = parse(data)
    assert field_names(data) == KNOWN_FIELDS and "Bcc" not in message
    assert_display_name(message, "To", name)


ATEXT = "ABCXYZabcxyz0189!#$%&'*+/=?^_`{|}~-"


@settings(max_examples=500, deadline=None)
@given(words=st.lists(st.text(st.sampled_from(ATEXT), min_size=1, max_size=70), min_size=1, max_size=6),
       local=st.text(st.sampled_from("abcxyz.-"), min_size=1, max_size=50).filter(lambda s: s[0] != "."))
def test_the_one_line_mailbox_is_what_folding_makes(words: list[str], local: str) -> None:
    """mailbox() writes a name of plain words that fits on the line directly; the folding makes the same line."""
    from pressctl.render.headers import folded_mailbox, mailbox

    name, address = " ".join(words), f"{local}@example.org"
    for field in ("To", "From"):
        assert mailbox(field, name, address) == folded_mailbox(field, name, address)
