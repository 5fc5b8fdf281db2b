"""Attachments: checked at their lines, typed, named by RFC 2231, spliced into every message; parsed back."""

from __future__ import annotations

import email
import json
import mailbox
import os
import re
import subprocess
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.config import load_config
from pressctl.contacts.load import open_book
from pressctl.release import load_release
from pressctl.release.attachments import content_type_of
from pressctl.render.attachments import filename_params
from pressctl.render.merge import merge_versions, plan_merge
from tests.test_render import _vnu

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
INDONESIAN = "releases/2024-06-26-three-port-wage-deal.id.md"
PNG = (Path(__file__).resolve().parent.parent / "releases" / "media" / "signing-amsterdam.png").read_bytes()
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert message.defects == [] and all(part.defects == [] for part in message.walk())
    return message


def structure(part: EmailMessage) -> object:
    if part.is_multipart():
        return (part.get_content_type(), [structure(p) for p in part.iter_parts()])  # type: ignore[arg-type]
    return part.get_content_type()


def with_attachments(workspace: Path, entries: str, body: str = "") -> Path:
    """The example release with `attachments:` (YAML lines) and, optionally, more statement."""
    path = workspace / EXAMPLE
    text = path.read_text(encoding="utf-8")
    text = text.replace("audience: [press-eu, labour-beat]\n", f"audience: [press-eu, labour-beat]\nattachments:\n"
                                                               f"{entries}", 1)
    path.write_text(text + body, encoding="utf-8")
    return path


def render_eml(runner, *args: str) -> EmailMessage:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", *args, "-f", "eml", "-o", "out.eml"])
    assert result.exit_code == 0, result.output
    return parse(Path("out.eml").read_bytes())


