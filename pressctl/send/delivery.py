"""The send itself: the due messages over one connection (or `smtp.connections` at once), at the
configured rate, journalled."""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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

T = TypeVar("T")


@dataclass
class SendResult:
    counts: Counter[str] = field(default_factory=Counter)  # this run's outcomes: sent, deferred, failed, …
    problems: list[tuple[Recipient, Outcome]] = field(default_factory=list)  # the last outcome of each not sent
    left: int = 0  # not attempted: the daily limit was reached

    @property
    def complete(self) -> bool:
        return not self.left and not any(self.counts[s] for s in ("deferred", "failed", "unconfirmed"))


@dataclass
class Sender:
    """Everything one run needs; `send()` does the work. This thread makes the messages, marks them in
    the journal and hands each to the first free connection; with several, each connection has a
    thread of its own, which journals the start of DATA and the answer of the messages it carries."""

    plan: SendPlan
    book: ContactBook
    config: Config
    journal: Journal
    connections: Sequence[Connection]
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
        lanes = _Lanes(self.connections, self._one)
        final = False  # in the last round of retries, a deferral is final

        def settle(back: list[tuple[Recipient, bytes, Outcome]]) -> None:
            for recipient, data, outcome in back:
                self._last_reply[recipient.key] = outcome.reply
                if self._sent_today is not None and outcome.state in ("sent", "unconfirmed"):
                    self._sent_today += 1
                if outcome.state == "deferred" and not final:
                    later.append((recipient, data))
                else:
                    self._record(recipient, outcome)

        messages = _Ahead(self._messages(recipients))
        try:
            for number, (recipient, data, unmade) in enumerate(messages):
                if number % batch == 0:  # before any of them can reach a connection
                    journal.reserve(plan.release_id, [r.key for r in recipients[number:number + batch]],
                                    plan.version)
                if self._limit_reached(lanes, settle):
                    self.result.left = len(recipients) - number
                    break
                if data is None:
                    outcome = Outcome("failed", unmade)
                    journal.finish(plan.release_id, recipient.key, outcome.state, outcome.reply)
                    self._record(recipient, outcome)
                    continue
                self._wait_for_rate()
                settle(lanes.hand(recipient, data, again=True, meanwhile=messages.make_next))
            settle(lanes.wait())
            for round_number in range(self.retries):
                if not later or self.result.left:
                    break
                self.sleep(self.retry_wait * 2 ** round_number)
                waiting, later = later, []
                final = round_number + 1 == self.retries
                for recipient, data in waiting:
                    journal.reserve(plan.release_id, [recipient.key], plan.version)
                    self._wait_for_rate()
                    settle(lanes.hand(recipient, data, again=False))
                settle(lanes.wait())
            for recipient, _ in later:
                self._record(recipient, Outcome("deferred", self._last_reply.get(recipient.key, "")))
        finally:
            try:
                final = True  # stopped: what comes back now is this run's last word on it
                settle(lanes.close())
            finally:
                journal.unreserve(plan.release_id)
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

    def _one(self, connection: Connection, recipient: Recipient, data: bytes,
             meanwhile: Callable[[], None] | None) -> Outcome:
        """One transaction on `connection`, in its thread: the start of DATA and the answer journalled."""
        plan, journal = self.plan, self.journal
        outcome = connection.deliver(plan.sender, recipient.address, data,
                                     lambda: journal.start(plan.release_id, recipient.key), meanwhile)
        journal.finish(plan.release_id, recipient.key, outcome.state, outcome.reply)
        return outcome

    def _record(self, recipient: Recipient, outcome: Outcome) -> None:
        self.result.counts[outcome.state] += 1
        if outcome.state != "sent":
            self.result.problems.append((recipient, outcome))
        if self.progress:
            self.progress(outcome.state)

    def _wait_for_rate(self) -> None:
        if not self.per_second:
            return
        now = time.monotonic()
        if now < self._next_at:
            self.sleep(self._next_at - now)
        self._next_at = max(now, self._next_at) + 1 / self.per_second

    def _limit_reached(self, lanes: _Lanes,
                       settle: Callable[[list[tuple[Recipient, bytes, Outcome]]], None]) -> bool:
        if not self.daily_limit:
            return False
        if self._sent_today is None:  # counted once; then this run's messages are added as they go out
            self._sent_today = self.journal.sent_since(time.time() - DAY)
        if self._sent_today + lanes.busy >= self.daily_limit:  # those on their way may yet count: wait for them
            settle(lanes.wait())
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


