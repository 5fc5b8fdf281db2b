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


class YamlSyntaxError(Exception):
    def __init__(self, code: str, message: str, position: Position) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.position = position


def parse_fast(source: SourceText) -> Any:
    """Parse with yaml-rs: aliases bounded, duplicate keys refused."""
    import yaml_rs

    try:
        return yaml_rs.loads(
            source.text,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS),
        )
    except yaml_rs.YAMLDecodeError as err:
        raise _syntax_error(str(err), source) from None


def _syntax_error(text: str, source: SourceText) -> YamlSyntaxError:
    first = text.strip().splitlines()[0] if text.strip() else "the YAML does not parse"
    if "alias" in first:
        anchor = re.search(r"(?m)[&*][^\s,\[\]{}]+", source.text)
        where = source.position_of(anchor.start()) if anchor else Position(1, 1)
        return YamlSyntaxError(
            "F008", f"anchors and aliases expand too far ({first}); pressctl refuses such documents", where
        )
    if "duplicate mapping key" in first:
        where = _find_duplicate_key(source) or Position(1, 1)
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


def _find_duplicate_key(source: SourceText) -> Position | None:
    """Where the second copy of a key stands (only on the error path: composes the document)."""
    import yaml

    try:
        root = _compose(source.text)
    except yaml.YAMLError:
        return None
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        return Position(key.start_mark.line + 1, key.start_mark.column + 1)
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def cut_list(text: str, key: str) -> list[int] | None:
    """Offsets where each item of the block list under top-level `key` starts, then where the list
    ends; None when the list is not a block list at the top level.

    The offsets are a claim, not a fact: a caller must check them against a parse (the number of
    items, or each slice parsing to exactly its items) before it trusts them.
    """
    head = re.search(rf"(?m)^{re.escape(key)}:[ \t]*(?:#.*)?$", text)
    if not head:
        return None
    first = re.compile(r"(?m)^( *)- ").search(text, head.end())
    # The block ends at the next top-level key (or document marker).
    end_match = re.compile(r"(?m)^(?:[^\s#\-]|---|\.\.\.)").search(text, head.end())
    end = end_match.start() if end_match else len(text)
    if not first or first.start() > end:
        return None
    item = re.compile(rf"(?m)^{first.group(1)}-(?: |$)")
    return [*(m.start() for m in item.finditer(text, first.start(), end)), end]


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