def test_an_image_shown_in_the_statement_is_a_related_part(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    message = render_eml(runner, INDONESIAN)
    assert structure(message) == ("multipart/related", [
        ("multipart/alternative", ["text/plain", "text/html"]), "image/png"])
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    cids = re.findall(r'src="cid:([^"]+)"', html)
    assert len(cids) == 1
    image = next(p for p in message.walk() if p["Content-ID"] == f"<{cids[0]}>")
    assert image.get_content_disposition() == "inline" and image.get_filename() == "signing-amsterdam.png"
    assert image.get_content() == PNG
    assert 'alt="Penandatanganan di terminal Amsterdam"' in html


def test_attachments_follow_the_alternative_part(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    media = workspace / "releases" / "media"
    (media / "report.pdf").write_bytes(PDF)
    with_attachments(workspace, "  - file: media/report.pdf\n    caption: The agreement\n"
                                "  - {file: media/signing-amsterdam.png, credit: Pieter Bakker}\n",
                     "\n![The signing](media/signing-amsterdam.png)\n")
    message = render_eml(runner, EXAMPLE)
    assert structure(message) == ("multipart/mixed", [
        ("multipart/related", [("multipart/alternative", ["text/plain", "text/html"]), "image/png"]),
        "application/pdf"])
    pdf = list(message.iter_attachments())
    assert [(p.get_filename(), p.get_content_type(), p.get_content()) for p in pdf] == [
        ("report.pdf", "application/pdf", PDF)]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "- report.pdf: The agreement\n- signing-amsterdam.png (Pieter Bakker)" in text.replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "The agreement" in html and 'href="media/report.pdf"' not in html  # attached, not linked


NAMES = ["Rapport «définitif» été 2024.pdf", 'the "deal"; signed.pdf', "ក្រុមការងារ.pdf", "اتفاق.pdf",
         "Thỏa thuận lao động.pdf", "50% rise = fair.pdf", "it's a deal.pdf"]


def test_rfc_2231_file_names_parse_back(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    media = workspace / "releases" / "media"
    entries = ""
    for name in NAMES:
        (media / name).write_bytes(PDF)
        entries += f"  - file: {json.dumps('media/' + name, ensure_ascii=False)}\n"
    with_attachments(workspace, entries)
    message = render_eml(runner, EXAMPLE)
    assert [p.get_filename() for p in message.iter_attachments()] == NAMES
    raw = Path("out.eml").read_bytes()
    dispositions = [line for line in raw.split(b"\r\n") if line.startswith(b"Content-Disposition:")]
    assert len(dispositions) == len(NAMES) and all(line.isascii() for line in dispositions)
    assert b"filename*=utf-8''" in raw


@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
       .filter(lambda name: name.strip() == name)  # parsers strip the ends, and so would a file manager
       # email.utils.unquote, under get_filename(), drops one pair of <…> around a whole value: a stdlib
       # reading, not the header's (`filename*=utf-8''%3Ca%3E` is `<a>`).
       .filter(lambda name: not (name.startswith("<") and name.endswith(">"))))
@settings(max_examples=200)
def test_any_file_name_round_trips(name: str) -> None:
    message = parse(f"Content-Type: application/pdf\r\nContent-Disposition: attachment; {filename_params(name)}"
                    "\r\n\r\nx\r\n".encode("ascii"))
    assert message.get_filename() == name


@pytest.mark.parametrize(("entry", "problem"), [
    ("media/missing.pdf", "no such file"),
    ("media", "is a folder, not a file"),
    ("media/empty.pdf", "is empty (0 bytes)"),
    ("../../outside.pdf", "leads outside the workspace"),
    ("media/link.pdf", "leads outside the workspace"),
    ("media/broken.pdf", "a link that leads nowhere"),
    ('"media/two\\nlines.pdf"', "a line break or control character, U+000A"),
])
def test_a_bad_attachment_is_refused_at_its_line(workspace: Path, runner, entry: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    media = workspace / "releases" / "media"
    (media / "empty.pdf").write_bytes(b"")
    (workspace.parent / "outside.pdf").write_bytes(PDF)
    (media / "link.pdf").symlink_to(workspace.parent / "outside.pdf")
    (media / "broken.pdf").symlink_to(media / "nothing-here.pdf")
    with_attachments(workspace, f"  - file: media/signing-amsterdam.png\n  - file: {entry}\n")
    result = runner.invoke(app, ["release", "check", EXAMPLE])
    assert result.exit_code == 1
    line = next(n for n, text in enumerate((workspace / EXAMPLE).read_text().split("\n"), 1)
                if text == f"  - file: {entry}")
    finding = next(text for text in result.output.splitlines() if "R020" in text)
    assert finding.startswith(f"{EXAMPLE}:{line}:1: R020 [error] attachment 2, ") and problem in finding
    rendered = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "-o", "out.eml"])
    assert rendered.exit_code == 1 and f"{EXAMPLE}:{line}:" in rendered.output and problem in rendered.output
    assert "Traceback" not in rendered.output and not Path("out.eml").exists()


def test_size_warning_and_error(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    big = workspace / "releases" / "media" / "video.mp4"
    with big.open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)  # sparse: the check reads only the size and the first bytes
    with_attachments(workspace, "  - file: media/video.mp4\n")
    line = next(n for n, text in enumerate((workspace / EXAMPLE).read_text().split("\n"), 1) if text == "attachments:")
    result = runner.invoke(app, ["release", "check", EXAMPLE])
    assert result.exit_code == 0
    assert (f"{EXAMPLE}:{line}:1: R021 [warning] the attachments come to 11.0 MB; over 10.0 MB many inboxes refuse "
            "a message, so consider linking the large files") in result.output
    with big.open("r+b") as handle:
        handle.truncate(26 * 1024 * 1024)
    result = runner.invoke(app, ["release", "check", EXAMPLE])
    assert result.exit_code == 1
    assert f"{EXAMPLE}:{line}:1: R022 [error] the attachments come to 26.0 MB, more than the 25.0 MB" in result.output


@pytest.mark.parametrize(("name", "head", "expected"), [
    ("photo.jpg", PNG, "image/png"),  # the bytes decide for images and PDF
    ("photo.png", b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
    ("report", PDF, "application/pdf"),
    ("report.pdf", PDF, "application/pdf"),
    ("anim.gif", b"GIF89a....", "image/gif"),
    ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ("agreement.docx", b"PK\x03\x04",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("figures.csv", b"a,b\n", "text/csv"),
    ("archive.tar.gz", b"\x1f\x8b", "application/gzip"),
    ("data.unknownext", b"\x00\x01", "application/octet-stream"),
])
def test_content_types(name: str, head: bytes, expected: str) -> None:
    assert content_type_of(Path(name), head) == expected


def test_merge_splices_one_encoding_into_every_message(workspace: Path) -> None:
    """Each message carries the photo, though the file is gone after the first: it was read and encoded once."""
    photo = workspace / "releases" / "media" / "report.pdf"
    photo.write_bytes(PDF * 100)
    with_attachments(workspace, "  - file: media/report.pdf\n")
    release = load_release(EXAMPLE)
    book = open_book(Path("contacts.yaml"))
    config = load_config(None)
    recipients = plan_merge(release, book, audience=["press-eu", "labour-beat"]).recipients
    counts, messages = merge_versions({"en": release}, book, config, recipients)
    first = next(messages)
    photo.unlink()
    everything = [first, *messages]
    assert counts == {"en": len(recipients)} and len(everything) == len(recipients) > 3
    for _, data in everything:
        message = parse(bytes(data))
        assert [p.get_content() for p in message.iter_attachments()] == [PDF * 100]


def test_mbox_messages_carry_their_version_and_attachment(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "ratih-kusumawardani,femke-jansen",
                                 "--mbox", "all.mbox"])
    assert result.exit_code == 0, result.output
    box = mailbox.mbox("all.mbox")
    seen = {}
    for entry in box:
        message = parse(entry.as_bytes())
        seen[str(message["To"]).split(" <")[0]] = structure(message)
    assert seen == {"Ratih Kusumawardani": ("multipart/related", [
                        ("multipart/alternative", ["text/plain", "text/html"]), "image/png"]),
                    "Femke Jansen": ("multipart/alternative", ["text/plain", "text/html"])}


def test_html_links_the_attachments(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["render", INDONESIAN, "-f", "html", "-o", "id.html"]).exit_code == 0
    html = Path("id.html").read_text(encoding="utf-8")
    assert ('<a href="media/signing-amsterdam.png" type="image/png">Penandatanganan di terminal Amsterdam, '
            "26 Juni 2024</a> (Pieter Bakker / Harbour Workers Alliance), signing-amsterdam.png, 630 bytes") in html


@pytest.mark.external
@pytest.mark.slow
def test_html_with_attachments_is_valid_html5(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    jar = _vnu()
    (workspace / "releases" / "media" / 'the "deal" <final>.pdf').write_bytes(PDF)
    with_attachments(workspace, "  - file: 'media/the \"deal\" <final>.pdf'\n    caption: <b>Tags</b> & such\n")
    assert runner.invoke(app, ["render", EXAMPLE, "-f", "html", "-o", "en.html"]).exit_code == 0
    assert runner.invoke(app, ["render", INDONESIAN, "-f", "html", "-o", "id.html"]).exit_code == 0
    message = render_eml(runner, INDONESIAN)
    Path("email.html").write_text(message.get_body(("html",)).get_content(), encoding="utf-8")  # type: ignore[union-attr]
    run = subprocess.run(["java", "-jar", jar, "--errors-only", "--format", "json", "en.html", "id.html",
                          "email.html"], cwd=workspace, capture_output=True, text=True, timeout=120)
    assert json.loads(run.stderr or run.stdout)["messages"] == []
    assert "&lt;b&gt;Tags&lt;/b&gt; &amp; such" in Path("en.html").read_text(encoding="utf-8")
    assert os.path.exists("en.html")


def test_mbox_still_escapes_from_lines_beside_an_attachment(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with_attachments(workspace, "  - file: media/signing-amsterdam.png\n",
                     "\nFrom the docks of three ports, the same deal.\n\n>From a quoted line.\n")
    result = runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "--to", "femke-jansen", "--mbox", "all.mbox"])
    assert result.exit_code == 0, result.output
    raw = Path("all.mbox").read_bytes()
    assert b"\n>From the docks" in raw and b"\nFrom the docks" not in raw
    assert raw.count(b"\nFrom ") == 0 and raw.startswith(b"From pressctl ")
    assert len(mailbox.mbox("all.mbox")) == 1


def test_a_spliced_message_is_written_to_an_mbox_as_its_joined_bytes_would_be(workspace: Path) -> None:
    from pressctl.render.attachments import Spliced
    from pressctl.render.merge import _mbox_entry

    (workspace / "releases" / "media" / "report.pdf").write_bytes(PDF)
    with_attachments(workspace, "  - file: media/report.pdf\n  - file: media/signing-amsterdam.png\n",
                     "\n![The signing](media/signing-amsterdam.png)\n\nFrom the docks.\n")
    release = load_release(EXAMPLE)
    book = open_book(Path("contacts.yaml"))
    recipients = plan_merge(release, book, to=["femke-jansen", "marcus-reid"]).recipients
    _, messages = merge_versions({"en": release}, book, load_config(None), recipients)
    for _, data in messages:
        assert isinstance(data, Spliced)
        assert b"".join(_mbox_entry(data)) == b"".join(_mbox_entry(bytes(data)))
        assert b"\n>From the docks." in b"".join(_mbox_entry(data))
