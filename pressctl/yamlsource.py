"""Read YAML fast, and give any value its line and column from the text it was read from.

The bulk is parsed by yaml-rs (a Rust parser, about 20x faster than PyYAML's C
loader on a 100,000-contact book), which keeps no positions. A position is read
from the text instead, along the value's key path (see yamlscan): the list under
a top-level key is cut into items by their `- ` lines, so a contact's values are
found within its own few lines, in the worker that checks it. Only what the
scanner declines to read (anchors, tags, multi-line plain scalars…) is composed
by PyYAML, which records marks: a position is never guessed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from pressctl.findings import Finding
from pressctl.findings import Path as KeyPath
from pressctl.yamlscan import Span, find, find_item

MAX_FILE_BYTES = 64 * 1024 * 1024
# A real contact book replays no aliases at all; a "billion laughs" document
# hits this limit after microseconds and a few kilobytes.
MAX_ALIAS_EVENTS = 10_000

_POSITION = re.compile(r"line (\d+),? column (\d+)")


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


class SourceText:
    """The text of a file as read, with byte-order mark and line bookkeeping."""

    def __init__(self, text: str, had_bom: bool = False) -> None:
        self.text = text
        self.had_bom = had_bom
        self._line_starts: list[int] | None = None

    def position_of(self, offset: int) -> Position:
        if self._line_starts is None:
            # splitlines() also breaks at \r, \v, \x1c… which YAML does not; split at \n only.
            self._line_starts = [0, *accumulate(len(line) + 1 for line in self.text.split("\n"))]
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1] + 1)


def read_source(path: Path, display: str) -> tuple[SourceText | None, list[Finding]]:
    """Read a YAML file as UTF-8 text; findings (not exceptions) for what is wrong with it.

    A missing file or a directory is a usage error and raises.
    """
    from pressctl.errors import UsageError

    try:
        size = path.stat().st_size
        if path.is_dir():
            raise UsageError("is a folder, not a file", path=display)
        if size > MAX_FILE_BYTES:
            return None, [
                Finding(
                    "F009",
                    f"the file is {size / 2**20:.0f} MiB; pressctl reads at most "
                    f"{MAX_FILE_BYTES // 2**20} MiB",
                    file=display, line=1, column=1,
                )
            ]
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError("no such file", path=display) from None
    except PermissionError:
        raise UsageError("permission denied", path=display) from None
    return decode_source(data, display)


def decode_source(data: bytes, display: str) -> tuple[SourceText | None, list[Finding]]:
    findings: list[Finding] = []
    wide = wide_encoding(data)
    if wide:
        return None, [
            Finding("F001", f"the file is {wide}, not UTF-8; save it as UTF-8 (in most editors: "
                    "Save As, encoding UTF-8)", file=display, line=1, column=1)
        ]
    if b"\x00" in data[:65536]:
        nul = data.index(b"\x00")
        where = SourceText(data[:nul].decode("utf-8", "replace")).position_of(nul)
        return None, [
            Finding("F001", "the file holds binary data (a NUL byte), not YAML text",
                    file=display, line=where.line, column=where.column)
        ]
    had_bom = data.startswith(b"\xef\xbb\xbf")
    if had_bom:
        data = data[3:]
        findings.append(
            Finding("F007", "the file starts with a UTF-8 byte-order mark; --fix removes it",
                    fix="", file=display, line=1, column=1)
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        good = data[: err.start].decode("utf-8")
        where = SourceText(good).position_of(len(good))
        return None, [
            Finding("F001", f"not valid UTF-8 (byte 0x{data[err.start]:02x}); save the file as UTF-8",
                    file=display, line=where.line, column=where.column)
        ]
    return SourceText(text, had_bom), findings


_WIDE_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
              (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def wide_encoding(data: bytes) -> str | None:
    """What the bytes are when they are UTF-16 or UTF-32 text (Windows' "Unicode" saves UTF-16
    with a byte-order mark); None otherwise. Without a mark, text that is mostly ASCII shows as a
    NUL byte beside every character."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return f"{name} text with a byte-order mark"
    head = data[:4096]
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8 and 0 not in even and odd.count(0) >= 0.9 * len(odd):
        return "UTF-16 text (little-endian, without a byte-order mark)"
    if len(head) >= 8 and 0 not in odd and even.count(0) >= 0.9 * len(even):
        return "UTF-16 text (big-endian, without a byte-order mark)"
    return None


class YamlSyntaxError(Exception):
    def __init__(self, code: str, message: str, position: Position) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


