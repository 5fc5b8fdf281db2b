"""Where a value stands in YAML text, read from the text itself by following its key path.

The fast parser keeps no positions, and composing a contact again with PyYAML to find one costs
more than checking it. But a contact book is plain YAML: block mappings and lists, one-line flow
mappings such as `{number: "+31 6 …", type: mobile}`, quoted and plain scalars, comments. This
scanner reads exactly that subset along one key path, line by line, and answers None for anything
else (anchors, tags, complex keys, plain scalars over several lines, tabs in indentation…), so
that the caller can compose the text instead: a position is never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from pressctl.findings import Path as KeyPath


class Span(NamedTuple):
    """A value in the text: its offsets and style, and the offset of its key in a mapping (a tuple:
    one is made for every step of every path looked up)."""

    start: int
    end: int  # for a scalar, the offset after it; for a collection, its start
    style: str | None  # None (plain), "'", '"', "|", ">" for a scalar; "{", "[", "map", "seq" otherwise
    key: int | None = None


class _Unsure(Exception):
    """The text holds something this scanner does not read; compose it instead."""


# Patterns that start with a newline: the regex engine then skips to each newline at C speed instead
# of trying every character (a `(?m)^` pattern is several times slower on a contact's lines).
_NEXT_CONTENT = re.compile(r"\n([ \t]*)(?=[^ \t\r\n#])")  # the next line that is not blank or a comment
_COLON = re.compile(r":(?=[ \t\r\n]|$)")
_PLAIN_KEY = re.compile(r"([^\s#&*!|>'\"%@`{}\[\],?:-][^\n#]*?|-[^\s#][^\n#]*?)[ \t]*:(?=[ \t\r\n]|$)")
_FLOW_PLAIN_END = re.compile(r"[,\[\]{}\n]|:(?=[\s,\[\]{}])|[ \t]#")
_SPECIAL = "&*!?%@`"


def find(text: str, path: KeyPath, start: int = 0, indent: int = -1) -> Span | None:
    """The span of the value at `path`, for the node that begins at offset `start` and belongs to a
    parent at column `indent` (-1 for a document); None when the scanner cannot be sure."""
    try:
        span = _node(text, start, indent, in_mapping=False)
        for step in path:
            span = _child(text, span, step)
        return span
    except _Unsure:
        return None


def find_item(text: str, offset: int, path: KeyPath) -> Span | None:
    """`path` inside the block list item whose line starts at `offset` (see yamlsource.cut_list)."""
    dash = offset
    while text.startswith(" ", dash):
        dash += 1
    if not _is_dash(text, dash):
        return None
    return find(text, path, dash + 1, dash - offset)


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _is_dash(text: str, pos: int) -> bool:
    return text.startswith("-", pos) and text[pos + 1:pos + 2] in (" ", "\n", "\r", "")


def _node(text: str, pos: int, parent_indent: int, *, in_mapping: bool) -> Span:
    """The node whose text begins at or after `pos` (the rest of a `key:` or `- ` line, or the lines
    below it); `parent_indent` is the column of its key or dash."""
    length = len(text)
    while pos < length and text[pos] in " \t":
        pos += 1
    if pos >= length or text[pos] in "\r\n#":
        return _block_below(text, pos, parent_indent, in_mapping)
    char = text[pos]
    if char in _SPECIAL:
        raise _Unsure
    if char in "{[":
        return Span(pos, pos, char)
    if char in "|>":
        return Span(pos, pos, char)  # where it ends is left to the composer (see yamlsource.SourceMap)
    if _is_dash(text, pos):
        raise _Unsure  # a list inside a list item on one line
    if char in "'\"":
        end = _quoted_end(text, pos)
        if _is_key_colon(text, end):
            return Span(pos, pos, "map")
        return Span(pos, _after_scalar(text, end, parent_indent), char)
    line_end = text.find("\n", pos)
    if line_end < 0:
        line_end = length
    comment = _comment_start(text, pos, line_end)
    colon = _COLON.search(text, pos, comment)
    if colon:
        return Span(pos, pos, "map")  # the first key of a mapping that starts on this line
    end = pos + len(text[pos:comment].rstrip())
    return Span(pos, _after_scalar(text, end, parent_indent), None)


def _comment_start(text: str, pos: int, line_end: int) -> int:
    """Where a comment starts on the line (a `#` after a space), else the line's end."""
    mark = text.find("#", pos, line_end)
    while mark > 0 and text[mark - 1] not in " \t":
        mark = text.find("#", mark + 1, line_end)
    return mark if mark > pos else line_end


