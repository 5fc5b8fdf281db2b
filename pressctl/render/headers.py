"""Mail header values as ASCII: RFC 2047 encoded words for any text, folded within 78 columns.

A word is written as it is only when a reader cannot take it for anything else: printable ASCII with
no `=?` (which a mail program would decode as an encoded word, so a headline that spells out
`=?utf-8?q?=0D=0ABcc:…?=` would reach the reader as a line break). Every other run of words becomes
encoded words that carry the exact text, spaces included, and decode back to it once: their content is
never decoded again. Used for Subject, From and To (docs/templates.md, "Addresses and non-ASCII text").
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
_ATOMS = re.compile(r"(?!.*=\?)[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")  # no `=?`
# In a phrase (a display name) an encoded word may hold only these as they are (RFC 2047 §5 (3)).
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def unstructured(name: str, text: str) -> str:
    """`Name: text` for a free-text field such as Subject, folded, ending in CRLF."""
    return _fold(name, _words(name, text, phrase=False))


def mailbox(name: str, display_name: str, addr_spec: str) -> str:
    """`Name: display name <addr-spec>`, folded, ending in CRLF. `addr_spec` must already be ASCII."""
    if not display_name:
        return _fold(name, [addr_spec])
    if (len(name) + len(display_name) + len(addr_spec) + 5 <= LINE and len(display_name) < LINE - 20
            and _ATOMS.fullmatch(display_name)):
        return f"{name}: {display_name} <{addr_spec}>\r\n"  # what folded_mailbox() makes of it, at a tenth the cost
    return folded_mailbox(name, display_name, addr_spec)


def folded_mailbox(name: str, display_name: str, addr_spec: str) -> str:
    """mailbox() for a display name: its words kept or encoded, then folded."""
    words = _words(name, display_name, phrase=True)
    if all(_plain(word) for word in display_name.split(" ")) and not all(map(_ATOM.fullmatch, words)):
        # ASCII with a comma or a quote in it: one quoted string reads better than encoded words.
        quoted = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(name) + 2 + len(quoted) + len(addr_spec) + 3 <= LINE:
            words = [quoted]
    return _fold(name, [*words, f"<{addr_spec}>"])


def _plain(word: str) -> bool:
    """A word that goes into a header as it is: printable ASCII, short enough to fold, no `=?`."""
    return bool(_PLAIN_WORD.fullmatch(word)) and "=?" not in word and len(word) < LINE - 20


def _words(name: str, text: str, *, phrase: bool) -> list[str]:
    """The header's words: plain ASCII words as they are, each run of other words as encoded words. A run
    holds the spaces between its own words; the single space between a plain word and an encoded word is
    kept by every decoder (RFC 2047 §6.2). Text with spaces at its ends or in a row is encoded whole."""
    words = text.split(" ")
    if "" in words:
        return encoded_words(text, len(name))

    def keep(word: str) -> bool:
        return _plain(word) and (not phrase or bool(_ATOM.fullmatch(word)))

    out: list[str] = []
    run: list[str] = []
    for word in words:
        if keep(word):
            if run:
                out.extend(encoded_words(" ".join(run), len(name)))
                run.clear()
            out.append(word)
        else:
            run.append(word)
    if run:
        out.extend(encoded_words(" ".join(run), len(name)))
    return out


def _fold(name: str, tokens: list[str]) -> str:
    """Join tokens with one space, breaking the line (CRLF and a space) before a token that would pass LINE."""
    lines = [f"{name}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > LINE and lines[-1] != f"{name}:":
            lines.append("")
        lines[-1] += " " + token
    return "\r\n".join(lines) + "\r\n"


def encoded_words(text: str, name_length: int) -> list[str]:
    """`text` as UTF-8 encoded words, each short enough to follow `Name: ` on a line of 78 (and at most 75
    characters, RFC 2047 §2). Whitespace between encoded words is no part of the text (§6.2), so every space
    of `text` is inside a word; a word ends after a space where one is near, and never inside a character
    or before a combining mark (a Khmer subscript, an accent)."""
    data = text.encode("utf-8")
    # Q keeps Latin text readable in the raw message; B is shorter for other scripts.
    kind, encode = ("q", _q) if len(_q(data)) <= len(_b(data)) * 5 // 4 else ("b", _b)
    room = min(WORD, LINE - name_length - 3) - len(_PREFIX) - 4  # "=?utf-8?" "q?" … "?="
    words: list[str] = []
    start = 0
    while start < len(text):
        end = _longest_fit(text, start, room, encode)
        words.append(f"{_PREFIX}{kind}?{encode(text[start:end].encode('utf-8'))}?=")
        start = end
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