# A date-time as YAML 1.1 writes a timestamp: `t` or a space before the time, a fraction, white space before
# the offset, `Z` or an offset of one or two hour digits with or without minutes.
_TIMESTAMP = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})[Tt ]+(?P<hour>\d{1,2}):(?P<rest>\d{2}(?::\d{2}(?:\.\d+)?)?)"
                        r"[ \t]*(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?)?")


def timestamp_text(text: str) -> str | None:
    """A YAML timestamp (`2024-06-26 06:00:00 +2`, `2024-06-26t06:00z`) as the ISO 8601 text that
    datetime.fromisoformat() reads (`2024-06-26T06:00:00+02:00`); None for anything else. parse_fast()
    leaves dates as text, and the loaders that expect one read it with this."""
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    offset = "+00:00" if match["utc"] else (
        f"{match['sign']}{int(match['oh']):02d}:{match['om'] or '00'}" if match["sign"] else "")
    return f"{match['day']}T{int(match['hour']):02d}:{match['rest']}{offset}"


def parse_fast(source: SourceText) -> Any:
    """Parse with yaml-rs: aliases bounded, duplicate keys refused, and every scalar that is not a number,
    a boolean or null read as text, dates included, as YAML 1.2 reads them. (yaml-rs would read `"2024-06-01"`
    as a date even in quotes, so that a name or a note could not hold one; the loaders read the dates they
    expect, such as a release's `date` and `embargo`, from that text.)"""
    import yaml_rs

    try:
        data = yaml_rs.loads(
            source.text,
            parse_datetime=False,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS),
        )
    except yaml_rs.YAMLDecodeError as err:
        raise _syntax_error(str(err), source) from None
    # yaml-rs gives a stream of several documents as a list of them, which reads like one list.
    if isinstance(data, list) and _has_document_marker(source.text):
        second = _second_document(source.text)
        if second is not None:
            raise YamlSyntaxError(
                "F003", f"the file holds {len(data)} YAML documents (a `---` line starts each); pressctl "
                "reads one: remove the `---` line here, or split the file", second)
    return data


# From a newline, so that the regex engine skips from newline to newline (a check's slices are lists too).
_DOCUMENT_MARKER = re.compile(r"\n(?:---|\.\.\.)(?=[ \t\r\n]|$)")


def _has_document_marker(text: str) -> bool:
    return _DOCUMENT_MARKER.match("\n" + text[:4]) is not None or _DOCUMENT_MARKER.search(text) is not None


def _second_document(text: str) -> Position | None:
    """Where the second document of a stream starts, if there is one (a linear pass over PyYAML's
    events: aliases are not expanded)."""
    import yaml

    starts = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.DocumentStartEvent):
                starts += 1
                if starts == 2:
                    mark = event.start_mark
                    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
    except yaml.YAMLError:
        return None
    return None


def _syntax_error(text: str, source: SourceText) -> YamlSyntaxError:
    first = text.strip().splitlines()[0] if text.strip() else "the YAML does not parse"
    if "alias" in first:
        anchor = re.search(r"(?m)[&*][^\s,\[\]{}]+", source.text)
        where = source.position_of(anchor.start()) if anchor else Position(1, 1)
        return YamlSyntaxError(
            "F008", f"anchors and aliases expand too far ({first}); pressctl refuses such documents", where
        )
    if "duplicate mapping key" in first:
        found = _find_duplicate_key(source)
        if found is not None and found[2] is not None:
            # 1 and true, or 0 and false: different YAML keys that are equal in Python.
            key, where, other = found[0], found[1], found[2]
            return YamlSyntaxError(
                "F004", f"mapping keys should be text: `{other}` and `{key}` are {_scalar_kind(other)} and "
                f"{_scalar_kind(key)}, which pressctl cannot tell apart; put keys in quotes", where)
        where = found[1] if found else Position(1, 1)
        return YamlSyntaxError("F002", f"{first.replace('mapping ', '')}: a key given twice", where)
    match = _POSITION.search(text)
    where = Position(int(match.group(1)), int(match.group(2))) if match else Position(1, 1)
    detail = [line.strip() for line in text.strip().splitlines()[1:] if line.strip() and "|" not in line]
    message = detail[-1] if detail else first
    return YamlSyntaxError("F002", f"YAML syntax: {message}", where)


def _compose(text: str) -> Any:
    import yaml

    # Only marks are wanted, not types: the base loader skips implicit type resolution,
    # which is most of PyYAML's composing time.
    return yaml.compose(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))


