"""`pressctl contacts import` as one function: sources in, a checked book out (or nothing written)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pressctl.contacts.load import build_book, open_book_source
from pressctl.contacts.model import ContactBook
from pressctl.errors import InputError, UsageError
from pressctl.findings import Finding
from pressctl.imports.merge import CONSENT_BASES, Merger, Options, Plan
from pressctl.imports.read import read_source
from pressctl.imports.record import Record
from pressctl.yamlsource import SourceText, parse_fast


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
    options = options or Options()
    if options.consent_basis and options.consent_basis not in CONSENT_BASES:
        raise UsageError(f"--consent-basis {options.consent_basis!r}: use one of {', '.join(CONSENT_BASES)}")
    if bool(options.consent_basis) != bool(options.consent_source):
        raise UsageError("--consent-basis and --consent-source go together: say on what basis, and where from")
    if not files and not unsubscribes:
        raise UsageError("nothing to import: name one or more files, or --unsubscribes FILE")
    text, data, book = _read_book(book_path)
    records: list[Record] = []
    result_formats = []
    warnings: list[str] = []
    for path in files:
        source = read_source(path, fmt=fmt, mapping=mapping, encoding=encoding)
        records += source.records
        warnings += source.warnings
        result_formats.append(f"{path} ({source.format})")
    for path in unsubscribes or []:
        records += _unsubscribe_list(path, encoding, options.today)
        result_formats.append(f"{path} (unsubscribes)")
    plan = Merger(text, book, data, options).plan(records)
    plan.warnings[:0] = warnings
    result = ImportResult(str(book_path), plan, result_formats)
    if plan.bad and not options.skip_bad:
        return result
    if not plan.changed:
        return result
    _verify(book_path, data, plan)
    del data, records, book  # before the check forks its workers: they need none of it
    result.findings = _new_findings(book_path, plan)
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


def _unsubscribe_list(path: Path, encoding: str | None, today: date) -> list[Record]:
    """`--unsubscribes FILE`: one address a line (blank lines and `#` comments skipped)."""
    from pressctl.imports.read import encoding_of

    chosen = encoding_of(path, encoding)
    try:
        lines = path.read_text(encoding=chosen).splitlines()
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text; name the encoding with --encoding", path=str(path)) from None
    return [Record(str(path), number, email=line.strip(), unsubscribed=today)
            for number, line in enumerate(lines, start=1) if line.strip() and not line.lstrip().startswith("#")]


def _verify(path: Path, old_data: object, plan: Plan) -> None:
    """Parse the merged text and hold it to the plan: every contact that was there reads back as before,
    except the keys the plan changed, and the new ones follow (each was read back when written)."""
    try:
        data = parse_fast(SourceText(plan.text))
    except Exception as err:  # a YAML error here is pressctl's own mistake: refuse to write
        raise InputError(f"the merged book would not parse ({err}); nothing was written", path=str(path)) from None
    old = old_data.get("contacts") if isinstance(old_data, dict) else None
    old = old if isinstance(old, list) else []
    new = data.get("contacts") if isinstance(data, dict) else None
    if not isinstance(new, list) or len(new) != len(old) + len(plan.added):
        raise InputError("the merged book would not hold every contact it should; nothing was written "
                         "(please report this)", path=str(path))
    changed = {contact_id: set(keys) for contact_id, keys in plan.updated.items()}
    for contact_id in plan.unsubscribed:
        changed.setdefault(contact_id, set()).add("unsubscribed")
    for before, after in zip(old, new, strict=False):
        keys = changed.get(str(before.get("id")), set()) if isinstance(before, dict) else set()
        if keys:
            keys = keys | {"consent"}
        if not isinstance(after, dict) or {k: v for k, v in before.items() if k not in keys} != \
                {k: v for k, v in after.items() if k not in keys}:
            raise InputError(f"the merge would change `{before.get('id')}`, which it must not; nothing was "
                             "written (please report this)", path=str(path))
    if [c.get("id") for c in new[len(old):] if isinstance(c, dict)] != [new_id for _, new_id in plan.added]:
        raise InputError("the merged book lost imported contacts; nothing was written (please report this)",
                         path=str(path))


def _new_findings(path: Path, plan: Plan) -> list[tuple[Finding, str]]:
    """What `contacts check` says about the imported contacts, each with the row it came from."""
    from pressctl.contacts.check import check_book
    from pressctl.contacts.load import LoadResult

    rows = {new_id: record.where for record, new_id in plan.added}
    if not rows:
        return []
    loaded = LoadResult(str(path), SourceText(plan.text), [])
    checked = check_book(loaded)
    return [(f, rows[f.contact]) for f in checked.findings if f.contact in rows]
