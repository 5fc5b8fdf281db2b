"""What a send shows: the plan before it, the summary line after it, the journal's status, the CSV report."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from pressctl.export.csvfile import Dialect, write_csv
from pressctl.send.delivery import SendResult
from pressctl.send.journal import STATES, Row
from pressctl.send.plan import Due, SendPlan
from pressctl.send.settings import SmtpSettings, describe_rate

REPORT_HEADER = ("recipient", "address", "state", "reply", "time")


def _reasons(skipped: Counter[str]) -> str:
    return ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items()) if count)


def plan_lines(plan: SendPlan, due: Due, settings: SmtpSettings, *, test_to: str | None = None) -> list[str]:
    """The plan as a press officer checks it before anything goes out."""
    release = plan.release
    lines = [f"Release:  {release.headline}", f"          {plan.release_id}"]
    if test_to:
        first = plan.test_recipient
        lines.append(f"Test:     the message for {first.contact.id if first else '(nobody)'}, subject marked [TEST], "
                     f"to {test_to} only; nothing is recorded")
    else:
        languages = plan.languages(due.recipients)
        per_language = ", ".join(f"{count} in {tag}" for tag, count in sorted(languages.items()))
        lines.append(f"To:       {len(due.recipients)} recipient{'s' if len(due.recipients) != 1 else ''}"
                     + (f" ({per_language})" if per_language else ""))
        skipped = Counter(plan.skipped) + due.skipped
        if skipped:
            lines.append(f"Skipped:  {sum(skipped.values())} ({_reasons(skipped)})")
        if due.changed_from:
            lines.append(f"Note:     {due.changed_from} had an earlier version of this release; the rest get this one")
    lines.append(f"From:     {plan.sender_text}")
    rate = describe_rate(settings)
    lines.append(f"Server:   {settings.server}" + (f", {rate}" if rate else ""))
    return lines


def summary_line(plan: SendPlan, due: Due, result: SendResult) -> str:
    """`Sent 7 messages; skipped 1 (1 unsubscribed); 1 deferred.`: one line, whatever happened."""
    sent = result.counts["sent"]
    text = f"Sent {sent} message{'s' if sent != 1 else ''}"
    skipped = Counter(plan.skipped) + due.skipped
    if skipped:
        text += f"; skipped {sum(skipped.values())} ({_reasons(skipped)})"
    for state in ("deferred", "failed", "unconfirmed"):
        if result.counts[state]:
            text += f"; {result.counts[state]} {state}"
    if result.left:
        text += f"; {result.left} left for later (daily limit reached)"
    return text + "."


def status_lines(release_id: str, counts: dict[str, int], rows: dict[str, Row]) -> list[str]:
    total = sum(counts.values())
    if not total:
        return [f"{release_id}: nothing sent yet (the journal has no messages of it)"]
    shown = ", ".join(f"{counts[state]} {state}" for state in STATES if counts[state])
    lines = [f"{release_id}: {total} recipient{'s' if total != 1 else ''}: {shown}"]
    for row in sorted(rows.values(), key=lambda r: (r.state, r.contact)):
        if row.state in ("failed", "unconfirmed", "deferred"):
            lines.append(f"  {row.state:<11} {row.contact} <{row.envelope}>: {row.reply}")
    return lines


def report_csv(rows: dict[str, Row]) -> bytes:
    """One row per recipient; cells defused for spreadsheets (a reply can start with anything)."""
    ordered = sorted(rows.values(), key=lambda r: r.contact)
    cells = ([row.contact, row.envelope, row.state, row.reply, _time(row.updated)] for row in ordered)
    return write_csv(REPORT_HEADER, cells, Dialect(spreadsheet=True))


def _time(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
