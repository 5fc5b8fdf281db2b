"""manifest.json beside job outputs: each file's job, row count and sha256, for whoever picks the files up."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.atomic import write_atomic

MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Entry:
    file: Path
    job: str
    what: str
    to: str
    rows: int
    data: bytes
    left_out: dict[str, int]
    warnings: tuple[str, ...]

    def record(self) -> dict[str, Any]:
        return {"file": self.file.name, "job": self.job, "what": self.what, "to": self.to, "rows": self.rows,
                "bytes": len(self.data), "sha256": hashlib.sha256(self.data).hexdigest(),
                "left_out": self.left_out, "warnings": list(self.warnings)}


def update_manifests(entries: list[Entry]) -> None:
    """Add `entries` to the manifest of each folder they were written to, keeping the other files' records
    (jobs run one at a time also share a dated folder). No timestamps: same files, same manifest."""
    by_folder: dict[Path, list[Entry]] = {}
    for entry in entries:
        by_folder.setdefault(entry.file.parent, []).append(entry)
    for folder, new in by_folder.items():
        path = folder / MANIFEST_NAME
        records = {record["file"]: record for record in _existing(path)}
        records.update((entry.file.name, entry.record()) for entry in new)
        document = {"files": [records[name] for name in sorted(records)]}
        write_atomic(path, json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def _existing(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        files = document["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []  # missing or damaged: rebuilt from this run's files
    return [record for record in files if isinstance(record, dict) and isinstance(record.get("file"), str)]
