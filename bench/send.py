"""Benchmark: send N merged messages to a local aiosmtpd sink with pressctl (journal durable), and the
same number with mailmerge 2.3.0 to the same sink, in the same run.

    python bench/send.py [-n 10000] [--rounds 1] [--connections 3]

The sink (tests/send_smtp.py, the aiosmtpd server of the tests, keeping no content) runs in a process
of its own, the same for every tool; each tool runs as a child process, so its wall time includes its
start-up. pressctl sends its merged messages (multipart: the text part and the HTML part with its CSS
inlined, about 13.8 KB) over one connection with its journal in the workspace
(.pressctl/journal.sqlite on this disk), then the same messages again from a fresh journal with
`smtp.connections = 3` (--connections).

Like for like: mailmerge gets the same content. Its template is pressctl's own message for the first
recipient (the same headers, the same text part and the same HTML part, as multipart/alternative),
with the recipient's name, address and id as placeholders (pressctl greets each recipient in their
language; the template keeps the first recipient's English greeting). mailmerge renders it per
recipient, encodes each part itself (base64, as it does for any text that is not ASCII) and opens a
connection per message, as it always does. The target ratio is against that run. The earlier
comparison, mailmerge sending a plain-text template of the release (about 5 KB as sent, against
pressctl's 13.8 KB), is kept as a second row: not like for like, but it shows how close pressctl
comes to the limit the sink's own CPU sets.

Two more rows show the limit the sink itself sets: a client that costs nothing (raw sockets, the
transactions prepared in advance, one process per connection, no journal) hands the sink pressctl's
message for the first recipient N times, over one connection and over --connections. No sender can
go faster with that message to that sink on this machine.

For each tool the sink's own CPU time per message is printed (its process's CPU time over the run,
including its connection handling): what one aiosmtpd process spends on that tool's transactions.
The journal's share: the same sequence of journal writes for N messages (durable batch marks, start
and answer per message) timed alone on the same disk, over pressctl's wall time.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import multiprocessing
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
    """The aiosmtpd sink, answering "count" with the number of messages it has accepted and the CPU
    seconds its process has used so far (all its threads)."""
    with smtp_server(keep_content=False) as (box, port):
        pipe.send(port)
        while pipe.recv() == "count":
            pipe.send((len(box.received), time.process_time()))


def mailmerge_same_content(folder: Path) -> None:
    """mailmerge_multipart.txt: pressctl's message for the first recipient as a mailmerge template, its
    name, address and id replaced by placeholders and everything else kept verbatim (in raw blocks)."""
    subprocess.run([sys.executable, "-m", "pressctl", "render", f"releases/{RELEASE.name}", "--format", "eml",
                    "--to", "editor-00000", "--mbox", "first.mbox"], cwd=folder, env=_env(), check=True,
                   capture_output=True)
    data = (folder / "first.mbox").read_bytes()
    message = email.message_from_bytes(data[data.index(b"\n") + 1:], policy=email.policy.compat32)
    assert message.is_multipart(), "pressctl's message is not multipart"
    values = {"Editor 00000": "name", "editor00000@example.net": "email", "editor-00000": "id"}
    pattern = re.compile("|".join(re.escape(value) for value in values))

    def template(text: str) -> str:
        parts, at = [], 0
        for found in pattern.finditer(text):
            parts += ["{% raw %}", text[at:found.start()], "{% endraw %}{{", values[found.group()], "}}"]
            at = found.end()
        return "".join([*parts, "{% raw %}", text[at:], "{% endraw %}"])

    boundary = message.get_boundary()
    head = [f"{name}: {' '.join(str(value).split())}" for name, value in message.items()
            if name.lower() not in ("date", "message-id", "content-type", "mime-version")]
    lines = [template("\n".join(head)), "Message-ID: <{{id}}.mailmerge@example.org>", "MIME-Version: 1.0",
             f'Content-Type: multipart/alternative; boundary="{boundary}"', ""]
    for part in message.get_payload():
        body = part.get_payload(decode=True).decode(part.get_content_charset())
        lines += [f"--{boundary}", f"Content-Type: {part.get_content_type()}; charset=utf-8", "",
                  template(body.replace("\r\n", "\n"))]
    lines.append(f"--{boundary}--")
    (folder / "mailmerge_multipart.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def first_message(folder: Path) -> bytes:
    """pressctl's message for the first recipient, as it goes over the wire (CRLF, dot-stuffed, the final dot)."""
    data = (folder / "first.mbox").read_bytes()
    message = data[data.index(b"\n") + 1:].rstrip(b"\n").replace(b"\n", b"\r\n") + b"\r\n"
    return message.replace(b"\r\n.", b"\r\n..") + b".\r\n"


def bare_client(port: int, payload: bytes, first: int, count: int) -> None:
    """`count` transactions over one connection with as little work as a client can do."""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        replies = connection.makefile("rb")

        def answer() -> bytes:
            while (line := replies.readline())[3:4] == b"-":
                pass
            return line

        answer()
        connection.sendall(b"EHLO bench.example\r\n")
        answer()
        for number in range(first, first + count):
            for command in (b"MAIL FROM:<press@example.org> BODY=8BITMIME\r\n",
                            b"RCPT TO:<editor%05d@example.net>\r\n" % number, b"DATA\r\n", payload):
                connection.sendall(command)
                answer()
        connection.sendall(b"QUIT\r\n")
        answer()


