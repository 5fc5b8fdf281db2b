"""The published folder: refuse one that holds anything else, replace it whole, and leave it alone when the
new site is the same.

pressctl keeps a manifest of the files it wrote (`.pressctl-site.json`, name and sha256) in the folder. A
folder without it, or with a file it does not list or whose content changed, was not written by pressctl
alone, and replacing it would delete someone's work: the build refuses it.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.atomic import EXCHANGE_UNSUPPORTED, exchange, fsync_folder, remove_stale, temporary_folder
from pressctl.errors import UsageError

if TYPE_CHECKING:
    from pressctl.site.build import SiteInputs

MANIFEST = ".pressctl-site.json"


def check_output(output: Path, inputs: SiteInputs) -> None:
    """Refuse an output folder that is (or holds) the workspace or its inputs, or holds files pressctl did
    not write, before anything is built."""
    where = str(output)
    if output.is_symlink():
        raise UsageError("is a symbolic link; give the folder itself", path=where)
    target = output.resolve()
    workspace = inputs.workspace.resolve()
    if target == workspace or target in workspace.parents:
        raise UsageError("is the workspace itself (or holds it); the site goes in a folder of its own",
                         path=where, hint="e.g. -o public/")
    for name, folder in (("releases", inputs.releases), ("templates", inputs.templates or Path("templates"))):
        folder = folder.resolve()
        if target == folder or folder in target.parents or target in folder.parents:
            raise UsageError(f"is inside the {name} folder or holds it; the site goes in a folder of its own",
                             path=where, hint="e.g. -o public/")
    if output.exists() and not output.is_dir():
        raise UsageError("is a file, not a folder", path=where)
    foreign = foreign_file(output)
    if foreign is not None:
        raise UsageError(f"holds {foreign}, which pressctl did not write; pressctl replaces the whole folder, "
                         "so it builds only into a new or empty folder, or one it built before", path=where,
                         hint="move the file away, or give another folder with -o")


def foreign_file(output: Path) -> str | None:
    """The first file in `output` that its manifest does not account for (as written), else None."""
    if not output.is_dir():
        return None
    names = sorted(_walk(output))
    if not names:
        return None
    try:
        recorded = json.loads((output / MANIFEST).read_text(encoding="utf-8"))["files"]
        assert isinstance(recorded, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError):
        return next((name for name in names if name != MANIFEST), MANIFEST)
    for name in names:
        if name == MANIFEST:
            continue
        path = output / name
        try:
            if name not in recorded or path.is_symlink() or _sha256(path.read_bytes()) != recorded[name]:
                return name
        except OSError:
            return name  # unreadable: pressctl cannot tell it is its own
    return None


def manifest_for(files: dict[str, bytes]) -> bytes:
    record = {"generator": "pressctl site", "files": {name: _sha256(files[name]) for name in sorted(files)}}
    return (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def publish(output: Path, files: dict[str, bytes]) -> tuple[bool, bytes]:
    """Make `output` hold exactly `files`: built in a folder beside it, then swapped in by one rename, so
    that a web server sees the old site or the new one, never a mix. Returns (changed, manifest)."""
    manifest = manifest_for(files)
    with contextlib.suppress(OSError):
        if (output / MANIFEST).read_bytes() == manifest:
            return False, manifest  # check_output found every file as recorded: nothing to do
    prefix = f".{output.name}."
    for suffix in (".new", ".old"):  # what a build killed before its swap, or during it, left beside the site
        remove_stale(output.parent, prefix, suffix, folders=True)
    with contextlib.ExitStack() as stack:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            fresh = stack.enter_context(temporary_folder(output.parent, prefix, ".new"))
        except OSError as err:
            raise UsageError(f"cannot create the site's folder: {err.strerror or err}",
                             path=str(output.parent)) from None
        try:
            umask = os.umask(0)
            os.umask(umask)
            fresh.chmod(0o777 & ~umask)  # mkdtemp makes it private; a web server must read it
            for name, data in files.items():
                (fresh / name).parent.mkdir(parents=True, exist_ok=True)  # attachments keep their folders
                (fresh / name).write_bytes(data)
            (fresh / MANIFEST).write_bytes(manifest)
            _make_durable(fresh)
            _swap(fresh, output, prefix)
        except OSError as err:
            shutil.rmtree(fresh, ignore_errors=True)
            raise UsageError(f"cannot write the site: {err.strerror or err}",
                             path=str(err.filename or output)) from None
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
    return True, manifest


def _swap(fresh: Path, output: Path, prefix: str) -> None:
    """Put `fresh` where `output` is. Linux exchanges the two folders in one step; elsewhere the old one is
    renamed aside first (a moment with no folder, never a half-written one)."""
    if not output.exists():
        os.rename(fresh, output)
    elif _exchanged(fresh, output):
        shutil.rmtree(fresh, ignore_errors=True)  # now the old site; the new one is out whatever happens here
    else:
        with temporary_folder(output.parent, prefix, ".old") as old:
            os.rename(output, old / output.name)
            os.rename(fresh, output)
        shutil.rmtree(old, ignore_errors=True)
    fsync_folder(output.parent)


def _exchanged(fresh: Path, output: Path) -> bool:
    try:
        exchange(fresh, output)
    except OSError as err:
        if err.errno in EXCHANGE_UNSUPPORTED:  # an old kernel, or a file system without it
            return False
        raise
    return True


def _make_durable(folder: Path) -> None:
    """Every file of the new site on disk before it is swapped in. Linux's syncfs(2) does it in one call
    for the whole file system, where an fsync per file costs a disk flush each (2,000 for 1,000 releases)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        syncfs = getattr(ctypes.CDLL(None, use_errno=True), "syncfs", None)
        if syncfs is not None and syncfs(fd) == 0:
            return
    except OSError:
        pass
    finally:
        os.close(fd)
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_folder(folder)


def _walk(folder: Path) -> list[str]:
    """Every file under `folder`, and every empty or linked subfolder (as `name/`), relative to it."""
    names = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        names += [(base / name).as_posix() for name in files]
        for name in dirs:
            path = Path(root, name)
            if path.is_symlink() or not any(path.iterdir()):
                names.append((base / name).as_posix() + "/")
    return names


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
