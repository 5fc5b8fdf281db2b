"""Benchmark: importing Google Contacts rows into an empty book, against checking the book it makes (issue #11).

    .venv/bin/python bench/import.py [--rows 100000] [--repeat 2]

Target: the import takes at most 2x the time of `pressctl contacts check` on the resulting book, with a peak
of at most 500 MB for the whole process tree, measured side by side in one run (best of --repeat rounds).
The rows are realistic: Google's full header, names in several scripts, national and international numbers,
a second number for some, labels (lists), notes with commas and line breaks.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run_measured

HEADER = ["First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name",
          "Phonetic Last Name", "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name",
          "Organization Title", "Organization Department", "Birthday", "Notes", "Photo", "Labels",
          "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
          "Phone 2 - Value"]
GIVEN = ("Marieke", "Hương", "សុផល", "Jürgen", "Siobhán", "محمد", "Ana Beatriz", "Bayu", "Camille", "Wanjiru")
FAMILY = ("van Dijk", "Nguyễn", "មាស", "Hoffmann", "Gallagher", "علي", "Souza", "Pratama", "Roux", "Kamau")
LABELS = ("* myContacts ::: press-eu", "* myContacts ::: press-asia ::: labour-beat", "* myContacts",
          "* myContacts ::: freelancers")


def google_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for n in range(rows):
        row = [""] * len(HEADER)
        row[0], row[2] = GIVEN[n % 10], f"{FAMILY[(n // 10) % 10]} {n}"
        row[10], row[11] = f"Outlet {n % 1000}, Ltd", "Reporter"
        row[14] = "Met at the congress, Lyon.\nPrefers e-mail." if n % 7 == 0 else ""
        row[16] = LABELS[n % 4]
        row[17], row[18] = "* Work", f"reporter{n}@example{n % 10}.org"
        row[19] = "Mobile"
        row[20] = f"+31 6 {10000000 + n:08d}" if n % 2 else f"06 {20000000 + n:08d}"
        if n % 3 == 0:
            row[21], row[22] = "Work", f"020 {1000000 + n % 8999999:07d}"
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    pressctl = str(Path(sys.executable).parent / "pressctl")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "google.csv"
        source.write_bytes(google_csv(args.rows))
        print(f"{args.rows:,} Google Contacts rows, {source.stat().st_size / 2**20:.1f} MiB")
        best_import = best_check = float("inf")
        peak_import = peak_check = 0.0
        for _ in range(args.repeat):
            book = folder / "contacts.yaml"
            book.write_text("version: 1\ndefaults:\n  region: NL\ncontacts: []\n", encoding="utf-8")
            seconds, peak, code = run_measured([pressctl, "contacts", "import", str(source), "--contacts", str(book),
                                                "--consent-basis", "legitimate-interest", "--consent-source",
                                                "Google Contacts export"])
            if code:
                print(f"import failed with exit {code}")
                return 1
            best_import, peak_import = min(best_import, seconds), max(peak_import, peak)
            seconds, peak, code = run_measured([pressctl, "contacts", "check", str(book)])
            best_check, peak_check = min(best_check, seconds), max(peak_check, peak)
        ratio = best_import / best_check
        print(f"import  {best_import:7.2f} s   peak {peak_import:6.0f} MiB")
        print(f"check   {best_check:7.2f} s   peak {peak_check:6.0f} MiB   (the book the import wrote)")
        print(f"import / check = {ratio:.2f}x (target <= 2.0x); peak {peak_import:.0f} MiB (target <= 500 MiB)")
        return 0 if ratio <= 2.0 and peak_import <= 500 else 1


if __name__ == "__main__":
    raise SystemExit(main())
