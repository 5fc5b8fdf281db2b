"""pressctl send against a real SMTP server on loopback (aiosmtpd): the merge's messages, delivered once."""

from __future__ import annotations

import csv
import email
import io
import sqlite3
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from send_smtp import PASSWORD, free_port, make_certificates, smtp_server, smtp_table

from pressctl.cli import app
from pressctl.send.journal import Journal

EXAMPLE = "releases/2024-06-26-three-port-wage-deal.md"
AUDIENCE = ["femke.jansen@example.net", "j.hoffmann@xn--hfen-loa.example", "siobhan.gallagher@example.com",
            "mreid@example.com", "wanjiru.kamau@example.net", "ana.souza@example.net", "sophea.chan@example.com"]


@pytest.fixture(autouse=True)
def frozen_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1719295200")
    monkeypatch.setenv("PRESSCTL_TEST_SMTP_PASSWORD", PASSWORD)


def configure(workspace: Path, table: str) -> None:
    with (workspace / "pressctl.toml").open("a", encoding="utf-8") as handle:
        handle.write("\n" + table)


def send(runner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["send", EXAMPLE, *args])


def test_send_delivers_the_merge_messages_once(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "-o", "out/"]).exit_code == 0
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner, "--yes")
        assert result.exit_code == 0, result.output
        assert result.output.endswith("Sent 7 messages; skipped 1 (1 unsubscribed).\n")
        assert "To:       7 recipients (1 in de, 3 in en, 1 in km, 1 in nl, 1 in pt-BR)" in result.output
        assert sorted(box.recipients()) == sorted(AUDIENCE)
        assert box.connections == 1  # one connection for all seven
        for path in (workspace / "out").iterdir():
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            [received] = box.to(message["To"].addresses[0].addr_spec.replace("häfen", "xn--hfen-loa"))
            assert received == path.read_bytes()  # the same bytes as the merge (Date frozen)
            assert all(message[name] for name in ("Message-ID", "Date", "From", "List-Unsubscribe",
                                                  "List-Unsubscribe-Post"))
            assert len(message["To"].addresses) == 1
        again = send(runner, "--yes")
        assert again.exit_code == 0
        assert again.output.endswith("Sent 0 messages; skipped 8 (7 already sent, 1 unsubscribed).\n")
        assert len(box.recipients()) == 7
        status = send(runner, "--status", "--report", "report.csv")
    assert status.output == f"{EXAMPLE}: 7 recipients: 7 sent\n"
    rows = list(csv.DictReader(io.StringIO((workspace / "report.csv").read_text(encoding="utf-8"))))
    assert [row["state"] for row in rows] == ["sent"] * 7
    assert {row["address"] for row in rows} == set(AUDIENCE)
    assert all(row["reply"] == "250 2.0.0 OK queued" and row["time"].endswith("Z") for row in rows)


def test_without_a_terminal_it_refuses_unless_yes(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner)
        assert box.recipients() == []
    assert result.exit_code == 2
    assert "not on a terminal, so nobody can confirm: pass --yes" in result.output


