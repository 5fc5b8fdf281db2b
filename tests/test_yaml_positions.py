"""Positions read from the text by the scanner (pressctl.yamlscan) are exactly PyYAML's marks.

The scanner may decline (None) anything it does not read; where it answers, its line, column and
scalar span must be those of composing the document, for every value of every generated book."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.yamlscan import find, find_item
from pressctl.yamlsource import SourceMap, SourceText, cut_list

WORDS = st.sampled_from(["press", "Jürgen Müller", "ស្រីពៅ", "a@example.org", "+31 6 12345678", "NL", "true",
                         "1", "it's", 'say "hi"', "x: y", "a # b", "- dash", "", "http://example.org/a:b"])
KEY_NAMES = st.sampled_from(["id", "name", "email", "phones", "number", "type", "x-desk", "notes", "lists",
                             "consent", "date"])


def scalar_text(value: str, style: str) -> str | None:
    if style == "plain":
        try:
            if value and yaml.safe_load(f"k: {value}\n") == {"k": value} and "\n" not in value:
                return value
        except yaml.YAMLError:
            pass
        return None
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def flow_value(draw: Any) -> str:
    if draw(st.booleans()):
        word = draw(WORDS)
        return scalar_text(word, draw(st.sampled_from(["plain", "single", "double"]))) or '"x"'
    keys = draw(st.lists(KEY_NAMES, min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        return "[" + ", ".join(f'"{k}"' for k in keys) + "]"
    inner = [f"{k}: {scalar_text(draw(WORDS), 'double')}" for k in keys]
    return "{" + ", ".join(inner) + "}"


@st.composite
def block(draw: Any, indent: int, depth: int) -> str:
    """A block mapping at `indent` columns, its values scalars, flow collections or nested blocks."""
    pad = " " * indent
    lines = []
    for key in draw(st.lists(KEY_NAMES, min_size=1, max_size=4, unique=True)):
        kind = draw(st.sampled_from(["scalar", "flow", "map", "list", "comment", "null"] if depth < 2
                                    else ["scalar", "flow", "null"]))
        step = draw(st.sampled_from([2, 4]))
        if kind == "scalar":
            style = draw(st.sampled_from(["plain", "single", "double"]))
            lines.append(f"{pad}{key}: {scalar_text(draw(WORDS), style) or 'x'}")
        elif kind == "flow":
            lines.append(f"{pad}{key}: {draw(flow_value())}")
        elif kind == "null":
            lines.append(f"{pad}{key}:")
        elif kind == "comment":
            lines.append(f"{pad}# a comment\n{pad}{key}: value  # and another\n")
        elif kind == "map":
            lines.append(f"{pad}{key}:\n" + draw(block(indent + step, depth + 1)))
        else:
            dash_pad = pad if draw(st.booleans()) else " " * (indent + step)
            items = draw(st.lists(st.one_of(flow_value(), block(len(dash_pad) + 2, depth + 1)), min_size=1,
                                  max_size=3))
            body = [f"{dash_pad}- {item.lstrip()}" for item in items]
            lines.append(f"{pad}{key}:\n" + "\n".join(body))
    return "\n".join(line.rstrip("\n") for line in lines) + "\n"


@st.composite
def books(draw: Any) -> str:
    contacts = draw(st.lists(block(4, 1), min_size=1, max_size=4))
    body = "".join("  - " + contact[4:] for contact in contacts)
    return "version: 1\ndefaults:\n  region: NL\ncontacts:\n" + body


def marks(node: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], tuple[Any, Any]]:
    """Every path in the composed document, with its node and the node of its key."""
    found: dict[tuple[Any, ...], tuple[Any, Any]] = {path: (node, None)}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = marks(value, (*path, key.value))
            child[(*path, key.value)] = (value, key)
            found.update(child)
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            found.update(marks(value, (*path, index)))
    return found


def assert_scanner_agrees(text: str) -> int:
    """How many paths the scanner answered, all of them checked against PyYAML."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    items = cut_list(text, "contacts")
    source_map = SourceMap(SourceText(text), "contacts", items)
    answered = 0
    for path, (node, key) in marks(root).items():
        direct = find(text, path)
        if direct is not None:
            answered += 1
            assert direct.start == node.start_mark.index, (path, text)
            if key is not None:
                assert direct.key == key.start_mark.index, (path, text)
            if isinstance(node, yaml.ScalarNode) and direct.style in (None, "'", '"'):
                assert (direct.start, direct.end) == (node.start_mark.index, node.end_mark.index), (path, text)
        if items is not None and len(path) >= 2 and path[0] == "contacts":
            in_item = find_item(text, items[path[1]], path[2:])
            assert in_item is None or in_item == direct or direct is None, (path, text)
        position = source_map.locate(path)
        assert (position.line, position.column) == (node.start_mark.line + 1, node.start_mark.column + 1)
        if key is not None:
            position = source_map.locate(path, at_key=True)
            assert (position.line, position.column) == (key.start_mark.line + 1, key.start_mark.column + 1)
    return answered