def _after_scalar(text: str, end: int, parent_indent: int) -> int:
    """`end`, once it is clear that the scalar does not go on over the next lines (a multi-line plain
    or quoted scalar is left to the composer)."""
    line_end = text.find("\n", end)
    rest = text[end:line_end if line_end >= 0 else len(text)].strip()
    if rest and not rest.startswith("#"):
        raise _Unsure
    if line_end < 0:
        return end
    match = _NEXT_CONTENT.search(text, line_end)
    if match and len(match.group(1)) > parent_indent:
        raise _Unsure
    return end


def _block_below(text: str, pos: int, parent_indent: int, in_mapping: bool) -> Span:
    """A block mapping or list on the lines below, or null (`pos` is on the line of the key or dash)."""
    match = _NEXT_CONTENT.search(text, pos)
    if match is None:
        return Span(pos, pos, None)
    indent = match.group(1)
    if "\t" in indent:
        raise _Unsure
    first = match.end()
    dash = _is_dash(text, first)
    if len(indent) > parent_indent or (dash and in_mapping and len(indent) == parent_indent):
        if dash:
            return Span(first, first, "seq")
        if text[first] in "'\"":
            if not _is_key_colon(text, _quoted_end(text, first)):
                raise _Unsure
        elif _PLAIN_KEY.match(text, first) is None:
            raise _Unsure  # a scalar on the lines below its key, or something stranger
        return Span(first, first, "map")
    return Span(pos, pos, None)


def _quoted_end(text: str, pos: int) -> int:
    quote = text[pos]
    i = pos + 1
    while True:
        j = text.find(quote, i)
        if j < 0:
            raise _Unsure
        if quote == "'":
            if text.startswith("''", j):
                i = j + 2
                continue
            return j + 1
        backslashes = 0
        while text[j - 1 - backslashes] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return j + 1
        i = j + 1


def _is_key_colon(text: str, pos: int) -> bool:
    while pos < len(text) and text[pos] in " \t":
        pos += 1
    return text.startswith(":", pos) and (pos + 1 >= len(text) or text[pos + 1] in " \t\r\n")


def _key_text(raw: str) -> str:
    if raw[:1] == "'":
        return raw[1:-1].replace("''", "'")
    if raw[:1] == '"':
        if "\\" in raw:
            raise _Unsure
        return raw[1:-1]
    return raw


def _child(text: str, span: Span, step: str | int) -> Span:
    if span.style == "map" and isinstance(step, str):
        return _block_mapping_child(text, span.start, step)
    if span.style == "seq" and isinstance(step, int):
        return _block_sequence_child(text, span.start, step)
    if span.style in ("{", "["):
        return _flow_child(text, span.start, step)
    raise _Unsure


def _block_mapping_child(text: str, first: int, step: str) -> Span:
    indent = _column(text, first)
    match = _key_here(step).match(text, first)  # the first key, on the line where the mapping starts
    if match is None:
        # The next line at this column with the key, if the mapping has not ended before it.
        match = _key_line(indent, step).search(text, first)
        if match is None or _block_end(text, first, indent, dashes_end=False, before=match.start()) <= match.start():
            raise _Unsure  # not a key of this mapping, or one written in a way this scanner does not read
    value = _node(text, match.end(), indent, in_mapping=True)
    return Span(value.start, value.end, value.style, match.start(1))


def _block_sequence_child(text: str, first: int, step: int) -> Span:
    indent = _column(text, first)
    pos = first
    if step:
        end = _block_end(text, first, indent, dashes_end=True)
        dashes = _dash_line(indent).finditer(text, first + 1, end)
        for _ in range(step):
            match = next(dashes, None)
            if match is None:
                raise _Unsure
            pos = match.end() - 1
    return _node(text, pos + 1, indent, in_mapping=False)


@lru_cache(maxsize=256)
def _key_here(step: str) -> re.Pattern[str]:
    return re.compile(rf"({re.escape(step)})[ \t]*:(?=[ \t\r\n]|$)")


