"""A merge's folder of messages (`-o DIR`): all old or all new, whatever fails and whenever the merge is killed.

The new messages are written into a staging folder beside the outbox, `.NAME.pressctl-merge-XXXX`, with
the outbox's other files (not its messages) carried over as hard links. Then the two folders change places
in one step (Linux `renameat2(RENAME_EXCHANGE)`), and the staging name, which now holds the old set, is
removed. Where the exchange is not available the outbox is set aside as `.NAME.pressctl-old-XXXX` and the
staging folder renamed in its place; a failure puts the old one back. Whatever a killed merge leaves beside
the outbox, the next merge into it removes (or, for an outbox set aside and not replaced, puts back) first.

There is no fsync per message (it would cost more than rendering): the messages can always be made again
from their inputs; what a kill must not leave is a mix of two merges.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.atomic import EXCHANGE_UNSUPPORTED
from pressctl.atomic import exchange as _exchange  # a module name of its own: the tests put faults there
from pressctl.errors import InputError, UsageError

STAGING = ".pressctl-merge-"
ASIDE = ".pressctl-old-"


if TYPE_CHECKING:
    from pressctl.render.attachments import Spliced


def write_folder(folder: Path, messages: Iterator[tuple[str, bytes | Spliced]],
                 progress: Callable[[], None] | None = None, *, ids: Collection[str]) -> int:
    """One `<id>.eml` per message (`ids` are the recipients') in `folder`, replacing the folder's messages as
    one set. Other files in the folder are kept; a message of an earlier merge that this one would not
    replace is refused (it could be sent by mistake along with the new ones)."""
    if folder.exists() and not folder.is_dir():
        raise UsageError("is a file, not a folder", path=str(folder))
    target = Path(os.path.realpath(folder))  # through a link to a folder: replace the folder, keep the link
    if not target.parent.is_dir():
        raise UsageError("the folder above does not exist", path=str(folder.parent))
    if target.is_dir() and not os.access(target, os.W_OK):  # it would be replaced, not written into
        raise UsageError("cannot write in this folder (permission denied)", path=str(folder))
    try:
        return _write(folder, target, messages, progress, ids)
    except OSError as err:
        raise InputError(f"cannot write the messages: {err.strerror or err}", path=str(folder)) from None


def _write(folder: Path, target: Path, messages: Iterator[tuple[str, bytes | Spliced]],
           progress: Callable[[], None] | None, ids: Collection[str]) -> int:
    clean_leftovers(target)
    ours = {f"{contact_id}.eml" for contact_id in ids}
    _refuse_stale_messages(folder, target, ours)
    try:
        staging = tempfile.mkdtemp(prefix=f".{target.name}{STAGING}", dir=target.parent)
    except PermissionError:
        raise UsageError("cannot write in the folder above (permission denied)", path=str(target.parent)) from None
    try:
        count = _write_messages(staging, messages, progress)
        if target.is_dir():
            _carry_over(target, staging, ours)
            os.chmod(staging, stat.S_IMODE(target.stat().st_mode))
            _swap(staging, str(target))
        else:
            os.chmod(staging, 0o755)  # mkdtemp makes it private to its owner
            os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the new set if it never moved, the old one if it did
    return count


def _write_messages(staging: str, messages: Iterator[tuple[str, bytes | Spliced]],
                    progress: Callable[[], None] | None) -> int:
    # Plain strings and os calls: pathlib's overhead is a third of the time at 10,000 files.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    count = 0
    for contact_id, data in messages:
        fd = os.open(os.path.join(staging, f"{contact_id}.eml"), flags, 0o644)
        try:
            view = memoryview(bytes(data))  # a Spliced message (attachments) joins its pieces here
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        count += 1
        if progress:
            progress()
    return count


def clean_leftovers(target: Path) -> None:
    """Undo what a killed merge into `target` left: staging folders are removed; an outbox set aside and never
    replaced is put back (it is the whole old set), one that was replaced is removed."""
    parent, prefix = target.parent, f".{target.name}"
    leftovers = [entry for entry in os.scandir(parent) if entry.name.startswith(prefix)
                 and entry.name[len(prefix):].startswith((STAGING, ASIDE)) and entry.is_dir(follow_symlinks=False)]
    for entry in sorted(leftovers, key=lambda e: e.name):
        if entry.name[len(prefix):].startswith(ASIDE) and not target.exists():
            os.rename(entry.path, target)
        else:
            shutil.rmtree(entry.path)
    if target.is_dir():  # earlier versions staged inside the outbox itself
        for entry in os.scandir(target):
            if entry.name.startswith(f"{prefix}{STAGING}") and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)


def _refuse_stale_messages(folder: Path, target: Path, ours: set[str]) -> None:
    if not target.is_dir():
        return
    stale = []
    for entry in os.scandir(target):
        if entry.name in ours and not entry.is_file(follow_symlinks=False):
            raise UsageError(f"holds {entry.name}, which is not a file; remove it or merge into another folder",
                             path=str(folder))
        if entry.name.endswith(".eml") and entry.name not in ours:
            stale.append(entry.name)
    if stale:
        stale.sort()
        more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
        raise UsageError(f"already holds {stale[0]}{more}, which this merge would not replace; empty the folder "
                         "or merge into a new one, so that no message from an earlier merge is sent by mistake",
                         path=str(folder))


def _carry_over(target: Path, staging: str, ours: set[str]) -> None:
    """The outbox's other entries, into the staging folder: hard links, so nothing is copied or lost."""
    for entry in os.scandir(target):
        if entry.name in ours:
            continue
        destination = os.path.join(staging, entry.name)
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), destination)
        elif entry.is_dir():
            shutil.copytree(entry.path, destination, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(entry.path, destination)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination, follow_symlinks=False)
    except PermissionError:  # fs.protected_hardlinks: a file someone else owns
        if not stat.S_ISREG(os.lstat(source).st_mode):
            raise
        shutil.copy2(source, destination)


def _swap(staging: str, target: str) -> None:
    """Put `staging` where `target` is, in one step where the system can; afterwards `staging` holds the old."""
    try:
        _exchange(staging, target)
        return
    except OSError as err:
        if err.errno not in EXCHANGE_UNSUPPORTED:
            raise
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}{ASIDE}", dir=os.path.dirname(target))
    os.rmdir(aside)  # only the unique name is wanted
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    os.rename(aside, staging)


