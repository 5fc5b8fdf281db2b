"""An embargo written with an IANA zone, its abbreviation in the status line, and embargoes no tool can
schedule (the clocks changing, the year 9999): one line, never a traceback."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.cli import app
from pressctl.errors import PressctlError
from pressctl.release import load_release

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
OFFSET_EMBARGO = 'embargo: "2024-06-26T06:00:00+02:00"'


def with_embargo(value: str) -> None:
    path = Path(EXAMPLE)
    text = path.read_text(encoding="utf-8")
    assert OFFSET_EMBARGO in text
    text = text.replace(OFFSET_EMBARGO, f'embargo: "{value}"').replace("date: 2024-06-26", f"date: {value[:10]}")
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("embargo", "status"), [
    ("2024-06-26T10:00 Europe/Amsterdam", "EMBARGOED UNTIL 26 June 2024, 10:00 CEST (UTC+02:00)"),
    ("2024-12-26T10:00 Europe/Amsterdam", "EMBARGOED UNTIL 26 December 2024, 10:00 CET (UTC+01:00)"),
    ("2024-06-26T10:00 Asia/Jakarta", "EMBARGOED UNTIL 26 June 2024, 10:00 WIB (UTC+07:00)"),
    ("2024-06-26T10:00 Asia/Phnom_Penh", "EMBARGOED UNTIL 26 June 2024, 10:00 (UTC+07:00)"),  # no abbreviation
    ("2024-06-26T10:00+02:00 Europe/Amsterdam", "EMBARGOED UNTIL 26 June 2024, 10:00 CEST (UTC+02:00)"),
    ("2024-06-26T10:00:00+02:00", "EMBARGOED UNTIL 26 June 2024, 10:00 (UTC+02:00)"),  # an offset: as before
])
def test_the_status_line_names_the_zone(workspace: Path, runner, embargo: str, status: str) -> None:
    with_embargo(embargo)
    text = runner.invoke(app, ["render", EXAMPLE])
    assert text.exit_code == 0, text.output
    assert status in text.stdout
    html = runner.invoke(app, ["render", EXAMPLE, "-f", "html"])
    assert f">{status}</p>" in html.stdout


def test_a_zoned_embargo_schedules_the_same_instant(workspace: Path, runner) -> None:
    with_embargo("2030-06-26T10:00 Europe/Amsterdam")
    listmonk = json.loads(runner.invoke(app, ["export", "release", EXAMPLE, "--to", "listmonk"]).stdout)
    assert datetime.fromisoformat(listmonk["send_at"]) == datetime(2030, 6, 26, 8, 0, tzinfo=ZoneInfo("UTC"))
    mailchimp = json.loads(runner.invoke(app, ["export", "release", EXAMPLE, "--to", "mailchimp"]).stdout)
    assert mailchimp["schedule"] == {"schedule_time": "2030-06-26T08:00:00Z"}


@pytest.mark.parametrize(("embargo", "problem"), [
    ("2024-03-31T02:30 Europe/Amsterdam", "02:30 does not exist in Europe/Amsterdam that night (the clocks change); "
                                          "write the offset instead, e.g. 2024-03-31T02:30:00+02:00"),
    ("2024-10-27T02:30 Europe/Amsterdam", "02:30 happens twice in Europe/Amsterdam that night (the clocks change); "
                                          "write the offset instead, e.g. 2024-10-27T02:30:00+02:00"),
    ("2024-06-26T10:00 Europe/Amsterdan", "'Europe/Amsterdan' is not an IANA time zone"),
    ("2024-06-26T10:00+01:00 Europe/Amsterdam", "the offset is not Europe/Amsterdam's at that time"),
    ("9999-12-31T23:59:00+14:00", "is too far ahead to schedule (after 9999-12-30 UTC); write the real date"),
    ("9999-12-31T23:59 America/New_York", "is too far ahead to schedule"),
])
@pytest.mark.parametrize("command", [["render", EXAMPLE], ["export", "release", EXAMPLE, "--to", "mailchimp"],
                                     ["release", "check", EXAMPLE]])
def test_an_embargo_no_one_can_schedule_is_one_line_at_its_line(workspace: Path, runner, embargo: str, problem: str,
                                                                 command: list[str]) -> None:
    with_embargo(embargo)
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{EXAMPLE}:6" in result.output and problem in result.output
    assert "Traceback" not in result.output


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(zone=st.sampled_from(sorted(available_timezones())),
       moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 31)))
def test_any_zone_and_time_is_the_wall_time_asked_for_or_refused(tmp_path: Path, zone: str, moment: datetime) -> None:
    path = tmp_path / "release.md"
    path.write_text(f'---\nheadline: H\ndateline: Amsterdam\ndate: {moment:%Y-%m-%d}\n'
                    f'embargo: "{moment.replace(microsecond=0).isoformat()} {zone}"\n---\nText.\n', encoding="utf-8")
    try:
        release = load_release(path)
    except PressctlError as err:
        assert "`embargo`" in str(err) or "date" in str(err)
        return
    assert release.embargo is not None
    assert release.embargo.replace(tzinfo=None) == moment.replace(microsecond=0)
    assert release.embargo.tzinfo == ZoneInfo(zone)
    assert release.embargo + timedelta(days=1) > release.embargo  # room to schedule after it
