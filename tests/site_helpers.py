"""Releases written for the site tests: several languages, a translation, embargoes around a fixed now."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

NOW = datetime.fromisoformat("2024-07-01T10:00:00+00:00")
NOW_TEXT = "2024-07-01T10:00:00Z"
BASE = "https://example.org/press/"
MAIN = "2024-06-26-three-port-wage-deal"


def write_release(folder: Path, slug: str, *, headline: str, date: str = "2024-06-28", language: str = "en",
                  embargo: datetime | None = None, body: str = "The statement, in a paragraph.",
                  dateline: str = "Amsterdam", extra: str = "") -> Path:
    """A release file; values go in as JSON strings, which YAML reads as they are."""
    lines = ["---", f"headline: {json.dumps(headline, ensure_ascii=False)}",
             f"dateline: {json.dumps(dateline, ensure_ascii=False)}", f"date: {date}",
             f"language: {language}"]
    if embargo is not None:
        lines.append(f'embargo: "{embargo.isoformat()}"')
    path = folder / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + extra + "---\n" + body + "\n", encoding="utf-8")
    return path


def drop_example_translation(workspace: Path) -> None:
    """Take the example's Indonesian version and its media out, so that a test counts only its own releases."""
    import shutil

    (workspace / "releases" / f"{MAIN}.id.md").unlink(missing_ok=True)
    shutil.rmtree(workspace / "releases" / "media", ignore_errors=True)


def newsroom(workspace: Path) -> dict[str, Path]:
    """The example release plus a French one, a Khmer translation, an Arabic one and one still embargoed."""
    drop_example_translation(workspace)
    releases = workspace / "releases"
    return {
        "fr": write_release(releases, "2024-06-27-accord-dockers", headline="Les dockers signent un accord",
                            date="2024-06-27", language="fr", dateline="Paris",
                            body="Les dockers ont signé **aujourd’hui** un accord sur les salaires."),
        "km": write_release(releases, f"{MAIN}.km", headline="កម្មករផែសញ្ញាកិច្ចព្រមព្រៀង", date="2024-06-26",
                            language="km", dateline="ក្រុងព្រះសីហនុ",
                            body="កម្មករផែនៅកំពង់ផែទាំងបីនឹងទទួលបានការដំឡើងប្រាក់ឈ្នួល។"),
        "ar": write_release(releases, "2024-06-29-port-ar", headline="عمال الموانئ يوقعون اتفاقا", date="2024-06-29",
                            language="ar", dateline="عمّان", body="وقع عمال الموانئ اليوم اتفاقا جديدا."),
        "later": write_release(releases, "2024-07-02-not-yet", headline="Still under embargo", date="2024-07-02",
                               embargo=NOW + timedelta(days=1)),
    }
