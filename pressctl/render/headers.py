"""Mail header values as ASCII: RFC 2047 encoded words for any text, folded within 78 columns.

Text is written as it is only when a reader cannot take it for anything else: ASCII words with single
spaces, and no `=?` (which a mail program would decode as an encoded word, so a headline that spells
out `=?utf-8?q?=0D=0ABcc:…?=` would reach the reader as a line break). Everything else becomes encoded
words that carry the exact text, spaces included, and decode back to it once: their content is never
decoded again.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable

LINE = 78  # RFC 5322's recommended limit, CRLF not counted
WORD = 75  # RFC 2047: the longest encoded word
_PREFIX = "=?utf-8?"
_PLAIN_WORD = re.compile(r"[\x21-\x7e]+")
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
# In a phrase (a display name) an encoded word may hold only these as they are (RFC 2047 §5 (3)).
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def unstructured(name: str, text: str) -> str:
    """`Name: text` for a free-text field such as Subject, folded, ending in CRLF."""
    if _plain(text):
        return _fold(name, text.split(" "))
    return _fold(name, encoded_words(text, len(name) + 2))


def mailbox(name: str, display_name: str, addr_spec: str) -> str:
    """`Name: display name <addr-spec>`, folded, ending in CRLF. `addr_spec` must already be ASCII."""
    if not display_name:
        return _fold(name, [addr_spec])
    if _plain(display_name):
        words = display_name.split(" ")
        if not all(_ATOM.fullmatch(word) for word in words):
            words = ['"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"']
        if len(name) + 2 + len(" ".join(words)) + len(addr_spec) + 3 <= LINE:
            return _fold(name, [*words, f"<{addr_spec}>"])
    return _fold(name, [*encoded_words(display_name, len(name) + 2), f"<{addr_spec}>"])


def _plain(text: str) -> bool:
    """Text that goes into a header as it is: ASCII words that fit a line, one space apart, no `=?`."""
    words = text.split(" ")
    return "=?" not in text and all(_PLAIN_WORD.fullmatch(word) and len(word) < LINE - 20 for word in words)


def _fold(name: str, tokens: list[str]) -> str:
    """Join tokens with one space, breaking the line (CRLF and a space) before a token that would pass LINE."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return "\r\n".join(lines) + "\r\n"


def encoded_words(text: str, first_line_used: int) -> list[str]:
    """`text` as UTF-8 encoded words, each at most 75 characters and the first one short enough to follow
    `first_line_used` characters on its line. Whitespace between encoded words is not part of the text
    (RFC 2047 §6.2), so every space of `text` is inside a word; a break falls after a space where one is
    near, and never inside a character or before a combining mark."""
    q = len(_q(text.encode("utf-8")))
    b = len(_b(text.encode("utf-8")))
    kind = "q" if q <= b else "b"
    encode = _q if kind == "q" else _b
    overhead = len(_PREFIX) + 4  # "=?utf-8?" "q?" … "?="
    words: list[str] = []
    room = min(WORD, LINE - first_line_used - 1) - overhead
    start = 0
    while start < len(text):
        end = _longest_fit(text, start, room, encode)
        words.append(f"{_PREFIX}{kind}?{encode(text[start:end].encode('utf-8'))}?=")
        start = end
        room = WORD - overhead
    return words


def _longest_fit(text: str, start: int, room: int, encode: Callable[[bytes], str]) -> int:
    """Where the encoded word that begins at `start` ends: as much as fits in `room`, at a good break."""
    end = start + 1
    while end < len(text) and len(encode(text[start:end + 1].encode("utf-8"))) <= room:
        end += 1
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space >= start and space + 1 - start >= (end - start) // 2:
            end = space + 1
        else:
            while end - 1 > start and _joins_previous(text[end]):
                end -= 1
    return end


def _joins_previous(char: str) -> bool:
    """A combining mark or joiner belongs with the character before it (a Khmer subscript, an accent)."""
    return unicodedata.category(char).startswith("M") or char in "\u200c\u200d"


def _b(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _q(data: bytes) -> str:
    """RFC 2047 "Q" encoding with the characters safe in a phrase; a space is `_`."""
    out = []
    for byte in data:
        if byte in _Q_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("_")
        else:
            out.append(f"={byte:02X}")
    return "".join(out)

