"""Privacy requests: `contacts forget` and `contacts show --personal-data` on a real workspace and real outputs."""

from __future__ import annotations

import json
import mailbox
import sqlite3
from pathlib import Path

from pressctl.cli import app
from pressctl.contacts.load import open_book
from pressctl.contacts.suppression import suppression_hash

RELEASE = "releases/2024-06-26-three-port-wage-deal.md"


def _block(text: str, contact_id: str) -> str:
    start = text.index(f"  - id: {contact_id}\n")
    end = text.index("\n  - id: ", start + 1)
    return text[start:end + 1]


def test_forget_removes_the_contact_keeps_every_other_byte_and_remembers_hashes(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_text(encoding="utf-8")
    result = runner.invoke(app, ["contacts", "forget", "Femke.Jansen@EXAMPLE.net"])
    assert result.exit_code == 0, result.output
    assert "removed `femke-jansen`; 2 hashes added to `suppressed:`" in result.output
    assert "git history" in result.output
    after = Path("contacts.yaml").read_text(encoding="utf-8")
    body, _, tail = after.partition("suppressed:")
    assert body == before.replace(_block(before, "femke-jansen"), "")
    assert "femke" not in after.lower()
    assert suppression_hash("femke.jansen@example.net") in tail and suppression_hash("+31628704913") in tail
    assert runner.invoke(app, ["contacts", "check"]).exit_code == 0


def test_a_forgotten_person_typed_in_again_is_flagged_and_not_imported(workspace: Path, runner) -> None:
    book = open_book(Path("contacts.yaml"))
    number = book.by_id()["femke-jansen"].phones[0].number
    assert runner.invoke(app, ["contacts", "forget", "femke-jansen"]).exit_code == 0
    text = Path("contacts.yaml").read_text(encoding="utf-8")
    text = text.replace("contacts:\n", "contacts:\n  - id: femke-again\n    name: F. Jansen\n"
                        f"    email: FEMKE.jansen@example.net\n    phone: \"{number}\"\n\n", 1)
    Path("contacts.yaml").write_text(text, encoding="utf-8")
    check = runner.invoke(app, ["contacts", "check", "--format", "json"])
    assert check.exit_code == 1
    codes = [(f["code"], f["contact"]) for f in json.loads(check.output)["findings"] if f["code"] == "C010"]
    assert codes == [("C010", "femke-again"), ("C010", "femke-again")]
    Path("contacts.yaml").write_text(text.replace(_block(text, "femke-again"), ""), encoding="utf-8")
    Path("again.csv").write_text("Full name,Mail\r\nFemke Jansen,femke.jansen@example.net\r\n", encoding="utf-8")
    imported = runner.invoke(app, ["contacts", "import", "again.csv", "--map", "Full name=name,Mail=email"])
    assert imported.exit_code == 0 and "1 asked to be forgotten" in imported.output
    assert "femke.jansen" not in Path("contacts.yaml").read_text(encoding="utf-8")


def test_forget_refuses_while_a_release_names_the_person(workspace: Path, runner) -> None:
    before = Path("contacts.yaml").read_bytes()
    result = runner.invoke(app, ["contacts", "forget", "marieke-van-dijk"])
    assert result.exit_code == 1
    assert "named by a release" in result.output and "three-port-wage-deal.md:" in result.output
    assert "(quote 1)" in result.output and "(media contact)" in result.output
    assert Path("contacts.yaml").read_bytes() == before


def test_forget_an_unknown_person_suggests_the_id(workspace: Path, runner) -> None:
    result = runner.invoke(app, ["contacts", "forget", "femke-jansn"])
    assert result.exit_code == 1 and "did you mean `femke-jansen`?" in result.output


def _generated(workspace: Path, runner) -> None:
    """Export jobs with their manifest, a merged outbox and mbox, and a send journal that hold Femke."""
    assert runner.invoke(app, ["export", "--all"]).exit_code == 0
    merge = runner.invoke(app, ["render", RELEASE, "-f", "eml", "--audience", "press-eu", "-o", "outbox"])
    assert merge.exit_code == 0, merge.output
    mbox = runner.invoke(app, ["render", RELEASE, "-f", "eml", "--audience", "press-eu", "--mbox", "press.mbox"])
    assert mbox.exit_code == 0, mbox.output
    Path(".pressctl").mkdir()
    with sqlite3.connect(".pressctl/journal.sqlite") as db:
        db.execute("CREATE TABLE messages (release TEXT, contact TEXT, address TEXT, state TEXT)")
        db.executemany("INSERT INTO messages VALUES (?, ?, ?, ?)", [
            ("wage-deal", "femke-jansen", "femke.jansen@example.net", "sent"),
            ("wage-deal", "siobhan-gallagher", "siobhan.gallagher@example.com", "sent")])


def test_show_personal_data_lists_every_place(workspace: Path, runner) -> None:
    _generated(workspace, runner)
    result = runner.invoke(app, ["contacts", "show", "femke-jansen", "--personal-data"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["contact"]["email"] == "femke.jansen@example.net"
    assert report["lists"] and report["consent"]["basis"]
    places = report["appears_in"]
    assert {Path(e["file"]).name for e in places["export_files"]} >= {"mailchimp-press-eu.csv", "press-contacts.vcf"}
    assert places["messages"] == ["outbox/femke-jansen.eml"]
    assert places["mailboxes"] == [{"file": "press.mbox", "messages": 1}]
    assert places["journal"] == [{"table": "messages", "rows": 1}]
    spokesperson = json.loads(runner.invoke(app, ["contacts", "show", "marieke-van-dijk", "--personal-data"]).output)
    assert [r["as"] for r in spokesperson["appears_in"]["releases"]] == ["quote 1", "media contact"]


def test_forget_lists_what_still_holds_the_person_and_purge_takes_it_out(workspace: Path, runner) -> None:
    _generated(workspace, runner)
    listed = runner.invoke(app, ["contacts", "forget", "femke-jansen"])
    assert listed.exit_code == 0, listed.output
    assert "still holds them: " in listed.output and "femke-jansen.eml" in listed.output
    assert Path("outbox/femke-jansen.eml").exists()  # without --purge nothing generated is touched


def test_purge_deletes_and_rewrites_the_generated_files(workspace: Path, runner) -> None:
    _generated(workspace, runner)
    others = len(mailbox.mbox("press.mbox"))
    result = runner.invoke(app, ["contacts", "forget", "femke-jansen", "--purge"])
    assert result.exit_code == 0, result.output
    assert not Path("outbox/femke-jansen.eml").exists() and Path("outbox/siobhan-gallagher.eml").exists()
    kept = mailbox.mbox("press.mbox")
    assert len(kept) == others - 1
    assert all("femke" not in str(message["To"]).lower() for message in kept)
    for manifest in Path("exports").rglob("manifest.json"):
        for record in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
            data = (manifest.parent / record["file"]).read_bytes().lower()
            assert b"femke" not in data and b"+31628704913" not in data
    with sqlite3.connect(".pressctl/journal.sqlite") as db:
        assert [row[0] for row in db.execute("SELECT contact FROM messages")] == ["siobhan-gallagher"]
    assert b"femke" not in Path(".pressctl/journal.sqlite").read_bytes().lower()
    # The export jobs run again make the files anew, without the person.
    assert runner.invoke(app, ["export", "--all"]).exit_code == 0
    assert all(b"femke" not in p.read_bytes().lower() for p in Path("exports").rglob("*") if p.is_file())