def _find_duplicate_key(source: SourceText) -> tuple[str, Position, str | None] | None:
    """The second copy of a key and where it stands, and the key it collides with when the two are
    different YAML values that Python holds equal (`1` and `true`), else None. Only on the error path:
    composes the document, and visits each node once, however many aliases lead to it."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(source.text, Loader=loader)
    except yaml.YAMLError:
        return None
    stack, visited, constructor = [root], set(), yaml.SafeLoader("")
    while stack:
        node = stack.pop()
        if node is None or id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    value_of = _scalar_value(key, constructor)
                    earlier = seen.get(value_of)
                    if earlier is not None:
                        where = Position(key.start_mark.line + 1, key.start_mark.column + 1)
                        same = earlier.tag == key.tag
                        return key.value, where, None if same else str(earlier.value)
                    seen[value_of] = key
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _scalar_value(node: Any, constructor: Any) -> Any:
    """A scalar key as Python holds it (so 1, 1.0 and true compare equal, as in yaml-rs's dict)."""
    import yaml

    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        return constructor.construct_object(node)
    except (yaml.YAMLError, ValueError, TypeError):
        return (node.tag, node.value)


def _scalar_kind(text: str) -> str:
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return "text"
    return describe_value(value)


def describe_value(value: Any) -> str:
    """What a parsed value is, as a message says it: "a number", "true/false", "a list"…"""
    from datetime import date, datetime

    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):  # yaml-rs gives a list used as a key as a tuple
        return "a list"
    if isinstance(value, dict | frozenset):  # and a mapping used as a key as a frozenset of pairs
        return "a mapping"
    return "text"


def as_written(value: Any) -> str:
    """A parsed key or value as YAML writes it, for messages (true, null, [a, b], {a: 1})."""
    from datetime import date

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(as_written(item) for item in value) + "]"
    if isinstance(value, frozenset | dict):
        pairs = value.items() if isinstance(value, dict) else value
        return "{" + ", ".join(f"{as_written(k)}: {as_written(v)}" for k, v in pairs) + "}"
    return str(value)


def key_problem(key: Any, example: str = "email") -> str | None:
    """Why a mapping key that is not text is refused, in words; None for a text key."""
    if isinstance(key, str):
        return None
    return (f"the key `{as_written(key)}` is {describe_value(key)}, not text; keys are names such as "
            f"`{example}` (put it in quotes if it is meant as text)")


def cut_list(text: str, key: str) -> list[int] | None:
    """Offsets where each item of the block list under top-level `key` starts, then where the list
    ends; None when the list is not a block list at the top level.

    The offsets are a claim, not a fact: a caller must check them against a parse (the number of
    items, or each slice parsing to exactly its items) before it trusts them.
    """
    # Every pattern starts from a newline, so that the regex engine skips from newline to newline
    # at C speed over a large book (a `(?m)^` pattern tries every character: a second per 100,000).
    head_line = re.compile(rf"\n{re.escape(key)}:[ \t]*(?:#[^\n]*)?(?=\n|$)")
    newline = text.find("\n")
    first_line = text if newline < 0 else text[:newline]
    if head_line.match("\n" + first_line):
        head_end = len(first_line)
    else:
        found = head_line.search(text)
        if found is None:
            return None
        head_end = found.end()
    first = re.compile(r"\n( *)- ").search(text, head_end)
    # The block ends at the next top-level key (or document marker).
    end_match = re.compile(r"\n(?:[^\s#\-]|---|\.\.\.)").search(text, head_end)
    end = end_match.start() + 1 if end_match else len(text)
    if not first or first.start() + 1 > end:
        return None
    item = re.compile(rf"\n{first.group(1)}-(?=[ \n]|$)")
    return [*(m.start() + 1 for m in item.finditer(text, first.start(), end)), end]


