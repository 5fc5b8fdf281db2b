"""Where a front-matter value stands in its release file, found only when a finding asks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pressctl.findings import Path as KeyPath


@lru_cache(maxsize=8)
def _front_matter_nodes(front: str) -> Any:
    """Composed once per front matter, however many findings ask for a line (the nodes are only read)."""
    import yaml

    try:
        return yaml.compose(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None


def front_matter_line(front: str, path: KeyPath) -> int:
    """The 1-based line within the front matter where `path` stands (composed only when asked)."""
    import yaml

    node = _front_matter_nodes(front)
    line = 1
    for step in path:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if getattr(k, "value", None) == step), None)
            if pair is None:
                break
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line
