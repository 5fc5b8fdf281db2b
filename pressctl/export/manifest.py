"""manifest.json beside job outputs: each file's job, row count and sha256, for whoever picks the files up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
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

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def record(self) -> dict[str, Any]:
        return {"file": self.file.name, "job": self.job, "what": self.what, "to": self.to, "rows": self.rows,
                "bytes": len(self.data), "sha256": self.sha256, "left_out": self.left_out,
                "warnings": list(self.warnings)}


class Manifests:
    """The manifests of the folders a run writes to, kept in step with the files in two steps:
    `withdraw` drops the records of the files about to change before any is replaced, and `record`
    adds the new ones once they are in place. A run killed between the two leaves a manifest that
    says nothing about those files rather than something false; the next run records them.
    No timestamps: same files, same manifest."""

    def __init__(self, entries: Iterable[Entry], inputs: Iterable[Path] = ()) -> None:
        self.inputs = tuple(inputs)  # never written over, even through a link named manifest.json
        self.folders: dict[Path, dict[str, dict[str, Any]]] = {}
        for entry in entries:
            folder = entry.file.parent
            if folder not in self.folders:
                self.folders[folder] = {record["file"]: record for record in _existing(folder / MANIFEST_NAME)}

    def changing(self, entry: Entry) -> bool:
        """Whether writing `entry` changes what its folder's manifest says."""
        return self.folders[entry.file.parent].get(entry.file.name) != entry.record()

    def withdraw(self, entries: Iterable[Entry]) -> None:
        """Drop the records of `entries` and write the manifest (also when nothing was dropped: a manifest
        that cannot be written stops the files before they are replaced)."""
        self._update(entries, lambda records, entry: records.pop(entry.file.name, None))

    def record(self, entries: Iterable[Entry]) -> None:
        self._update(entries, lambda records, entry: records.__setitem__(entry.file.name, entry.record()))

    def _update(self, entries: Iterable[Entry], change: Any) -> None:
        touched: dict[Path, None] = {}
        for entry in entries:
            change(self.folders[entry.file.parent], entry)
            touched[entry.file.parent] = None
        for folder in touched:
            records = self.folders[folder]
            document = {"files": [records[name] for name in sorted(records)]}
            write_atomic(folder / MANIFEST_NAME, json.dumps(document, ensure_ascii=False, indent=2) + "\n",
                         inputs=self.inputs)


def _existing(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        files = document["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []  # missing or damaged: rebuilt from this run's files
    return [record for record in files if isinstance(record, dict) and isinstance(record.get("file"), str)]
