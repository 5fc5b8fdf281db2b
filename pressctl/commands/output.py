"""Printing: the one place command results meet the terminal.

Every text that reaches the terminal from here passes through `report.visible`, so that a value
from the book (an id or a name holding ANSI escape sequences) is shown, never obeyed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from pressctl.contacts.service import ContactRow
    from pressctl.report import CheckReport

# pressctl.report is imported where it is used: a merge or a send, which only shows `progress`, starts without it.


def print_report(report: CheckReport, fmt: str) -> None:
    from pressctl.report import finding_line, render_report, summary_line, visible

    if fmt != "text":
        sys.stdout.write(render_report(report, fmt))
        return
    from rich.console import Console
    from rich.text import Text

    # Rich colours only on a terminal and honours NO_COLOR; soft_wrap keeps one finding a line.
    console = Console(highlight=False, soft_wrap=True)
    for finding in report.findings:
        style = "bold red" if finding.severity.value == "error" else "yellow"
        line = Text(finding_line(finding))
        line.stylize("bold", 0, len(visible(f"{finding.file}:{finding.line}:{finding.column}:")))
        start = line.plain.find(finding.code)
        line.stylize(style, start, start + len(finding.code))
        console.print(line)
        if finding.fix is not None and finding.rule.fixable:
            console.print(Text(f"    fix: {finding.fix!r}", style="green"))
    console.print(Text(summary_line(report), style="bold" if report.findings else "green"))


# The columns of `contacts list`, and the order in which they are left out when the terminal is too
# narrow for them (first `lists`, then `organisation`, then `id`). Name, email and numbers always
# stay: numbers and addresses are never broken, names and the other text fold inside their column.
LIST_COLUMNS = ("id", "name", "organisation", "email", "numbers", "lists")
LIST_DROP_ORDER = ("lists", "organisation", "id")
_FOLDING_MIN_WIDTH = {"name": 12, "organisation": 12, "lists": 10}


def print_contacts(rows: Sequence[ContactRow]) -> None:
    """`contacts list` as a table that fits the terminal (see LIST_DROP_ORDER)."""
    from rich.console import Console

    console = Console(highlight=False)
    console.print(contacts_table(rows, console))


def contacts_table(rows: Sequence[ContactRow], console: Console) -> Table:
    from pressctl.report import visible

    cells = [{
        "id": row.id, "name": row.name, "organisation": row.organisation, "email": row.email,
        "numbers": "\n".join(row.numbers), "lists": ", ".join(row.lists),
    } for row in rows]
    cells = [{key: visible(value, keep_newlines=key == "numbers") for key, value in row.items()} for row in cells]
    # A column empty in every row says nothing: it is left out first.
    shown = [c for c in LIST_COLUMNS if c in ("name", "email", "numbers") or any(row[c] for row in cells)]
    widths = {column: _least_width(column, cells) for column in LIST_COLUMNS}
    for column in LIST_DROP_ORDER:
        if _table_width(shown, widths) <= console.width:
            break
        if column in shown:
            shown.remove(column)
    fold_email = _table_width(shown, widths) > console.width  # narrower still: addresses fold, numbers never
    return _table(shown, cells, widths, fold_email=fold_email)


def _least_width(column: str, cells: list[dict[str, str]]) -> int:
    """The narrowest a column can be: a number, an address and an id whole (in terminal cells, as
    Rich measures them: a Khmer or CJK name by its width on screen, not its length), other text
    folded at its minimum."""
    from rich.cells import cell_len

    natural = max([cell_len(line) for row in cells for line in row[column].split("\n")] + [len(column)])
    return min(natural, max(_FOLDING_MIN_WIDTH[column], len(column))) if column in _FOLDING_MIN_WIDTH else natural


def _table_width(columns: list[str], widths: dict[str, int]) -> int:
    return sum(widths[c] for c in columns) + 3 * (len(columns) - 1)  # " │ " between columns, no edges


def _table(columns: list[str], cells: list[dict[str, str]], widths: dict[str, int], *, fold_email: bool) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column in columns:
        folds = column in _FOLDING_MIN_WIDTH or (column == "email" and fold_email)
        table.add_column(column, no_wrap=not folds, overflow="fold", min_width=None if folds and column == "email"
                         else widths[column])
    for row in cells:
        table.add_row(*(row[column] for column in columns))
    return table


def stderr(message: str) -> None:
    from pressctl.report import visible

    sys.stderr.write(visible(message) + "\n")


class progress:
    """A Rich progress bar on a terminal (`with progress(total, "sending") as advance:`); silence elsewhere,
    where `advance` is None. `advance` takes any arguments, so a caller may pass what it reports on."""

    def __init__(self, total: int, label: str) -> None:
        self.total = total
        self.label = label
        self.bar: Progress | None = None

    def __enter__(self) -> Callable[..., None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn(self.label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                       console=Console(stderr=True), transient=True)
        bar.start()
        task = bar.add_task(self.label, total=self.total)
        self.bar = bar
        return lambda *_: bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
