"""The documentation stays in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pressctl.findings import RULES
from pressctl.ruledocs import documented_rules
from tests.conftest import REPO, UPDATE_GOLDEN

GROUPS = [("F", "The file"), ("C", "Contacts"), ("E", "Email addresses"), ("P", "Phone numbers"),
          ("L", "Languages, regions and time zones"), ("R", "Releases (`pressctl release check`)")]


def rules_tables() -> str:
    out = []
    for prefix, title in GROUPS:
        out += [f"## {title}", "", "| code | name | severity | fixable | what it means |",
                "| --- | --- | --- | --- | --- |"]
        for code, rule in RULES.items():
            if code.startswith(prefix):
                fixable = "yes" if rule.fixable else ""
                out.append(f'| <a id="{code.lower()}"></a>{code} | {rule.name} | {rule.severity.value} | '
                           f"{fixable} | {rule.summary} |")
        out.append("")
    return "\n".join(out)


def test_every_rule_is_documented_exactly() -> None:
    path = REPO / "docs" / "checks.md"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- rules:start[^\n]*-->\n)(.*?)(<!-- rules:end -->)", re.S)
    if UPDATE_GOLDEN:
        text = pattern.sub(lambda m: m.group(1) + rules_tables() + m.group(3), text)
        path.write_text(text, encoding="utf-8")
    match = pattern.search(text)
    assert match is not None
    assert match.group(2) == rules_tables()
    assert {prefix for prefix, _ in GROUPS} == {code[0] for code in RULES}


def rule_details() -> str:
    out = []
    for code, doc in documented_rules().items():
        rule = RULES[code]
        kind = rule.severity.value + (", fixable" if rule.fixable else "")
        out += [f"### {code} {rule.name} ({kind})", "", f"{rule.summary} {doc.why}", "",
                "Fails:", "", "```yaml", doc.failing, "```", "", "Passes:", "", "```yaml", doc.passing, "```", ""]
    return "\n".join(out)


def test_every_documented_rule_is_on_the_page_with_its_examples() -> None:
    path = REPO / "docs" / "checks.md"
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- rule-details:start[^\n]*-->\n)(.*?)(<!-- rule-details:end -->)", re.S)
    if UPDATE_GOLDEN:
        text = pattern.sub(lambda m: m.group(1) + rule_details() + m.group(3), text)
        path.write_text(text, encoding="utf-8")
    match = pattern.search(text)
    assert match is not None
    assert match.group(2) == rule_details()


@pytest.mark.parametrize("code", sorted(documented_rules()))
def test_each_documented_example_fails_and_passes_as_it_says(code: str, tmp_path: Path) -> None:
    from pressctl.contacts.check import check_book
    from pressctl.contacts.load import load_book

    doc = documented_rules()[code]
    found = {}
    for name, example in (("failing", doc.failing), ("passing", doc.passing)):
        path = tmp_path / f"{name}.yaml"
        path.write_text("version: 1\n" + example + "\n", encoding="utf-8")
        found[name] = {f.code for f in check_book(load_book(path)).findings}
    assert code in found["failing"]
    assert code not in found["passing"]


def test_readme_starts_with_the_two_commands() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines[:30] if line.startswith("python3 -m venv")]
    assert len(commands) == 2
    assert "pressctl contacts check" in commands[0]
    assert "pytest" in commands[1]
