"""Mail merge: one message per recipient, written as .eml files or one mbox. Nothing is sent.

The API that `render --format eml` and `send` share:

    plan = pressctl.recipients.choose_recipients(release, book, audience=…, to=…)
    for recipient, data in messages(release, book, config, plan, templates=…, sender=…):
        ...  # recipient: pressctl.recipients.Recipient; data: the message's bytes (CRLF)

Everything that does not depend on the recipient (the template context with its Markdown, the envelope,
the compiled templates) is made once per merge. Each message is then rendered in full from that context
(the plain path), or, when the templates only print the recipient's values, filled into a rendering made
once with placeholders (pressctl.render.placeholders); the first message filled in is also rendered in full and
compared, as a check on the fast path. For an mbox (`merge_versions(…, mbox=True)`) the fast path makes each
message in the mbox's own form, LF line ends and quoted From lines, with no conversion afterwards (InMboxForm).
`plan_merge` and `merge_messages` are the older names, kept as thin wrappers.
"""

from __future__ import annotations

import html as html_lib
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload

from pressctl.atomic import atomic_file
from pressctl.config import Config
from pressctl.contacts.addresses import mail_address
from pressctl.contacts.load import ID_PATTERN
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import InputError
from pressctl.recipients import (
    SKIP_ADDRESS_UNSUBSCRIBED,
    SKIP_DUPLICATE,
    SKIP_INVALID_EMAIL,
    SKIP_NO_EMAIL,
    SKIP_UNSUBSCRIBED,
    Recipient,
    RecipientPlan,
    choose_recipients,
)
from pressctl.release import Release
from pressctl.render.attachments import Spliced
from pressctl.render.document import build_context, document_renderer, ensure_renderable
from pressctl.render.email import (
    Body,
    Envelope,
    MessageLayout,
    MimeMessage,
    address_header,
    envelope,
    greeting_for,
    header_url,
    message_bytes,
)
from pressctl.render.email import unsubscribe_url as unsubscribe_url_for
from pressctl.render.outbox import write_folder
from pressctl.render.phrases import translated_language
from pressctl.render.placeholders import Prerendered, prints_recipient_only, recipient_view

__all__ = [
    "SKIP_ADDRESS_UNSUBSCRIBED",
    "SKIP_DUPLICATE",
    "SKIP_INVALID_EMAIL",
    "SKIP_NO_EMAIL",
    "SKIP_UNSUBSCRIBED",
    "MergePlan",
    "Recipient",
    "RecipientPlan",
    "choose_recipients",
    "merge_messages",
    "merge_versions",
    "messages",
    "plan_merge",
    "write_folder",
    "write_mbox",
]


@dataclass(frozen=True)
class MergePlan:
    """The older shape of a plan (contacts rather than Recipients), for callers of plan_merge()."""

    recipients: tuple[Contact, ...]
    skipped: Counter[str] = field(default_factory=Counter)


def plan_merge(release: Release, book: ContactBook, *, audience: list[str] | None = None,
               to: list[str] | None = None) -> MergePlan:
    """choose_recipients(), as contacts."""
    plan = choose_recipients(release, book, audience=audience, to=to)
    return MergePlan(tuple(recipient.contact for recipient in plan.recipients), plan.skipped)


def merge_messages(release: Release, book: ContactBook, config: Config, recipients: Iterable[Contact | Recipient], *,
                   templates: Path | str | None = None, sender: str | None = None) -> Iterator[tuple[str, bytes]]:
    """(contact id, message bytes) for each recipient, in order: messages() for contacts chosen by plan_merge()."""
    for recipient, data in messages(release, book, config, recipients, templates=templates, sender=sender):
        yield recipient.id, data


def messages(release: Release, book: ContactBook, config: Config, plan: RecipientPlan | Iterable[Contact | Recipient],
             *, templates: Path | str | None = None, sender: str | None = None) -> Iterator[tuple[Recipient, bytes]]:
    """(recipient, message bytes) for each recipient of the plan, in order."""
    for recipient, data in _merged(release, book, config, plan, templates=templates, sender=sender, mbox=False):
        assert not isinstance(data, InMboxForm)  # made only when asked for
        yield recipient, data


