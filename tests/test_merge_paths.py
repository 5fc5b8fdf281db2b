"""A merge does its per-release work once, and its placeholder path makes messages that read exactly as the plain
path's, the same wherever their recipient stands in the merge."""

from __future__ import annotations

import email
import html
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.contacts.model import ContactBook
from pressctl.recipients import choose_recipients
from pressctl.release import load_release
from pressctl.render import markdown
from pressctl.render.merge import messages
from pressctl.render.placeholders import prints_recipient_only

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"

BRANDED_EMAIL = """{% extends "builtin/email.html" %}
{% block style %}{{ super() }}<style>.masthead { background: #0b3d5c; color: #fff; }</style>{% endblock %}
{% block before %}<div class="masthead">Harbour Workers Alliance</div>{{ super() }}{% endblock %}
{% block after %}{{ super() }}<p>Sent to {{ recipient.email }} ({{ recipient.name }}).</p>{% endblock %}
"""
BRANDED_TEXT = """{% extends "builtin/release.txt" %}
{% block footer %}{{ super() }}
Harbour Workers Alliance · sent to {{ recipient.name }} <{{ recipient.email }}>
{% endblock %}
"""
# Output unchanged, but a test on the recipient, which no placeholder can stand for: the plain path.
PLAIN_TEXT = BRANDED_TEXT.replace("{% block footer %}",
                                  "{% block footer %}{% if recipient.name is string %}{% endif %}")


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


def templates(folder: Path, email_html: str, release_txt: str) -> Path:
    folder.mkdir()
    (folder / "email.html").write_text(email_html, encoding="utf-8")
    (folder / "release.txt").write_text(release_txt, encoding="utf-8")
    return folder


def book_of(workspace: Path, names: list[str]) -> Path:
    text = (workspace / "contacts.yaml").read_text(encoding="utf-8")
    for n, name in enumerate(names):
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        text += f'\n  - id: reader-{n}\n    name: "{quoted}"\n    email: reader{n}@example.org\n    lists: [readers]\n'
    path = workspace / f"book-{len(names)}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("source", [
    BRANDED_EMAIL,
    '{% extends "builtin/email.html" %}{% block after %}{% if unsubscribe_url %}x{% endif %}{% endblock %}',
    "{% for q in quotes %}{{ greeting }} {{ q.text }}{% endfor %}",
])
def test_templates_that_only_print_the_recipient_take_the_placeholder_path(tmp_path: Path, source: str) -> None:
    assert prints_recipient_only(templates(tmp_path / "t", source, BRANDED_TEXT))


@pytest.mark.parametrize("source", [
    '{% if recipient.language == "nl" %}Hallo{% endif %}',
    "{% if recipient.organisation %}{{ recipient.organisation }}{% endif %}",
    "{{ recipient.name|upper }}",
    "{{ greeting ~ '!' }}",
    "{{ recipient['name'] }}",
    "{{ recipient.extensions.get('x-desk') }}",
    "{% set who = recipient.name %}{{ who }}",
    "{% filter upper %}{{ greeting }}{% endfilter %}",
    "{% set block_text %}{{ greeting }}{% endset %}{{ block_text|length }}",
    "{% autoescape false %}{{ greeting }}{% endautoescape %}",
    "{% macro hello() %}{{ greeting }}{% endmacro %}{{ hello()|upper }}",
    '{% extends "builtin/email.html" %}{% block before %}{{ super()|upper }}{% endblock %}',
    "{% include template_name %}",
    '{% include "extra.html" %}',  # which branches on the recipient
    "{{ self._TemplateReference__context.recipient }}",
])
def test_any_other_use_of_the_recipient_takes_the_plain_path(tmp_path: Path, source: str) -> None:
    folder = templates(tmp_path / "t", source, BRANDED_TEXT)
    (folder / "extra.html").write_text("{% if recipient.role %}{{ recipient.role }}{% endif %}", encoding="utf-8")
    assert not prints_recipient_only(folder)
    assert not prints_recipient_only(templates(tmp_path / "u", BRANDED_EMAIL, source))


def test_the_built_in_templates_take_the_placeholder_path() -> None:
    assert prints_recipient_only(None)