def test_dry_run_contacts_no_server(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    configure(workspace, smtp_table(free_port()))  # nothing listens there
    result = send(runner, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Skipped:  1 (1 unsubscribed)" in result.output and result.output.endswith("Dry run: nothing was sent.\n")
    assert not (workspace / ".pressctl").exists()


def test_test_send_marks_the_subject_and_records_nothing(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner, "--test", "me@example.org")
        assert result.exit_code == 0, result.output
        [data] = box.to("me@example.org")
        assert box.recipients() == ["me@example.org"]
    message = email.message_from_bytes(data, policy=policy.default)
    assert message["Subject"].startswith("[TEST] [EMBARGOED]")
    assert message["To"].addresses[0].addr_spec == "femke.jansen@example.net"  # as the first recipient sees it
    assert send(runner, "--status").output == f"{EXAMPLE}: nothing sent yet (no journal in .pressctl)\n"


@pytest.mark.parametrize("connections", [1, 3])
def test_refusals_deferrals_and_unconfirmed(workspace: Path, runner, connections: int) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port) + f"connections = {connections}\n")
        box.rules.update({"mreid@example.com": "550", "ana.souza@example.net": "451",
                          "wanjiru.kamau@example.net": "drop"})
        result = send(runner, "--yes")
        assert result.exit_code == 1
        assert result.output.endswith("Sent 4 messages; skipped 1 (1 unsubscribed); 1 deferred; 1 failed; "
                                      "1 unconfirmed.\n")
        assert "failed      marcus-reid <mreid@example.com>: 550 5.1.1 No such user here" in result.output
        assert sorted(box.recipients()) == sorted(set(AUDIENCE) - {"mreid@example.com", "ana.souza@example.net",
                                                                   "wanjiru.kamau@example.net"})
        if connections == 1:
            assert box.connections == 2  # the dropped one, then a new one for the rest
        status = send(runner, "--status").output
        assert f"{EXAMPLE}: 7 recipients: 4 sent, 1 deferred, 1 failed, 1 unconfirmed" in status
        assert "deferred    ana-beatriz-souza <ana.souza@example.net>: 451 4.7.1 Greylisted" in status
        box.rules.clear()
        # The rerun retries the deferred; the unconfirmed and the refused wait for the user's word.
        rerun = send(runner, "--yes")
        assert rerun.exit_code == 0, rerun.output
        assert "Sent 1 message; skipped 7 (4 already sent, 1 refused by the server before (--retry-failed), " \
               "1 unconfirmed, not resent (--resend-unconfirmed), 1 unsubscribed)." in rerun.output
        assert box.to("ana.souza@example.net") and not box.to("wanjiru.kamau@example.net")
        states = dict(journal_rows(workspace))
        assert (states["mreid@example.com"], states["wanjiru.kamau@example.net"]) == ("failed", "unconfirmed")
        assert sorted(states.values()) == ["failed"] + ["sent"] * 5 + ["unconfirmed"]
        assert send(runner, "--yes", "--resend-unconfirmed", "--retry-failed").exit_code == 0
        assert len(box.to("wanjiru.kamau@example.net")) == 1 and len(box.to("mreid@example.com")) == 1
        assert len(box.recipients()) == 7
    states = dict(journal_rows(workspace))
    assert sorted(states.values()) == ["sent"] * 7


def test_a_stalled_server_defers_and_the_others_go_on(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        # 2 s for every step, not 0.5: the server shares this process, and only the stalled one may time out
        configure(workspace, smtp_table(port).replace("timeout = 5", "timeout = 2").replace("retries = 1",
                                                                                           "retries = 0"))
        box.rules["siobhan.gallagher@example.com"] = "stall"
        result = send(runner, "--yes")
        assert result.exit_code == 1
        assert "deferred    siobhan-gallagher" in result.output and "connection lost before DATA" in result.output
        assert len(box.recipients()) == 6


def test_unsubscribed_between_runs_gets_nothing(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port).replace("retries = 1", "retries = 0"))
        box.rules["femke.jansen@example.net"] = "451"
        assert send(runner, "--yes").exit_code == 1
        book = workspace / "contacts.yaml"
        text = book.read_text(encoding="utf-8")
        book.write_text(text.replace("    email: femke.jansen@example.net\n",
                                     "    email: femke.jansen@example.net\n    unsubscribed: 2024-06-25\n"),
                        encoding="utf-8")
        box.rules.clear()
        result = send(runner, "--yes")
        assert result.exit_code == 0, result.output
        assert "Sent 0 messages; skipped 8 (6 already sent, 2 unsubscribed)." in result.output
        assert box.to("femke.jansen@example.net") == []


def test_a_changed_release_needs_a_choice(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        assert send(runner, "--yes", "--to", "femke-jansen").exit_code == 0
        release = workspace / EXAMPLE
        release.write_text(release.read_text(encoding="utf-8").replace("first shared wage deal",
                                                                       "first joint wage deal"), encoding="utf-8")
        refused = send(runner, "--yes")
        assert refused.exit_code == 2
        assert f"{EXAMPLE}: changed since 1 message of it went out; pressctl will not choose" in refused.output
        assert "--continue-changed sends this version to the 6 who have had none" in refused.output
        assert box.recipients() == ["femke.jansen@example.net"]
        result = send(runner, "--yes", "--continue-changed")
        assert result.exit_code == 0, result.output
        assert "Note:     1 had an earlier version of this release" in result.output
        assert sorted(box.recipients()) == sorted(AUDIENCE)


def test_daily_limit_and_rate(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    import time

    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port) + 'daily_limit = 3\nrate = "20/second"\n')
        start = time.monotonic()
        result = send(runner, "--yes")
        assert time.monotonic() - start >= 0.1  # three messages at 20 a second: two gaps of 50 ms
        assert result.exit_code == 1
        assert result.output.endswith("Sent 3 messages; skipped 1 (1 unsubscribed); 4 left for later "
                                      "(daily limit reached).\n")
        assert len(box.recipients()) == 3
        assert "Sent 0 messages" in send(runner, "--yes").output
        assert len(box.recipients()) == 3


