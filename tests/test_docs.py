"""The documentation stays in step with the code."""

from __future__ import annotations

import re

from pressctl.findings import RULES
from tests.conftest import REPO


def test_every_rule_is_documented_exactly() -> None:
    text = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| <a id=\"[a-z0-9]+\"></a>(\w+) \| ([\w-]+) \| (\w+) \| (yes)? \| (.+) \|$", text, re.M)
    documented = {code: (name, severity, bool(fixable), summary) for code, name, severity, fixable, summary in rows}
    expected = {code: (r.name, r.severity.value, r.fixable, r.summary) for code, r in RULES.items()}
    assert documented == expected


def test_readme_starts_with_the_two_commands() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    blocks = [line for line in lines[:30] if line.startswith(("pip install", "python", "pressctl", "cd "))]
    assert any("pressctl contacts check" in line for line in blocks)
    assert any("pytest" in line for line in blocks)
