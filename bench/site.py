"""Benchmark: build the newsroom for N generated releases, against rendering the same releases to HTML one
by one in the same process; then a rebuild with nothing changed, which must leave the folder untouched.

    flock /tmp/pressctl-bench.lock .venv/bin/python bench/site.py [-n 1000] [--rounds 3]

Every figure is the best of the rounds, measured side by side in one run. "render" loads each release and
renders it with render_html (which checks it first), keeping the string; "render + write" also writes each
page as `pressctl render -f html -o FILE` does (write_atomic, one fsync per file). The site build does all
that and more: ninjs, Atom feeds, the sitemap, the index, and a folder made durable (one syncfs) and
swapped in whole.
Target: site build <= 1.5x render.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pressctl.atomic import write_atomic  # noqa: E402
from pressctl.config import load_config  # noqa: E402
from pressctl.contacts.load import open_book  # noqa: E402
from pressctl.release import load_release  # noqa: E402
from pressctl.render import render_html  # noqa: E402
from pressctl.site import SiteInputs, build_site  # noqa: E402

EXAMPLE = REPO / "releases" / "2024-06-26-three-port-wage-deal.md"
LANGUAGES = ("en", "fr", "de", "nl", "km", "vi")
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def write_workspace(folder: Path, count: int) -> list[Path]:
    shutil.copy(REPO / "contacts.yaml", folder / "contacts.yaml")
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    releases = folder / "releases"
    releases.mkdir()
    text = EXAMPLE.read_text(encoding="utf-8")
    paths = []
    for n in range(count):
        day = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"
        body = (text.replace("date: 2024-06-26", f"date: {day}")
                .replace('embargo: "2024-06-26T06:00:00+02:00"', f'embargo: "{day}T06:00:00+02:00"')
                .replace("language: en", f"language: {LANGUAGES[n % len(LANGUAGES)]}")
                .replace("Dock workers in three countries", f"Dock workers in three countries (no. {n})"))
        path = releases / f"{day}-release-{n:04d}.md"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths


def render_one_by_one(paths: list[Path], out: Path | None) -> float:
    start = time.perf_counter()
    book, config = open_book(Path("contacts.yaml")), load_config()
    for path in paths:
        html = render_html(load_release(path), book, config)
        if out is not None:
            write_atomic(out / f"{path.stem}.html", html)
    return time.perf_counter() - start


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in [folder, *folder.iterdir()]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000, help="releases to generate")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-site-") as tmp:
        folder = Path(tmp)
        os.chdir(folder)
        paths = write_workspace(folder, args.n)
        inputs = SiteInputs()
        best = {"render": float("inf"), "render + write": float("inf"), "site": float("inf"),
                "rebuild, unchanged": float("inf")}
        untouched = True
        for round_ in range(args.rounds):
            best["render"] = min(best["render"], render_one_by_one(paths, None))
            pages = folder / f"pages-{round_}"
            pages.mkdir()
            best["render + write"] = min(best["render + write"], render_one_by_one(paths, pages))
            output = folder / f"public-{round_}"
            start = time.perf_counter()
            result = build_site(inputs, output, now=NOW)
            best["site"] = min(best["site"], time.perf_counter() - start)
            assert result.pages == args.n and result.changed
            before = snapshot(output)
            start = time.perf_counter()
            again = build_site(inputs, output, now=NOW)
            best["rebuild, unchanged"] = min(best["rebuild, unchanged"], time.perf_counter() - start)
            untouched = untouched and not again.changed and snapshot(output) == before
        files = len(list((folder / "public-0").iterdir()))
        print(f"{args.n} releases in {len(LANGUAGES)} languages; the site has {files} files "
              f"(best of {args.rounds} rounds)")
        for name, seconds in best.items():
            print(f"  {name:<20} {seconds:7.2f} s")
        print(f"  site / render          {best['site'] / best['render']:5.2f}x  (target <= 1.5x)")
        print(f"  site / render + write  {best['site'] / best['render + write']:5.2f}x")
        print(f"  rebuild with nothing changed left the folder untouched: {'yes' if untouched else 'NO'}")
        os.chdir(REPO)


if __name__ == "__main__":
    main()