# Several connections at once (`smtp.connections`): the same messages, each once, the journal as true.

def test_several_connections_deliver_each_message_once(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    assert runner.invoke(app, ["render", EXAMPLE, "-f", "eml", "-o", "out/"]).exit_code == 0
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port) + "connections = 3\n")
        result = send(runner, "--yes")
        assert result.exit_code == 0, result.output
        assert f"Server:   127.0.0.1:{port} (no encryption), 3 connections at once" in result.output
        assert result.output.endswith("Sent 7 messages; skipped 1 (1 unsubscribed).\n")
        assert box.connections == 3
        assert sorted(box.recipients()) == sorted(AUDIENCE)
        for path in (workspace / "out").iterdir():
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            [received] = box.to(message["To"].addresses[0].addr_spec.replace("häfen", "xn--hfen-loa"))
            assert received == path.read_bytes()
        assert send(runner, "--yes").output.endswith("Sent 0 messages; skipped 8 (7 already sent, 1 unsubscribed).\n")
        assert len(box.recipients()) == 7
    assert [state for _, state in journal_rows(workspace)] == ["sent"] * 7


def test_several_connections_keep_the_daily_limit(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port) + "daily_limit = 3\nconnections = 3\n")
        result = send(runner, "--yes")
        assert result.exit_code == 1
        assert result.output.endswith("Sent 3 messages; skipped 1 (1 unsubscribed); 4 left for later "
                                      "(daily limit reached).\n")
        assert len(box.recipients()) == 3
    assert sorted(state for _, state in journal_rows(workspace)) == ["pending"] * 4 + ["sent"] * 3


def test_a_server_that_takes_fewer_connections(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """A refusal of the second connection stops the send before any message goes out."""
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port) + "connections = 2\n")
        box.at_once = 1
        result = send(runner, "--yes")
        assert box.recipients() == []
    assert result.exit_code == 1
    assert f"cannot reach the mail server 127.0.0.1:{port}: 421 4.7.0 Too many connections from you at once" \
        in result.output
    assert "lower `smtp.connections`" in result.output
    assert {state for _, state in journal_rows(workspace)} <= {"pending"}


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_verified_tls_and_auth(workspace: Path, runner, certificates, security: str) -> None:  # type: ignore[no-untyped-def]
    with smtp_server(security=security, certs=certificates, auth=True) as (box, port):
        configure(workspace, smtp_table(port, security=security, ca_file=certificates[0], auth=True))
        result = send(runner, "--yes")
        assert result.exit_code == 0, result.output
        assert len(box.recipients()) == 7


def test_non_ascii_addresses(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    book = workspace / "contacts.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace("email: j.hoffmann@häfen.example",
                                                             "email: jürgen@häfen.example"), encoding="utf-8")
    with smtp_server(smtputf8=False) as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner, "--yes")
        assert result.exit_code == 1
        assert "failed      juergen-hoffmann <jürgen@häfen.example>: " in result.output
        assert "Sent 6 messages" in result.output and len(box.recipients()) == 6