class _Ahead(Iterator[T]):
    """An iterator that can make its next item early: over one connection the next message is merged while
    the server takes in the one before (its DATA costs the server longer than a merge costs pressctl).
    An exception in making an item is raised when that item is asked for, as without the lookahead."""

    def __init__(self, items: Iterator[T]) -> None:
        self.items = items
        self.made: tuple[T | None, Exception | None] | None = None

    def make_next(self) -> None:
        if self.made is None:
            try:
                self.made = next(self.items), None
            except Exception as err:  # StopIteration included
                self.made = None, err

    def __next__(self) -> T:
        self.make_next()
        assert self.made is not None
        (item, error), self.made = self.made, None
        if error is not None:
            raise error
        return item  # type: ignore[return-value]


class _Lanes:
    """The send's connections, each with a thread of its own that carries one message at a time.

    `hand` gives a message to a free connection (waiting for one when all are busy) and returns the
    outcomes that have come back meanwhile; `wait` returns the rest once every connection is idle;
    `close` ends the threads after their current message and returns what came back. A failure in a
    connection's thread (the server lost for good, the journal unwritable) is raised in the sending
    thread at its next `hand` or `wait`. A single connection is used in the sending thread itself:
    handing each message to another thread and back would only add two thread switches to it.
    """

    def __init__(self, connections: Sequence[Connection],
                 deliver: Callable[[Connection, Recipient, bytes, Callable[[], None] | None], Outcome]) -> None:
        self.deliver = deliver
        self.only = connections[0] if len(connections) == 1 else None
        self.todo: queue.SimpleQueue[tuple[Recipient, bytes, bool] | None] = queue.SimpleQueue()
        self.back: queue.SimpleQueue[tuple[Recipient, bytes, Outcome] | BaseException] = queue.SimpleQueue()
        self.ready: list[tuple[Recipient, bytes, Outcome]] = []  # back, not yet returned
        self.busy = 0  # messages handed out and not back
        self.failure: BaseException | None = None
        self.threads = [] if self.only is not None else [
            threading.Thread(target=self._carry, args=(connection,), daemon=True, name=f"pressctl-send-{number}")
            for number, connection in enumerate(connections, start=1)]
        for thread in self.threads:
            thread.start()

    def _one(self, connection: Connection, recipient: Recipient, data: bytes, again: bool,
             meanwhile: Callable[[], None] | None = None) -> Outcome:
        outcome = self.deliver(connection, recipient, data, meanwhile)
        if again and outcome.state == "deferred" and connection.smtp is None:
            outcome = self.deliver(connection, recipient, data, meanwhile)  # it dropped: once more on a new one
        return outcome

    def _carry(self, connection: Connection) -> None:
        while (item := self.todo.get()) is not None:
            recipient, data, again = item
            try:
                outcome = self._one(connection, recipient, data, again)
            except BaseException as err:  # handed to the sending thread, which raises it
                self.back.put(err)
                return
            self.back.put((recipient, data, outcome))

    def _collect(self, *, block: bool) -> None:
        """What has come back; with `block`, at least one of those on their way."""
        while self.busy:
            try:
                item = self.back.get(block=block)
            except queue.Empty:
                return
            block = False
            self.busy -= 1
            if isinstance(item, BaseException):
                self.failure = self.failure or item
            else:
                self.ready.append(item)

    def _returned(self) -> list[tuple[Recipient, bytes, Outcome]]:
        if self.failure is not None:
            raise self.failure
        ready, self.ready = self.ready, []
        return ready

    def hand(self, recipient: Recipient, data: bytes, *, again: bool,
             meanwhile: Callable[[], None] | None = None) -> list[tuple[Recipient, bytes, Outcome]]:
        """`again`: when the connection turns out to have dropped, try once more on a new one. `meanwhile` runs
        in the sending thread while a single connection waits for the server's answer to the message (with
        several, that thread is free anyway)."""
        if self.only is not None:
            return [(recipient, data, self._one(self.only, recipient, data, again, meanwhile))]
        self._collect(block=self.busy >= len(self.threads))
        ready = self._returned()
        self.todo.put((recipient, data, again))
        self.busy += 1
        return ready

    def wait(self) -> list[tuple[Recipient, bytes, Outcome]]:
        while self.busy and self.failure is None:
            self._collect(block=True)
        return self._returned()

    def close(self) -> list[tuple[Recipient, bytes, Outcome]]:
        for _ in self.threads:
            self.todo.put(None)
        for thread in self.threads:
            thread.join()
        self._collect(block=False)
        ready, self.ready = self.ready, []
        return ready
