"""The cyclic garbage collector, kept off large data that makes no reference cycles.

Each collection walks every tracked object alive. With a large contact book in memory, the collections
that building it, checking it or writing a file from it trigger cost more than the work itself: the
objects are freed by reference counting anyway, as none of them makes a cycle.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc() -> Iterator[None]:
    """The collector off for the block (a book's build, a check, an export); anything else is collected
    once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive now (render's contact book, release and modules) out of the collector's walks for
    the block (gc.freeze): the collections that a merge's 10,000 messages trigger then look only at what
    the merge itself makes, not at the book again each time (bench/merge.py)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