def journal_rows(workspace: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(workspace / ".pressctl" / "journal.sqlite") as db:
        return sorted(db.execute("SELECT address, state FROM messages"))


# Bad input: one clear message, exit 1 or 2, nothing sent, the journal intact.

def test_no_smtp_settings(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    result = send(runner, "--yes")
    assert result.exit_code == 2
    assert result.output.startswith("error: pressctl.toml: no [smtp] settings: pressctl send needs to know the mail")


@pytest.mark.parametrize(("table", "message"), [
    ('password = "hunter2"\n',
     "pressctl.toml:{line}: `smtp.password`: a password must not be written in pressctl.toml, which lives in git"),
    ('rate = "fast"\n', "pressctl.toml:{line}: `smtp.rate` is 'fast'; write it as a number per second, minute or hour"),
    ('hots = "x"\n', "pressctl.toml:{line}: unknown key `smtp.hots`"),
    ("connections = 0\n", "pressctl.toml:{line}: `smtp.connections` must be a whole number of at least 1"),
    ("connections = 11\n", "pressctl.toml:{line}: `smtp.connections` is 11; at most 10 connections are opened to one "
                           "server"),
])
def test_settings_mistakes_at_their_line(workspace: Path, runner, table: str, message: str) -> None:  # type: ignore[no-untyped-def]
    configure(workspace, smtp_table(25) + table)
    line = len((workspace / "pressctl.toml").read_text(encoding="utf-8").splitlines())
    result = send(runner, "--yes")
    assert result.exit_code == 2
    assert result.output.startswith("error: " + message.format(line=line))


def test_plain_text_only_to_this_machine(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    configure(workspace, smtp_table(25).replace('"127.0.0.1"', '"smtp.example.org"'))
    line = (workspace / "pressctl.toml").read_text(encoding="utf-8").splitlines().index('security = "none"') + 1
    result = send(runner, "--dry-run")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: pressctl.toml:{line}: `smtp.security = \"none\"` would send the password")


def test_password_sources(workspace: Path, runner, monkeypatch, certificates) -> None:  # type: ignore[no-untyped-def]
    with smtp_server(security="starttls", certs=certificates, auth=True) as (box, port):
        table = smtp_table(port, security="starttls", ca_file=certificates[0], auth=True)
        configure(workspace, table)
        monkeypatch.delenv("PRESSCTL_TEST_SMTP_PASSWORD")
        unset = send(runner, "--yes")
        assert unset.exit_code == 2
        assert "the environment variable PRESSCTL_TEST_SMTP_PASSWORD (`smtp.password_env`) is not set" in unset.output
        monkeypatch.setenv("PRESSCTL_TEST_SMTP_PASSWORD", "wrong")
        wrong = send(runner, "--yes")
        assert wrong.exit_code == 2
        assert f"127.0.0.1:{port} refused the user name or password for press@example.org (535" in wrong.output
        settings = workspace / "pressctl.toml"
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            'password_env = "PRESSCTL_TEST_SMTP_PASSWORD"', 'password_command = "false"'), encoding="utf-8")
        failing = send(runner, "--yes")
        assert failing.exit_code == 2 and "`smtp.password_command` exited with 1" in failing.output
        settings.write_text(settings.read_text(encoding="utf-8").replace(
            'password_command = "false"', f'password_command = "echo {PASSWORD}"'), encoding="utf-8")
        assert send(runner, "--yes").exit_code == 0
        assert len(box.recipients()) == 7


def test_a_certificate_that_does_not_verify(workspace: Path, runner, certificates, tmp_path) -> None:  # type: ignore[no-untyped-def]
    other_ca = make_certificates(tmp_path / "other", name="Another CA")[0]
    with smtp_server(security="starttls", certs=certificates, auth=True) as (box, port):
        configure(workspace, smtp_table(port, security="starttls", ca_file=other_ca, auth=True))
        result = send(runner, "--yes")
        assert box.recipients() == []
    assert result.exit_code == 2
    assert f"the certificate of 127.0.0.1:{port} does not verify (unable to get local issuer certificate)" \
        in result.output


def test_a_server_without_starttls(workspace: Path, runner, certificates) -> None:  # type: ignore[no-untyped-def]
    with smtp_server(security="starttls", certs=certificates, starttls_offered=False) as (box, port):
        configure(workspace, smtp_table(port, security="starttls", ca_file=certificates[0]))
        result = send(runner, "--yes")
        assert box.recipients() == []
    assert result.exit_code == 2
    assert f"127.0.0.1:{port} does not offer STARTTLS, so pressctl will not send" in result.output


def test_an_unreachable_server(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    configure(workspace, smtp_table(port))
    result = send(runner, "--yes")
    assert result.exit_code == 1
    assert f"cannot reach the mail server 127.0.0.1:{port}: Connection refused" in result.output
    assert {state for _, state in journal_rows(workspace)} <= {"pending"}


@pytest.mark.parametrize(("content", "message"), [
    (b"this is not a database, just text\n" * 40, "is not a pressctl send journal (not an SQLite database)"),
    (None, "was written by a newer pressctl (journal version 99; this one reads version 1)"),
])
def test_a_journal_that_cannot_be_used(workspace: Path, runner, content, message) -> None:  # type: ignore[no-untyped-def]
    path = workspace / ".pressctl" / "journal.sqlite"
    path.parent.mkdir()
    if content is None:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA user_version = 99")
    else:
        path.write_bytes(content)
    before = path.read_bytes()
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner, "--yes")
        assert box.recipients() == []
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {Path('.pressctl') / 'journal.sqlite'}: {message}") or message in \
        result.output
    assert path.read_bytes() == before


def test_two_sends_at_once(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        journal = Journal.in_workspace(workspace)
        with journal.lock(EXAMPLE):  # as a send running in another process holds it
            result = send(runner, "--yes")
        assert box.recipients() == []
    assert result.exit_code == 1
    assert f"another pressctl send of {EXAMPLE} is running" in result.output


def test_on_a_terminal_a_changed_release_is_a_question(workspace: Path, runner, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from send_smtp import on_a_terminal

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent.parent))
    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        assert send(runner, "--yes", "--to", "femke-jansen").exit_code == 0
        release = workspace / EXAMPLE
        release.write_text(release.read_text(encoding="utf-8").replace("first shared", "first joint"),
                           encoding="utf-8")
        code, output = on_a_terminal(["send", EXAMPLE], workspace, b"n\n")
        assert code == 1 and "changed since 1 message of it went out" in output
        assert "Send this version to the 6 who have had none (no stops the send)? [y/N]" in output
        assert box.recipients() == ["femke.jansen@example.net"]
        code, output = on_a_terminal(["send", EXAMPLE], workspace, b"y\n")
        assert code == 0, output
        assert "Sent 6 messages" in output and len(box.recipients()) == 7


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(st.sampled_from(".. .\tabcé€ខ"), max_size=12), min_size=1, max_size=8))
def test_any_body_arrives_byte_for_byte(server, lines: list[str]) -> None:
    """Lines that start with a dot (SMTP's end of data) or are nothing but one reach the server unchanged."""
    from pressctl.contacts.addresses import mail_address

    box, connection = server
    data = b"Subject: dots\r\n\r\n" + "\r\n".join(lines).encode("utf-8") + b"\r\n"
    before = len(box.received)
    sender, to = mail_address("press@example.org"), mail_address("dots@example.net")
    assert sender is not None and to is not None
    outcome = connection.deliver(sender, to, data, lambda: None)
    assert outcome.state == "sent", outcome
    assert box.received[before:] == [("dots@example.net", data)]


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    from pressctl.send.settings import SmtpSettings
    from pressctl.send.transport import Connection

    with smtp_server() as (box, port):
        connection = Connection(SmtpSettings("127.0.0.1", port, "none"), None)
        yield box, connection
        connection.close()


