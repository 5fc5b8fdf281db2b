"""Who a send writes to, and who is still due: the merge's recipients, checked against the journal."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.config import Config
from pressctl.contacts.addresses import MailAddress, require_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import UsageError
from pressctl.recipients import choose_recipients
from pressctl.release import Release
from pressctl.render.phrases import translated_language
from pressctl.send.journal import Row

SKIP_ALREADY_SENT = "already sent"
SKIP_UNCONFIRMED = "unconfirmed, not resent (--resend-unconfirmed)"
SKIP_FAILED = "refused by the server before (--retry-failed)"


@dataclass(frozen=True)
class Recipient:
    contact: Contact
    key: str  # the journal's name for the address (MailAddress.key)
    address: MailAddress  # validated by the merge's choice of recipients
    language: str

    @property
    def plain(self) -> bool:
        """An address with an ASCII form: what every merge and every server handles."""
        return self.address.ascii is not None

    @property
    def envelope(self) -> str:
        return self.address.ascii or self.address.normalised


@dataclass(frozen=True)
class SendPlan:
    release: Release
    release_id: str  # the release file relative to the workspace: the journal's name for it
    version: str  # sha256 of the release file
    recipients: tuple[Recipient, ...]  # everyone the merge writes to, in its order
    skipped: Counter[str]  # the merge's skips (unsubscribed, no address, duplicates)
    sender: MailAddress
    sender_text: str  # as the From: shows it

    @property
    def test_recipient(self) -> Recipient | None:
        """Whose message `--test` sends: the first with an address every server takes."""
        return next((recipient for recipient in self.recipients if recipient.plain), None)

    def languages(self, recipients: tuple[Recipient, ...] | None = None) -> Counter[str]:
        return Counter(r.language for r in (self.recipients if recipients is None else recipients))


@dataclass(frozen=True)
class Due:
    """This run's share of a plan: who gets a message now, and who is left out because of the journal."""

    recipients: tuple[Recipient, ...]
    skipped: Counter[str] = field(default_factory=Counter)
    changed_from: int = 0  # messages that went out from another version of the release (--continue-changed)


class ReleaseChanged(UsageError):
    """The release file differs from the one some messages were made from: the user must choose."""

    def __init__(self, rest: int, message: str, **where: Any) -> None:
        super().__init__(message, **where)
        self.rest = rest  # who would get the new version with --continue-changed


def plan_send(release: Release, book: ContactBook, config: Config, workspace: Path, *,
              audience: list[str] | None = None, to: list[str] | None = None, sender: str | None = None) -> SendPlan:
    """The merge's recipients (read from the book as it is now), each with the address the server gets."""
    merge = choose_recipients(release, book, audience=audience, to=to)
    skipped = Counter(merge.skipped)
    recipients = tuple(Recipient(chosen.contact, chosen.address.key, chosen.address,
                                 translated_language(chosen.contact.languages, release.language))
                       for chosen in merge.recipients)
    name, email = config.sender.name, config.sender.email
    from_text = sender or (f"{name} <{email}>" if name else email)
    if not from_text:
        raise UsageError("no sender: set [sender] email in pressctl.toml, or pass --from")
    from email.utils import parseaddr

    from_address = require_address(parseaddr(sender)[1] if sender else config.sender.email,
                                   where="--from" if sender else f"{config.path}: `sender.email`")
    path = Path(release.path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read the release: {err.strerror}", path=release.path) from None
    return SendPlan(release, release_identity(path, workspace), hashlib.sha256(data).hexdigest(),
                    recipients, skipped, from_address, from_text)


def release_identity(path: Path, workspace: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def due(plan: SendPlan, rows: dict[str, Row], *, resend: bool = False, resend_unconfirmed: bool = False,
        retry_failed: bool = False, continue_changed: bool = False) -> Due:
    """Who is due now. A message that went out (sent, or perhaps: unconfirmed) is never repeated
    unless asked; a release file changed since some went out stops the send until the user chooses."""
    out = [row for row in rows.values() if row.state in ("sent", "unconfirmed") and row.version != plan.version]
    if out and not (resend or continue_changed):
        rest = sum(1 for r in plan.recipients if r.key not in rows or rows[r.key].state not in ("sent", "unconfirmed"))
        raise ReleaseChanged(rest,
            f"changed since {len(out)} message{'s' if len(out) != 1 else ''} of it went out; pressctl will not "
            "choose for you", path=plan.release.path,
            hint=f"--continue-changed sends this version to the {rest} who have had none; --resend sends it to "
                 "everyone again; or put the old file back to finish the send as it began")
    skipped: Counter[str] = Counter()
    chosen = []
    for recipient in plan.recipients:
        row = rows.get(recipient.key)
        state = row.state if row is not None else "pending"
        if state == "sending":  # seen without recovery (a dry run): it may be out
            state = "unconfirmed"
        if resend or state in ("pending", "deferred"):
            chosen.append(recipient)
        elif state == "sent":
            skipped[SKIP_ALREADY_SENT] += 1
        elif state == "unconfirmed":
            if resend_unconfirmed:
                chosen.append(recipient)
            else:
                skipped[SKIP_UNCONFIRMED] += 1
        elif state == "failed":
            if retry_failed:
                chosen.append(recipient)
            else:
                skipped[SKIP_FAILED] += 1
    return Due(tuple(chosen), skipped, len(out))
