"""Benchmark: merge a release for N recipients with pressctl, and the same recipients with mailmerge 2.3.0.

    python bench/merge.py [-n 10000] [--keep]

Both tools run as child processes in a temporary folder, so each one's wall time includes its start-up
and its peak memory (ru_maxrss from wait4) is its own. pressctl writes one multipart .eml per recipient
(text part, HTML part with CSS inlined); mailmerge renders a plain-text Jinja template per recipient with
`--dry-run --no-limit` (it writes nothing, printing each message to a pipe we discard). mailmerge is
installed into a cached virtualenv beside the temporary folder when it is not importable.
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
        csv.append(f"editor-{n:05d},{name},{email}")
    (folder / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "database.csv").write_text("\n".join(csv) + "\n", encoding="utf-8")
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    (folder / "releases").mkdir()
    release = RELEASE.read_text(encoding="utf-8").replace("audience: [press-eu, labour-beat]", "audience: [bench]")
    (folder / "releases" / RELEASE.name).write_text(release, encoding="utf-8")
    (folder / "mailmerge_server.conf").write_text(MAILMERGE_CONFIG, encoding="utf-8")


def mailmerge_template(folder: Path) -> None:
    """A comparable plain-text template: the same release, as pressctl renders it in text."""
    text = subprocess.run([sys.executable, "-m", "pressctl", "render", f"releases/{RELEASE.name}"], cwd=folder,
                          env=_env(), check=True, capture_output=True, text=True).stdout
    (folder / "mailmerge_template.txt").write_text(MAILMERGE_TEMPLATE % text, encoding="utf-8")


def _env() -> dict[str, str]:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1719295200")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--recipients", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    parser.add_argument("--tmp", type=Path, default=None,
                        help="Where to make the temporary folder, e.g. /dev/shm to leave the disk out.")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "pressctl-mailmerge-2.3.0-venv"
    folder = Path(tempfile.mkdtemp(prefix="pressctl-bench-", dir=args.tmp))
    try:
        write_workspace(folder, args.recipients)
        mailmerge_template(folder)
        pressctl = [sys.executable, "-m", "pressctl", "render", f"releases/{RELEASE.name}", "--format", "eml",
                    "--audience", "bench", "-o", "out"]
        ours = timed(pressctl, folder)
        written = len(list((folder / "out").glob("*.eml")))
        sizes = sum(p.stat().st_size for p in (folder / "out").glob("*.eml"))
        theirs = timed([*mailmerge_command(cache), "--template", "mailmerge_template.txt", "--database",
                        "database.csv", "--config", "mailmerge_server.conf", "--dry-run", "--no-limit"], folder)
        print(f"{args.recipients} recipients; pressctl wrote {written} .eml files, "
              f"{sizes / written / 1024:.1f} KiB each on average")
        print(f"{'tool':<40} {'wall (s)':>9} {'peak RSS (MiB)':>15}")
        print(f"{'pressctl render --format eml (multipart)':<40} {ours[0]:>9.2f} {ours[1]:>15.0f}")
        print(f"{'mailmerge 2.3.0 --dry-run (plain text)':<40} {theirs[0]:>9.2f} {theirs[1]:>15.0f}")
        print(f"pressctl is {theirs[0] / ours[0]:.1f}x as fast as mailmerge")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