class SourceMap:
    """Finds the position of a value by its key path: read from the text where it can be (yamlscan),
    composed by PyYAML where the scanner declines.

    `items` are the verified offsets of the items of the list under `list_key` (see cut_list): a
    value in an item is looked for in that item's lines only. Without them, a value inside the list
    comes from composing the whole document once."""

    def __init__(self, source: SourceText, list_key: str, items: list[int] | None) -> None:
        self.source = source
        self._list_key = list_key
        self._items = items
        self._item_lines: list[int] | None = None
        self._composed: dict[int, Any] = {}
        self._document: Any = None

    def _item_line(self, index: int) -> int:
        """How many lines stand before item `index`: one pass over the text, for all items at once."""
        if self._item_lines is None:
            assert self._items is not None
            text, lines, previous, count = self.source.text, [], 0, 0
            for offset in self._items:
                count += text.count("\n", previous, offset)
                lines.append(count)
                previous = offset
            self._item_lines = lines
        return self._item_lines[index]

    def prepare(self) -> None:
        """Do the one-off work now, before worker processes fork and would each do it again."""
        if self._items is not None:
            self._item_line(0)

    def _item_node(self, index: int) -> tuple[Any, int, int] | None:
        """The composed node of list item `index`, and the line and character offsets of its text."""
        import yaml

        if self._items is None or index >= len(self._items) - 1:
            return None
        if index not in self._composed:
            start, end = self._items[index], self._items[index + 1]
            try:
                node = _compose(self.source.text[start:end]).value[0]
            except (yaml.YAMLError, AttributeError, IndexError):
                node = None
            self._composed[index] = node
        node = self._composed[index]
        if node is None:
            return None
        return node, self._item_line(index), self._items[index]

    def _document_node(self) -> Any:
        import yaml

        if self._document is None:
            try:
                self._document = _compose(self.source.text)
            except yaml.YAMLError:
                self._document = False
        return self._document or None

    def node(self, path: KeyPath) -> tuple[Any, int, int, bool]:
        """The node at `path` (or its deepest ancestor), its line and character offsets, and whether
        the whole path was reached."""
        start: tuple[Any, int, int] | None = None
        rest = path
        if len(path) >= 2 and path[0] == self._list_key and isinstance(path[1], int):
            start = self._item_node(path[1])
            rest = path[2:]
        if start is None:
            document = self._document_node()
            if document is None:
                return None, 0, 0, False
            start, rest = (document, 0, 0), path
        node, lines, chars = start
        for step in rest:
            child = _child(node, step)
            if child is None:
                return node, lines, chars, False
            node = child
        return node, lines, chars, True

    def span(self, path: KeyPath) -> tuple[Span, int, int] | None:
        """The value at `path` as the scanner reads it from the text (see yamlscan), with the offset and
        line count of the text it was found from (its list item, or the file); None when unsure."""
        items, text = self._items, self.source.text
        if len(path) >= 2 and path[0] == self._list_key and isinstance(path[1], int):
            if items is None or path[1] >= len(items) - 1:
                return None  # counting items from the top for every finding would be quadratic
            span = find_item(text, items[path[1]], path[2:])
            return (span, items[path[1]], self._item_line(path[1])) if span is not None else None
        span = find(text, path)
        return (span, 0, 0) if span is not None else None

    def place(self, findings: list[Finding], file: str) -> list[Finding]:
        """Each finding that has no line yet with the line and column of its path, all in file order."""
        placed = []
        for finding in findings:
            if not finding.line:
                where = self.locate(finding.path, at_key=finding.extra.get("at_key", False))
                finding = finding.located(file, where.line, where.column)
            placed.append(finding)
        return sorted(placed, key=lambda f: (f.line, f.column, f.code))

    def locate(self, path: KeyPath, at_key: bool = False) -> Position:
        found = self.span(path)
        if found is not None and (not at_key or found[0].key is not None):
            span, base, lines = found
            offset = span.key if at_key and span.key is not None else span.start
            text = self.source.text
            return Position(lines + text.count("\n", base, offset) + 1, offset - text.rfind("\n", 0, offset))
        return self._composed_position(path, at_key)

    def _composed_position(self, path: KeyPath, at_key: bool) -> Position:
        if at_key and path:
            parent, offset, _, reached = self.node(path[:-1])
            key = _key_node(parent, path[-1]) if reached else None
            if key is not None:
                return Position(key.start_mark.line + offset + 1, key.start_mark.column + 1)
            node = parent
        else:
            node, offset, _, _ = self.node(path)
        if node is None:
            return Position(1, 1)
        return Position(node.start_mark.line + offset + 1, node.start_mark.column + 1)

    def scalar_source(self, path: KeyPath) -> tuple[int, int, str | None] | None:
        """Offsets of a scalar's text in the file, and its quoting style, for --fix."""
        import yaml

        found = self.span(path)
        if found is not None and found[0].style in (None, "'", '"'):
            return found[0].start, found[0].end, found[0].style
        node, _, chars, reached = self.node(path)
        if not reached or not isinstance(node, yaml.ScalarNode):
            return None
        return node.start_mark.index + chars, node.end_mark.index + chars, node.style


def _child(node: Any, step: str | int) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode) and isinstance(step, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == step:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]
    return None


def _key_node(node: Any, step: str | int) -> Any:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return key
    return None
