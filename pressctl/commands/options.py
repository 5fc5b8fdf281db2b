"""Options shared by several commands, defined once."""

from pathlib import Path
from typing import Annotated

import typer

ContactsOption = Annotated[
    Path,
    typer.Option("--contacts", help="The contact book.", show_default=True),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write here instead of standard output."),
]
DEFAULT_CONTACTS = Path("contacts.yaml")
