"""`pressctl contacts import` as one function: sources in, a checked book out (or nothing written)."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.contacts.load import build_book, open_book_source
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.findings import Finding
from pressctl.imports.merge import CONSENT_BASES, Merger, Options, Plan
from pressctl.imports.prepare import PARALLEL_BYTES, prepare_all
from pressctl.imports.read import read_source
from pressctl.imports.record import Record
from pressctl.yamlsource import SourceText, parse_fast

if TYPE_CHECKING:
    from pressctl.contacts.check import BookCheck


@dataclass
class ImportResult:
    book: str
    plan: Plan
    formats: list[str] = field(default_factory=list)  # "FILE (google)"
    findings: list[tuple[Finding, str]] = field(default_factory=list)  # contacts check on new contacts, with rows
    written: bool = False
    diff: str = ""


def import_contacts(book_path: Path, files: list[Path], *, fmt: str | None = None, mapping: str | None = None,
                    encoding: str | None = None, unsubscribes: list[Path] | None = None,
                    options: Options | None = None, dry_run: bool = False, diff: bool = False) -> ImportResult:
    from pressctl.collector import without_gc

    # The collector off for all of it, in the forked workers too (they inherit it): the rows make many
    # short-lived objects and no reference cycles, and each collection walks everything alive (a tenth
    # of the time a row takes to prepare).
    with without_gc():
        return _import_contacts(book_path, files, fmt, mapping, encoding, unsubscribes, options or Options(),
                                dry_run, diff)


def _import_contacts(book_path: Path, files: list[Path], fmt: str | None, mapping: str | None,
                     encoding: str | None, unsubscribes: list[Path] | None, options: Options, dry_run: bool,
                     diff: bool) -> ImportResult:
    if options.consent_basis and options.consent_basis not in CONSENT_BASES:
        raise UsageError(f"--consent-basis {options.consent_basis!r}: use one of {', '.join(CONSENT_BASES)}")
    if bool(options.consent_basis) != bool(options.consent_source):
        raise UsageError("--consent-basis and --consent-source go together: say on what basis, and where from")
    if not files and not unsubscribes:
        raise UsageError("nothing to import: name one or more files, or --unsubscribes FILE")
    text, data, book = _read_book(book_path)
    # Every file's header is read and recognised before any row, so a wrong file stops the import at once;
    # the rows are then read, mapped and merged one at a time.
    sources = [read_source(path, fmt=fmt, mapping=mapping, encoding=encoding) for path in files]
    merger = Merger(text, book, data, options)
    people = [prepare_all(source.rows, source.to_record, merger.rules, parallel=source.size >= PARALLEL_BYTES)
              for source in sources]
    people += [prepare_all(_unsubscribe_list(path, encoding, options.today), _same, merger.rules, parallel=False)
               for path in unsubscribes or []]
    result_formats = [f"{source.path} ({source.format})" for source in sources]
    result_formats += [f"{path} (unsubscribes)" for path in unsubscribes or []]
    plan = merger.plan(itertools.chain.from_iterable(people))
    plan.warnings[:0] = [warning for source in sources for warning in source.warnings]
    del sources, people, merger
    result = ImportResult(str(book_path), plan, result_formats)
    if plan.bad and not options.skip_bad:
        return result
    if not plan.changed:
        return result
    old = _contacts_of(data)
    del data, book  # before the check forks its workers: they need none of it
    _release_freed_memory()
    checked = _check(book_path, plan)
    _verify(book_path, old, plan, checked)
    rows = dict((new_id, where) for where, new_id in plan.added)
    result.findings = [(f, rows[f.contact]) for f in checked.findings if f.contact in rows]
    if diff:
        result.diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), plan.text.splitlines(keepends=True),
                                                   f"a/{book_path}", f"b/{book_path}"))
    if not dry_run and not diff:
        from pressctl.atomic import write_atomic

        write_atomic(book_path, plan.text.encode("utf-8"))
        result.written = True
    return result


def _read_book(path: Path) -> tuple[str, object, ContactBook]:
    """The book's text, its parsed data and its contacts; an absent book is an empty one, made on write."""
    if not path.exists():
        text = ""
        book, _ = build_book({"version": 1, "contacts": []}, str(path))
        return text, {}, book
    loaded, book = open_book_source(path)
    assert loaded.source is not None
    if loaded.source.had_bom:
        raise InputError("the book starts with a byte-order mark; run `pressctl contacts check --fix` first",
                         path=str(path), line=1)
    return loaded.source.text, loaded.data, book


