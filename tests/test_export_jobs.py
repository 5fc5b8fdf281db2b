"""`pressctl export --job/--all`: silent jobs, manifests, the lock, and configuration errors."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date
from pathlib import Path

import pytest

from pressctl.cli import app
from pressctl.errors import JobError
from pressctl.export.jobs import LOCK_NAME, run_jobs


def without_list_ids() -> None:
    """The example pressctl.toml without its tables of the mailing tools' list ids."""
    config = Path("pressctl.toml")
    config.write_text(config.read_text().split("# Each mailing tool knows our lists")[0])


def _today() -> str:
    return date.today().isoformat()


def test_all_jobs_are_silent_and_leave_a_manifest(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "--all"])
    # Silent even with a warning (the example release's embargo is long past): it is in the manifest.
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    verbose = runner.invoke(app, ["export", "--all", "--verbose"])
    assert (verbose.exit_code, verbose.stdout, verbose.stderr) == (
        0, "", "warning: job 'campaign-listmonk': the embargo (2024-06-26T06:00:00+02:00) has passed; "
        "the campaign is left unscheduled\n")
    folder = workspace / "exports" / _today()
    manifest = json.loads((folder / "manifest.json").read_text())
    files = {record["file"]: record for record in manifest["files"]}
    assert sorted(files) == ["campaign-listmonk.json", "mailchimp-press-eu.csv", "press-contacts.vcf"]
    for name, record in files.items():
        data = (folder / name).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["bytes"] == len(data)
    assert files["mailchimp-press-eu.csv"]["rows"] == 3
    assert files["mailchimp-press-eu.csv"]["left_out"] == {"unsubscribed": 1, "unfit": 0}
    assert files["press-contacts.vcf"]["rows"] == 13
    assert files["campaign-listmonk.json"]["rows"] == 1
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert runner.invoke(app, ["export", "--all"]).exit_code == 0
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # byte-identical rerun


def test_one_job_keeps_the_other_records_in_the_manifest(workspace: Path, runner) -> None:
    assert runner.invoke(app, ["export", "--job", "vcards"]).exit_code == 0
    assert runner.invoke(app, ["export", "--job", "mailchimp-eu"]).exit_code == 0
    manifest = json.loads((workspace / "exports" / _today() / "manifest.json").read_text())
    assert [r["file"] for r in manifest["files"]] == ["mailchimp-press-eu.csv", "press-contacts.vcf"]


