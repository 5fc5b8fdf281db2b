"""Where a front-matter value stands in its release file: read from the text like the contact book's
positions (see yamlsource.SourceMap), only when a finding asks."""

from __future__ import annotations

from functools import lru_cache

from pressctl.findings import Path as KeyPath
from pressctl.yamlsource import SourceMap, SourceText


@lru_cache(maxsize=8)
def _positions(front: str) -> SourceMap:
    """One per front matter, however many findings ask for a line (what it composes is kept)."""
    return SourceMap(SourceText(front), "", None)


def front_matter_line(front: str, path: KeyPath) -> int:
    """The 1-based line within the front matter where `path` stands: a key's own line, or a list
    item's; the deepest part of the path that exists when the rest does not."""
    at_key = bool(path) and isinstance(path[-1], str)
    return _positions(front).locate(path, at_key=at_key).line
