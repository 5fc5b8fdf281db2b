"""Attachments in e-mail: each file read and encoded as a MIME part once, then spliced into every message.

A message with attachments is multipart/mixed: first the multipart/alternative of text and HTML (inside a
multipart/related when the statement shows attached images, which it names by `cid:`), then the files.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from pressctl.errors import InputError
from pressctl.release.attachments import Attachment
from pressctl.release.model import Release

CRLF = b"\r\n"
_TOKEN_SAFE = re.compile(r"[A-Za-z0-9!#$&+.^_`|~-]+")  # an RFC 2045 token, as a file name may stand unquoted


class SharedPart(bytes):
    """An encoded attachment: one object that every message of a merge carries, never copied per message."""


@dataclass(frozen=True)
class Spliced:
    """A message as runs of its own bytes between the attachment parts it shares with the merge's other
    messages: a folder gets its bytes joined once; an mbox converts only the message's own runs."""

    pieces: tuple[bytes, ...]

    def __bytes__(self) -> bytes:
        return b"".join(self.pieces)

    def mbox_body(self, convert: Callable[[bytes], bytes]) -> list[bytes]:
        """The pieces in mbox form: `convert` for the message's own runs, each shared part converted once."""
        return [_mbox_form(piece) if isinstance(piece, SharedPart) else convert(piece) for piece in self.pieces]


@lru_cache(maxsize=32)
def _mbox_form(part: SharedPart) -> bytes:
    # Base64 lines and the part's own headers never start with "From " or ">": only the line ends change.
    return part.replace(CRLF, b"\n")


@dataclass(frozen=True)
class MimeAttachments:
    """The encoded parts of one release's attachments, ready to splice."""

    inline: tuple[SharedPart, ...] = ()  # images the statement shows, for multipart/related
    attached: tuple[SharedPart, ...] = ()  # every other file, after the alternative part

    def __bool__(self) -> bool:
        return bool(self.inline or self.attached)


def content_id(attachment: Attachment, domain: str = "pressctl.invalid") -> str:
    """A Content-ID that names the file's content, so every message and version shares it."""
    digest = hashlib.sha256(f"{attachment.file}\n{attachment.size}".encode()).hexdigest()[:24]
    return f"{digest}@{domain}"


def filename_params(name: str) -> str:
    """`filename=…` for a plain ASCII name, else the RFC 2231 form `filename*=utf-8''…` (percent-encoded, so
    quotes, semicolons and non-ASCII letters survive every parser). Line breaks never get this far."""
    if name.isascii() and _TOKEN_SAFE.fullmatch(name):
        return f'filename="{name}"'
    return f"filename*=utf-8''{quote(name, safe='')}"


def encode_part(attachment: Attachment, *, inline_cid: str | None = None) -> SharedPart:
    """One MIME part: headers, then the file in base64 (76-character lines, RFC 2045)."""
    if any(c in attachment.filename for c in "\r\n"):
        raise InputError(f"the attachment name {attachment.filename!r} contains a line break")
    params = filename_params(attachment.filename)
    disposition = "inline" if inline_cid else "attachment"
    head = [f"Content-Type: {attachment.content_type}",
            "Content-Transfer-Encoding: base64",
            f"Content-Disposition: {disposition}; {params}"]
    if inline_cid:
        head.append(f"Content-ID: <{inline_cid}>")
    data = _encoded_file(attachment.path, attachment.size)
    return SharedPart("\r\n".join(head).encode("ascii") + CRLF + CRLF + data)


