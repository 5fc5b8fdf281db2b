"""`contacts check --fix` on a book with thousands of fixable values: the time grows with the book.

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


def fix_seconds(package_root: Path, text: str, work: Path) -> float:
    path = work / "contacts.yaml"
    path.write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package_root)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pressctl", "contacts", "check", str(path), "--fix"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False, cwd=work)
    elapsed = time.perf_counter() - start
    if "(0)" in path.read_text(encoding="utf-8"):
        raise SystemExit(f"{package_root}: --fix did not fix the book")
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
        best = {name: min(fix_seconds(root, text, work) for _ in range(args.rounds)) for name, root in runs}
        for name, seconds in best.items():
            print(f"--fix, {args.values} fixable values, {name}: {seconds:.2f} s (best of {args.rounds})")
        if args.baseline:
            print(f"baseline / this checkout: {best['baseline'] / best['this checkout']:.1f}x")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
