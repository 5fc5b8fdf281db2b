"""Benchmark: exporting 100,000 contacts to each target, against loading the book (issue #4: at most +50%).

    PYTHONPATH=. python bench/export.py [--contacts 100000]

Prints the load time, each target's export time, and the export time as a share of the load time, in
wall-clock seconds (the budget) and in CPU seconds (less disturbed by other work on a shared machine),
the best of --repeat rounds each. Every export resolves its phone numbers anew, as a separate
`pressctl export contacts` run does.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from pressctl.contacts.model import ContactBook
from pressctl.export.contacts import ExportResult

LISTS = ("press-eu", "labour-beat", "press-asia", "spokespeople", "freelancers")
LANGUAGES = ("en", "nl", "de", "fr", "id", "km", "pt-BR")


def generate_book(count: int) -> str:
    """A contact book of `count` varied contacts: international and national numbers, several lists, some
    unsubscribed and some without an e-mail address."""
    lines = ["version: 1", "defaults: {region: NL, phone_format: international}", "contacts:"]
    for n in range(count):
        lines += [f"  - id: contact-{n}", f"    name: \"Contact{n} van Tester{n % 97}\"",
                  f"    role: Reporter {n % 13}", f"    organisation: \"Outlet {n % 1000}, Ltd\""]
        if n % 50:
            lines.append(f"    email: contact{n}@example{n % 10}.org")
        lines.append(f"    phones:\n      - {{number: \"+31 6 {10000000 + n:08d}\", type: mobile}}")
        if n % 3 == 0:
            lines.append(f"      - {{number: \"020 {1000000 + n % 8999999:07d}\", type: work, label: desk}}")
        lines += [f"    languages: [{LANGUAGES[n % 7]}, en]", f"    lists: [{LISTS[n % 5]}, {LISTS[(n + 2) % 5]}]",
                  "    timezone: Europe/Amsterdam"]
        if n % 40 == 0:
            lines.append("    unsubscribed: 2024-01-01")
    return "\n".join(lines) + "\n"


def timed(work: Callable[[], object]) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds of one run, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def _export(export: Callable[..., ExportResult], book: ContactBook, target: str,
            resolver: Callable[[], object]) -> ExportResult:
    return export(book, target, resolver=resolver())


def main() -> int:
    from pressctl.contacts.load import open_book
    from pressctl.export import CONTACT_TARGETS
    from pressctl.export.contacts import export_contacts
    from pressctl.export.fields import PhoneResolver

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # Rounds of one load and one export per target, best of the rounds for each: the machine is shared,
    # and interleaving keeps a slow spell from landing on the load alone or on one target alone.
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    results: dict[str, ExportResult] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.yaml"
        path.write_text(generate_book(args.contacts), encoding="utf-8")
        for _ in range(args.repeat):
            took, spent, book = timed(lambda: open_book(path))
            wall["load"], cpu["load"] = min(wall.get("load", took), took), min(cpu.get("load", spent), spent)
            assert isinstance(book, ContactBook)
            for target in CONTACT_TARGETS:
                # A fresh resolver each time: every `pressctl export contacts` run resolves its numbers anew.
                took, spent, result = timed(partial(_export, export_contacts, book, target, PhoneResolver))
                assert isinstance(result, ExportResult)
                wall[target], cpu[target] = min(wall.get(target, took), took), min(cpu.get(target, spent), spent)
                results[target] = result
            count = len(book.contacts)
            del book  # a real run holds one book: the next load should not walk this one in its collections
    print(f"load {count:,} contacts: {wall['load']:.2f} s wall, {cpu['load']:.2f} s CPU "
          f"(best of {args.repeat} rounds)")
    for target in CONTACT_TARGETS:
        result = results[target]
        print(f"  {target:<17} {wall[target]:5.2f} s {wall[target] / wall['load']:6.1%} of load wall, "
              f"{cpu[target] / cpu['load']:6.1%} CPU  ({result.rows:,} rows, {len(result.data) / 1e6:.1f} MB)")
    worst = max(wall[target] / wall["load"] for target in CONTACT_TARGETS)
    print(f"worst ratio {worst:.1%} wall (budget 50%)")
    return 0 if worst <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
