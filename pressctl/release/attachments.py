"""A release's `attachments:`: files beside it, each checked at its line, with its type and size."""

from __future__ import annotations

import mimetypes
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pressctl.findings import Finding, Severity, stop_at_first_error
from pressctl.findings import Path as KeyPath
from pressctl.release.model import Release, line_break_in

WARN_BYTES = 10 * 1024 * 1024  # many inboxes refuse a message this large
MAX_BYTES = 25 * 1024 * 1024  # Gmail's and Outlook's limit: beyond it the message does not arrive
ATTACHMENT_KEYS = ("file", "caption", "credit")
WORKSPACE_MARKERS = ("contacts.yaml", "pressctl.toml")
# The first bytes of the types a press office sends most, which decide over the extension: a photo saved
# as `.png` that is really a JPEG is still shown by the mail client. (Everything else goes by mimetypes.)
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


@dataclass(frozen=True)
class Attachment:
    file: str  # as written in the front matter, relative to the release
    path: Path  # resolved, inside the workspace
    filename: str  # the name the recipient sees
    content_type: str
    size: int
    caption: str = ""
    credit: str = ""
    line: int = 0

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


def workspace_of(release_path: Path) -> Path:
    """The workspace a release belongs to: the nearest folder above it with contacts.yaml or pressctl.toml,
    else the release's own folder."""
    folder = release_path.resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).is_file() for marker in WORKSPACE_MARKERS):
            return candidate
    return folder


def content_type_of(path: Path, head: bytes) -> str:
    for magic, kind in MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    guessed, encoding = mimetypes.guess_type(path.name, strict=False)
    # A `.tar.gz` is sent as the gzip file it is, not as a tar with a transfer encoding.
    if encoding:
        return {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}.get(
            encoding, "application/octet-stream")
    return guessed or "application/octet-stream"


def read_attachments(release: Release) -> tuple[tuple[Attachment, ...], list[Finding]]:
    """The release's attachments (a translation without its own: the original's) and a finding for each fault."""
    owner, value = _declared(release)
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), [owner.finding("R011", "`attachments` must be a list of `{file, caption, credit}`",
                                  ("attachments",))]
    folder = Path(owner.path).parent
    workspace = workspace_of(Path(owner.path))
    attachments: list[Attachment] = []
    findings: list[Finding] = []
    for index, item in enumerate(value):
        path: KeyPath = ("attachments", index)
        if isinstance(item, str):
            item = {"file": item}
        if not isinstance(item, dict) or not isinstance(item.get("file"), str) or not item["file"].strip():
            findings.append(owner.finding("R011", f"attachment {index + 1} needs `file`, a path relative to the "
                                                  "release", path))
            continue
        unknown = [str(key) for key in item if key not in ATTACHMENT_KEYS]
        for key in unknown:
            findings.append(owner.finding("R013", f"unknown key `{key}` in attachment {index + 1} (known: "
                                                  f"{', '.join(ATTACHMENT_KEYS)})", (*path, key)))
        texts = {key: item.get(key) for key in ("caption", "credit")}
        bad = [key for key, text in texts.items() if text is not None and not isinstance(text, str)]
        for key in bad:
            findings.append(owner.finding("R011", f"`{key}` of attachment {index + 1} must be text", (*path, key)))
        attachment, problem = _resolve(item["file"].strip(), folder, workspace)
        if problem:
            findings.append(owner.finding("R020", f"attachment {index + 1}, {item['file'].strip()!r}: {problem}",
                                          (*path, "file")))
            continue
        assert attachment is not None
        attachments.append(Attachment(
            attachment.file, attachment.path, attachment.filename, attachment.content_type, attachment.size,
            str(texts["caption"] or "").strip() if "caption" not in bad else "",
            str(texts["credit"] or "").strip() if "credit" not in bad else "",
            owner.line_of((*path, "file"))))
    total = sum(a.size for a in attachments)
    if total > MAX_BYTES:
        findings.append(owner.finding("R022", f"the attachments come to {_megabytes(total)}, more than the "
                                              f"{_megabytes(MAX_BYTES)} mail carries; link the large files instead",
                                      ("attachments",)))
    elif total > WARN_BYTES:
        findings.append(owner.finding("R021", f"the attachments come to {_megabytes(total)}; over "
                                              f"{_megabytes(WARN_BYTES)} many inboxes refuse a message, so "
                                              "consider linking the large files", ("attachments",)))
    return tuple(attachments), findings


def attachments_of(release: Release) -> tuple[Attachment, ...]:
    """The attachments, for rendering: the first error stops it, at its line."""
    attachments, findings = read_attachments(release)
    stop_at_first_error([f for f in findings if f.severity is Severity.ERROR], "release check", column=False)
    return attachments


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _declared(release: Release) -> tuple[Release, Any]:
    """Who declares the attachments, and the list: the release, else (for a translation) its original."""
    value = _front_matter(release.front_matter).get("attachments")
    if value is not None or "attachments" in _front_matter(release.front_matter):
        return release, value
    from pressctl.release.load import read_release
    from pressctl.release.versions import split_name

    original_path, tag = split_name(release.path)
    if tag is None or not original_path.is_file():
        return release, None
    original, _ = read_release(original_path)
    if original is None:
        return release, None
    return original, _front_matter(original.front_matter).get("attachments")


@lru_cache(maxsize=16)
def _front_matter(front: str) -> dict[str, Any]:
    from pressctl.yamlsource import SourceText, YamlSyntaxError, parse_fast

    try:
        data = parse_fast(SourceText(front))
    except YamlSyntaxError:
        return {}
    return data if isinstance(data, dict) else {}


def _resolve(file: str, folder: Path, workspace: Path) -> tuple[Attachment | None, str]:
    """The attachment at `file`, or why it cannot be sent."""
    breaking = line_break_in(file)
    if breaking:
        return None, f"the name contains {breaking}, which could break the e-mail's headers; rename the file"
    candidate = folder / file
    if not os.path.lexists(candidate):
        return None, f"no such file (looked for {candidate})"
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, "a link that leads nowhere (or round in a circle)"
    if not real.is_relative_to(workspace):
        how = "`..`" if ".." in Path(file).parts else "a link"
        return None, (f"leads outside the workspace ({workspace}) through {how}; copy the file into the "
                      "workspace, e.g. releases/media/")
    if real.is_dir():
        return None, "is a folder, not a file"
    if not real.is_file():
        return None, "is not a regular file"
    try:
        size = real.stat().st_size
        with real.open("rb") as handle:
            head = handle.read(16)
    except OSError as err:
        return None, f"cannot be read ({err.strerror})"
    if size == 0:
        return None, "is empty (0 bytes); save the file again"
    name = candidate.name
    return Attachment(file, real, name, content_type_of(candidate, head), size), ""
