"""--fix and --diff: change only the fixed values, byte for byte everything else.

A round-trip YAML library re-emits the whole document and so re-indents, re-wraps
and re-spaces what it did not understand; the contract here is that every other
byte stays. So each fix replaces exactly the source span of one scalar (found by
PyYAML's marks), quoted in the style it had, and the result is parsed again and
compared with what was intended before anything is written.
"""

from __future__ import annotations

import copy
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from pressctl.contacts.load import LoadResult
from pressctl.errors import InputError
from pressctl.findings import Finding
from pressctl.yamlsource import parse_fast

_PLAIN_SAFE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`][^#,\[\]{}]*")


@dataclass(frozen=True)
class FixResult:
    original: str
    fixed: str
    applied: tuple[Finding, ...]
    edits: tuple[tuple[int, int, str], ...] = ()  # (start, end, replacement) in `original`

    @property
    def changed(self) -> bool:
        return self.original != self.fixed

    def diff(self, name: str) -> str:
        return unified_diff(self.original, self.edits, f"a/{name}", f"b/{name}")


def unified_diff(text: str, edits: tuple[tuple[int, int, str], ...], fromfile: str, tofile: str,
                 context: int = 3) -> str:
    """The unified diff (as `diff -u` writes it) of `text` and `text` with `edits` applied.

    Made from the edits, whose places are known, rather than by comparing the two texts again:
    difflib takes quadratic time on thousands of changed lines (10 s for 5,000 fixes)."""
    edits = tuple(sorted(e for e in edits if text[e[0]:e[1]] != e[2]))
    if not edits:
        return ""
    lines = _LINE.findall(text)
    starts = [0, *accumulate(len(line) for line in lines)]
    groups: list[tuple[int, int, list[str]]] = []  # (first old line, last old line + 1, new lines)
    pending: list[tuple[int, int, str]] = []
    first = last = 0
    for start, end, replacement in edits:
        line_first = bisect_right(starts, start) - 1
        line_last = max(bisect_right(starts, max(end - 1, start)), line_first + 1)
        if pending and line_first <= last:  # touching lines make one block, as diff shows them
            last = max(last, line_last)
        else:
            if pending:
                groups.append(_group(text, starts, first, last, pending))
            pending, first, last = [], line_first, line_last
        pending.append((start, end, replacement))
    groups.append(_group(text, starts, first, last, pending))
    out = [f"--- {fromfile}\n+++ {tofile}\n"]
    shift = 0  # new line number minus old line number, before the hunk being written
    index = 0
    while index < len(groups):
        hunk = [groups[index]]
        while index + len(hunk) < len(groups) and groups[index + len(hunk)][0] - hunk[-1][1] <= 2 * context:
            hunk.append(groups[index + len(hunk)])
        old_from, old_to = max(0, hunk[0][0] - context), min(len(lines), hunk[-1][1] + context)
        new_length = old_to - old_from + sum(len(new) - (b - a) for a, b, new in hunk)
        out.append(f"@@ -{_range(old_from, old_to - old_from)} +{_range(old_from + shift, new_length)} @@\n")
        position = old_from
        for a, b, new in hunk:
            out += [_diff_line(" ", line) for line in lines[position:a]]
            out += [_diff_line("-", line) for line in lines[a:b]]
            out += [_diff_line("+", line) for line in new]
            position = b
            shift += len(new) - (b - a)
        out += [_diff_line(" ", line) for line in lines[position:old_to]]
        index += len(hunk)
    return "".join(out)


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


def _group(text: str, starts: list[int], first: int, last: int,
           edits: list[tuple[int, int, str]]) -> tuple[int, int, list[str]]:
    """Old lines first..last (exclusive) and what they become with `edits` applied."""
    begin = starts[first]
    segment = text[begin:starts[last]]
    return first, last, _LINE.findall(_replace_spans(segment, [(s - begin, e - begin, r) for s, e, r in edits]))


def _range(start: int, length: int) -> str:
    """`5` for one line, `5,3` for several, and the line before an empty range, as diff writes them."""
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _diff_line(mark: str, line: str) -> str:
    return mark + line if line.endswith("\n") else f"{mark}{line}\n\\ No newline at end of file\n"


def fix_text(result: LoadResult, findings: list[Finding]) -> FixResult:
    """The file's text with every fixable finding applied."""
    source = result.source
    if source is None or result.source_map is None:
        return FixResult("", "", ())
    bom = "\ufeff" if source.had_bom else ""
    edits: list[tuple[int, int, str]] = []
    applied: list[Finding] = []
    for finding in findings:
        if finding.fix is None or not finding.rule.fixable:
            continue
        if finding.code == "F007":
            bom = ""
            applied.append(finding)
            continue
        span = result.source_map.scalar_source(finding.path)
        if span is None:
            continue
        start, end, style = span
        replacement = quote_scalar(finding.fix, style, force_quotes=finding.code == "P008")
        if style in ("|", ">"):
            block = _block_scalar_replacement(source.text[start:end], replacement)
            if block is None:
                continue  # left as it is, and still reported; every other fix goes ahead
            replacement = block
        edits.append((start, end, replacement))
        applied.append(finding)
    text = _replace_spans(source.text, edits)
    original = ("\ufeff" if source.had_bom else "") + source.text
    fixed = bom + text
    if edits:
        _verify(source.text, text, applied)
    shift = len(original) - len(source.text)  # the edits are in the text after the byte-order mark
    in_original = [(start + shift, end + shift, replacement) for start, end, replacement in edits]
    if shift and not bom:
        in_original.append((0, shift, ""))
    return FixResult(original, fixed, tuple(applied), tuple(in_original))


def _replace_spans(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) span replaced, in one pass: a book with thousands of fixes is
    joined once, not copied once per fix."""
    pieces, position = [], 0
    for start, end, replacement in sorted(edits):
        pieces += [text[position:start], replacement]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _block_scalar_replacement(written: str, quoted: str) -> str | None:
    """A block scalar (`|` or `>`) spans its indicator line and its lines of text, up to and including
    the line break: the fixed value goes on the indicator's line, quoted, and the break stays. None
    when the indicator line also holds a comment, which the replacement would lose."""
    header = written.split("\n", 1)[0]
    if "#" in header:
        return None
    newline = written.find("\n", len(written.rstrip()))
    return quoted + (written[newline:] if newline >= 0 else "")


def quote_scalar(value: str, style: str | None, *, force_quotes: bool = False) -> str:
    """`value` as a YAML scalar in the style the original had, where that style can hold it."""
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style in ("", None) and not force_quotes and _plain_is_safe(value):
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _plain_is_safe(value: str) -> bool:
    if not _PLAIN_SAFE.fullmatch(value) or ": " in value or " #" in value or value != value.strip():
        return False
    from pressctl.yamlsource import SourceText

    try:
        return bool(parse_fast(SourceText(f"- {value}\n")) == [value])
    except Exception:
        return False


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


def _verify(before: str, after: str, applied: list[Finding]) -> None:
    """Parse the fixed text and check it says exactly what was meant; refuse to write otherwise."""
    from pressctl.yamlsource import SourceText, YamlSyntaxError

    try:
        expected = copy.deepcopy(parse_fast(SourceText(before)))
        for finding in applied:
            if finding.code != "F007":
                _set(expected, finding.path, finding.fix)
        got = parse_fast(SourceText(after))
    except (YamlSyntaxError, KeyError, IndexError, TypeError) as err:
        raise InputError(f"--fix could not apply its changes safely ({err}); nothing was written") from None
    if got != expected:
        raise InputError("--fix could not apply its changes safely; nothing was written",
                         hint="please report this with the file that caused it")
