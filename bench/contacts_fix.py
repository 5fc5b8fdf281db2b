"""`contacts check --fix` and `--diff` on a book with thousands of fixable values: the time grows
with the book (issue #9: it took minutes, the diff being computed even without --diff).

Usage: python bench/contacts_fix.py [--values 5000] [--rounds 3] [--baseline DIR]

Each value is a number with a trunk prefix (`+31 (0)6 …`, P004) and every third contact's address
is not normalised (E002). --baseline DIR runs another checkout's `pressctl` (a folder holding its
`pressctl` package) on the same book, side by side, and prints the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def book(values: int) -> str:
    lines = ["version: 1\ndefaults:\n  region: NL\ncontacts:\n"]
    contacts = 0
    made = 0
    while made < values:
        email = f"Reporter{contacts}@EXAMPLE.org" if contacts % 3 == 0 else f"reporter{contacts}@example.org"
        made += contacts % 3 == 0
        lines.append(f"  - id: r{contacts}\n    name: Reporter {contacts}\n    email: {email}\n"
                     f"    phone: \"+31 (0)6 {10000000 + contacts:08d}\"\n")
        made += 1
        contacts += 1
    return "".join(lines)


def seconds(package_root: Path, text: str, work: Path, option: str) -> float:
    path = work / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pressctl", "contacts", "check", str(path), option],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=False, cwd=work)
    elapsed = time.perf_counter() - start
    fixed = path.read_text(encoding="utf-8") if option == "--fix" else done.stdout.decode("utf-8")
    if (option == "--fix" and "(0)" in fixed) or (option == "--diff" and fixed.count("\n+    phone:") < 1000):
        raise SystemExit(f"{package_root}: {option} did not do its work")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    text = book(args.values)
    work = Path(tempfile.mkdtemp(prefix="pressctl-bench-fix-"))
    try:
        runs = [("this checkout", REPO)] + ([("baseline", args.baseline)] if args.baseline else [])
        for option in ("--fix", "--diff"):
            times: dict[str, list[float]] = {name: [] for name, _ in runs}
            for _ in range(args.rounds):  # alternated, so that both meet the same load on a shared machine
                for name, root in runs:
                    times[name].append(seconds(root, text, work, option))
            for name, measured in times.items():
                print(f"{option}, {args.values} fixable values, {name}: {min(measured):.2f} s "
                      f"(best of {args.rounds})")
            if args.baseline:
                ratio = min(times["baseline"]) / min(times["this checkout"])
                print(f"{option}: baseline / this checkout: {ratio:.1f}x")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
