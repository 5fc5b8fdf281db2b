"""`pressctl export release`: campaigns checked against the JSON Schemas written from each tool's API docs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.utils import getaddresses
from pathlib import Path

import jsonschema
import pytest
from conftest import GOLDEN, UPDATE_GOLDEN

from pressctl.cli import app
from pressctl.export.campaign import export_release

RELEASE = "releases/2024-06-26-three-port-wage-deal.md"
SCHEMAS = Path(__file__).resolve().parent.parent / "pressctl" / "export" / "schemas"
BEFORE_EMBARGO = datetime(2024, 6, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def with_list_ids(workspace: Path) -> Path:
    """The example workspace, whose pressctl.toml maps its lists to each tool's ids."""
    assert "[listmonk.lists]" in (workspace / "pressctl.toml").read_text()
    return workspace


def _validator(target: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"campaign-{target}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize("target", ["listmonk", "mailchimp", "brevo"])
def test_campaign_json_matches_schema_and_golden(with_list_ids: Path, runner, target: str) -> None:
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", target, "-o", "campaign.json"])
    assert result.exit_code == 0, result.output
    data = Path("campaign.json").read_bytes()
    _validator(target).validate(json.loads(data))
    golden = GOLDEN / "export" / f"release-{target}.json"
    if UPDATE_GOLDEN:
        golden.write_bytes(data)
    assert data == golden.read_bytes()


def test_html_is_a_standalone_document_with_inlined_css(with_list_ids: Path, runner) -> None:
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "html", "-o", "release.html"])
    assert result.exit_code == 0
    html = Path("release.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and 'lang="en"' in html
    assert 'class="preheader"' in html and 'style="' in html
    golden = GOLDEN / "export" / "release-html.html"
    if UPDATE_GOLDEN:
        golden.write_text(html)
    assert html == golden.read_text()


@pytest.mark.parametrize(("target", "field", "value"), [
    ("listmonk", "send_at", "2024-06-26T06:00:00+02:00"),
    ("brevo", "scheduledAt", "2024-06-26T06:00:00+02:00"),
])
def test_embargo_becomes_the_send_time(with_list_ids: Path, target: str, field: str, value: str) -> None:
    result = export_release(Path(RELEASE), target, now=BEFORE_EMBARGO)
    document = json.loads(result.data)
    _validator(target).validate(document)
    assert document[field] == value


def test_mailchimp_schedules_the_embargo_in_utc(with_list_ids: Path) -> None:
    result = export_release(Path(RELEASE), "mailchimp", now=BEFORE_EMBARGO)
    document = json.loads(result.data)
    _validator("mailchimp").validate(document)
    assert document["schedule"] == {"schedule_time": "2024-06-26T04:00:00Z"}
    assert document["content"]["plain_text"].startswith("EMBARGOED")
    assert document["campaign"]["settings"]["from_name"] == "Harbour Workers Alliance Press Office"


def test_a_passed_embargo_leaves_the_campaign_unscheduled_with_a_warning(with_list_ids: Path, runner) -> None:
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "listmonk", "-o", "c.json"])
    assert "send_at" not in json.loads(Path("c.json").read_text())
    assert result.stderr == ("warning: the embargo (2024-06-26T06:00:00+02:00) has passed; "
                             "the campaign is left unscheduled\n")


def test_missing_list_id_is_a_configuration_error(workspace: Path, runner) -> None:
    config = workspace / "pressctl.toml"
    config.write_text(config.read_text().split("# Each mailing tool knows our lists")[0])
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "brevo", "--list", "press-eu", "-o", "c.json"])
    assert result.exit_code == 2
    assert result.stderr == ("error: pressctl.toml: no brevo list id for the list 'press-eu': the key "
                             "`brevo.lists.press-eu` is missing\n  hint: add it under [brevo.lists], e.g. "
                             "`press-eu = 3`\n")
    assert not Path("c.json").exists()


def test_unknown_release_target_lists_the_known_ones(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "sendgrid", "-o", "c.json"])
    assert result.exit_code == 2
    assert result.stderr == ("error: unknown target 'sendgrid' for releases; known targets: html, listmonk, "
                             "mailchimp, brevo, ninjs\n  hint: pick one with --to\n")


def test_mailchimp_refuses_lists_in_two_audiences(with_list_ids: Path, runner) -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text().replace('labour-beat = "a1b2c3d4e5"', 'labour-beat = "f6f6f6f6f6"'))
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "mailchimp", "-o", "c.json"])
    assert result.exit_code == 2
    assert "these lists map to a1b2c3d4e5 and f6f6f6f6f6" in result.stderr


def test_a_missing_config_file_is_not_replaced_by_the_default(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", "html", "--config", "typo.toml", "-o", "c.html"])
    assert (result.exit_code, result.stderr) == (2, "error: typo.toml: no such file\n")
    assert not Path("c.html").exists()


@pytest.mark.parametrize("name", ['Press Office, Harbour Workers', 'The "Harbour" Desk', "Zoë's Desk <night>"])
def test_listmonk_sender_is_one_address_whatever_the_name(with_list_ids: Path, name: str) -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text().replace('name = "Harbour Workers Alliance Press Office"',
                                                 f"name = {json.dumps(name)}"))
    result = export_release(Path(RELEASE), "listmonk", now=BEFORE_EMBARGO)
    from_email = json.loads(result.data)["from_email"]
    [(parsed_name, address)] = getaddresses([from_email])
    assert address == "press@example.org"
    assert str(make_header(decode_header(parsed_name))) == name  # non-ASCII names are RFC 2047 encoded


def test_mailchimp_campaign_goes_to_a_saved_segment_from_pressctl_toml(with_list_ids: Path) -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text().replace('labour-beat = "a1b2c3d4e5"',
                                                 'labour-beat = { list_id = "a1b2c3d4e5", saved_segment_id = 42 }'))
    result = export_release(Path(RELEASE), "mailchimp", lists=("labour-beat",), now=BEFORE_EMBARGO)
    document = json.loads(result.data)
    _validator("mailchimp").validate(document)
    assert document["campaign"]["recipients"] == {"list_id": "a1b2c3d4e5", "segment_opts": {"saved_segment_id": 42}}


@pytest.mark.parametrize("tool", ["listmonk", "brevo"])
def test_numbered_list_ids_are_checked_alike_and_sent_once(with_list_ids: Path, runner, tool: str) -> None:
    config = Path("pressctl.toml")
    table = f"[{tool}.lists]\n"
    head, tail = config.read_text().split(table)
    config.write_text(head + table + 'press-eu = 3\nlabour-beat = 3\n' + tail.split("\n\n", 1)[1])
    document = json.loads(export_release(Path(RELEASE), tool, lists=("press-eu", "labour-beat"),
                                         now=BEFORE_EMBARGO).data)
    assert (document["lists"] if tool == "listmonk" else document["recipients"]["listIds"]) == [3]
    config.write_text(config.read_text().replace("labour-beat = 3\n", 'labour-beat = "four"\n'))
    result = runner.invoke(app, ["export", "release", RELEASE, "--to", tool, "--list", "labour-beat"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tool} list ids are positive whole numbers, not 'four'\n"
                             f"  hint: check the [{tool}.lists] table in pressctl.toml\n")