def _merged(release: Release, book: ContactBook, config: Config, plan: RecipientPlan | Iterable[Contact | Recipient],
            *, templates: Path | str | None, sender: str | None, mbox: bool
            ) -> Iterator[tuple[Recipient, bytes | InMboxForm]]:
    """messages(); with `mbox`, for write_mbox, a message may come already in mbox form (InMboxForm)."""
    recipients = [_as_recipient(r) for r in (plan.recipients if isinstance(plan, RecipientPlan) else plan)]
    merge = _Merge(release, book, config, templates=templates, sender=sender, fast=bool(recipients), mbox=mbox)
    for recipient in recipients:
        yield recipient, merge.message(recipient)


@dataclass(frozen=True, slots=True)
class InMboxForm:
    """A message the merge made directly in the form an mbox holds it (LF line ends, its `From ` lines
    quoted): the same bytes write_mbox would make of the CRLF message, without converting it."""

    data: bytes


class _Merge:
    """One release's merge: what does not depend on the recipient is made once (the envelope, the template
    context with its Markdown, both templates compiled when first needed, the placeholder rendering)."""

    def __init__(self, release: Release, book: ContactBook, config: Config, *, templates: Path | str | None,
                 sender: str | None, fast: bool, mbox: bool = False) -> None:
        ensure_renderable(release, book)
        self.release, self.config, self.templates, self.mbox = release, config, templates, mbox
        self.env = envelope(release, config, sender)
        self.context = build_context(release, book, config)
        self.renderers: list[Callable[[dict[str, Any]], str]] = []
        self.fast: Prerendered | None = None
        self.checked = False  # whether a filled message has been compared with its full rendering
        if fast and prints_recipient_only(templates):
            prerendered = Prerendered(self.context, templates, unsubscribe=bool(config.email.list_unsubscribe))
            if prerendered.usable:
                self.fast = prerendered
                self.layout = MessageLayout(self.env, prerendered.text.template, prerendered.html.template)

    def message(self, recipient: Recipient) -> MimeMessage | InMboxForm:
        """One recipient's message. The first message the placeholder path fills is also rendered in full and
        the two compared; if they differ, it and every later message take the plain path. A message is thus
        made the same way wherever its recipient stands in the merge (or whether it is merged alone)."""
        values = _values(self.release, self.config, recipient)
        fast = self.fast
        pieces = fast.pieces(values) if fast else None
        if fast is not None and pieces is not None and not self.checked:
            self.checked = True
            if not _same(self._render(recipient, values), fast.fill(pieces)):
                self.fast = fast = None
        if fast is None or pieces is None:
            text, html = self._render(recipient, values)
            return _message(self.env, recipient, values, text, html)
        to, unsubscribe = _recipient_headers(self.env, recipient, values)
        data = self.layout.message(to=to, key=recipient.id, unsubscribe=unsubscribe, made_from=fast.made_from(values),
                                   bodies=None, text=pieces[0], html=pieces[1], lf=self.mbox)
        from_lines = fast.from_lines(values)
        if self.mbox:
            return InMboxForm(_quote_from_lines(data) if from_lines else data)
        message = MimeMessage(data)
        if not from_lines:
            message.from_lines = False
        return message

    def _render(self, recipient: Recipient, values: dict[str, str]) -> tuple[str, str]:
        if not self.renderers:
            self.renderers = [document_renderer("text", self.templates), document_renderer("email", self.templates)]
        return _render(self.context, recipient, values, self.renderers)


def _as_recipient(item: Contact | Recipient) -> Recipient:
    if isinstance(item, Recipient):
        return item
    address = mail_address(item.email) if item.email else None
    if address is None:
        raise InputError(f"contact `{item.id}`: {item.email!r} is not a valid e-mail address",
                         hint="choose recipients with pressctl.recipients.choose_recipients()")
    return Recipient(item, address)


def _values(release: Release, config: Config, recipient: Recipient) -> dict[str, str]:
    contact = recipient.contact
    if not ID_PATTERN.fullmatch(contact.id):
        raise InputError(f"contact id {contact.id!r} is not a slug of a-z, 0-9 and '-', so it cannot name a file")
    language = translated_language(contact.languages, release.language)
    return {
        "id": contact.id, "name": contact.name, "email": recipient.address.normalised, "role": contact.role or "",
        "organisation": contact.organisation or "", "language": language,
        "greeting": greeting_for(contact.name, language), "unsubscribe_url": unsubscribe_url_for(config, contact.id),
    }