@pytest.mark.parametrize("text", [BRANDED_TEXT, PLAIN_TEXT], ids=["placeholder path", "plain path"])
def test_the_release_is_prepared_once_per_merge_not_per_recipient(workspace: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 text: str) -> None:
    """#8.2: by_id() and the Markdown were redone for every message (quadratic in the book), and the plain path
    looked its templates up again for each one."""
    from pressctl.render import document

    folder = templates(workspace / "t", BRANDED_EMAIL, text)
    calls = {"by_id": 0, "markdown": 0, "compile": 0}
    by_id, to_html, compile_template = ContactBook.by_id, markdown.to_html, document.compile_template

    def counted_compile(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["compile"] += 1
        return compile_template(*args, **kwargs)

    def counted_by_id(self: ContactBook) -> dict:  # type: ignore[type-arg]
        calls["by_id"] += 1
        return by_id(self)

    def counted_to_html(*args, **kwargs) -> str:  # type: ignore[no-untyped-def]
        calls["markdown"] += 1
        return to_html(*args, **kwargs)

    monkeypatch.setattr(ContactBook, "by_id", counted_by_id)
    monkeypatch.setattr(markdown, "to_html", counted_to_html)
    monkeypatch.setattr(document, "compile_template", counted_compile)
    release, config = load_release(EXAMPLE), load_config()
    counts = []
    for size in (2, 40):
        book = open_book(book_of(workspace, [f"Reader {n}" for n in range(size)]))
        plan = choose_recipients(release, book, audience=["readers"])
        calls.update(by_id=0, markdown=0, compile=0)
        assert len(list(messages(release, book, config, plan, templates=folder))) == size
        counts.append(dict(calls))
    assert counts[0] == counts[1]


def bodies(data: bytes) -> tuple[str, str]:
    message = email.message_from_bytes(data, policy=policy.default)
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    shown = html.unescape(message.get_body(("html",)).get_content())  # type: ignore[union-attr]
    return text, shown


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn")),
                min_size=1, max_size=30).map(str.strip).filter(bool)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(names, min_size=2, max_size=4))
def test_the_placeholder_path_makes_what_the_plain_path_makes(workspace: Path, tmp_path_factory: pytest.TempPathFactory,
                                                              recipient_names: list[str]) -> None:
    """Names with &, <, quotes, Khmer, Arabic …: the same text and the same shown HTML by both paths."""
    base = tmp_path_factory.mktemp("templates")
    fast, plain = templates(base / "fast", BRANDED_EMAIL, BRANDED_TEXT), templates(base / "plain", BRANDED_EMAIL,
                                                                                     PLAIN_TEXT)
    assert prints_recipient_only(fast) and not prints_recipient_only(plain)
    release, config = load_release(EXAMPLE), load_config()
    book = open_book(book_of(workspace, recipient_names))
    plan = choose_recipients(release, book, audience=["readers"])
    made = [[bodies(data) for _, data in messages(release, book, config, plan, templates=folder)]
            for folder in (fast, plain)]
    assert made[0] == made[1]


def only_crlf_line_ends(data: bytes) -> bool:
    """Every CR and LF of the message is one of its CRLF line ends (RFC 5322)."""
    rest = data.replace(b"\r\n", b"")
    return b"\r" not in rest and b"\n" not in rest


def test_a_value_with_a_line_break_keeps_every_line_end_a_crlf(workspace: Path) -> None:
    """A recipient's organisation on two lines, printed by the templates: the placeholder path put its bare LF
    into a CRLF body; such a message now takes the plain path, which encodes the line break as CRLF."""
    printing = BRANDED_TEXT.replace("sent to {{ recipient.name }}", "sent to {{ recipient.organisation }}")
    folder = templates(workspace / "t", BRANDED_EMAIL, printing)
    assert prints_recipient_only(folder)
    path = book_of(workspace, ["Ana Lima", "Ben Okafor"])
    two_lines = 'name: "Ben Okafor"\n    organisation: "Dock\\nWorkers"'
    path.write_text(path.read_text(encoding="utf-8").replace('name: "Ben Okafor"', two_lines), encoding="utf-8")
    release, config = load_release(EXAMPLE), load_config()
    book = open_book(path)
    made = list(messages(release, book, config, choose_recipients(release, book, audience=["readers"]),
                         templates=folder))
    assert [recipient.id for recipient, _ in made] == ["reader-0", "reader-1"]
    assert all(only_crlf_line_ends(data) for _, data in made)
    assert b"Harbour Workers Alliance \xc2\xb7 sent to Dock\r\nWorkers <" in made[1][1]


