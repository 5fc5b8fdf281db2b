"""Mail merge: one message per recipient, written as .eml files or one mbox. Nothing is sent.

With the built-in templates, the release is rendered and its CSS inlined once, with placeholders where
the recipient's values go; each message then only substitutes those values and encodes its bodies. That
is sound only because the built-in templates print `recipient`, `greeting` and `unsubscribe_url` and
never branch on them (their `{% if greeting %}` holds for every recipient). A user's template may do
anything with `recipient` (`{% if recipient.language == "nl" %}`), so with user templates every message
is rendered in full. The first message is also rendered in full and compared, as a check on the fast path.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pressctl.atomic import atomic_file
from pressctl.config import Config
from pressctl.contacts.load import ID_PATTERN
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.release import Release
from pressctl.render.attachments import Spliced
from pressctl.render.document import RecipientView, build_context, ensure_renderable, render_document
from pressctl.render.email import (
    MAX_LINE,
    Body,
    Envelope,
    address_header,
    envelope,
    greeting_for,
    header_url,
    message_bytes,
    unsubscribe_url,
)
from pressctl.render.environment import builtin_only
from pressctl.render.phrases import translated_language
from pressctl.suggest import did_you_mean

SKIP_UNSUBSCRIBED = "unsubscribed"
SKIP_NO_EMAIL = "no email address"
SKIP_DUPLICATE = "same address as an earlier recipient"
_TOKEN = re.compile("\ue000([a-z_]+)\ue001")
_FIELDS = ("id", "name", "email", "role", "organisation", "language", "greeting", "unsubscribe_url")


@dataclass(frozen=True)
class MergePlan:
    recipients: tuple[Contact, ...]
    skipped: Counter[str] = field(default_factory=Counter)


def plan_merge(release: Release, book: ContactBook, *, audience: list[str] | None = None,
               to: list[str] | None = None) -> MergePlan:
    """Who gets a message: the lists (`--audience`, else the release's `audience`) and `--to` ids."""
    by_id = book.by_id()
    wanted: dict[str, Contact] = {}
    for contact_id in to or []:
        if contact_id not in by_id:
            raise InputError(f"--to: no contact `{contact_id}`", path=book.file, hint=did_you_mean(contact_id, by_id))
        wanted[contact_id] = by_id[contact_id]
    lists = list(audience or []) or ([] if to else list(release.audience))
    if not lists and not to:
        raise UsageError("nobody to write to: pass --audience LIST or --to ID, or set `audience` in the release")
    known = book.list_names
    for name in lists:
        if name not in known:
            raise InputError(f"no contact is on the list `{name}`", path=book.file,
                             hint=did_you_mean(name, sorted(known)))
    for contact in book.on_lists(lists):
        wanted.setdefault(contact.id, contact)
    skipped: Counter[str] = Counter()
    recipients = []
    addresses: set[str] = set()
    for contact in wanted.values():
        if contact.is_unsubscribed:
            skipped[SKIP_UNSUBSCRIBED] += 1
        elif not contact.email:
            skipped[SKIP_NO_EMAIL] += 1
        elif contact.email.lower() in addresses:
            skipped[SKIP_DUPLICATE] += 1
        else:
            addresses.add(contact.email.lower())
            recipients.append(contact)
    return MergePlan(tuple(recipients), skipped)


def merge_messages(release: Release, book: ContactBook, config: Config, recipients: tuple[Contact, ...], *,
                   templates: Path | str | None = None, sender: str | None = None) -> Iterator[tuple[str, bytes]]:
    """(contact id, message bytes) for each recipient, in order."""
    ensure_renderable(release, book)
    env = envelope(release, config, sender)
    fast = builtin_only(templates)
    if fast:
        placeholders = _recipient({name: f"\ue000{name}\ue001" for name in _FIELDS}, {})
        context = build_context(release, book, config, recipient=placeholders, greeting="\ue000greeting\ue001",
                                unsubscribe_url="\ue000unsubscribe_url\ue001" if config.email.list_unsubscribe else "")
        text = _Body(render_document("text", context, templates), escape=False)
        html = _Body(render_document("email", context, templates), escape=True)
        fast = text.fast and html.fast
    for number, contact in enumerate(recipients):
        values = _values(release, config, contact)
        if fast and sum(map(len, values.values())) <= _VALUES_ROOM:
            bodies: tuple[Body | str, Body | str] = (text.fill(values), html.fill(values))
            if number == 0:
                full = _render_full(release, book, config, contact, values, templates)
                fast = (full[0], _normalise(full[1])) == (_decoded(bodies[0]), _normalise(_decoded(bodies[1])))
                bodies = full
        else:
            bodies = _render_full(release, book, config, contact, values, templates)
        yield contact.id, _message(env, contact, values, *bodies)


_VALUES_ROOM = 200  # characters of recipient values a line can take and stay within the 998-octet limit


class _Body:
    """A body rendered once with placeholders, pre-encoded in pieces so a message only joins bytes."""

    def __init__(self, rendered: str, *, escape: bool) -> None:
        pieces = _TOKEN.split(rendered)
        self.static = [piece.replace("\n", "\r\n").encode("utf-8") for piece in pieces[0::2]]
        self.fields = pieces[1::2]
        self.escape = escape
        longest = max(map(len, _TOKEN.sub("", rendered).encode("utf-8").split(b"\n")))
        self.fast = "\r" not in rendered and set(self.fields) <= set(_FIELDS) and longest + _VALUES_ROOM <= MAX_LINE

    def fill(self, values: dict[str, str]) -> Body:
        if self.escape:
            values = {key: html_lib.escape(values[key]) for key in set(self.fields)}
        encoded = {key: values[key].encode("utf-8") for key in set(self.fields)}
        data = [self.static[0]]
        for field_name, static in zip(self.fields, self.static[1:], strict=True):
            data.append(encoded[field_name])
            data.append(static)
        joined = b"".join(data)
        return ("7bit" if joined.isascii() else "8bit"), joined


def _decoded(body: Body | str) -> str:
    return body if isinstance(body, str) else body[1].decode("utf-8").replace("\r\n", "\n")


def _values(release: Release, config: Config, contact: Contact) -> dict[str, str]:
    if not ID_PATTERN.fullmatch(contact.id):
        raise InputError(f"contact id {contact.id!r} is not a slug of a-z, 0-9 and '-', so it cannot name a file")
    language = translated_language(contact.languages, release.language)
    return {
        "id": contact.id, "name": contact.name, "email": contact.email or "", "role": contact.role or "",
        "organisation": contact.organisation or "", "language": language,
        "greeting": greeting_for(contact.name, language), "unsubscribe_url": unsubscribe_url(config, contact.id),
    }


def _recipient(values: dict[str, str], extensions: Mapping[str, Any]) -> RecipientView:
    return RecipientView(values["id"], values["name"], values["email"], values["role"], values["organisation"],
                         values["language"], MappingProxyType(dict(extensions)))


def _render_full(release: Release, book: ContactBook, config: Config, contact: Contact, values: dict[str, str],
                 templates: Path | str | None) -> tuple[str, str]:
    recipient = _recipient(values, contact.extensions)
    context = build_context(release, book, config, recipient=recipient, greeting=values["greeting"],
                            unsubscribe_url=values["unsubscribe_url"])
    return render_document("text", context, templates), render_document("email", context, templates)


def _normalise(html: str) -> str:
    """The inliner re-serialises entities; compare the two routes by the text they show."""
    return html_lib.unescape(html)


def _message(env: Envelope, contact: Contact, values: dict[str, str], text: Body | str, html: Body | str) -> bytes:
    to = address_header(contact.name, values["email"], contact=contact.id)
    addresses = (values["unsubscribe_url"], env.mailto_for(contact.id))
    unsubscribe = tuple(header_url(address) for address in addresses if address)
    return message_bytes(env, text=text, html=html, to=to, key=contact.id, unsubscribe=unsubscribe)


def write_folder(folder: Path, messages: Iterator[tuple[str, bytes | Spliced]],
                 progress: Callable[[], None] | None = None, *, ids: Collection[str]) -> int:
    """One `<id>.eml` per message (`ids` are the recipients'). They are staged in a hidden folder inside
    `folder` and moved in only when all are written, so a failure or Ctrl-C leaves no half-written set.
    There is no fsync per file (it would cost more than rendering): the messages can always be made
    again from their inputs."""
    if folder.exists() and not folder.is_dir():
        raise UsageError("is a file, not a folder", path=str(folder))
    if not folder.parent.is_dir():
        raise UsageError("the folder above does not exist", path=str(folder.parent))
    _refuse_stale_messages(folder, ids)
    # Into a new (or empty) folder the whole staging folder is renamed at the end: one rename instead of
    # one per message, which on a slow disk is half the time of a large merge.
    whole = not folder.exists() or not any(os.scandir(folder))
    if not whole:
        folder.mkdir(exist_ok=True)
    # Plain strings and os calls: pathlib's overhead is a third of the time at 10,000 files.
    staging = tempfile.mkdtemp(prefix=f".{folder.name}.pressctl-merge-", dir=folder.parent if whole else folder)
    target = str(folder)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        names = []
        for contact_id, data in messages:
            name = f"{contact_id}.eml"
            fd = os.open(os.path.join(staging, name), flags, 0o644)
            try:
                view = memoryview(bytes(data))
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            names.append(name)
            if progress:
                progress()
        if whole:
            os.chmod(staging, 0o755)  # mkdtemp makes it private to its owner
            os.replace(staging, target)
        else:
            for name in names:
                os.replace(os.path.join(staging, name), os.path.join(target, name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(names)


def _refuse_stale_messages(folder: Path, ids: Collection[str]) -> None:
    """A message left from an earlier merge (perhaps to a contact who has since unsubscribed) would be
    sent along with this merge's: refuse rather than mix them. Re-running the same merge replaces its own."""
    if not folder.is_dir():
        return
    ours = {f"{contact_id}.eml" for contact_id in ids}
    stale = sorted(entry.name for entry in os.scandir(folder) if entry.name.endswith(".eml") and entry.name not in ours)
    if stale:
        more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
        raise UsageError(f"already holds {stale[0]}{more}, which this merge would not replace; empty the folder "
                         "or merge into a new one, so that no message from an earlier merge is sent by mistake",
                         path=str(folder))


def write_mbox(path: Path, messages: Iterator[tuple[str, bytes | Spliced]],
               progress: Callable[[], None] | None = None) -> int:
    """All messages in one mboxrd file, written beside `path` and renamed over it at the end."""
    count = 0
    with atomic_file(path, keep_mode=False) as handle:
        for _, data in messages:
            handle.writelines(_mbox_entry(data))
            count += 1
            if progress:
                progress()
    return count


_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def _mbox_entry(data: bytes | Spliced) -> list[bytes]:
    """The message in mboxrd form, in pieces: a message with attachments converts only its own runs."""
    head = data if isinstance(data, bytes) else data.pieces[0]
    match = re.search(rb"^Date: (.*)\r$", head, re.MULTILINE)
    when = parsedate_to_datetime(match.group(1).decode()) if match else None
    stamp = time.asctime(when.utctimetuple()) if when else time.asctime(time.gmtime(0))
    body = [_mbox_body(data)] if isinstance(data, bytes) else data.mbox_body(_mbox_body)
    return [b"From pressctl " + stamp.encode("ascii") + b"\n", *body, b"\n"]


def _mbox_body(data: bytes) -> bytes:
    body = data.replace(b"\r\n", b"\n")
    # The regular expression tries every byte, which costs more than the rest of a message with a large
    # attachment; few messages (and no base64 part) have a line it would change, and finding one is quick.
    if body.startswith((b"From ", b">")) or b"\nFrom " in body or b"\n>" in body:
        body = _FROM_LINE.sub(rb">\1", body)
    return body


def merge_versions(versions: Mapping[str, Release], book: ContactBook, config: Config, recipients: tuple[Contact, ...],
                   *, templates: Path | str | None = None,
                   sender: str | None = None) -> tuple[Counter[str], Iterator[tuple[str, bytes | Spliced]]]:
    """A merge across a release's language versions: each recipient gets the one `version_for` chooses, with the
    attachments (each encoded once). Returns the recipients per language and the messages, a version at a time."""
    from dataclasses import replace
    from itertools import chain

    from pressctl.release.versions import group_recipients
    from pressctl.render.attachments import for_mail, with_attachments

    groups = group_recipients(recipients, versions)

    def messages(release: Release, people: tuple[Contact, ...]) -> Iterator[tuple[str, bytes | Spliced]]:
        shown, parts = for_mail(release)
        for contact_id, data in merge_messages(shown, book, config, people, templates=templates, sender=sender):
            yield contact_id, with_attachments(data, parts)

    counts = Counter({group.release.language: len(group.recipients) for group in groups})
    original = next(iter(versions.values()))
    # A reader who gets a translation is greeted in its language (a `[de, id]` reader of the Indonesian
    # version, say); the original's readers keep the greeting in the first of their languages, as before.
    return counts, chain.from_iterable(
        messages(group.release, group.recipients if group.release is original else tuple(
            replace(contact, languages=(group.release.language, *contact.languages)) for contact in group.recipients))
        for group in groups)
