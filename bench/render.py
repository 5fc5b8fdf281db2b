"""Benchmark: render releases with long statements, to show that time and memory grow linearly.

    flock /tmp/pressctl-bench.lock python bench/render.py [--sizes 5,10,25,50] [--formats text,html]
                                                         [--rounds 1] [--other-python PATH]

Each statement is N MB of Markdown paragraphs (some with bold, links and list items) after the example
release's front matter; `pressctl render` runs as a child process, and its wall time and peak memory
(PSS of the whole process tree) are printed with the cost per MB. `--other-python PATH` runs the same
renders with another interpreter, one whose environment has another checkout of pressctl (an older commit,
say), side by side in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured

REPO = Path(__file__).resolve().parent.parent
RELEASE = REPO / "releases" / "2024-06-26-three-port-wage-deal.md"
WORDS = ["dock", "workers", "terminal", "agreement", "wage", "shift", "cap", "pay", "rise", "union", "Jakarta",
         "Amsterdam", "Sihanoukville", "crane", "lashing", "planners", "maintenance", "committee", "survey",
         "négociation", "Tarifvertrag", "kỳ", "họp"]


def statement(megabytes: float, seed: int = 1) -> str:
    """Paragraphs of about 60 words; every fifth has bold text and a link, every tenth is a short list."""
    chooser = random.Random(seed)
    size = int(megabytes * 1024 * 1024)
    pieces, total, number = [], 0, 0
    while total < size:
        words = [chooser.choice(WORDS) for _ in range(60)]
        if number % 5 == 0:
            words[3] = f"**{words[3]}**"
            words[10] = f"[{words[10]}](https://example.org/{number})"
        piece = " ".join(words)
        if number % 10 == 0:
            piece = "\n".join(f"- {' '.join(words[i:i + 8])};" for i in range(0, 40, 8))
        pieces.append(piece)
        total += len(piece) + 2
        number += 1
    return "\n\n".join(pieces) + "\n"


def workspace(folder: Path, sizes: list[float]) -> None:
    for name in ("contacts.yaml", "pressctl.toml"):
        shutil.copy(REPO / name, folder / name)
    (folder / "releases").mkdir()
    front = RELEASE.read_text(encoding="utf-8").split("\n---\n", 1)[0] + "\n---\n"
    for size in sizes:
        (folder / "releases" / f"{size:g}mb.md").write_text(front + statement(size), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5,10,25,50", help="statement sizes in MB, comma-separated")
    parser.add_argument("--formats", default="text,html")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each render; the best is shown")
    parser.add_argument("--other-python", help="an interpreter with another pressctl, measured side by side")
    args = parser.parse_args()
    sizes = [float(size) for size in args.sizes.split(",")]
    builds = [("this", sys.executable)] + ([("other", args.other_python)] if args.other_python else [])
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-render-") as tmp:
        folder = Path(tmp)
        workspace(folder, sizes)
        print(f"{'build':<6} {'format':<6} {'MB':>5} {'seconds':>8} {'peak MiB':>9} {'s/MB':>6} {'MiB/MB':>7}")
        for fmt in args.formats.split(","):
            for size in sizes:
                for label, python in builds:
                    env = dict(os.environ, SOURCE_DATE_EPOCH="1719295200")
                    best = None
                    for _ in range(args.rounds):
                        seconds, peak, code = run_measured(
                            [python, "-m", "pressctl", "render", f"releases/{size:g}mb.md", "-f", fmt,
                             "-o", f"out.{fmt}"], cwd=folder, env=env)
                        if code != 0:
                            sys.exit(f"{label} {fmt} {size:g} MB: pressctl exited {code}")
                        best = (seconds, peak) if best is None else (min(best[0], seconds), min(best[1], peak))
                    assert best is not None
                    print(f"{label:<6} {fmt:<6} {size:>5g} {best[0]:>8.2f} {best[1]:>9.0f} "
                          f"{best[0] / size:>6.2f} {best[1] / size:>7.1f}", flush=True)


if __name__ == "__main__":
    main()