def bare_clients(port: int, payload: bytes, count: int, connections: int) -> float:
    """Wall seconds for `count` messages from bare clients over `connections` connections at once."""
    shares = [count // connections + (number < count % connections) for number in range(connections)]
    starts = [sum(shares[:number]) for number in range(connections)]
    clients = [multiprocessing.Process(target=bare_client, args=(port, payload, start, share))
               for start, share in zip(starts, shares, strict=True)]
    start = time.perf_counter()
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    return time.perf_counter() - start


def timed(command: list[str], folder: Path) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user and system, from wait4) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=folder, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    error = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command[:4])} … failed ({os.waitstatus_to_exitcode(status)}):\n{error[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


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


@dataclass
class Run:
    label: str
    command: list[str] | int  # a tool's command, or the connections of bare clients
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the tool's own
    sink: list[float] = field(default_factory=list)  # the sink's, over the same run

    def best(self) -> int:
        return self.wall.index(min(self.wall))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=1, help="Repeat and keep each tool's best time.")
    parser.add_argument("--connections", type=int, default=3, help="For pressctl's second run (smtp.connections).")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "pressctl-mailmerge-2.3.0-venv"
    mailmerge = [*mailmerge_command(cache), "--database", "database.csv", "--config", "mailmerge_server.conf",
                 "--no-limit", "--no-dry-run", "--template"]
    ours = [sys.executable, "-m", "pressctl", "send", f"releases/{RELEASE.name}", "--yes"]
    runs = [Run("pressctl send (journal durable)", ours),
            Run(f"pressctl send, connections = {args.connections}", [*ours, "--config", "parallel/pressctl.toml"]),
            Run("mailmerge 2.3.0, the same content", [*mailmerge, "mailmerge_multipart.txt"]),
            Run("mailmerge 2.3.0, plain text only", [*mailmerge, "mailmerge_template.txt"]),
            Run("sink's limit: bare client", 1),
            Run(f"sink's limit: bare clients, {args.connections}", args.connections)]
    share = []
    pipe, child_end = multiprocessing.Pipe()
    server = multiprocessing.Process(target=sink, args=(child_end,), daemon=True)
    server.start()
    port = pipe.recv()

    def received() -> tuple[int, float]:
        pipe.send("count")
        count, cpu = pipe.recv()
        return int(count), float(cpu)

    try:
        for _ in range(args.rounds):
            folder = Path(tempfile.mkdtemp(prefix="pressctl-bench-send-"))
            try:
                write_workspace(folder, args.messages)
                mailmerge_template(folder)
                mailmerge_same_content(folder)
                (folder / "mailmerge_server.conf").write_text(SINK_CONFIG.format(port=port), encoding="utf-8")
                with (folder / "pressctl.toml").open("a", encoding="utf-8") as handle:
                    handle.write(f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n')
                parallel = folder / "parallel"  # its pressctl.toml makes a workspace, with a journal, of its own
                parallel.mkdir()
                (parallel / "pressctl.toml").write_text((folder / "pressctl.toml").read_text(encoding="utf-8")
                                                        + f"connections = {args.connections}\n", encoding="utf-8")
                payload = first_message(folder)
                for run in runs:
                    count, cpu = received()
                    if isinstance(run.command, int):
                        before = resource.getrusage(resource.RUSAGE_CHILDREN)
                        wall = bare_clients(port, payload, args.messages, run.command)
                        after = resource.getrusage(resource.RUSAGE_CHILDREN)
                        own = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                    else:
                        wall, own = timed(run.command, folder)
                    after, cpu_after = received()
                    assert after - count == args.messages, f"{run.label}: {after - count} messages arrived"
                    run.wall.append(wall)
                    run.cpu.append(own)
                    run.sink.append(cpu_after - cpu)
                share.append(journal_seconds(folder, args.messages))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        pipe.send("stop")
        server.join(10)
    n = args.messages
    print(f"{n} messages to an aiosmtpd sink on 127.0.0.1 (best of {args.rounds}); CPU in ms per message")
    print(f"{'tool':<36} {'wall (s)':>9} {'messages/s':>11} {'its CPU':>8} {'sink CPU':>9}")
    for run in runs:
        best = run.best()
        print(f"{run.label:<36} {run.wall[best]:>9.2f} {n / run.wall[best]:>11.0f} "
              f"{1000 * run.cpu[best] / n:>8.2f} {1000 * run.sink[best] / n:>9.2f}")
    ours, parallel_wall, same, plain, bare, bare_parallel = (min(run.wall) for run in runs)
    for label, wall in (("pressctl", ours), (f"pressctl with {args.connections} connections", parallel_wall)):
        print(f"{label} is {same / wall:.1f}x as fast as mailmerge sending the same content (target: at least 3x), "
              f"{plain / wall:.1f}x mailmerge sending plain text only")
    print(f"the sink's own limit with pressctl's message: {plain / bare:.1f}x mailmerge sending plain text only "
          f"over one connection, {plain / bare_parallel:.1f}x over {args.connections}")
    journal = min(share)
    print(f"journal: {journal:.2f} s of pressctl's {ours:.2f} s ({journal / ours:.0%}), "
          f"its writes timed alone for {n} messages")


if __name__ == "__main__":
    main()
