"""Benchmark: a merge of N messages into an mbox, each carrying the same 500 KB JPEG, against the floor.

    flock /tmp/pressctl-bench.lock python bench/attachments.py [-n 2000] [--rounds 3] [--kb 500]

The floor is the time to write the same number of bytes as the merge's mbox to the same folder in one
go (one file, large sequential writes, fsynced as pressctl's atomic writer fsyncs), measured in the same
run; the target is a merge within 2x of it. pressctl runs as a child process, so its time includes its
start-up. The JPEG is random bytes behind a JPEG header, so that nothing compresses and the type is sniffed.
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
RELEASE = REPO / "releases" / "2024-06-26-three-port-wage-deal.md"
JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
CHUNK = 16 * 1024 * 1024


def write_workspace(folder: Path, count: int, kilobytes: int) -> Path:
    lines = ["version: 1", "contacts:",
             "  - id: marieke-van-dijk", "    name: Marieke van Dijk", "    role: General Secretary",
             "    email: marieke.vandijk@example.org", '    phone: "+31 6 51280210"',
             "  - id: ratih-kusumawardani", "    name: Ratih Kusumawardani", "    email: ratih.k@example.org",
             '    phone: "+62 812-3456-7890"',
             "  - id: sophal-meas", "    name: Sophal Meas", "    email: sophal.meas@example.org",
             '    phone: "+855 12 345 678"']
    for n in range(count):
        lines += [f"  - id: editor-{n:05d}", f"    name: Editor {n:05d}", f"    email: editor{n:05d}@example.net",
                  "    lists: [press]", "    consent: {basis: legitimate-interest, date: 2024-01-10}"]
    (folder / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(REPO / "pressctl.toml", folder / "pressctl.toml")
    releases = folder / "releases"
    (releases / "media").mkdir(parents=True)
    (releases / "media" / "photo.jpg").write_bytes(JPEG_HEADER + os.urandom(kilobytes * 1024 - len(JPEG_HEADER)))
    text = RELEASE.read_text(encoding="utf-8").replace(
        "audience: [press-eu, labour-beat]\n",
        "audience: [press]\nattachments:\n  - {file: media/photo.jpg, caption: The signing, credit: Pieter Bakker}\n")
    release = releases / "release.md"
    release.write_text(text, encoding="utf-8")
    return release


def merge_seconds(folder: Path, release: Path) -> float:
    pressctl = Path(sys.executable).with_name("pressctl")
    start = time.perf_counter()
    subprocess.run([str(pressctl), "render", str(release), "-f", "eml", "--mbox", "out.mbox"], cwd=folder,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "SOURCE_DATE_EPOCH": "1719295200"})
    return time.perf_counter() - start


def floor_seconds(folder: Path, size: int) -> float:
    block = os.urandom(CHUNK)
    start = time.perf_counter()
    with open(folder / "floor.bin", "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[:min(left, CHUNK)])
            left -= CHUNK
        handle.flush()
        os.fsync(handle.fileno())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="recipients")
    parser.add_argument("--kb", type=int, default=500, help="size of the JPEG in KB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pressctl-bench-attachments-") as tmp:
        folder = Path(tmp)
        release = write_workspace(folder, args.n, args.kb)
        rows = []
        for _ in range(args.rounds):
            merge = merge_seconds(folder, release)
            size = (folder / "out.mbox").stat().st_size
            (folder / "out.mbox").unlink()
            floor = floor_seconds(folder, size)
            (folder / "floor.bin").unlink()
            rows.append((merge / floor, merge, floor, size))
        ratio, merge, floor, size = min(rows)
        print(f"{args.n} messages, each with a {args.kb} KB JPEG: {size / 1e6:.0f} MB of mbox")
        for n, (r, m, f, _) in enumerate(rows, 1):
            print(f"  round {n}: merge {m:.2f} s, floor {f:.2f} s, ratio {r:.2f}x")
        print(f"best: merge {merge:.2f} s, floor (same bytes, one write) {floor:.2f} s, "
              f"ratio {ratio:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