def test_quoted_printable_encodes_a_lone_carriage_return() -> None:
    from pressctl.render.email import encode_body

    encoding, data = encode_body("a\rb " + "x" * 1000 + "\nend\n")
    assert encoding == "quoted-printable" and b"a=0Db" in data and only_crlf_line_ends(data)


AT_LINE_STARTS = BRANDED_TEXT.replace(
    "{% block footer %}{{ super() }}",
    "{% block footer %}{{ super() }}\n{{ recipient.name }} reads this\n>{{ recipient.name }}\nFr{{ recipient.name }}\n")
line_start_names = st.one_of(st.sampled_from(["From Dusk", "om the port", "m here", ">From", "Frank", "From", "F",
                                              "Dear", "rom x", ">>From y"]), names)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(line_start_names, min_size=2, max_size=4))
def test_an_mbox_quotes_every_from_line_a_recipient_value_begins(workspace: Path,
                                                                 tmp_path_factory: pytest.TempPathFactory,
                                                                 recipient_names: list[str]) -> None:
    """The placeholder path tells the mbox when no line can start with `From `; a name at a line start
    (after `>`, or after `Fr`) makes it look, so each message is written as its plain bytes would be."""
    from pressctl.render.merge import _mbox_entry

    folder = templates(tmp_path_factory.mktemp("templates") / "t", BRANDED_EMAIL, AT_LINE_STARTS)
    assert prints_recipient_only(folder)
    release, config = load_release(EXAMPLE), load_config()
    book = open_book(book_of(workspace, recipient_names))
    plan = choose_recipients(release, book, audience=["readers"])
    for _, data in messages(release, book, config, plan, templates=folder):
        assert b"".join(_mbox_entry(data)) == b"".join(_mbox_entry(bytes(data)))


STATIC_FROM_LINE = BRANDED_TEXT.replace(
    "{% block footer %}{{ super() }}",
    "{% block footer %}{{ super() }}\nFrom the press office, 100% for {{ recipient.name }}\n")