def _render(context: dict[str, Any], recipient: Recipient, values: dict[str, str],
            renderers: list[Callable[[dict[str, Any]], str]]) -> tuple[str, str]:
    """The plain path: both templates rendered for this recipient, from the context made once per merge."""
    context = {**context, "recipient": recipient_view(values, recipient.contact.extensions),
               "greeting": values["greeting"], "unsubscribe_url": values["unsubscribe_url"]}
    text, email = renderers
    return text(context), email(context)


def _same(full: tuple[str, str], filled: tuple[Body, Body]) -> bool:
    """Whether the two paths agree; the inliner re-serialises entities, so HTML is compared as shown text."""
    text, html = (body.decode("utf-8").replace("\r\n", "\n") for _, body in filled)
    return full[0] == text and html_lib.unescape(full[1]) == html_lib.unescape(html)


def _message(env: Envelope, recipient: Recipient, values: dict[str, str], text: str, html: str) -> MimeMessage:
    to, unsubscribe = _recipient_headers(env, recipient, values)
    return message_bytes(env, text=text, html=html, to=to, key=recipient.id, unsubscribe=unsubscribe)


def _recipient_headers(env: Envelope, recipient: Recipient, values: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """The To: value, and the List-Unsubscribe addresses, of one recipient's message."""
    contact = recipient.contact
    to = address_header(contact.name, values["email"], contact=contact.id)
    addresses = (values["unsubscribe_url"], env.mailto_for(contact.id))
    return to, tuple(header_url(address) for address in addresses if address)


def write_mbox(path: Path, messages: Iterator[tuple[str, bytes | Spliced | InMboxForm]],
               progress: Callable[[], None] | None = None) -> int:
    """All messages in one mboxrd file, written beside `path` and renamed over it at the end."""
    count = 0
    with atomic_file(path, keep_mode=False) as handle:
        pending: list[bytes] = []  # about a megabyte at a time: a write per message costs twice the system time
        size = 0
        for _, data in messages:
            entry = _mbox_entry(data)
            pending += entry
            size += sum(map(len, entry))
            if size >= 1 << 20:
                handle.write(b"".join(pending))
                pending.clear()
                size = 0
            count += 1
            if progress:
                progress()
        handle.write(b"".join(pending))
    return count


_FROM_LINE = re.compile(rb"^(>*From )", re.MULTILINE)


def _mbox_entry(data: bytes | Spliced | InMboxForm) -> list[bytes]:
    """The message in mboxrd form, in pieces: a message with attachments converts only its own runs (each
    attachment part, shared by every message, is converted once; see render/attachments.py)."""
    if isinstance(data, InMboxForm):  # made in this form by the merge: nothing to convert
        head, body = data.data, [data.data]
    else:
        head = data if isinstance(data, bytes) else data.pieces[0]
        body = [_mbox_body(data)] if isinstance(data, bytes) else data.mbox_body(_mbox_body)
    return [b"From pressctl " + _stamp(_date_of(head)) + b"\n", *body, b"\n"]


def _mbox_body(data: bytes) -> bytes:
    # CRLF to LF. A MimeMessage holds no CR but those of its CRLFs, so deleting every CR (a fast single-byte
    # replace) is the same as replacing each CRLF, which takes seven times as long.
    body = data.replace(b"\r", b"") if type(data) is MimeMessage else data.replace(b"\r\n", b"\n")
    return _quote_from_lines(body) if getattr(data, "from_lines", True) else body


def _quote_from_lines(body: bytes) -> bytes:
    """mboxrd: a line that starts with `From `, after any `>`, gets one more `>`."""
    return _FROM_LINE.sub(rb">\1", body) if b"From " in body else body


def _date_of(head: bytes) -> bytes:
    """The value of the first line that starts with `Date: `, up to a CR or LF; b"" when no line does.
    Looked for with bytes.find: a `(?m)^Date` pattern tries a match at every byte before it."""
    if head.startswith(b"Date: "):
        start = 0
    else:
        start = head.find(b"\nDate: ") + 1
        if not start:
            return b""
    end = head.find(b"\n", start)
    return (head[start + 6:] if end < 0 else head[start + 6:end]).split(b"\r", 1)[0]


@lru_cache(maxsize=16)
def _stamp(date: bytes) -> bytes:
    """The From line's date (asctime, UTC) for a Date header: one per merge, so made once."""
    when = parsedate_to_datetime(date.decode("ascii")) if date else None
    return time.asctime(when.utctimetuple() if when else time.gmtime(0)).encode("ascii")


Merged = Iterator[tuple[str, bytes | Spliced]]  # (contact id, message) in the order of the merge
MergedForMbox = Iterator[tuple[str, bytes | Spliced | InMboxForm]]


@overload
def merge_versions(versions: Mapping[str, Release], book: ContactBook, config: Config, recipients: tuple[Contact, ...],
                   *, templates: Path | str | None = ..., sender: str | None = ...,
                   mbox: Literal[False] = ...) -> tuple[Counter[str], Merged]: ...


@overload
def merge_versions(versions: Mapping[str, Release], book: ContactBook, config: Config, recipients: tuple[Contact, ...],
                   *, templates: Path | str | None = ..., sender: str | None = ...,
                   mbox: Literal[True]) -> tuple[Counter[str], MergedForMbox]: ...


def merge_versions(versions: Mapping[str, Release], book: ContactBook, config: Config, recipients: tuple[Contact, ...],
                   *, templates: Path | str | None = None, sender: str | None = None, mbox: bool = False,
                   ) -> tuple[Counter[str], MergedForMbox]:
    """A merge across a release's language versions: each recipient gets the one `version_for` chooses, with the
    attachments (each encoded once). Returns the recipients per language and the messages, a version at a time.
    `mbox`: the messages are for write_mbox, which takes some already in its form (InMboxForm)."""
    from itertools import chain

    counts, streams, _ = _version_streams(versions, book, config, recipients, templates, sender, mbox)
    return counts, chain.from_iterable(streams.values())


def merge_in_order(versions: Mapping[str, Release], book: ContactBook, config: Config, recipients: tuple[Contact, ...],
                   *, templates: Path | str | None = None,
                   sender: str | None = None) -> Iterator[tuple[str, bytes | Spliced]]:
    """merge_versions() in the recipients' own order, for `send`, whose journal goes down the list."""
    _, streams, chosen = _version_streams(versions, book, config, recipients, templates, sender, mbox=False)
    for contact in recipients:
        data = next(streams[chosen[contact.id]])
        assert not isinstance(data[1], InMboxForm)  # made only for an mbox
        yield data[0], data[1]


def _version_streams(versions: Mapping[str, Release], book: ContactBook, config: Config,
                     recipients: tuple[Contact, ...], templates: Path | str | None, sender: str | None, mbox: bool
                     ) -> tuple[Counter[str], dict[str, Iterator[tuple[str, bytes | Spliced | InMboxForm]]],
                                dict[str, str]]:
    """Per version: how many readers, their messages (lazily, in their order), and each reader's version."""
    from pressctl.render.attachments import for_mail, with_attachments

    groups = _groups(versions, recipients)

    def messages(release: Release, people: tuple[Contact, ...]) -> Iterator[tuple[str, bytes | Spliced | InMboxForm]]:
        shown, parts = for_mail(release)
        if not parts:  # nothing to splice in, so a message may come in an mbox's form
            for recipient, data in _merged(shown, book, config, people, templates=templates, sender=sender, mbox=mbox):
                yield recipient.id, data
            return
        for contact_id, data in merge_messages(shown, book, config, people, templates=templates, sender=sender):
            yield contact_id, with_attachments(data, parts)

    counts = Counter({release.language: len(people) for release, people in groups})
    streams = {release.language: messages(release, people) for release, people in groups}
    chosen = {contact.id: release.language for release, people in groups for contact in people}
    return counts, streams, chosen


def _groups(versions: Mapping[str, Release], recipients: tuple[Contact, ...]
            ) -> list[tuple[Release, tuple[Contact, ...]]]:
    """The recipients of each language version, in their order, as that version greets them."""
    from dataclasses import replace

    from pressctl.release.versions import group_recipients

    original = next(iter(versions.values()))
    # A reader who gets a translation is greeted in its language (a `[de, id]` reader of the Indonesian
    # version, say); the original's readers keep the greeting in the first of their languages, as before.
    return [(group.release, group.recipients if group.release is original else tuple(
        replace(contact, languages=(group.release.language, *contact.languages)) for contact in group.recipients))
        for group in group_recipients(recipients, versions)]