def _unsubscribe_list(path: Path, encoding: str | None, today: date) -> Iterator[Record]:
    """`--unsubscribes FILE`: one address a line (blank lines and `#` comments skipped)."""
    from pressctl.imports.read import encoding_of

    chosen = encoding_of(path, encoding)
    try:
        lines = path.read_text(encoding=chosen).splitlines()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; name the encoding with --encoding", path=str(path)) from None
    for number, line in enumerate(lines, start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield Record(str(path), number, email=line.strip(), unsubscribed=today)


def _same(record: Record) -> Record:
    return record


def _contacts_of(data: object) -> list[object]:
    contacts = data.get("contacts") if isinstance(data, dict) else None
    return contacts if isinstance(contacts, list) else []


def _release_freed_memory() -> None:
    """Give the memory the merge has freed back to the system (glibc keeps it for reuse). The check's
    forked workers would otherwise each write into those pages, and each hold a copy of them."""
    import sys

    if sys.platform.startswith("linux"):
        import ctypes

        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc's; musl has none
        if trim is not None:
            trim(0)


def _check(path: Path, plan: Plan) -> BookCheck:
    """`contacts check` on the merged text, as it would run on the written book."""
    from pressctl.contacts.check import check_book
    from pressctl.contacts.load import LoadResult

    return check_book(LoadResult(str(path), SourceText(plan.text), []))


def _verify(path: Path, old: list[object], plan: Plan, checked: BookCheck) -> None:
    """Hold the merged text to the plan before it is written. The check read it as a whole: it must hold
    the book's contacts and then the new ones (each was read back as it was written), in order. Every
    contact that was there must read back as before, except the keys the plan changed."""
    unreadable = [f for f in checked.findings if f.code.startswith("F")]
    if unreadable:  # a YAML error here is pressctl's own mistake: refuse to write
        raise InputError(f"the merged book would not parse ({unreadable[0].message}); nothing was written",
                         path=str(path))
    new_ids = [new_id for _, new_id in plan.added]
    if checked.ids[len(checked.ids) - len(new_ids):] != new_ids or len(checked.ids) != len(old) + len(new_ids):
        raise InputError("the merged book would not hold every contact it should; nothing was written "
                         "(please report this)", path=str(path))
    if not old:
        return
    data = parse_fast(SourceText(plan.text))
    new = _contacts_of(data)
    if len(new) != len(old) + len(new_ids):
        raise InputError("the merged book would not hold every contact it should; nothing was written "
                         "(please report this)", path=str(path))
    changed = {contact_id: set(keys) for contact_id, keys in plan.updated.items()}
    for contact_id in plan.unsubscribed:
        changed.setdefault(contact_id, set()).add("unsubscribed")
    for before, after in zip(old, new, strict=False):
        keys = changed.get(str(before.get("id")), set()) if isinstance(before, dict) else set()
        if keys:
            keys = keys | {"consent"}
        if not isinstance(before, dict) or not isinstance(after, dict) or \
                {k: v for k, v in before.items() if k not in keys} != {k: v for k, v in after.items() if k not in keys}:
            raise InputError(f"the merge would change `{_id_of(before)}`, which it must not; nothing was "
                             "written (please report this)", path=str(path))


def _id_of(item: object) -> object:
    return item.get("id") if isinstance(item, dict) else item
