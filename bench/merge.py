"""Benchmark: merge a release for N recipients with pressctl, and the same recipients with mailmerge 2.3.0.

    python bench/merge.py [-n 10000] [--rounds 3] [--keep]

Every tool runs as a child process in a temporary folder, so each one's wall time includes its start-up
and its peak memory (ru_maxrss from wait4) is its own; each round runs them all side by side, and the best
round of each is reported. pressctl merges into one mbox (multipart messages: the text part, and the HTML
part with its CSS inlined) three times:

- with the built-in templates (target: at least 3x mailmerge);
- with an office's branded templates that override both `email.html` and `release.txt` (extending the
  built-in ones, as docs/templates.md shows) and print the recipient's values (target: at least 2x);
- with the same templates plus one line that branches on the recipient (`{% if recipient.organisation %}`),
  which no placeholder can stand for, so every message is rendered and its CSS inlined in full: the plain
  path. Its ratio to the branded run says whether the placeholder path earns its complexity (it is to be
  removed when the plain path comes within 20% of it).

mailmerge renders a plain-text Jinja template per recipient with `--dry-run --no-limit` (it has no mbox
output: it prints each message to a pipe we discard). It is installed into a cached virtualenv
when no mailmerge 2.3.0 is on the PATH.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "releases" / "2024-06-26-three-port-wage-deal.md"
MAILMERGE = "mailmerge==2.3.0"
LANGUAGES = ("en", "nl", "fr", "de", "id", "km", "es")

MAILMERGE_TEMPLATE = """\
TO: {{email}}
FROM: Harbour Workers Alliance Press Office <press@example.org>
SUBJECT: [EMBARGOED] Dock workers in three countries win first shared wage deal with Meridian Terminals
List-Unsubscribe: <https://example.org/press/unsubscribe?contact={{id}}>

Dear {{name}},

