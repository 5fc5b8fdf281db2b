"""Export jobs: the `[[export]]` tables of pressctl.toml, run under a lock, recorded in a manifest."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.errors import ExitCode, JobError, PressctlError, UsageError, os_error
from pressctl.export import CONTACT_TARGETS, RELEASE_TARGETS
from pressctl.export.manifest import MANIFEST_NAME, Entry, Manifests
from pressctl.suggest import did_you_mean

if TYPE_CHECKING:
    from pressctl.config import TomlLines
    from pressctl.export.contacts import ExportResult

# What a job can export, and the targets of each. A new kind adds its targets here and its builder to
# _Runner.build.
JOB_KINDS: dict[str, tuple[str, ...]] = {"contacts": CONTACT_TARGETS, "release": RELEASE_TARGETS,
                                         "site": ("site",)}
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
    line: int | None = None  # of its `output` in pressctl.toml, for messages about it

    def output_path(self, base: Path, today: date) -> Path:
        return base / self.output.replace("{date}", today.isoformat())


def load_jobs(config: Path) -> list[Job]:
    from pressctl.config import load_config

    # The whole file is checked, so that a typo anywhere stops a cron run before it writes anything.
    settings = load_config(config)
    jobs: list[Job] = []
    for number, table in enumerate(settings.exports, start=1):
        jobs.append(_job(table, number, config, settings.lines))
    _check_unique(jobs, config)
    return jobs


def _job(table: Any, number: int, config: Path, lines: TomlLines | None) -> Job:
    where = f"[[export]] table #{number}"
    if not isinstance(table, dict):
        raise UsageError(f"{where} is not a table", path=config)
    if isinstance(table.get("name"), str) and table["name"]:
        where = f"job {table['name']!r}"

    def line(key: str | None = None) -> int | None:
        return lines.line(f"export.{key}" if key else "export", number) if lines else None

    def fail(problem: str, key: str | None = None) -> UsageError:
        return UsageError(f"{where}: {problem}", path=config, line=line(key))

    if table.get("what") == "site":  # a site has one shape: its `to` may be left out
        table = {"to": "site", **table}
    for key in REQUIRED_KEYS:
        if key not in table:
            raise fail(f"the key {key!r} is missing")
        if not isinstance(table[key], str) or not table[key]:
            raise fail(f"{key!r} must be a non-empty string", key)
    unknown = sorted(set(table) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}; known keys: {', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}", unknown[0])
    what, to = table["what"], table["to"]
    if what not in JOB_KINDS:
        kinds = " or ".join(f'"{kind}"' for kind in JOB_KINDS)
        raise fail(f"'what' is {what!r}; it must be {kinds}", "what")
    known = JOB_KINDS[what]
    if to not in known:
        raise fail(f"unknown target {to!r} for {what}; known targets: {', '.join(known)}", "to")
    if what == "release" and not isinstance(table.get("release"), str):
        raise fail("the key 'release' is missing (the release file to export)", "release")
    for key in ("lists", "exclude_lists"):
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(f"{key!r} must be a list of list names, e.g. {key} = [\"press-eu\"]", key)
    for key in ("language", "contacts"):
        if key in table and not isinstance(table[key], str):
            raise fail(f"{key!r} must be a string", key)
    return Job(table["name"], what, to, table["output"], tuple(table.get("lists", ())),
               tuple(table.get("exclude_lists", ())), table.get("language"), table.get("release"),
               table.get("contacts", "contacts.yaml"), line("output"))


def _check_unique(jobs: list[Job], config: Path) -> None:
    names: set[str] = set()
    for job in jobs:
        if job.name in names:
            raise UsageError(f"two export jobs are named {job.name!r}", path=config)
        names.add(job.name)


def check_outputs(jobs: list[Job], config: Path, today: date) -> None:
    """Each output is a file name a job may write: inside the workspace when relative (no `..`), no NUL
    byte or trailing `/`, not an input of the run (pressctl.toml, a contact book, a release), and no two
    jobs write the same file or over a manifest or the lock. Paths are compared resolved and with {date}
    expanded, so `exports/{date}/a.csv` and `./exports/2026-11-26/a.csv` collide."""
    base = config.parent
    lock = (base / LOCK_NAME).resolve()
    inputs = {path.resolve(): name for path, name in _inputs(jobs, config).items()}
    writers: dict[Path, str] = {}
    for job in jobs:
        _check_name(job, config)
        output = job.output_path(base, today).resolve()
        if output.name == MANIFEST_NAME or output == lock:
            raise UsageError(f"job {job.name!r}: the output {job.output!r} is the run's own "
                             f"{'manifest' if output.name == MANIFEST_NAME else 'lock file'}; choose another name",
                             path=config, line=job.line)
        if output in inputs:
            raise UsageError(f"job {job.name!r}: the output {job.output!r} is {inputs[output]}, an input of the "
                             "run; writing there would destroy it: choose another output", path=config, line=job.line)
        if output in writers:
            shown = output.relative_to(base.resolve()) if output.is_relative_to(base.resolve()) else output
            raise UsageError(f"jobs {writers[output]!r} and {job.name!r} write the same file {shown}; "
                             "give each job its own output", path=config, line=job.line)
        writers[output] = job.name


def _check_name(job: Job, config: Path) -> None:
    def fail(problem: str) -> UsageError:
        return UsageError(f"job {job.name!r}: the output {job.output!r} {problem}", path=config, line=job.line)

    if "\0" in job.output:
        raise fail("holds a NUL byte")
    if job.output.endswith(("/", "\\")):
        raise fail("ends in /, which names a folder; give a file name, e.g. \"exports/{date}/contacts.csv\"")
    parts = Path(job.output).parts
    if not Path(job.output).is_absolute() and ".." in parts:
        raise fail("leaves the workspace through `..`; a relative output stays inside the folder of "
                   f"{config.name} (write an absolute path to go elsewhere)")
    longest = max((len(part.encode("utf-8", "surrogateescape")) for part in parts), default=0)
    if longest > 255:
        raise fail(f"has a name {longest} bytes long; file systems take at most 255")


def _inputs(jobs: list[Job], config: Path) -> dict[Path, str]:
    """What the jobs read (and the default contact book, read or not): no output may replace it."""
    base = config.parent
    found = {config: config.name, base / "contacts.yaml": "the contact book"}
    for job in jobs:
        found.setdefault(base / job.contacts, "a contact book")
        if job.release is not None:
            found.setdefault(base / job.release, "a release")
    return found


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
    """What a run has to say: each job's warnings (`job 'NAME': …`, also in the manifest; the command
    prints them with --verbose) and the failure of one or more jobs, raised by `check`."""

    warnings: list[str] = field(default_factory=list)
    failure: JobError | None = None

    def check(self) -> None:
        if self.failure is not None:
            raise self.failure


@dataclass(frozen=True)
class _Failure:
    job: str
    error: PressctlError

    @property
    def stops_the_run(self) -> bool:
        """A configuration error (a missing list id or release, an unknown list) stops every job before any
        file is written; a job that fails on its data or its write fails alone."""
        return self.error.exit_code == ExitCode.USAGE


def run_jobs(config: Path, names: list[str] | None = None, *, lock_timeout: float = 60.0,
             today: date | None = None) -> JobsRun:
    """Run the jobs (all when `names` is None) in three steps: every job is checked and built in memory;
    then, if none has a configuration error, each file is written beside its target; then the files are
    put in place and recorded in the manifests. A job that fails on its data or its write does not stop
    the others; the run then fails with one line per failed job."""
    if not math.isfinite(lock_timeout) or lock_timeout < 0:
        raise UsageError(f"--lock-timeout must be a number of seconds, 0 or more, not {lock_timeout:g}")
    today = today or date.today()
    all_jobs = load_jobs(config)
    check_outputs(all_jobs, config, today)
    jobs = choose(all_jobs, names, config)
    with _locked(config.parent / LOCK_NAME, lock_timeout):
        runner = _Runner(config)
        built: list[Entry] = []
        failures: list[_Failure] = []
        for job in jobs:
            try:
                built.append(runner.build(job, today))
            except PressctlError as err:
                failures.append(_Failure(job.name, err))
        if any(failure.stops_the_run for failure in failures):
            raise _failed(failures)
        inputs = list(_inputs(all_jobs, config))
        entries = _write([entry for entry in built if entry.what != "site"], inputs, failures)
        entries += runner.publish_sites([entry for entry in built if entry.what == "site"], failures)
    order = {job.name: number for number, job in enumerate(jobs)}
    failures.sort(key=lambda failure: order[failure.job])
    run = JobsRun([f"job {entry.job!r}: {warning}" for entry in entries for warning in entry.warnings])
    if failures:
        run.failure = _failed(failures)
    return run


def _failed(failures: list[_Failure]) -> JobError:
    error = JobError("\nerror: ".join(f"job {failure.job!r} failed: {failure.error}" for failure in failures))
    # A job that failed on its configuration (a missing list id, say) keeps exit code 2.
    error.exit_code = max(failure.error.exit_code for failure in failures)
    return error


@contextlib.contextmanager
def _locked(path: Path, timeout: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    if path.is_symlink() or path.is_dir():
        kind = "a symbolic link" if path.is_symlink() else "a folder"
        raise UsageError(f"the lock file is {kind}; remove it (pressctl creates the lock file itself)", path=path)
    lock = FileLock(str(path), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise JobError(f"another `pressctl export` run still holds the lock after {timeout:g} s; "
                       "nothing was written", path=path) from None
    except OSError as err:
        raise os_error(err, path, JobError, doing="cannot take the lock", after="; nothing was written") from None
    try:
        yield
    finally:
        lock.release()


def _write(entries: list[Entry], inputs: list[Path], failures: list[_Failure]) -> list[Entry]:
    """Write each entry beside its target, then folder by folder: withdraw the manifest's records of the
    files that change, put the files in place, record them. Returns the entries written."""
    from pressctl.atomic import Staged, stage, write_special

    staged: list[tuple[Entry, Staged]] = []
    specials = []
    for entry in entries:
        try:
            _make_folder(entry.file.parent)
            result = stage(entry.file, entry.data, inputs=inputs)
        except PressctlError as err:
            failures.append(_Failure(entry.job, err))
            continue
        if isinstance(result, Staged):
            staged.append((entry, result))
        else:
            specials.append((entry, result))
    manifests = Manifests((entry for entry, _ in staged), inputs)
    written: list[Entry] = []
    for folder in manifests.folders:
        here = [(entry, file) for entry, file in staged if entry.file.parent == folder]
        try:
            manifests.withdraw(entry for entry, _ in here if manifests.changing(entry))
        except PressctlError as err:
            for entry, file in here:
                file.discard()
                failures.append(_Failure(entry.job, err))
            continue
        placed = []
        for entry, file in here:
            try:
                file.commit()
                placed.append(entry)
            except PressctlError as err:
                failures.append(_Failure(entry.job, err))
        try:
            manifests.record(placed)
        except PressctlError as err:
            failures += [_Failure(entry.job, err) for entry in placed]
            continue
        written += placed
    for entry, target in specials:
        try:
            write_special(target, entry.data)
            written.append(entry)
        except PressctlError as err:
            failures.append(_Failure(entry.job, err))
    order = {entry.job: number for number, entry in enumerate(entries)}
    return sorted(written, key=lambda entry: order[entry.job])


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError("cannot create the output folder: a file of that name is in the way", path=folder) from None
    except OSError as err:
        raise os_error(err, folder, UsageError, doing="cannot create the output folder") from None


class _Runner:
    """Runs jobs, reading each contact book once and parsing each phone number once."""

    def __init__(self, config: Path) -> None:
        from pressctl.export.fields import PhoneResolver

        self.config = config
        self.base = config.parent
        self.books: dict[Path, Any] = {}
        self.resolver = PhoneResolver()
        self.sites: dict[str, tuple[Path, Any]] = {}  # job name -> (output folder, rendered files)

    def book(self, path: Path) -> Any:
        from pressctl.contacts.load import open_book

        if path not in self.books:
            self.books[path] = open_book(path)
        return self.books[path]

    def build(self, job: Job, today: date) -> Entry:
        """The job's file in memory; nothing is written yet."""
        if job.what == "site":
            return self.site(job, job.output_path(self.base, today))
        builders = {"contacts": self.contacts, "release": self.release}
        result, left_out = builders[job.what](job)
        return Entry(job.output_path(self.base, today), job.name, job.what, job.to, result.rows, result.data,
                     left_out, result.warnings)

    def contacts(self, job: Job) -> tuple[ExportResult, dict[str, int]]:
        from pressctl.export.contacts import Selection, export_contacts, unknown_lists

        contacts = self.base / job.contacts
        book = self.book(contacts)
        selection = Selection(job.lists, job.exclude_lists, job.language)
        # By hand this is a warning; unattended, a typo would send a header-only file on every run.
        missing = unknown_lists(book, selection)
        if missing:
            name = missing[0]
            guess = did_you_mean(name, sorted(book.list_names))
            raise UsageError(f"no contact is on the list {name!r}", path=contacts,
                             hint=(f"{guess} " if guess else "")
                             + f"correct the job's lists in {self.config.name}, or the contacts' lists")
        result = export_contacts(book, job.to, selection, resolver=self.resolver)
        return result, {"unsubscribed": result.unsubscribed, "unfit": result.unfit}

    def site(self, job: Job, output: Path) -> Entry:
        """A site job, rebuilt from cron so that a release appears once its embargo lifts: every page is
        rendered now, in memory; the folder is replaced in the write phase (`publish_sites`)."""
        from datetime import UTC, datetime

        from pressctl.site import SiteInputs
        from pressctl.site.build import render_site
        from pressctl.site.publish import check_output

        templates = self.base / "templates"
        inputs = SiteInputs(self.base / "releases", self.base / job.contacts, self.config,
                            templates if templates.is_dir() else None, self.base)
        check_output(output, inputs)
        files, articles, embargoed = render_site(inputs, base_url=None, now=datetime.now(UTC))
        self.sites[job.name] = (output, files)
        return Entry(output, job.name, job.what, job.to, len(articles), b"", {"embargoed": embargoed}, ())

    def publish_sites(self, entries: list[Entry], failures: list[_Failure]) -> list[Entry]:
        """Replace each site's folder as a whole (pressctl.site.publish), or leave it when nothing changed."""
        from pressctl.site.publish import publish

        done = []
        for entry in entries:
            output, files = self.sites[entry.job]
            try:
                _, manifest = publish(output, files)
                # Recorded beside the folder like any job's file: its rows are the pages' releases, its
                # checksum that of the site's own manifest of every file.
                recorded = replace(entry, data=manifest)
                Manifests([recorded]).record([recorded])
            except PressctlError as err:
                failures.append(_Failure(entry.job, err))
                continue
            done.append(recorded)
        return done

    def release(self, job: Job) -> tuple[ExportResult, dict[str, int]]:
        from pressctl.export.campaign import export_release

        assert job.release is not None
        result = export_release(self.base / job.release, job.to, lists=job.lists, contacts=self.base / job.contacts,
                                config=self.config)
        return result, {}
