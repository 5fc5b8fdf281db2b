"""Export jobs: the `[[export]]` tables of pressctl.toml, run under a lock, recorded in a manifest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pressctl.errors import ExitCode, JobError, PressctlError, UsageError
from pressctl.export import CONTACT_TARGETS, RELEASE_TARGETS
from pressctl.export.manifest import MANIFEST_NAME, Entry, update_manifests
from pressctl.suggest import did_you_mean

REQUIRED_KEYS = ("name", "what", "to", "output")
OPTIONAL_KEYS = ("lists", "exclude_lists", "language", "release", "contacts")
LOCK_NAME = ".pressctl-export.lock"


@dataclass(frozen=True)
class Job:
    name: str
    what: str  # "contacts" or "release"
    to: str
    output: str  # may hold {date}
    lists: tuple[str, ...] = ()
    exclude_lists: tuple[str, ...] = ()
    language: str | None = None
    release: str | None = None
    contacts: str = "contacts.yaml"

    def output_path(self, base: Path, today: date) -> Path:
        return base / self.output.replace("{date}", today.isoformat())


def load_jobs(config: Path) -> list[Job]:
    from pressctl.config import load_config

    # The whole file is checked, so that a typo anywhere stops a cron run before it writes anything.
    tables = load_config(config).exports
    jobs: list[Job] = []
    for number, table in enumerate(tables, start=1):
        jobs.append(_job(table, number, config))
    _check_unique(jobs, config)
    return jobs


def _job(table: Any, number: int, config: Path) -> Job:
    where = f"[[export]] table #{number}"
    if not isinstance(table, dict):
        raise UsageError(f"{where} is not a table", path=config)
    if isinstance(table.get("name"), str) and table["name"]:
        where = f"job {table['name']!r}"

    def fail(problem: str) -> UsageError:
        return UsageError(f"{where}: {problem}", path=config)

    if table.get("what") == "site":  # a site has one shape: its `to` may be left out
        table = {"to": "site", **table}
    for key in REQUIRED_KEYS:
        if key not in table:
            raise fail(f"the key {key!r} is missing")
        if not isinstance(table[key], str) or not table[key]:
            raise fail(f"{key!r} must be a non-empty string")
    unknown = sorted(set(table) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; known keys: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}")
    what, to = table["what"], table["to"]
    if what not in ("contacts", "release", "site"):
        raise fail(f"'what' is {what!r}; it must be \"contacts\", \"release\" or \"site\"")
    known = {"contacts": CONTACT_TARGETS, "release": RELEASE_TARGETS, "site": ("site",)}[what]
    if to not in known:
        raise fail(f"unknown target {to!r} for {what}; known targets: {', '.join(known)}")
    if what == "release" and not isinstance(table.get("release"), str):
        raise fail("the key 'release' is missing (the release file to export)")
    for key in ("lists", "exclude_lists"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(f"{key!r} must be a list of list names, e.g. {key} = [\"press-eu\"]")
    for key in ("language", "contacts"):
        if key in table and not isinstance(table[key], str):
            raise fail(f"{key!r} must be a string")
    return Job(table["name"], what, to, table["output"], tuple(table.get("lists", ())),
               tuple(table.get("exclude_lists", ())), table.get("language"), table.get("release"),
               table.get("contacts", "contacts.yaml"))


def _check_unique(jobs: list[Job], config: Path) -> None:
    names: set[str] = set()
    for job in jobs:
        if job.name in names:
            raise UsageError(f"two export jobs are named {job.name!r}", path=config)
        names.add(job.name)


def check_outputs(jobs: list[Job], config: Path, today: date) -> None:
    """No two jobs write the same file, and none writes over a manifest or the lock. Paths are compared
    resolved and with {date} expanded, so `exports/{date}/a.csv` and `./exports/2026-11-26/a.csv` collide."""
    base = config.parent
    lock = (base / LOCK_NAME).resolve()
    writers: dict[Path, str] = {}
    for job in jobs:
        output = job.output_path(base, today).resolve()
        if output.name == MANIFEST_NAME or output == lock:
            raise UsageError(f"job {job.name!r}: the output {job.output!r} is the run's own "
                             f"{'manifest' if output.name == MANIFEST_NAME else 'lock file'}; choose another name",
                             path=config)
        if output in writers:
            shown = output.relative_to(base.resolve()) if output.is_relative_to(base.resolve()) else output
            raise UsageError(f"jobs {writers[output]!r} and {job.name!r} write the same file {shown}; "
                             "give each job its own output", path=config)
        writers[output] = job.name


def choose(jobs: list[Job], names: list[str] | None, config: Path) -> list[Job]:
    if names is None:
        if not jobs:
            raise UsageError("there are no [[export]] jobs to run", path=config)
        return jobs
    by_name = {job.name: job for job in jobs}
    for name in names:
        if name not in by_name:
            known = ", ".join(by_name) or "none"
            raise UsageError(f"no export job is named {name!r}; jobs: {known}", path=config)
    return [by_name[name] for name in dict.fromkeys(names)]


@dataclass
class JobsRun:
    """What a run has to say: warnings (`job 'NAME': …`, for stderr, so cron mails them) and the failure
    of one or more jobs, raised by `check` after the warnings are shown."""

    warnings: list[str] = field(default_factory=list)
    failure: JobError | None = None

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure


def run_jobs(config: Path, names: list[str] | None = None, *, lock_timeout: float = 60.0,
             today: date | None = None) -> JobsRun:
    """Run the jobs (all when `names` is None). Configuration errors stop everything before any file is
    written (exit 2); a job that fails does not stop the others, and the run then fails with one line per
    failed job (exit 1)."""
    from filelock import FileLock, Timeout

    today = today or date.today()
    all_jobs = load_jobs(config)
    check_outputs(all_jobs, config, today)
    jobs = choose(all_jobs, names, config)
    base = config.parent
    lock = FileLock(str(base / LOCK_NAME), timeout=lock_timeout)
    try:
        lock.acquire()
    except Timeout:
        raise JobError(f"another `pressctl export` run still holds the lock after {lock_timeout:g} s; "
                       "nothing was written", path=base / LOCK_NAME) from None
    try:
        runner = _Runner(config)
        entries: list[Entry] = []
        failures: list[tuple[str, ExitCode]] = []
        for job in jobs:
            try:
                entries.append(runner.run(job, today))
            except PressctlError as err:
                failures.append((f"job {job.name!r} failed: {err}", err.exit_code))
        update_manifests(entries)
    finally:
        lock.release()
    run = JobsRun([f"job {entry.job!r}: {warning}" for entry in entries for warning in entry.warnings])
    if failures:
        run.failure = JobError("\nerror: ".join(message for message, _ in failures))
        # A job that failed on its configuration (a missing list id, say) keeps exit code 2.
        run.failure.exit_code = max(code for _, code in failures)
    return run


class _Runner:
    """Runs jobs, reading each contact book once and parsing each phone number once."""

    def __init__(self, config: Path) -> None:
        from pressctl.export.fields import PhoneResolver

        self.config = config
        self.base = config.parent
        self.books: dict[Path, Any] = {}
        self.resolver = PhoneResolver()

    def book(self, path: Path) -> Any:
        from pressctl.contacts.load import open_book

        if path not in self.books:
            self.books[path] = open_book(path)
        return self.books[path]

    def run(self, job: Job, today: date) -> Entry:
        from pressctl.atomic import write_atomic

        output = job.output_path(self.base, today)
        contacts = self.base / job.contacts
        if job.what == "site":  # rebuilt from cron, a release appears once its embargo lifts
            from pressctl.site import SiteInputs, build_site

            templates = self.base / "templates"
            built = build_site(SiteInputs(self.base / "releases", contacts, self.config,
                                          templates if templates.is_dir() else None, self.base), output)
            return Entry(output, job.name, job.what, job.to, built.pages, built.manifest,
                         {"embargoed": built.embargoed}, ())
        if job.what == "contacts":
            from pressctl.export.contacts import Selection, export_contacts, unknown_lists

            book = self.book(contacts)
            selection = Selection(job.lists, job.exclude_lists, job.language)
            # By hand this is a warning; unattended, a typo would send a header-only file on every run.
            missing = unknown_lists(book, selection)
            if missing:
                name = missing[0]
                guess = did_you_mean(name, sorted(book.list_names))
                raise JobError(f"no contact is on the list {name!r}", path=contacts,
                               hint=(f"{guess} " if guess else "")
                               + f"correct the job's lists in {self.config.name}, or the contacts' lists")
            result = export_contacts(book, job.to, selection, resolver=self.resolver)
            left_out = {"unsubscribed": result.unsubscribed, "unfit": result.unfit}
        else:
            from pressctl.export.campaign import export_release

            assert job.release is not None
            result = export_release(self.base / job.release, job.to, lists=job.lists, contacts=contacts,
                                    config=self.config)
            left_out = {}
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UsageError(f"cannot create the output folder: {err.strerror}", path=output.parent) from None
        write_atomic(output, result.data)
        return Entry(output, job.name, job.what, job.to, result.rows, result.data, left_out, result.warnings)