mbox_names = st.one_of(line_start_names, st.sampled_from(["Ana Lima", "Zoë Ørsted", "100% Radio", "%s %d", "x" * 300]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(mbox_names, min_size=2, max_size=5),
       st.sampled_from(["built-in", "branded", "line starts", "static From line"]))
def test_messages_made_in_mbox_form_are_what_the_mbox_makes_of_the_crlf_ones(
        workspace: Path, tmp_path_factory: pytest.TempPathFactory, recipient_names: list[str], kind: str) -> None:
    """For an mbox the placeholder path makes each message with LF line ends and its From lines quoted
    (InMboxForm), not converted afterwards: byte for byte what write_mbox makes of the CRLF message, for
    non-ASCII and `%` in the values, From lines in the template or begun by a value, and values too long
    for the placeholder path (those come as CRLF messages and are converted)."""
    from pressctl.render.merge import InMboxForm, _mbox_entry, merge_versions

    folder = None
    if kind != "built-in":
        text = {"branded": BRANDED_TEXT, "line starts": AT_LINE_STARTS, "static From line": STATIC_FROM_LINE}[kind]
        folder = templates(tmp_path_factory.mktemp("templates") / "t", BRANDED_EMAIL, text)
    release, config = load_release(EXAMPLE), load_config()
    book = open_book(book_of(workspace, recipient_names))
    chosen = tuple(r.contact for r in choose_recipients(release, book, audience=["readers"]).recipients)
    versions = {release.language: release}
    _, crlf = merge_versions(versions, book, config, chosen, templates=folder)
    _, for_mbox = merge_versions(versions, book, config, chosen, templates=folder, mbox=True)
    pairs = list(zip(crlf, for_mbox, strict=True))
    assert len(pairs) == len(chosen)
    for (crlf_id, message), (mbox_id, entry) in pairs:
        assert crlf_id == mbox_id and not isinstance(message, InMboxForm)
        assert b"".join(_mbox_entry(entry)) == b"".join(_mbox_entry(bytes(message)))
    made = [isinstance(entry, InMboxForm) for _, (_, entry) in pairs]
    long_names = [len(name) > 200 for name in recipient_names]
    assert made[1:] == [not long for long in long_names[1:]]  # the first is checked against the plain path first


def test_the_mbox_form_is_asked_for_only_without_attachments(workspace: Path) -> None:
    """Attachments are spliced into the CRLF message, so a release with them is merged as before."""
    from pressctl.render.merge import InMboxForm, merge_versions

    release, config = load_release(EXAMPLE), load_config()
    book = open_book(book_of(workspace, ["Ana Lima", "Ben Okafor"]))
    chosen = tuple(r.contact for r in choose_recipients(release, book, audience=["readers"]).recipients)
    _, plain = merge_versions({release.language: release}, book, config, chosen, mbox=True)
    assert all(isinstance(data, InMboxForm) for _, data in plain)
    (workspace / "releases" / "note.txt").write_text("Background notes.\n", encoding="utf-8")
    audience = "audience: [press-eu, labour-beat]\n"
    text = (workspace / EXAMPLE).read_text(encoding="utf-8").replace(
        audience, f"{audience}attachments:\n  - file: note.txt\n", 1)
    assert "note.txt" in text
    (workspace / "releases" / "attached.md").write_text(text, encoding="utf-8")
    attached = load_release(workspace / "releases" / "attached.md")
    _, spliced = merge_versions({attached.language: attached}, book, config, chosen, mbox=True)
    assert not any(isinstance(data, InMboxForm) for _, data in spliced)


def test_the_built_in_templates_spare_the_mbox_its_search_for_from_lines(workspace: Path) -> None:
    release, config = load_release(EXAMPLE), load_config()
    book = open_book(book_of(workspace, ["Ana Lima", "From Dusk", "Ben Okafor"]))
    made = [data for _, data in messages(release, book, config, choose_recipients(release, book,
                                                                                  audience=["readers"]))]
    # Every message is filled in, the first too (after its check): the greeting puts `Dear ` before every name.
    assert [data.from_lines for data in made] == [False, False, False]  # type: ignore[attr-defined]


def test_a_message_is_the_same_wherever_its_recipient_stands_in_the_merge(workspace: Path) -> None:
    """Each recipient's whole message (Message-ID, boundary, bodies) is the same in the book's order, in reverse
    and merged alone (`--to`, a later `send`); the same again on a second run, and new when the release or
    the recipient's name changes."""
    config = load_config()

    def merged(release_text: str, names: list[str], order: slice = slice(None), alone: str | None = None
               ) -> dict[str, bytes]:
        path = workspace / "releases" / "changed.md"
        path.write_text(release_text, encoding="utf-8")
        release = load_release(path)
        book = open_book(book_of(workspace, names))
        chosen = choose_recipients(release, book, audience=None if alone else ["readers"],
                                   to=[alone] if alone else None).recipients
        made = {r.id: bytes(data) for r, data in messages(release, book, config, list(chosen)[order])}
        assert all(not data.from_lines for _, data in messages(release, book, config, chosen))  # type: ignore[attr-defined]
        return made

    text = (workspace / EXAMPLE).read_text(encoding="utf-8")
    names = ["Ana Lima", 'Ben "Benny" Okafor & Co', "Chan Sophea", "Dara <Desk>"]
    first = merged(text, names)
    assert len(first) == 4 and len({data.split(b"Message-ID: ")[1][:40] for data in first.values()}) == 4
    assert merged(text, names, slice(None, None, -1)) == first
    assert all(merged(text, names, alone=contact) == {contact: first[contact]} for contact in first)
    assert merged(text, names) == first
    corrected = merged(text.replace("4,200 workers", "4,300 workers"), names)
    assert all(corrected[c].split(b"Message-ID: ")[1][:40] != first[c].split(b"Message-ID: ")[1][:40] for c in first)
    renamed = merged(text, [*names[:1], "Ben Okafor", *names[2:]])
    assert renamed["reader-0"] == first["reader-0"]
    assert renamed["reader-1"].split(b"Message-ID: ")[1][:40] != first["reader-1"].split(b"Message-ID: ")[1][:40]