%s
"""

MAILMERGE_CONFIG = """\
[smtp_server]
host = localhost
port = 25
security = Never
"""


BRANDED_EMAIL = """\
{#- The Harbour Workers Alliance house style: the built-in e-mail with a masthead, colours and a footer. -#}
{% extends "builtin/email.html" %}
{% block style %}
{{ super() }}
<style>
body { background: #eef2f5; }
.masthead { max-width: 680px; margin: 0 auto; padding: 14px 40px; background: #0b3d5c; color: #ffffff;
  font-family: Arial, Helvetica, sans-serif; font-size: 18px; font-weight: bold; letter-spacing: 0.04em; }
.masthead span { color: #f2b134; }
.release { border-top: 6px solid #f2b134; }
h1 { color: #0b3d5c; }
.quote { border-left-color: #f2b134; }
.brand { max-width: 680px; margin: 12px auto 0; color: #5a6470; font-family: Arial, Helvetica, sans-serif;
  font-size: 12px; text-align: center; }
</style>
{% endblock %}
{% block before %}
<div class="masthead">Harbour Workers <span>Alliance</span> · Press office</div>
{{ super() }}
{% endblock %}
{% block after %}
{{ super() }}
<p class="brand">Harbour Workers Alliance · Havenstraat 12 · 3011 AB Rotterdam · +31 10 555 0100<br>
This message was sent to {{ recipient.email }}.</p>
{% endblock %}
"""

BRANDED_TEXT = """\
{#- The house style in plain text: the built-in release with our masthead and address. -#}
{% extends "builtin/release.txt" %}
{% block greeting %}
HARBOUR WORKERS ALLIANCE · PRESS OFFICE

{{ super() }}
{% endblock %}
{% block footer %}
{{ super() }}

Harbour Workers Alliance, Havenstraat 12, 3011 AB Rotterdam
+31 10 555 0100 · press@example.org · sent to {{ recipient.email }}
{% endblock %}
"""

BRANCH = """\
{% block greeting %}
HARBOUR WORKERS ALLIANCE · PRESS OFFICE
{% if recipient.organisation %}For the news desk at {{ recipient.organisation }}
{% endif %}

{{ super() }}
{% endblock %}
"""


def write_templates(folder: Path, *, branch: bool) -> None:
    folder.mkdir()
    (folder / "email.html").write_text(BRANDED_EMAIL, encoding="utf-8")
    text = BRANDED_TEXT
    if branch:
        start, end = text.index("{% block greeting %}"), text.index("{% block footer %}")
        text = text[:start] + BRANCH + text[end:]
    (folder / "release.txt").write_text(text, encoding="utf-8")


def write_workspace(folder: Path, count: int) -> None:
    lines = ["version: 1", "defaults:", "  region: NL", "contacts:",
             "  - id: marieke-van-dijk", "    name: Marieke van Dijk", "    role: General Secretary",
             "    organisation: Harbour Workers Alliance", "    email: marieke.vandijk@example.org",
             '    phone: "+31 6 51280210"',
             "  - id: ratih-kusumawardani", "    name: Ratih Kusumawardani",
             "    email: ratih.k@example.org", '    phone: "+62 812-3456-7890"',
             "  - id: sophal-meas", "    name: Sophal Meas", "    email: sophal.meas@example.org"]
    csv = ["id,name,email"]
    for n in range(count):
        name = f"Editor {n:05d}"
        email = f"editor{n:05d}@example.net"
        lines += [f"  - id: editor-{n:05d}", f"    name: {name}", f"    email: {email}",
                  f"    languages: [{LANGUAGES[n % len(LANGUAGES)]}]", "    lists: [bench]"]
        if n % 3 == 0:
            lines.append(f"    organisation: Newsroom {n % 97:02d}")
        csv.append(f"editor-{n:05d},{name},{email}")
    (folder / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "database.csv").write_text("\n".join(csv) + "\n", encoding="utf-8")
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    (folder / "releases").mkdir()
    release = RELEASE.read_text(encoding="utf-8").replace("audience: [press-eu, labour-beat]", "audience: [bench]")
    (folder / "releases" / RELEASE.name).write_text(release, encoding="utf-8")
    (folder / "mailmerge_server.conf").write_text(MAILMERGE_CONFIG, encoding="utf-8")
    write_templates(folder / "branded", branch=False)
    write_templates(folder / "branching", branch=True)


def mailmerge_template(folder: Path) -> None:
    """A comparable plain-text template: the same release, as pressctl renders it in text."""
    text = subprocess.run([sys.executable, "-m", "pressctl", "render", f"releases/{RELEASE.name}"], cwd=folder,
                          env=_env(), check=True, capture_output=True, text=True).stdout
    (folder / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE % text, encoding="utf-8")


def _env() -> dict[str, str]:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1719295200")
    # Both tools run from bytecode, as installed tools do: mailmerge's was compiled when pip installed it, and
    # pressctl's is written on its first run here (for the template below), not compiled again in every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    return env


def mailmerge_command(cache: Path) -> list[str]:
    found = shutil.which("mailmerge")
    if found and _version(found) == "2.3.0":
        return [found]
    binary = cache / "bin" / "mailmerge"
    if not binary.exists():
        print(f"installing {MAILMERGE} into {cache} …", file=sys.stderr)
        venv.create(cache, with_pip=True, clear=True)
        subprocess.run([str(cache / "bin" / "pip"), "install", "--quiet", MAILMERGE], check=True)
    return [str(binary)]


def _version(binary: str) -> str:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return out.strip().split()[-1] if out.strip() else ""


def timed(command: list[str], folder: Path) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=folder, env=_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} … failed ({process.returncode}):\n{error}")
    return wall, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


RUNS = (  # label, extra options for `pressctl render`
    ("pressctl, built-in templates", []),
    ("pressctl, branded templates", ["--templates", "branded"]),
    ("pressctl, branded + branch (plain path)", ["--templates", "branching"]),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="Run everything this many times; report the best.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="Where to make the temporary folder, e.g. /dev/shm to leave the disk out.")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "pressctl-mailmerge-2.3.0-venv"
    folder = Path(tempfile.mkdtemp(prefix="pressctl-bench-", dir=args.tmp))
    try:
        write_workspace(folder, args.recipients)
        mailmerge_template(folder)
        mailmerge = [*mailmerge_command(cache), "--template", "mailmerge_template.txt", "--database",
                     "database.csv", "--config", "mailmerge_server.conf", "--dry-run", "--no-limit"]
        best: dict[str, tuple[float, float]] = {}
        sizes: dict[str, tuple[int, int]] = {}
        for _ in range(args.rounds):
            for number, (label, options) in enumerate(RUNS):
                mbox = f"out-{number}.mbox"
                # Each run writes a new mbox, as a first merge does: renaming over the last round's 140 MB would
                # add the file system's freeing of it (30-40 ms, in rename) to the time of a merge.
                (folder / mbox).unlink(missing_ok=True)
                command = [sys.executable, "-m", "pressctl", "render", f"releases/{RELEASE.name}", "--format",
                           "eml", "--audience", "bench", "--mbox", mbox, *options]
                _keep_best(best, label, timed(command, folder))
                sizes[label] = _mbox_size(folder / mbox)
            _keep_best(best, "mailmerge", timed(mailmerge, folder))
        print(f"{args.recipients} recipients, best of {args.rounds} rounds; each pressctl run writes one mbox")
        print(f"{'tool':<44} {'wall (s)':>9} {'peak RSS (MiB)':>15} {'messages':>9} {'KiB each':>9}")
        for label, _ in RUNS:
            count, size = sizes[label]
            print(f"{label:<44} {best[label][0]:>9.2f} {best[label][1]:>15.0f} {count:>9} {size / count / 1024:>9.1f}")
        wall, memory = best["mailmerge"]
        print(f"{'mailmerge 2.3.0 --dry-run (plain text)':<44} {wall:>9.2f} {memory:>15.0f}")
        theirs = best["mailmerge"][0]
        builtin, branded, plain = (best[label][0] for label, _ in RUNS)
        print(f"built-in templates: {theirs / builtin:.1f}x as fast as mailmerge (target: at least 3x)")
        print(f"branded templates:  {theirs / branded:.1f}x as fast as mailmerge (target: at least 2x)")
        print(f"plain path (every message rendered and inlined): {plain / branded:.1f}x the time of the placeholder "
              f"path, {theirs / plain:.1f}x as fast as mailmerge (the placeholder path stays while this is above 1.2x)")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _mbox_size(path: Path) -> tuple[int, int]:
    """Messages and bytes in an mbox, read line by line: reading it whole would grow this process, and a
    child's peak memory (ru_maxrss) starts from its parent's at fork."""
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            count += line.startswith(b"From pressctl ")
    return count, path.stat().st_size


def _keep_best(best: dict[str, tuple[float, float]], label: str, figures: tuple[float, float]) -> None:
    """The shortest wall time, and the highest peak memory, over the rounds."""
    wall, memory = best.get(label, (float("inf"), 0.0))
    best[label] = (min(wall, figures[0]), max(memory, figures[1]))


if __name__ == "__main__":
    main()
