"""The house is layered: the core never imports the command line, and commands never import `cli` back."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"
CLI_ONLY = ("typer", "rich", "pressctl.cli", "pressctl.cli_support", "pressctl.commands")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_no_command_module_imports_cli():
    offenders = [str(p.relative_to(PACKAGE)) for p in _modules(PACKAGE / "commands") if "pressctl.cli" in _imports(p)]
    assert offenders == []


def test_the_core_imports_neither_typer_nor_the_commands():
    edge = {PACKAGE / "cli.py", PACKAGE / "cli_support.py", PACKAGE / "__main__.py"}
    offenders = {}
    for path in _modules(PACKAGE):
        if path in edge or (PACKAGE / "commands") in path.parents:
            continue
        bad = sorted(name for name in _imports(path) if name.split(".")[0] in ("typer", "rich")
                     or any(name == c or name.startswith(c + ".") for c in CLI_ONLY[2:]))
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = bad
    assert offenders == {}


def test_release_is_a_package_with_one_module_per_concern():
    assert not (PACKAGE / "release.py").exists()
    assert {p.name for p in (PACKAGE / "release").glob("*.py")} >= {"__init__.py", "model.py", "load.py", "check.py"}
