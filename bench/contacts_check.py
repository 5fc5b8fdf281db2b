"""Benchmark `pressctl contacts check` against the floor of its two validators.

    python bench/contacts_check.py [N [REPEAT]]    (default N = 100,000, REPEAT = 3)

Generates N contacts (at least 20 regions, about 5% broken numbers and 2% broken
addresses), then in one run measures:
  * the floor: phonenumbers parse + is_valid_number and email-validator
    validate_email(check_deliverability=False) over the same values in memory;
  * `pressctl contacts check` end to end in a subprocess, with the peak memory of
    its whole process tree;
  * the same at N/10, to see that time grows linearly;
  * start-up: `pressctl --version` and `--help` against `python -c "import typer"`.
Targets (issue #2): check <= 1.5x floor, peak <= 500 MB, start-up <= 1.25x.
"""

from __future__ import annotations

import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import median_seconds, run_measured

REGIONS = ["NL", "ID", "KH", "GB", "US", "DE", "FR", "KE", "BR", "BE", "ES", "IT", "IN", "ZA", "AU",
           "CA", "MX", "JP", "NG", "PH", "SE", "PL", "TR", "AR"]


def generate(n: int, seed: int = 7) -> tuple[str, list[tuple[str, str | None]], list[str]]:
    """The YAML text, and the (number, region) and address values it holds."""
    import phonenumbers

    rng = random.Random(seed)
    bases = {region: phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
             for region in REGIONS}
    used: set[str] = set()

    def fresh_number(region: str) -> phonenumbers.PhoneNumber:
        """A valid mobile number of the region that no other contact has."""
        base = bases[region]
        nsn = str(base.national_number)
        while True:
            digits = nsn[:-5] + f"{rng.randrange(100000):05d}"
            candidate = phonenumbers.parse(f"+{base.country_code}{digits}")
            if f"{base.country_code}{digits}" not in used and phonenumbers.is_valid_number(candidate):
                used.add(f"{base.country_code}{digits}")
                return candidate
    lines = ["version: 1", "defaults:", "  region: NL", "  phone_format: international", "contacts:"]
    numbers: list[tuple[str, str | None]] = []
    emails: list[str] = []
    for i in range(n):
        region = REGIONS[i % len(REGIONS)]
        parsed = fresh_number(region)
        roll = rng.random()
        if roll < 0.05:
            number = "+" + str(parsed.country_code) + " " + str(parsed.national_number)[:3]  # too short
        elif roll < 0.30:
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        else:
            number = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        email = f"reporter{i}@news{i % 97}.example.org"
        if rng.random() < 0.02:
            email = f"reporter{i}@@news.example.org"
        numbers.append((number, region))
        emails.append(email)
        lines += [
            f"  - id: contact-{i}",
            f"    name: Reporter Number {i}",
            "    organisation: Example Daily",
            f"    email: {email}",
            f"    region: {region}",
            "    phones:",
            f'      - {{number: "{number}", type: mobile}}',
            "    languages: [en]",
            "    lists: [press-eu]",
            f'    consent: {{basis: legitimate-interest, source: "briefing", date: 2024-05-{1 + i % 28:02d}}}',
        ]
    return "\n".join(lines) + "\n", numbers, emails


def floor_seconds(numbers: list[tuple[str, str | None]], emails: list[str]) -> float:
    import phonenumbers
    from email_validator import EmailNotValidError, validate_email

    start = time.perf_counter()
    for number, region in numbers:
        with contextlib.suppress(phonenumbers.NumberParseException):
            phonenumbers.is_valid_number(phonenumbers.parse(number, region))
    for address in emails:
        with contextlib.suppress(EmailNotValidError):
            validate_email(address, check_deliverability=False)
    return time.perf_counter() - start


def check_run(n: int, folder: Path, repeat: int) -> tuple[float, float, float, int]:
    """Floor and check, alternated `repeat` times; the best of each (this machine is shared and noisy:
    the minimum is the run least disturbed by others)."""
    text, numbers, emails = generate(n)
    path = folder / f"contacts-{n}.yaml"
    path.write_text(text, encoding="utf-8")
    floors, checks, peaks = [], [], []
    for _ in range(repeat):
        floors.append(floor_seconds(numbers, emails))
        seconds, peak, code = run_measured([sys.executable, "-m", "pressctl", "contacts", "check", str(path),
                                            "--format", "json"])
        if code not in (0, 1):
            raise SystemExit(f"pressctl failed with exit code {code}")
        checks.append(seconds)
        peaks.append(peak)
    return min(floors), min(checks), max(peaks), path.stat().st_size


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = max(n // 10, 1)
        floor_s, check_s, _, _ = check_run(small, folder, repeat)
        floor_n, check_n, peak_n, size = check_run(n, folder, repeat)
    # The console script, as people run it (python -m adds runpy's own start-up).
    script = Path(sys.executable).with_name("pressctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pressctl"]
    typer_s = median_seconds([sys.executable, "-c", "import typer"], 15)
    version_s = median_seconds([*command, "--version"], 15)
    help_s = median_seconds([*command, "--help"], 15)
    print(f"contacts check, {n:,} contacts ({size / 2**20:.1f} MiB of YAML), best of {repeat} runs each")
    print(f"{'':28}{'seconds':>10}{'ratio':>10}{'target':>10}")
    print(f"{'floor (validators only)':28}{floor_n:>10.2f}{1:>10.2f}")
    print(f"{'pressctl contacts check':28}{check_n:>10.2f}{check_n / floor_n:>10.2f}{'<= 1.50':>10}")
    print(f"{'peak memory (MiB)':28}{peak_n:>10.0f}{'':>10}{'<= 500':>10}")
    growth = (check_n / n) / (check_s / small)
    print(f"{'at ' + format(small, ',') + ' contacts':28}{check_s:>10.2f}{check_s / floor_s:>10.2f}")
    print(f"{'time per contact, N vs N/10':28}{growth:>10.2f}{'':>10}{'~1 (linear)':>10}")
    baseline = 'python -c "import typer"'
    print(f"{baseline:28}{typer_s:>10.3f}{1:>10.2f}")
    print(f"{'pressctl --version':28}{version_s:>10.3f}{version_s / typer_s:>10.2f}{'<= 1.25':>10}")
    print(f"{'pressctl --help':28}{help_s:>10.3f}{help_s / typer_s:>10.2f}{'<= 1.25':>10}")


if __name__ == "__main__":
    main()
