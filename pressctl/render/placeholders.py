"""A merge's fast path: the release rendered and its CSS inlined once, with placeholders for the recipient.

The plain path (pressctl.render.merge) renders both templates and inlines the CSS for every recipient. When
the templates only *print* the recipient's values, every message is the same text with those values put in,
so rendering once with a placeholder in each place and substituting per message gives messages that read
the same (the same text; HTML that shows the same, its entities written by html.escape), about six times
faster (bench/merge.py measures both). `prints_recipient_only()` decides that from the templates' syntax
trees, conservatively: any other use of `recipient`, `greeting` or `unsubscribe_url` (a test such as
`recipient.language == "nl"`, a filter, a `{% set %}`, a macro), and any construct that could transform
printed text afterwards (`{% filter %}`, `{% set %}…{% endset %}`, `{% autoescape %}`, a call block,
`super()` or `self.…()` outside a plain `{{ … }}`), sends the merge down the plain path.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pressctl.render.document import RecipientView, render_document
from pressctl.render.email import MAX_LINE, Body
from pressctl.render.environment import environment

TOKEN = re.compile("\ue000([a-z_]+)\ue001")
RECIPIENT_FIELDS = ("id", "name", "email", "role", "organisation", "language")
FIELDS = (*RECIPIENT_FIELDS, "greeting", "unsubscribe_url")
Filling = tuple[str, tuple[bytes, ...]]  # a body's transfer encoding, and the values its template takes
VALUES_ROOM = 200  # characters of recipient values a line can take and stay within the 998-octet limit
_PER_RECIPIENT = frozenset(("recipient", "greeting", "unsubscribe_url"))
_ROOTS = ("release.txt", "email.html")
_FROM_LINE = re.compile("^>*From ", re.MULTILINE)  # what an mboxrd file quotes
_VALUE_AT_LINE_START = re.compile("^(>*(?:F(?:r(?:o(?:m)?)?)?)?)\ue000([a-z_]+)\ue001", re.MULTILINE)


def recipient_view(values: Mapping[str, str], extensions: Mapping[str, Any]) -> RecipientView:
    return RecipientView(values["id"], values["name"], values["email"], values["role"], values["organisation"],
                         values["language"], MappingProxyType(dict(extensions)))


class Prerendered:
    """Both bodies rendered once from the recipient-free `context`, ready to be filled per recipient."""

    def __init__(self, context: Mapping[str, Any], templates: Path | str | None, *, unsubscribe: bool) -> None:
        tokens = {name: f"\ue000{name}\ue001" for name in FIELDS}
        context = {**context, "recipient": recipient_view(tokens, {}), "greeting": tokens["greeting"],
                   "unsubscribe_url": tokens["unsubscribe_url"] if unsubscribe else ""}
        self.text = _Body(render_document("text", context, templates), escape=False)
        self.html = _Body(render_document("email", context, templates), escape=True)
        self.usable = self.text.usable and self.html.usable
        # What a filled message is made from, but its values: the hash of both bodies as rendered once.
        bodies = hashlib.sha256()
        for body in (self.text, self.html):
            bodies.update(len(body.template).to_bytes(8, "big") + body.template + "\n".join(body.fields).encode())
        self.digest = bodies.digest()

    def pieces(self, values: Mapping[str, str]) -> tuple[Filling, Filling] | None:
        """What each body's template takes for one recipient (see _Body.pieces), for email.MessageLayout; None
        when the values are too long to keep lines within limits, or hold a line break (which the plain path
        encodes as CRLF)."""
        joined = "".join(values.values())
        if len(joined) > VALUES_ROOM or "\r" in joined or "\n" in joined:
            return None
        return self.text.pieces(values), self.html.pieces(values)

    def fill(self, pieces: tuple[Filling, Filling]) -> tuple[Body, Body]:
        """The two bodies filled in with one recipient's pieces."""
        return self.text.fill(pieces[0]), self.html.fill(pieces[1])

    def made_from(self, values: Mapping[str, str]) -> bytes:
        """What determines the bodies fill(pieces(values)) makes, for the Message-ID (email.MessageLayout): the
        rendering's digest and the values, each on a line (pieces() takes no value with a line break)."""
        return self.digest + "\n".join(map(values.__getitem__, FIELDS)).encode("utf-8")

    def from_lines(self, values: Mapping[str, str]) -> bool:
        """Whether a line of the filled bodies may start with `From ` (after any `>`), which an mbox quotes."""
        return self.text.from_lines(values) or self.html.from_lines(values)


