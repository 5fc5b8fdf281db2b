"""Rules documented beside their implementation, as yamllint and ruff do.

The module that implements a finding code keeps a `RuleDoc` for it: what the rule protects and an
example of a value that fails and one that passes. docs/checks.md shows them under each code, and a
test (tests/test_docs.py) keeps the page in step with these entries and with `findings.RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleDoc:
    why: str  # why the finding matters (what it catches is the rule's summary in findings.RULES)
    failing: str  # a contact book (without its `version: 1` line) that has the finding
    passing: str  # the same book written so that it does not


def documented_rules() -> dict[str, RuleDoc]:
    """Every code that carries its documentation beside its implementation, by code."""
    from pressctl.contacts.check import CONTACT_RULES
    from pressctl.contacts.phones import PHONE_RULES

    return dict(sorted({**CONTACT_RULES, **PHONE_RULES}.items()))