@settings(max_examples=150, deadline=None)
@given(books())
def test_scanned_positions_are_pyyaml_marks(text: str) -> None:
    assert assert_scanner_agrees(text) > 0


def test_the_usual_book_is_read_by_the_scanner_throughout() -> None:
    text = (
        "version: 1\ndefaults:\n  region: NL\ncontacts:\n"
        "  - id: jurgen\n    name: Jürgen Müller  # family name last\n    email: 'j@bücher.de'\n"
        "    phones:\n      - {number: \"+31 6 12345678\", type: mobile}\n"
        "      - number: '020 123 4567'\n        type: work\n"
        "    languages: [de, fr]\n    consent: {basis: consent, source: \"form\", date: 2024-05-02}\n"
        "  # Khmer name, family name first\n  - id: sreypov\n    name: ស្រីពៅ ជា\n    lists:\n    - press-kh\n"
    )
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert assert_scanner_agrees(text) == len(marks(root))


def test_what_the_scanner_does_not_read_it_declines() -> None:
    for text, path in [
        ("a: &x 1\nb: *x\n", ("b",)),
        ("a: !!str 1\n", ("a",)),
        ("a: plain\n  over two lines\n", ("a",)),
        ("? [complex]\n: 1\n", ()),
        ("a:\n\t- tab\n", ("a", 0)),
    ]:
        assert find(text, path) is None, text


def test_a_flow_collection_over_several_lines_is_read_as_pyyaml_reads_it() -> None:
    text = "a: {b: [1,\n  2], c: 'it''s'}\nd:\n- {e: \"x\\\"y\"}\n"
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    assert assert_scanner_agrees(text) == len(marks(root))


NOISE = st.text(alphabet=st.sampled_from(list("ab:-[]{},&*!|>'\"#% \n\t01+@.\\\r")), max_size=80)
STEPS = st.lists(st.one_of(st.sampled_from(["a", "b", "ab", "1"]), st.integers(0, 2)), max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.one_of(NOISE, books()), STEPS)
def test_the_scanner_answers_or_declines_on_any_text(text: str, path: list[Any]) -> None:
    """Never an exception, whatever the text and whether or not the path exists in it."""
    span = find(text, tuple(path))
    assert span is None or 0 <= span.start <= len(text)
    for key in ("a", "contacts"):
        for offset in (cut_list(text, key) or [])[:-1]:
            span = find_item(text, offset, tuple(path))
            assert span is None or offset <= span.start <= len(text)


@settings(max_examples=100, deadline=None)
@given(books(), st.sampled_from(["", "# the end\n", "x-after: 1\n", "...\n"]))
def test_the_book_is_cut_at_exactly_its_contacts(text: str, tail: str) -> None:
    text += tail
    items = cut_list(text, "contacts")
    assert items is not None
    contacts = yaml.safe_load(text)["contacts"]
    assert len(items) - 1 == len(contacts)
    for start, end, contact in zip(items, items[1:], contacts, strict=False):
        assert text[start:].startswith("  - ")
        assert yaml.safe_load(text[start:end]) == [contact]
    assert text[items[-1]:] == ("" if tail.startswith("#") else tail)  # a comment stays with the list