class _Body:
    """A body rendered with placeholders, pre-encoded in pieces so a message only joins bytes."""

    def __init__(self, rendered: str, *, escape: bool) -> None:
        pieces = TOKEN.split(rendered)
        static = [piece.replace("\n", "\r\n").encode("utf-8") for piece in pieces[0::2]]
        self.fields = pieces[1::2]
        self.used = frozenset(self.fields)
        self.escape = escape
        # One bytes %-template (the text's own `%` doubled): a message is then a single C-level formatting.
        self.template = b"%s".join(piece.replace(b"%", b"%%") for piece in static)
        self.ascii = self.template.isascii()
        longest = max(map(len, TOKEN.sub("", rendered).encode("utf-8").split(b"\n")))
        self.usable = ("\r" not in rendered and "\ue000" not in TOKEN.sub("", rendered)
                       and set(self.fields) <= set(FIELDS) and longest + VALUES_ROOM <= MAX_LINE)
        # A From line either stands in the text itself, or starts with a value (after `>`s and a start of
        # `From`): then the value decides, message by message. Values hold no line break (pieces() sees to it).
        self.static_from_line = bool(_FROM_LINE.search(TOKEN.sub("\ue000", rendered)))
        self.line_starts = [(match.group(1), match.group(2)) for match in _VALUE_AT_LINE_START.finditer(rendered)]

    def pieces(self, values: Mapping[str, str]) -> Filling:
        """The body's transfer encoding for these values, and the values as its template takes them."""
        escape = html_lib.escape if self.escape else str
        encoded = {key: escape(values[key]).encode("utf-8") for key in self.used}
        ascii_only = self.ascii and all(map(bytes.isascii, encoded.values()))
        return ("7bit" if ascii_only else "8bit"), tuple(map(encoded.__getitem__, self.fields))

    def fill(self, pieces: Filling) -> Body:
        return pieces[0], self.template % pieces[1]

    def from_lines(self, values: Mapping[str, str]) -> bool:
        if self.static_from_line or not self.line_starts:
            return self.static_from_line
        escape = html_lib.escape if self.escape else str
        return any(
            "From ".startswith((before + escape(values[name])).lstrip(">")[:5]) for before, name in self.line_starts)


def prints_recipient_only(templates: Path | str | None) -> bool:
    """True when the e-mail templates (and all they extend, include or import) use the recipient's values
    only by printing them, so that the placeholder path makes messages that read as the plain one's."""
    import jinja2

    env = environment(templates, html=True)
    todo, seen = list(_ROOTS), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source, _, _ = env.loader.get_source(env, name)
            tree = env.parse(source)
        except jinja2.TemplateError:
            return False  # the plain path reports it, with the file and line
        for node in tree.find_all((jinja2.nodes.Extends, jinja2.nodes.Include, jinja2.nodes.Import,
                                   jinja2.nodes.FromImport)):
            template = node.template
            if not (isinstance(template, jinja2.nodes.Const) and isinstance(template.value, str)):
                return False
            todo.append(template.value)
        if not all(_fits(node, parents) for node, parents in _walk(tree, ())):
            return False
    return True


def _walk(node: Any, parents: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    inside = (*parents, node)
    for child in node.iter_child_nodes():
        yield child, inside
        yield from _walk(child, inside)


def _fits(node: Any, parents: tuple[Any, ...]) -> bool:
    """Whether one node of a template keeps the output a plain substitution of the recipient's values."""
    from jinja2 import nodes

    if isinstance(node, (nodes.FilterBlock, nodes.AssignBlock, nodes.EvalContextModifier, nodes.CallBlock)):
        return False  # each can transform text printed inside it
    if isinstance(node, nodes.Getattr) and node.attr in _PER_RECIPIENT:
        return False  # `self._TemplateReference__context.recipient` and the like
    if (isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const)
            and node.arg.value in _PER_RECIPIENT):
        return False
    parent = parents[-1]
    in_macro = any(isinstance(p, nodes.Macro) for p in parents)
    if isinstance(node, nodes.Include):
        return not in_macro  # a macro's output may be filtered where it is called
    if isinstance(node, nodes.Call) and _renders_a_block(node.node):
        return isinstance(parent, nodes.Output) and not in_macro  # `{{ super() }}` passes text through
    if isinstance(node, nodes.Name) and node.name in _PER_RECIPIENT:
        if in_macro or node.ctx != "load":
            return False
        if isinstance(parent, nodes.If) and parent.test is node:
            return True  # greeting and recipient are never empty; unsubscribe_url is empty for all or for none
        if isinstance(parent, nodes.Output):
            return node.name != "recipient"
        grandparent = parents[-2] if len(parents) > 1 else None
        return (node.name == "recipient" and isinstance(parent, nodes.Getattr) and parent.attr in RECIPIENT_FIELDS
                and isinstance(grandparent, nodes.Output))
    return True


def _renders_a_block(callee: Any) -> bool:
    from jinja2 import nodes

    if isinstance(callee, nodes.Name):
        return callee.name in ("super", "caller", "varargs")
    return isinstance(callee, nodes.Getattr) and isinstance(callee.node, nodes.Name) and callee.node.name == "self"
