"""`pressctl schema contacts`: the JSON Schema of contacts.yaml for editors' language servers."""

import typer

from pressctl.cli_support import handles_errors

app = typer.Typer(rich_markup_mode=None, help="Print JSON Schemas of pressctl's files.", no_args_is_help=True)


@app.command("contacts")
@handles_errors
def contacts_schema() -> None:
    """The JSON Schema of contacts.yaml (for completion and inline errors in editors)."""
    import json

    from pressctl.contacts.schema import contacts_schema as build

    typer.echo(json.dumps(build(), indent=2, ensure_ascii=False))