@lru_cache(maxsize=16)
def _encoded_file(path: Path, size: int) -> bytes:
    """The file in base64 with CRLF line ends: read once however many messages carry it."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InputError(f"the attachment cannot be read ({err.strerror})", path=str(path)) from None
    if len(data) != size:
        raise InputError("the attachment changed while the e-mail was made; make it again", path=str(path))
    return base64.encodebytes(data).replace(b"\n", CRLF)


def mime_attachments(attachments: Iterable[Attachment], inline: Iterable[str] = ()) -> MimeAttachments:
    """Encode the parts once: those whose `file` is in `inline` as related images with their Content-ID."""
    shown = set(inline)
    related, attached = [], []
    for attachment in attachments:
        if attachment.file in shown and attachment.is_image:
            related.append(encode_part(attachment, inline_cid=content_id(attachment)))
        else:
            attached.append(encode_part(attachment))
    return MimeAttachments(tuple(related), tuple(attached))


def with_attachments(message: bytes, parts: MimeAttachments) -> bytes | Spliced:
    """The message with its body (the multipart/alternative entity, kept byte for byte) wrapped in
    multipart/related for inline images and multipart/mixed for the files."""
    if not parts:
        return message
    end = message.find(b"\r\n\r\n")
    head, body = message[:end + 2], message[end + 4:]
    lines = re.split(rb"\r\n(?![ \t])", head.rstrip(CRLF))
    content = next((n for n, line in enumerate(lines) if line.lower().startswith(b"content-type:")), None)
    if content is None:
        raise InputError("the message has no Content-Type to wrap")
    entity_type = lines.pop(content)
    match = re.search(rb'boundary="([^"]+)"', entity_type)
    seed = match.group(1) if match else hashlib.sha256(body).hexdigest().encode("ascii")
    # Neither new boundary is a prefix of the other or of the alternative's, which some parsers would match.
    related, mixed = b"r" + seed, b"m" + seed
    if related in body or mixed in body:
        raise InputError("the message body contains its own MIME boundary; change the text")
    entity = [entity_type, CRLF, CRLF, body]
    inline: list[list[bytes]] = [[part] for part in parts.inline]
    attached: list[list[bytes]] = [[part] for part in parts.attached]
    if inline:
        entity = _multipart(b"related", related, [entity, *inline], b'; type="multipart/alternative"')
    if attached:
        entity = _multipart(b"mixed", mixed, [entity, *attached])
    pieces: list[bytes] = []
    run: list[bytes] = []
    for piece in [CRLF.join(lines), CRLF, *entity]:
        if isinstance(piece, SharedPart):
            pieces += [b"".join(run), piece]
            run = []
        else:
            run.append(piece)
    return Spliced((*pieces, b"".join(run)))


def _multipart(subtype: bytes, boundary: bytes, parts: list[list[bytes]], extra: bytes = b"") -> list[bytes]:
    """`parts` are whole entities (headers, blank line, body) as pieces. The boundaries derive from the
    message's own alternative boundary, which contains `_` and `=`: never in base64, never at the start of a
    header line."""
    out = [b'Content-Type: multipart/' + subtype + b'; boundary="' + boundary + b'"' + extra + CRLF + CRLF]
    for part in parts:
        out += [b"--", boundary, CRLF, *part]
        if not part[-1].endswith(CRLF):
            out.append(CRLF)
    out += [b"--", boundary, b"--", CRLF]
    return out


@dataclass(frozen=True)
class AttachmentView:
    """An attachment as the templates list it."""

    filename: str
    href: str  # relative to the release, as written in its front matter
    caption: str
    credit: str
    content_type: str
    size: str  # "630 bytes", "1.2 MB"


def attachment_views(attachments: Iterable[Attachment]) -> list[AttachmentView]:
    return [AttachmentView(a.filename, quote(a.file), a.caption, a.credit, a.content_type, _size(a.size))
            for a in attachments]


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


_IMAGE = re.compile(r"(!\[[^\]\n]*\]\(\s*)(<[^>\n]*>|[^\s)]+)(?=\s*(?:\"[^\"\n]*\"\s*)?\))")


def inline_images(body: str, attachments: Iterable[Attachment]) -> tuple[str, tuple[str, ...]]:
    """The statement with each `![alt](file)` of an attached image pointing at its `cid:` part, and the files
    so shown. (Only inline images; a reference-style image stays as its alt text.)"""
    images = {a.file.removeprefix("./"): a for a in attachments if a.is_image}
    shown: list[str] = []

    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip("<>").removeprefix("./")
        attachment = images.get(target)
        if attachment is None:
            return match.group(0)
        shown.append(attachment.file)
        return f"{match.group(1)}cid:{content_id(attachment)}"

    return _IMAGE.sub(replace, body), tuple(dict.fromkeys(shown))


def for_mail(release: Release) -> tuple[Release, MimeAttachments]:
    """The release as an e-mail shows it (attached images in the statement by `cid:`) and its encoded parts."""
    from dataclasses import replace

    from pressctl.release.attachments import attachments_of

    attachments = attachments_of(release)
    if not attachments:
        return release, MimeAttachments()
    body, shown = inline_images(release.body, attachments)
    return replace(release, body=body), mime_attachments(attachments, shown)