@lru_cache(maxsize=1024)
def _key_line(indent: int, step: str) -> re.Pattern[str]:
    return re.compile(rf"\n {{{indent}}}({re.escape(step)})[ \t]*:(?=[ \t\r\n]|$)")


@lru_cache(maxsize=64)
def _dash_line(indent: int) -> re.Pattern[str]:
    return re.compile(rf"\n {{{indent}}}-(?=[ \r\n]|$)")


@lru_cache(maxsize=128)
def _end_line(indent: int, dashes_end: bool) -> re.Pattern[str]:
    """The first line of what follows a block collection at `indent`: a line less indented (or with
    a tab in its indentation), or for a list that stands at its key's column, the next key there."""
    shallower = rf"(?: {{0,{indent - 1}}}\t|\t| {{0,{indent - 1}}}(?=[^ \t\r\n#]))" if indent else r"\t"
    if dashes_end:
        return re.compile(rf"\n(?:{shallower}| {{{indent}}}(?=[^ \t\r\n#-]|-[^ \r\n]))")
    return re.compile(rf"\n{shallower}")


def _block_end(text: str, first: int, indent: int, *, dashes_end: bool, before: int | None = None) -> int:
    """Where the block collection whose first entry is at `first` ends (only looked for up to
    `before`: beyond it, the end is given as the end of the text)."""
    line_end = text.find("\n", first)
    if line_end < 0:
        return len(text)
    match = _end_line(indent, dashes_end).search(text, line_end, len(text) if before is None else before)
    if match is None:
        return len(text)
    if match.group().endswith("\t") or text.startswith("\t", match.end()):
        raise _Unsure
    return match.start() + 1


def _flow_child(text: str, open_at: int, step: str | int) -> Span:
    """Entry `step` of the flow mapping or list that opens at `open_at`."""
    is_map = text[open_at] == "{"
    if is_map != isinstance(step, str):
        raise _Unsure
    pos, index = open_at + 1, 0
    close = "}" if is_map else "]"
    while True:
        pos = _skip_flow_space(text, pos)
        if text.startswith(close, pos):
            raise _Unsure
        key_start, key = pos, None
        if is_map:
            key_span = _flow_scalar(text, pos)
            key = _key_text(text[key_span.start:key_span.end])
            pos = _skip_flow_space(text, key_span.end)
            if not text.startswith(":", pos):
                raise _Unsure
            pos = _skip_flow_space(text, pos + 1)
        value = _flow_value(text, pos)
        if (is_map and key == step) or (not is_map and index == step):
            return Span(value.start, value.end, value.style, key_start if is_map else None)
        pos = _skip_flow_space(text, _flow_value_end(text, value))
        if text.startswith(",", pos):
            pos += 1
            index += 1
            continue
        raise _Unsure


def _skip_flow_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    if text.startswith("#", pos):
        raise _Unsure
    return pos


def _flow_value(text: str, pos: int) -> Span:
    char = text[pos:pos + 1]
    if char in ("{", "["):
        return Span(pos, pos, char)
    if char in (",", "}", "]"):
        return Span(pos, pos, None)  # an empty value: null
    return _flow_scalar(text, pos)


def _flow_scalar(text: str, pos: int) -> Span:
    char = text[pos:pos + 1]
    if not char or char in _SPECIAL or char in "{[|>":
        raise _Unsure
    if char in "'\"":
        return Span(pos, _quoted_end(text, pos), char)
    match = _FLOW_PLAIN_END.search(text, pos)
    if match is None or match.group() == "\n" or match.group().endswith("#"):
        raise _Unsure
    end = pos + len(text[pos:match.start()].rstrip())
    if end == pos:
        raise _Unsure
    return Span(pos, end, None)


def _flow_value_end(text: str, value: Span) -> int:
    """The offset after a flow value, nested collections included."""
    if value.style not in ("{", "["):
        return value.end
    depth, pos = 0, value.start
    while pos < len(text):
        char = text[pos]
        if char in "'\"":
            pos = _quoted_end(text, pos)
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return pos + 1
        elif char == "#" and text[pos - 1] in " \t":
            raise _Unsure
        pos += 1
    raise _Unsure
