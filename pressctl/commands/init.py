"""`pressctl init`: start a workspace."""

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    from pressctl.cli_support import handles_errors

    app.command("init")(handles_errors(init))


def init(
    folder: Annotated[Path, typer.Argument(help="Where to create the workspace.")] = Path("."),
) -> None:
    """Create a workspace: contacts.yaml, pressctl.toml, a starter release and templates/README.md."""
    from datetime import date

    from pressctl.workspace import create_workspace

    written = create_workspace(folder, date.today())
    for path in written:
        typer.echo(f"created {path}")
    release = next(p for p in written if p.parent.name == "releases")
    where = "" if folder == Path(".") else f"cd {folder} && "
    typer.echo(f"Next: {where}pressctl render {release.relative_to(folder)}")