def test_each_recipient_gets_the_version_in_their_language(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """SPEC §9: send chooses versions as the merge does; the Indonesian one carries its photo."""
    import email
    from email import policy

    with smtp_server() as (box, port):
        configure(workspace, smtp_table(port))
        result = send(runner, "--to", "bayu-pratama,femke-jansen", "--yes")
        assert result.exit_code == 0, result.output
        bayu = email.message_from_bytes(box.to("bayu.pratama@example.net")[0], policy=policy.default)
        femke = email.message_from_bytes(box.to("femke.jansen@example.net")[0], policy=policy.default)
    assert bayu["Content-Language"] == "id"
    images = [part for part in bayu.walk() if part.get_content_type() == "image/png"]
    assert [part.get_filename() for part in images] == ["signing-amsterdam.png"]  # shown inline, as cid:
    assert femke["Content-Language"] == "en" and femke.get_content_type() == "multipart/alternative"


def test_the_next_message_made_early_keeps_its_error_for_its_turn() -> None:
    """Over one connection the next message is merged while the server takes in the one before; a failure in
    making it surfaces when its turn comes, not inside that transaction (where it could pass for a lost
    connection)."""
    from pressctl.send.delivery import _Ahead

    def made() -> Iterator[int]:
        yield 1
        raise OSError("templates unreadable")

    ahead = _Ahead(made())
    ahead.make_next()
    ahead.make_next()  # a second call keeps the item made
    assert next(ahead) == 1
    ahead.make_next()  # the error is kept, not raised here
    with pytest.raises(OSError, match="templates unreadable"):
        next(ahead)
    ahead.make_next()
    assert list(ahead) == []
