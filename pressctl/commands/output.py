"""Printing: the one place command results meet the terminal."""

import sys

from pressctl.report import CheckReport, finding_line, render_report, summary_line


def print_report(report: CheckReport, fmt: str) -> None:
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
        line.stylize("bold", 0, len(f"{finding.file}:{finding.line}:{finding.column}:"))
        start = line.plain.find(finding.code)
        line.stylize(style, start, start + len(finding.code))
        console.print(line)
        if finding.fix is not None and finding.rule.fixable:
            console.print(Text(f"    fix: {finding.fix!r}", style="green"))
    console.print(Text(summary_line(report), style="bold" if report.findings else "green"))


def stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
