"""Benchmark: send N merged messages to a local aiosmtpd sink with pressctl (journal durable), and the
same number with mailmerge 2.3.0 to the same sink, in the same run.

    python bench/send.py [-n 10000] [--rounds 1]

The sink (tests/send_smtp.py) runs in a process of its own; each tool runs as a child process, so its
wall time includes its start-up. pressctl sends multipart messages (text and HTML, CSS inlined) over one
connection with its journal in the workspace (.pressctl/journal.sqlite on this disk); mailmerge sends
a plain-text Jinja template per recipient. The journal's share: the same sequence of journal
writes for N messages (durable batch marks, start and answer per message) timed alone on the same
disk, over pressctl's wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))

from merge import RELEASE, _env, mailmerge_command, mailmerge_template, write_workspace  # noqa: E402
from send_smtp import smtp_server  # noqa: E402

if TYPE_CHECKING:
    from multiprocessing.connection import Connection as Pipe

SINK_CONFIG = """\
[smtp_server]
host = 127.0.0.1
port = {port}
security = Never
"""


def sink(pipe: Pipe) -> None:
    """The aiosmtpd sink, answering "count" with the number of messages it has accepted."""
    with smtp_server(keep_content=False) as (box, port):
        pipe.send(port)
        while pipe.recv() == "count":
            pipe.send(len(box.received))


def timed(command: list[str], folder: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return wall


def journal_seconds(folder: Path, count: int) -> float:
    """The journal's writes for a send of `count` messages, timed alone on the same disk: the rows added,
    then per batch the durable `sending` marks and per message the start of DATA and the answer."""
    from pressctl.send.delivery import BATCH
    from pressctl.send.journal import Journal

    journal = Journal.in_workspace(folder / "journal-alone")
    release = "releases/bench.md"
    keys = [f"editor{n:05d}@example.net" for n in range(count)]
    start = time.perf_counter()
    with journal.lock(release):
        journal.recover(release)
        journal.add(release, ((key, key, key) for key in keys))
        batch = BATCH if journal.boot else 1
        for number, key in enumerate(keys):
            if number % batch == 0:
                journal.reserve(release, keys[number:number + batch], "version")
            journal.start(release, key)
            journal.finish(release, key, "sent", "250 2.0.0 OK queued")
        journal.unreserve(release)
    seconds = time.perf_counter() - start
    journal.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1, help="Repeat and keep each tool's best time.")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "pressctl-mailmerge-2.3.0-venv"
    mailmerge = mailmerge_command(cache)
    ours, theirs, share = [], [], []
    pipe, child_end = multiprocessing.Pipe()
    server = multiprocessing.Process(target=sink, args=(child_end,), daemon=True)
    server.start()
    port = pipe.recv()

    def received() -> int:
        pipe.send("count")
        return int(pipe.recv())

    try:
        for _ in range(args.rounds):
            folder = Path(tempfile.mkdtemp(prefix="pressctl-bench-send-"))
            try:
                write_workspace(folder, args.messages)
                mailmerge_template(folder)
                (folder / "mailmerge_server.conf").write_text(SINK_CONFIG.format(port=port), encoding="utf-8")
                with (folder / "pressctl.toml").open("a", encoding="utf-8") as handle:
                    handle.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n')
                before = received()
                ours.append(timed([sys.executable, "-m", "pressctl", "send", f"releases/{RELEASE.name}", "--yes"],
                                  folder))
                assert received() - before == args.messages, "pressctl did not send every message"
                before = received()
                theirs.append(timed([*mailmerge, "--template", "mailmerge_template.txt", "--database",
                                     "database.csv", "--config", "mailmerge_server.conf", "--no-limit", "--no-dry-run"],
                                    folder))
                assert received() - before == args.messages, "mailmerge did not send every message"
                share.append(journal_seconds(folder, args.messages))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        pipe.send("stop")
        server.join(10)
    best_ours, best_theirs = min(ours), min(theirs)
    journal = min(share)
    print(f"{args.messages} messages to an aiosmtpd sink on 127.0.0.1 (best of {args.rounds})")
    print(f"{'tool':<46} {'wall (s)':>9} {'messages/s':>11}")
    print(f"{'pressctl send (multipart, journal durable)':<46} {best_ours:>9.2f} {args.messages / best_ours:>11.0f}")
    print(f"{'mailmerge 2.3.0 (plain text)':<46} {best_theirs:>9.2f} {args.messages / best_theirs:>11.0f}")
    print(f"pressctl is {best_theirs / best_ours:.1f}x as fast as mailmerge")
    print(f"journal: {journal:.2f} s of pressctl's {best_ours:.2f} s ({journal / best_ours:.0%}), "
          f"its writes timed alone for {args.messages} messages")


if __name__ == "__main__":
    main()
