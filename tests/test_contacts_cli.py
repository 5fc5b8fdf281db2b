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


# --- contacts list at 80 and 100 columns, hostile names (issue #9) ---------------------------

WIDE = """\
version: 1
defaults:
  region: KH
contacts:
  - id: chan-sophea
    name: ចាន់ សុភា
    organisation: សារព័ត៌មាន ភ្នំពេញ
    email: sophea.chan@example.com
    phone: "097 555 0123"
    lists: [press-asia]
  - id: wang-fang
    name: 王芳 (Wáng Fāng)
    organisation: 新华社 Xinhua News Agency, Asia-Pacific Desk
    email: wang.fang@example.cn
    phones: ["+86 10 6552 3456", "+86 138 0013 8000"]
    lists: [press-asia, economy-beat]
  - id: nguyen-thi-minh-khai
    name: Nguyễn Thị Minh Khai
    organisation: Báo Tuổi Trẻ
    email: minh.khai@báo.example
    phone: "+84 28 3997 3838"
    lists: [press-asia]
  - id: layla-haddad
    name: ليلى حداد
    organisation: صحيفة الشرق
    email: layla.haddad@example.org
    phone: "+961 1 234 567"
"""


def table_lines(monkeypatch: pytest.MonkeyPatch, width: int, path: str) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    code, out, _ = invoke("contacts", "list", "--contacts", path)
    assert code == 0
    return out.rstrip("\n").split("\n")


@pytest.mark.parametrize(("width", "columns"), [
    (80, ["name", "email", "numbers"]),
    (100, ["id", "name", "email", "numbers"]),
    (160, ["id", "name", "organisation", "email", "numbers", "lists"]),
])
def test_list_fits_the_terminal_dropping_columns_in_the_stated_order(monkeypatch: pytest.MonkeyPatch, width: int,
                                                                    columns: list[str]) -> None:
    from rich.cells import cell_len

    from pressctl.commands.output import LIST_DROP_ORDER

    assert LIST_DROP_ORDER == ("lists", "organisation", "id")  # as README and `contacts list --help` say
    lines = table_lines(monkeypatch, width, EXAMPLE)
    assert lines[0].split() == columns
    assert all(cell_len(line) <= width for line in lines)
    rows = json.loads(invoke("contacts", "list", "--contacts", EXAMPLE, "--format", "json")[1])
    for row in rows:  # every address and number whole, every name whole (they fit at 80)
        assert all(any(value in line for line in lines) for value in [row["email"], *row["numbers"], row["name"]]
                   if value)


@pytest.mark.parametrize("width", [80, 100])
def test_khmer_cjk_and_arabic_names_keep_the_columns_aligned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             width: int) -> None:
    from rich.cells import cell_len

    path = tmp_path / "contacts.yaml"
    path.write_text(WIDE, encoding="utf-8")
    lines = table_lines(monkeypatch, width, str(path))
    assert all(cell_len(line) <= width for line in lines)
    assert len({cell_len(line) for line in lines[2:]}) == 1  # every row padded to one width, as Rich measures
    header_at = cell_len(lines[0][: lines[0].index("email")])
    for email in ("sophea.chan@example.com", "wang.fang@example.cn", "layla.haddad@example.org"):
        line = next(line for line in lines if email in line)
        assert cell_len(line[: line.index(email)]) == header_at
    assert any("ចាន់ សុភា" in line for line in lines)


def test_list_csv_is_defused_like_the_exports(tmp_path: Path) -> None:
    from pressctl.export.csvfile import defuse

    path = tmp_path / "contacts.yaml"
    path.write_text('version: 1\ncontacts:\n  - id: a\n    name: "=HYPERLINK(\\"http://x.example\\",\\"hi\\")"\n'
                    '    organisation: "@SUM(1+1)"\n    email: a@example.org\n    lists: ["-2+3"]\n'
                    '    phone: "+31 6 51280210"\n', encoding="utf-8")
    code, out, _ = invoke("contacts", "list", "--contacts", str(path), "--format", "csv")
    assert code == 0
    import csv
    import io

    [header, row] = list(csv.reader(io.StringIO(out)))
    cells = dict(zip(header, row, strict=True))
    assert cells["name"] == defuse('=HYPERLINK("http://x.example","hi")') == "'=HYPERLINK(\"http://x.example\",\"hi\")"
    assert cells["organisation"] == "'@SUM(1+1)" and cells["lists"] == "'-2+3"
    assert cells["numbers"] == "'+31 6 51280210"  # only a bare E.164 number keeps its leading +
    assert json.loads(invoke("contacts", "list", "--contacts", str(path), "--format", "json")[1])[0]["name"] == (
        '=HYPERLINK("http://x.example","hi")')


HOSTILE = """\
version: 1
contacts:
  - id: "evil\\e[2J\\e[H"
    name: "Mallory\\e[2J\\e[HAll checks passed.\\nAll checks passed."
    email: mallory@example.org
"""


def test_control_characters_never_reach_the_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = invoke("contacts", "list", "--contacts", str(path))
    assert code == 0 and "\x1b" not in out
    assert "Mallory\\x1b[2J\\x1b[HAll checks passed.\\nAll checks passed." in out
    assert "All checks passed." not in [line.strip() for line in out.splitlines()]
    for fmt in ("text", "github", "junit"):
        code, out, _ = invoke("contacts", "check", str(path), "--format", fmt)
        assert code == 1 and "\x1b" not in out, fmt
        assert "evil\\x1b[2J\\x1b[H" in out
        assert "All checks passed." not in out.splitlines()
