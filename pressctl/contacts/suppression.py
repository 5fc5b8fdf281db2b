"""`suppressed:` in the book: SHA-256 hashes of the addresses and numbers of people who asked to be forgotten.

The hash of an address is taken of its normalised form with the local part in lower case
(`MailAddress.key`); of a number, of its E.164 form. So the book keeps no personal data of theirs,
yet an import or a hand edit that brings the person back is recognised.
"""

from __future__ import annotations

import hashlib
from typing import Any


def suppression_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def suppressed_hashes(data: Any) -> set[str]:
    """The hashes listed under `suppressed:` of a parsed book (anything else is the loader's to report)."""
    value = data.get("suppressed") if isinstance(data, dict) else None
    return {v.strip().lower() for v in value if isinstance(v, str)} if isinstance(value, list) else set()