def test_missing_list_id_names_the_key_in_pressctl_toml(workspace: Path, runner) -> None:
    without_list_ids()
    result = runner.invoke(app, ["export", "--job", "campaign-listmonk"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: job 'campaign-listmonk' failed: pressctl.toml: no listmonk list id for the list 'press-eu': "
        "the key `listmonk.lists.press-eu` is missing\n  hint: add it under [listmonk.lists], e.g. `press-eu = 3`\n")


def test_a_job_missing_a_key_is_named_with_the_key(workspace: Path, runner) -> None:
    text = Path("pressctl.toml").read_text().replace('output = "exports/{date}/press-contacts.vcf"\n', "")
    Path("pressctl.toml").write_text(text)
    result = runner.invoke(app, ["export", "--all"])
    assert result.exit_code == 2
    assert result.stderr == "error: pressctl.toml:44: job 'vcards': the key 'output' is missing\n"
    assert not (workspace / "exports").exists()  # nothing runs when the configuration is wrong


def test_an_unknown_job_lists_the_jobs(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export", "--job", "nope"])
    assert result.exit_code == 2
    assert result.stderr == ("error: pressctl.toml: no export job is named 'nope'; "
                             "jobs: mailchimp-eu, vcards, campaign-listmonk\n")


def test_an_unknown_target_in_a_job(workspace: Path, runner) -> None:
    Path("pressctl.toml").write_text(Path("pressctl.toml").read_text().replace('to = "vcard"', 'to = "vcf"'))
    result = runner.invoke(app, ["export", "--job", "vcards"])
    assert result.exit_code == 2
    assert result.stderr == ("error: pressctl.toml:47: job 'vcards': unknown target 'vcf' for contacts; known targets: "
                             "mailchimp, brevo, listmonk, constant-contact, google, outlook, vcard, csv, json\n")


def test_a_second_run_waits_for_the_lock_then_fails_clearly(workspace: Path) -> None:
    from filelock import FileLock

    holder = FileLock(str(workspace / LOCK_NAME))
    holder.acquire()
    try:
        with pytest.raises(JobError) as caught:
            run_jobs(workspace / "pressctl.toml", ["vcards"], lock_timeout=0.2)
    finally:
        holder.release()
    assert "still holds the lock after 0.2 s; nothing was written" in str(caught.value)
    assert not (workspace / "exports").exists()


def test_overlapping_runs_take_turns(workspace: Path) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_jobs(workspace / "pressctl.toml", ["vcards", "mailchimp-eu"], lock_timeout=30)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    folder = workspace / "exports" / _today()
    manifest = json.loads((folder / "manifest.json").read_text())
    for record in manifest["files"]:
        assert hashlib.sha256((folder / record["file"]).read_bytes()).hexdigest() == record["sha256"]
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_failing_job_does_not_stop_the_others(workspace: Path, runner) -> None:
    Path("contacts.yaml").write_text(Path("contacts.yaml").read_text().replace(
        "role: Port and shipping reporter", "role: Chief " + "x" * 300))
    result = runner.invoke(app, ["export", "--job", "mailchimp-eu", "--job", "vcards"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: job 'mailchimp-eu' failed: contacts.yaml: contact 'femke-jansen': "
                                    "Job Title is 306 bytes long; mailchimp takes at most 255\n")
    folder = workspace / "exports" / _today()
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "press-contacts.vcf"]


def test_group_without_job_or_subcommand_shows_help(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["export"])
    assert result.exit_code == 0
    assert "--job" in result.stdout and "contacts" in result.stdout


def _add_job(name: str, output: str) -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text() + f'\n[[export]]\nname = "{name}"\nwhat = "contacts"\nto = "csv"\n'
                      f'output = "{output}"\n')


@pytest.mark.parametrize("output", ["./exports/{date}/press-contacts.vcf", "exports/TODAY/press-contacts.vcf",
                                    "exports/./{date}//press-contacts.vcf"])
def test_two_jobs_writing_the_same_file_are_refused(workspace: Path, runner, output: str) -> None:
    _add_job("clash", output.replace("TODAY", _today()))
    result = runner.invoke(app, ["export", "--job", "clash"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: pressctl.toml:{_last_job_line()}: jobs 'vcards' and 'clash' write the same "
                             "file "
                             f"exports/{_today()}/press-contacts.vcf; give each job its own output\n")
    assert not (workspace / "exports").exists()


@pytest.mark.parametrize(("output", "what"), [("exports/{date}/manifest.json", "manifest"),
                                              (".pressctl-export.lock", "lock file")])
def test_a_job_writing_over_the_manifest_or_the_lock_is_refused(workspace: Path, runner, output: str,
                                                                 what: str) -> None:
    _add_job("sneaky", output)
    result = runner.invoke(app, ["export", "--all"])
    assert result.exit_code == 2
    assert result.stderr == (f"error: pressctl.toml:{_last_job_line()}: job 'sneaky': the output {output!r} is "
                             "the run's own "
                             f"{what}; choose another name\n")
    assert not (workspace / "exports").exists()


def test_a_job_warning_goes_to_the_manifest_and_with_verbose_to_stderr(workspace: Path, runner) -> None:
    _add_job("constant-contact", "exports/{date}/cc.csv")
    Path("pressctl.toml").write_text(Path("pressctl.toml").read_text().replace('to = "csv"', 'to = "constant-contact"'))
    assert runner.invoke(app, ["export", "--job", "constant-contact"]).stderr == ""
    result = runner.invoke(app, ["export", "--job", "constant-contact", "-v"])
    assert result.exit_code == 0
    warning = ("2 phone number(s) have no column in constant-contact and were left out, of contact(s) "
               "'press-desk', 'juergen-hoffmann'")
    assert result.stderr == f"warning: job 'constant-contact': {warning}\n"
    manifest = json.loads((workspace / "exports" / _today() / "manifest.json").read_text())
    assert manifest["files"][0]["warnings"] == [warning]


@pytest.mark.parametrize("key", ["lists", "exclude_lists"])
def test_a_list_no_contact_is_on_fails_the_job(workspace: Path, runner, key: str) -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text().replace('lists = ["press-eu"]\noutput = "exports/{date}/mailchimp',
                                                 f'{key} = ["press-ue"]\noutput = "exports/{{date}}/mailchimp'))
    result = runner.invoke(app, ["export", "--all"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: job 'mailchimp-eu' failed: contacts.yaml: no contact is on the list 'press-ue'\n"
        "  hint: did you mean `press-eu`? correct the job's lists in pressctl.toml, or the contacts' lists\n")
    assert not (workspace / "exports").exists()  # found before any job wrote


def _last_job_line() -> int:
    """The line of the `output` key of the last job in the workspace's pressctl.toml (the job a test added)."""
    lines = Path("pressctl.toml").read_text(encoding="utf-8").splitlines()
    return max(number for number, line in enumerate(lines, start=1) if line.startswith("output = "))
