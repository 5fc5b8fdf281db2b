"""The send itself: the due messages over one connection, at the configured rate, journalled."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.config import Config
from pressctl.contacts.addresses import mail_address
from pressctl.contacts.model import Contact, ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.render.merge import merge_in_order, merge_messages
from pressctl.send.journal import DAY, Journal
from pressctl.send.plan import Due, Recipient, SendPlan
from pressctl.send.transport import Connection, Outcome

# Messages marked `sending` with one fsync. Without a boot id a kill could not tell the marked from
# the started, so there each message is marked alone (see journal.py).
BATCH = 64


@dataclass
class SendResult:
    counts: Counter[str] = field(default_factory=Counter)  # this run's outcomes: sent, deferred, failed, …
    problems: list[tuple[Recipient, Outcome]] = field(default_factory=list)  # the last outcome of each not sent
    left: int = 0  # not attempted: the daily limit was reached
    journal_seconds: float = 0.0  # time spent writing the journal (for the benchmark)

    @property
    def complete(self) -> bool:
        return not self.left and not any(self.counts[s] for s in ("deferred", "failed", "unconfirmed"))


@dataclass
class Sender:
    """Everything one run needs; `send()` does the work."""

    plan: SendPlan
    book: ContactBook
    config: Config
    journal: Journal
    connection: Connection
    templates: Path | None = None
    sender: str | None = None
    per_second: float | None = None
    daily_limit: int | None = None
    retries: int = 3
    retry_wait: float = 30.0
    progress: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    result: SendResult = field(default_factory=SendResult)
    _next_at: float = 0.0
    _last_reply: dict[str, str] = field(default_factory=dict)
    _sent_today: int | None = None

    def send(self, due: Due) -> SendResult:
        plan, journal = self.plan, self.journal
        journal.add(plan.release_id, ((r.key, r.contact.id, r.envelope) for r in plan.recipients))
        recipients = due.recipients
        batch = BATCH if journal.boot else 1
        later: list[tuple[Recipient, bytes]] = []
        try:
            for number, (recipient, data, unmade) in enumerate(self._messages(recipients)):
                if number % batch == 0:
                    self._journalled(journal.reserve, plan.release_id,
                                     [r.key for r in recipients[number:number + batch]], plan.version)
                if self._limit_reached():
                    self.result.left = len(recipients) - number
                    break
                if data is None:
                    outcome = Outcome("failed", unmade)
                    self._journalled(journal.finish, plan.release_id, recipient.key, outcome.state, outcome.reply)
                    self._record(recipient, outcome)
                    continue
                outcome = self._one(recipient, data)
                if outcome.state == "deferred" and self.connection.smtp is None:
                    outcome = self._one(recipient, data)  # the connection dropped: once more on a new one
                if outcome.state == "deferred":
                    later.append((recipient, data))
                else:
                    self._record(recipient, outcome)
            for round_number in range(self.retries):
                if not later or self.result.left:
                    break
                self.sleep(self.retry_wait * 2 ** round_number)
                waiting, later = later, []
                for recipient, data in waiting:
                    self._journalled(journal.reserve, plan.release_id, [recipient.key], plan.version)
                    outcome = self._one(recipient, data)
                    if outcome.state == "deferred" and round_number + 1 < self.retries:
                        later.append((recipient, data))
                    else:
                        self._record(recipient, outcome)
            for recipient, _ in later:
                self._record(recipient, Outcome("deferred", self._last_reply.get(recipient.key, "")))
        finally:
            self._journalled(journal.unreserve, plan.release_id)
        return self.result

    def _messages(self, recipients: tuple[Recipient, ...]) -> Iterator[tuple[Recipient, bytes | None, str]]:
        """Each recipient's message from the merge, or None and why it cannot be made. An address
        without an ASCII form is merged on its own, so that it cannot stop the others' messages."""
        from pressctl.release.versions import load_versions

        # Each reader gets the version of the release in the first of their languages that exists (SPEC §9).
        versions = load_versions(self.plan.release.path)

        def merged(contacts: tuple[Contact, ...]) -> Iterator[tuple[str, bytes]]:
            for contact_id, data in merge_in_order(versions, self.book, self.config, contacts,
                                                   templates=self.templates, sender=self.sender):
                yield contact_id, bytes(data)

        plain = merged(tuple(r.contact for r in recipients if r.plain))
        for recipient in recipients:
            if recipient.plain:
                yield recipient, next(plain)[1], ""
            else:
                try:
                    yield recipient, next(merged((recipient.contact,)))[1], ""
                except InputError as err:  # the merge refuses what an ordinary mail header cannot carry
                    yield recipient, None, err.message

    def _one(self, recipient: Recipient, data: bytes) -> Outcome:
        plan, journal = self.plan, self.journal
        self._wait_for_rate()
        outcome = self.connection.deliver(
            plan.sender, recipient.address, data,
            lambda: self._journalled(journal.start, plan.release_id, recipient.key))
        self._journalled(journal.finish, plan.release_id, recipient.key, outcome.state, outcome.reply)
        self._last_reply[recipient.key] = outcome.reply
        if self._sent_today is not None and outcome.state in ("sent", "unconfirmed"):
            self._sent_today += 1
        return outcome

    def _record(self, recipient: Recipient, outcome: Outcome) -> None:
        self.result.counts[outcome.state] += 1
        if outcome.state != "sent":
            self.result.problems.append((recipient, outcome))
        if self.progress:
            self.progress(outcome.state)

    def _journalled(self, write: Callable[..., None], *args: object) -> None:
        start = time.perf_counter()
        write(*args)
        self.result.journal_seconds += time.perf_counter() - start

    def _wait_for_rate(self) -> None:
        if not self.per_second:
            return
        now = time.monotonic()
        if now < self._next_at:
            self.sleep(self._next_at - now)
        self._next_at = max(now, self._next_at) + 1 / self.per_second

    def _limit_reached(self) -> bool:
        if not self.daily_limit:
            return False
        if self._sent_today is None:  # counted once; then this run's messages are added as they go out
            self._sent_today = self.journal.sent_since(time.time() - DAY)
        return self._sent_today >= self.daily_limit


def test_message(plan: SendPlan, book: ContactBook, config: Config, connection: Connection, address: str, *,
                 templates: Path | None = None, sender: str | None = None) -> Outcome:
    """The first recipient's message, its subject marked [TEST], to `address` only; nothing is journalled."""
    to = mail_address(address)
    if to is None:
        raise UsageError(f"--test {address!r} is not a valid e-mail address")
    first = plan.test_recipient
    if first is None:
        raise UsageError("nobody to send a test of: the plan has no recipients")
    messages: Iterator[tuple[str, bytes]] = merge_messages(plan.release, book, config, (first.contact,),
                                                           templates=templates, sender=sender)
    _, data = next(messages)
    return connection.deliver(plan.sender, to, mark_test(data), lambda: None)


def mark_test(data: bytes) -> bytes:
    """`Subject: [TEST] …`: the rest of the message is byte for byte the one the recipient will get."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    for number, line in enumerate(lines):
        if line.lower().startswith(b"subject:"):
            lines[number] = b"Subject: [TEST] " + line[len(b"subject:"):].lstrip()
            break
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
