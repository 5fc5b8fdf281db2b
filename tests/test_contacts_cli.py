"""`pressctl contacts list`, `pressctl schema contacts`, `--version`, and a light start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl import __version__
from pressctl.cli import app
from tests.conftest import REPO

EXAMPLE = str(REPO / "contacts.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    assert invoke("--version") == (0, f"pressctl {__version__}\n", "")


def test_list_json_gives_international_numbers_and_filters() -> None:
    code, out, _ = invoke("contacts", "list", "--contacts", EXAMPLE, "--format", "json", "--country", "DE")
    assert code == 0
    assert json.loads(out) == [{
        "id": "juergen-hoffmann", "name": "Jürgen Hoffmann", "organisation": "Häfen & Logistik",
        "email": "j.hoffmann@häfen.example", "numbers": ["+49 30 23125471"],
        "lists": ["press-eu", "labour-beat"], "languages": ["de", "en"],
    }]
    code, out, _ = invoke("contacts", "list", "--contacts", EXAMPLE, "--format", "json", "--list", "spokespeople")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["press-desk", "marieke-van-dijk", "ratih-kusumawardani", "sophal-meas"]
    assert rows[0]["numbers"] == ["+31 20 555 0147"]  # written "020 555 0147", resolved with defaults.region


def test_list_csv_and_language_filter() -> None:
    code, out, _ = invoke("contacts", "list", "--contacts", EXAMPLE, "--format", "csv", "--language", "km")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "id,name,organisation,email,numbers,lists,languages"
    assert [line.split(",")[0] for line in lines[1:]] == ["sophal-meas", "chan-sophea"]


def test_list_table_never_breaks_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = invoke("contacts", "list", "--contacts", EXAMPLE)
    assert code == 0
    for number in ("+62 812-3456-7890", "+855 12 345 678", "+1 202-555-0143"):
        assert number in out


def test_list_on_a_broken_book_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text("version: 1\ncontacts:\n  - id: a\n    name: A\n    email: [x]\n", encoding="utf-8")
    code, out, err = invoke("contacts", "list", "--contacts", str(path))
    assert (code, out) == (1, "")
    assert err == f"error: {path}:5:12: `email` should be text, not a list\n"


def _jsonable(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def test_schema_accepts_the_example_and_rejects_typos() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml_rs

    _, out, _ = invoke("schema", "contacts")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    example = _jsonable(yaml_rs.loads((REPO / "contacts.yaml").read_text(encoding="utf-8")))
    assert list(validator.iter_errors(example)) == []
    assert isinstance(example, dict)
    example["contacts"][0]["emial"] = "x@example.org"
    example["contacts"][1]["phones"][0]["type"] = "cell"
    assert len(list(validator.iter_errors(example))) == 2


def test_start_up_imports_nothing_heavy() -> None:
    """`pressctl --help` must start fast: the libraries that do the work load only when needed."""
    code = ("import sys, runpy; sys.argv = ['pressctl', '--help']\n"
            "try:\n    runpy.run_module('pressctl', run_name='__main__')\nexcept SystemExit:\n    pass\n"
            "heavy = {'phonenumbers', 'email_validator', 'jinja2', 'yaml_rs', 'yaml', 'babel', 'markdown_it',"
            " 'css_inline', 'nh3', 'langcodes'}\n"
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert out.strip().splitlines()[-1] == "[]"
