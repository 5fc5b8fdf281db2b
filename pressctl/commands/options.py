"""Options shared by several commands, defined once."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_CONTACTS = Path("contacts.yaml")

ContactsOption = Annotated[
    Path,
    typer.Option("--contacts", help="The contact book.", show_default=True),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Settings and export jobs [default: ./pressctl.toml]."),
]
# Text, not Path: Path("") is "." and Path("out/") is "out", and the writer must see what was typed.
OutputOption = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write here instead of standard output."),
]


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"


# The options every check takes (`contacts check`, `release check`).
FormatOption = Annotated[
    ReportFormat | None,
    typer.Option("--format", help="Output format; github is the default under GitHub Actions."),
]
SelectOption = Annotated[
    list[str] | None,
    typer.Option("--select", help="Only these codes or prefixes (comma-separated, repeatable)."),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option("--ignore", help="Skip these codes or prefixes (comma-separated, repeatable)."),
]
StrictOption = Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.")]


def split_codes(values: list[str] | None) -> list[str]:
    """`--select P,E --select C001` as ["P", "E", "C001"]."""
    return [code for value in values or [] for code in value.split(",")]
