"""No document, however odd, makes the check crash: property tests over generated YAML."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.contacts.check import check_book
from pressctl.contacts.load import CONTACT_KEYS, load_book
from pressctl.findings import RULES
from pressctl.report import CheckReport, render_report

KEYS = st.sampled_from([*CONTACT_KEYS, "version", "defaults", "contacts", "region", "number", "type",
                        "basis", "date", "x-desk", "nmae", "phone_format"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.dates(min_value=date(1900, 1, 1)),
    st.text(max_size=20), st.sampled_from(["+31 6 12345678", "020 123 4567", "a@example.org", "NL", "en",
                                           "mobile", "consent", "+31 (0)6 1", "@@", "Europe/Amsterdam"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)
DOCUMENTS = st.one_of(
    VALUES,
    st.fixed_dictionaries({"version": st.just(1), "contacts": st.lists(
        st.dictionaries(KEYS, VALUES, max_size=8), max_size=4)}),
)
YAMLISH = st.text(alphabet=st.sampled_from(list("abc:-[]{},&*!|>'\"#% \n\t0123456789+@.\\")), max_size=120)


def check_text(tmp_path: Path, text: str) -> None:
    path = tmp_path / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    findings = check_book(load_book(path)).findings
    for finding in findings:
        assert finding.code in RULES and finding.line >= 1 and finding.column >= 1
    report = CheckReport("contacts check", (str(path),), tuple(findings))
    for fmt in ("text", "json", "github", "sarif", "junit"):
        render_report(report, fmt)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(DOCUMENTS)
def test_generated_documents_never_crash(tmp_path: Path, document: object) -> None:
    check_text(tmp_path, yaml.safe_dump(document, allow_unicode=True, sort_keys=False))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(YAMLISH)
def test_yaml_like_noise_never_crashes(tmp_path: Path, text: str) -> None:
    check_text(tmp_path, text)
