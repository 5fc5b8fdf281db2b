"""What an output may replace, and every way a write can fail: one line and exit 1 or 2, never a
traceback, never a destroyed input, device or link (pressctl/atomic.py, through the real CLI)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pressctl.atomic import write_atomic
from pressctl.cli import app
from pressctl.errors import PressctlError

REPO = Path(__file__).resolve().parent.parent
RELEASE = "releases/2024-06-26-three-port-wage-deal.md"


def one_error_line(result, code: int | None = None) -> str:
    """The command failed with exit 1 or 2 and one `error:` line (and perhaps a hint), no traceback."""
    assert result.exit_code in ((code,) if code else (1, 2)), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and all(line.startswith("  hint: ") for line in lines[1:]), result.stderr
    return result.stderr


def _add_job(output: str, name: str = "extra", to: str = "csv") -> None:
    config = Path("pressctl.toml")
    config.write_text(config.read_text(encoding="utf-8") + f'\n[[export]]\nname = "{name}"\nwhat = "contacts"\n'
                      f'to = "{to}"\noutput = "{output}"\n', encoding="utf-8")


# An output that is an input ------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["export", "contacts", "--to", "csv", "-o", "contacts.yaml"],
    ["export", "contacts", "--to", "csv", "-o", "pressctl.toml"],
    ["export", "release", RELEASE, "--to", "html", "-o", RELEASE],
    ["export", "release", RELEASE, "--to", "html", "-o", "contacts.yaml"],
    ["render", RELEASE, "-o", RELEASE],
    ["render", RELEASE, "-o", "contacts.yaml"],
    ["render", RELEASE, "-f", "eml", "--audience", "press-eu", "--mbox", "contacts.yaml"],
])
def test_an_output_that_is_an_input_is_refused(workspace: Path, runner, command: list[str]) -> None:
    before = {name: Path(name).read_bytes() for name in ("contacts.yaml", "pressctl.toml", RELEASE)}
    err = one_error_line(runner.invoke(app, command), 2)
    assert "is also an input of this command" in err
    assert {name: Path(name).read_bytes() for name in before} == before


def test_render_never_writes_over_a_template(workspace: Path, runner) -> None:
    Path("templates").mkdir()
    Path("templates/release.txt").write_text('{% extends "builtin/release.txt" %}\n', encoding="utf-8")
    err = one_error_line(runner.invoke(app, ["render", RELEASE, "-o", "templates/release.txt"]), 2)
    assert "is also an input of this command (templates/release.txt)" in err
    assert Path("templates/release.txt").read_text(encoding="utf-8") == '{% extends "builtin/release.txt" %}\n'


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_input_reached_through_another_name_is_refused(workspace: Path, runner, link: str) -> None:
    (os.symlink if link == "symlink" else os.link)("contacts.yaml", "book-copy.yaml")
    before = Path("contacts.yaml").read_bytes()
    err = one_error_line(runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "book-copy.yaml"]), 2)
    assert err.startswith("error: book-copy.yaml: is also an input of this command (contacts.yaml)")
    assert Path("contacts.yaml").read_bytes() == before


@pytest.mark.parametrize("output", ["contacts.yaml", "./pressctl.toml", RELEASE])
def test_a_job_writing_over_an_input_is_refused(workspace: Path, runner, output: str) -> None:
    _add_job(output)
    before = Path(output).read_bytes()
    err = one_error_line(runner.invoke(app, ["export", "--all"]), 2)
    assert f"job 'extra': the output {output!r} is" in err and "an input of the run" in err
    assert Path(output).read_bytes() == before
    assert not Path("exports").exists()


def test_a_relative_job_output_stays_in_the_workspace(workspace: Path, runner) -> None:
    _add_job("../outside.csv")
    err = one_error_line(runner.invoke(app, ["export", "--job", "extra"]), 2)
    assert err == (f"error: pressctl.toml:{_last_job_line()}: job 'extra': the output '../outside.csv' leaves the "
                   "workspace through "
                   "`..`; a relative output stays inside the folder of pressctl.toml (write an absolute path to "
                   "go elsewhere)\n")
    assert not (workspace.parent / "outside.csv").exists()


def test_an_absolute_job_output_may_be_anywhere(workspace: Path, runner, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "all.csv"
    _add_job(str(elsewhere))
    assert runner.invoke(app, ["export", "--job", "extra"]).exit_code == 0
    assert elsewhere.read_bytes().startswith(b"\xef\xbb\xbfid,")


# Links and special files -------------------------------------------------------------------------

def test_an_output_through_a_link_writes_the_target_and_keeps_the_link(workspace: Path, runner) -> None:
    Path("real").mkdir()
    Path("real/out.csv").write_text("old\n")
    os.symlink("real/out.csv", "out.csv")
    assert runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "out.csv"]).exit_code == 0
    assert Path("out.csv").is_symlink() and os.readlink("out.csv") == "real/out.csv"
    assert Path("real/out.csv").read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert [p.name for p in Path("real").iterdir()] == ["out.csv"]


def test_fix_on_a_linked_book_fixes_the_target(workspace: Path, runner) -> None:
    Path("books").mkdir()
    shutil.move("contacts.yaml", "books/contacts.yaml")
    os.symlink("books/contacts.yaml", "contacts.yaml")
    text = Path("books/contacts.yaml").read_text(encoding="utf-8")
    assert "+31 (0)20 555 0188" not in text
    Path("books/contacts.yaml").write_text(text.replace('"+31 20 555 0188"', '"+31 (0)20 555 0188"', 1),
                                           encoding="utf-8")
    runner.invoke(app, ["contacts", "check", "--fix"])
    assert Path("contacts.yaml").is_symlink()
    assert "+31 (0)20 555 0188" not in Path("books/contacts.yaml").read_text(encoding="utf-8")


def _device(name: str, minor: int) -> str:
    """A character device of our own in the current folder, like /dev/null (minor 3) or /dev/full (7): a
    writer that renamed over it would replace this node, not the machine's."""
    try:
        os.mknod(name, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("creating a device node needs root (CAP_MKNOD)")
    return name


@pytest.mark.parametrize("command", [
    ["export", "contacts", "--to", "vcard", "-o", "NULL"],
    ["export", "release", RELEASE, "--to", "listmonk", "-o", "NULL"],
    ["render", RELEASE, "-o", "NULL"],
    ["render", RELEASE, "-f", "eml", "--audience", "press-eu", "--mbox", "NULL"],
])
def test_a_null_device_stays_a_device(workspace: Path, runner, command: list[str]) -> None:
    null = _device("null", 3)
    result = runner.invoke(app, [null if arg == "NULL" else arg for arg in command])
    assert result.exit_code == 0, result.output
    info = os.stat(null)
    assert stat.S_ISCHR(info.st_mode) and os.major(info.st_rdev) == 1 and os.minor(info.st_rdev) == 3
    assert sorted(os.listdir()) == ["contacts.yaml", "null", "pressctl.toml", "releases"]


def test_a_fifo_is_written_into_not_replaced(workspace: Path, runner) -> None:
    os.mkfifo("pipe")
    # The read end is open before the export starts (non-blocking, so opening it waits for nobody),
    # and the pipe holds far more than the export writes, so neither side ever waits on the other.
    # A reader thread racing the export either missed it or, once done, left the test waiting on a
    # FIFO nobody would open again: that hung a CI run.
    reader = os.open("pipe", os.O_RDONLY | os.O_NONBLOCK)
    try:
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 1 << 20)
        result = runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "pipe"])
        received = b""
        while chunk := os.read(reader, 1 << 16):
            received += chunk
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)
    assert received.startswith(b"\xef\xbb\xbfid,") and received.endswith(b"\r\n")


def test_a_fifo_nobody_reads_fails_at_once(workspace: Path, runner) -> None:
    os.mkfifo("pipe")
    err = one_error_line(runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "pipe"]), 1)
    assert err == "error: pipe: is a FIFO that nobody is reading\n"
    assert stat.S_ISFIFO(os.stat("pipe").st_mode)


# Every way a write can fail ---------------------------------------------------------------------

def _folder_link() -> str:
    Path("folder").mkdir(exist_ok=True)
    os.symlink("folder", "folder-link")
    return "folder-link"


@pytest.mark.parametrize(("args", "expected"), [
    (["-o", "releases"], "error: releases: is a folder, not a file; give a file name\n"),
    (["-o", ""], "error: the output's name is empty: give a file name\n"),
    (["-o", "LINK"], "error: folder-link: is a folder, not a file (through the link folder-link); give a file name\n"),
    (["-o", "FULL"], "error: full: cannot write: no space left on the device\n"),
    (["-o", "a\0b.csv"], "error: a\\0b.csv: the output's name holds a NUL byte\n"),
    (["-o", "x" * 300 + ".csv"], "the file name is 304 bytes long; this file system takes at most 255\n"
                                 "  hint: choose a shorter name\n"),
    (["-o", "out.csv/"], "error: out.csv/: ends in /, which names a folder: give a file name\n"),
    (["-o", "missing/out.csv"], "error: missing: the folder does not exist\n"),
    (["-o", "contacts.yaml/out.csv"], "error: contacts.yaml/out.csv: a part of the path is not a folder\n"),
])
def test_a_bad_output_is_one_line(workspace: Path, runner, args: list[str], expected: str) -> None:
    args = [_folder_link() if arg == "LINK" else _device("full", 7) if arg == "FULL" else arg for arg in args]
    err = one_error_line(runner.invoke(app, ["export", "contacts", "--to", "csv", *args]))
    assert err.endswith(expected)
    assert Path("folder").is_dir() if "LINK" in args else True


@pytest.mark.parametrize(("args", "expected"), [
    (["--mbox", "releases"], "error: releases: is a folder, not a file; give a file name\n"),
    (["--mbox", "FULL"], "error: full: cannot write: no space left on the device\n"),
    (["--mbox", "a\0b"], "error: a\\0b: the output's name holds a NUL byte\n"),
])
def test_a_bad_mbox_is_one_line(workspace: Path, runner, args: list[str], expected: str) -> None:
    args = [_device("full", 7) if arg == "FULL" else arg for arg in args]
    result = runner.invoke(app, ["render", RELEASE, "-f", "eml", "--audience", "press-eu", *args])
    assert one_error_line(result) == expected


@pytest.mark.parametrize(("output", "expected"), [
    ("exports/", "the output 'exports/' ends in /, which names a folder"),
    ("exports/a\\u0000b.csv", "holds a NUL byte"),
    ("x" * 300, "has a name 300 bytes long; file systems take at most 255"),
])
def test_a_bad_job_output_is_a_configuration_error(workspace: Path, runner, output: str, expected: str) -> None:
    _add_job(output)
    err = one_error_line(runner.invoke(app, ["export", "--all"]), 2)
    assert expected in err
    assert not Path("exports").exists()


@pytest.mark.parametrize("kind", ["a folder", "a symbolic link"])
def test_a_lock_file_that_is_not_a_file(workspace: Path, runner, kind: str) -> None:
    if kind == "a folder":
        Path(".pressctl-export.lock").mkdir()
    else:
        os.symlink("contacts.yaml", ".pressctl-export.lock")
    before = Path("contacts.yaml").read_bytes()
    err = one_error_line(runner.invoke(app, ["export", "--all"]), 2)
    assert err == (f"error: .pressctl-export.lock: the lock file is {kind}; remove it (pressctl creates the "
                   "lock file itself)\n")
    assert Path("contacts.yaml").read_bytes() == before and not Path("exports").exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_lock_timeout_that_is_no_duration(workspace: Path, runner, value: str) -> None:
    err = one_error_line(runner.invoke(app, ["export", "--all", "--lock-timeout", value]), 2)
    assert err.startswith("error: --lock-timeout must be a number of seconds, 0 or more, not ")
    assert not Path("exports").exists()


def _pressctl(*args: str, cwd: Path, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "pressctl", *args], cwd=cwd, env=env, stdout=stdout,
                          stderr=subprocess.PIPE, check=False)


@pytest.mark.parametrize("command", [["render", RELEASE], ["export", "contacts", "--to", "vcard"],
                                     ["contacts", "check", "--format", "json"]])
def test_standard_output_closed_by_its_reader(workspace: Path, command: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # like `| head -c0` that has already exited
    try:
        done = _pressctl(*command, cwd=workspace, stdout=write)
    finally:
        os.close(write)
    assert done.returncode in (1, 2)
    assert done.stderr.decode() == "error: <stdout>: cannot write: the reader closed the pipe\n"


def test_head_c0_in_a_shell_pipeline(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(f"'{sys.executable}' -m pressctl render {RELEASE} | head -c0; exit ${{PIPESTATUS[0]}}",
                          shell=True, executable="/bin/bash", cwd=workspace, env=env, capture_output=True,
                          check=False)
    assert (done.returncode, done.stderr.decode()) in (
        (1, "error: <stdout>: cannot write: the reader closed the pipe\n"),
        (0, ""),  # head exited only after the whole release was in the pipe's buffer
    )


# The file system refuses: permissions, read-only, full -------------------------------------------

def _unprivileged() -> list[str]:
    """A prefix that runs a command as a user the file permissions apply to (root ignores them)."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("root ignores permissions, and setpriv is not installed to drop them")
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import pressctl.cli"], capture_output=True,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    if probe.returncode != 0:
        pytest.skip("the unprivileged user cannot run this checkout's Python")
    return prefix


@contextlib.contextmanager
def _world_readable_workspace() -> Iterator[Path]:
    """A copy of the example workspace that another user can read (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="pressctl-outputs-"))
    try:
        for name in ("contacts.yaml", "pressctl.toml"):
            shutil.copy(REPO / name, folder / name)
        shutil.copytree(REPO / "releases", folder / "releases")
        for path in (folder, *folder.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_an_unwritable_folder(tmp_path: Path) -> None:
    prefix = _unprivileged()
    with _world_readable_workspace() as folder:
        (folder / "locked").mkdir(mode=0o555)
        (folder / "locked").chmod(0o555)
        command = [*prefix, sys.executable, "-m", "pressctl", "export", "contacts", "--to", "csv", "-o",
                   "locked/out.csv"]
        done = subprocess.run(command, cwd=folder, env={**os.environ, "PYTHONPATH": str(REPO)},
                              capture_output=True, check=False)
        assert (done.returncode, done.stderr.decode()) == (
            2, "error: locked: cannot write in this folder: permission denied\n")
        assert list((folder / "locked").iterdir()) == []


def _in_a_small_file_system(script: str, cwd: Path, options: str) -> subprocess.CompletedProcess[str]:
    """Run `script` (sh) with ./mnt a fresh tmpfs mounted with `options`, in a user and mount namespace
    of its own (no privileges needed where the kernel allows unprivileged namespaces)."""
    if not shutil.which("unshare"):
        pytest.skip("unshare is not installed")
    (cwd / "mnt").mkdir()
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs mnt"], cwd=cwd,
                           capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a namespace here: {probe.stderr.decode().strip()}")
    env = {**os.environ, "PYTHONPATH": str(REPO), "PY": sys.executable}
    return subprocess.run(["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o {options} tmpfs mnt && {script}"],
                          cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_a_read_only_file_system(workspace: Path) -> None:
    done = _in_a_small_file_system('"$PY" -m pressctl export contacts --to csv -o mnt/out.csv', workspace,
                                   "ro,size=64k")
    assert (done.returncode, done.stderr) == (2, "error: mnt: cannot write in this folder: the file system is "
                                                 "read-only\n")


def test_a_full_disk_leaves_the_old_file_and_no_temporary_one(workspace: Path) -> None:
    from bench.export import generate_book

    Path("big.yaml").write_text(generate_book(400), encoding="utf-8")
    script = ('printf "old export" > mnt/out.vcf && '
              '"$PY" -m pressctl export contacts --to vcard --contacts big.yaml -o mnt/out.vcf; '
              'echo "rc=$?"; cat mnt/out.vcf; echo; ls -A mnt')
    done = _in_a_small_file_system(script, workspace, "size=64k")
    assert done.stderr == "error: mnt/out.vcf: cannot write: no space left on the device; the old file is unchanged\n"
    assert done.stdout == "rc=1\nold export\nout.vcf\n"


# What killed runs leave behind ------------------------------------------------------------------

def test_the_next_write_removes_only_its_own_stale_temporary_files(workspace: Path, runner) -> None:
    stale = [".out.csv.abcd_123.tmp", ".out.csv.zz99zz99.tmp"]
    kept = [".out.csv.short.tmp", ".out.csv.abcd1234.tmp.bak", ".other.csv.abcd1234.tmp", "out.csv.abcd1234.tmp",
            ".out.csv.ABCD1234.tmp"]
    for name in stale + kept:
        Path(name).write_text("personal data from a killed run")
    live = Path(".out.csv.live1234.tmp")
    live.write_text("being written by another run")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        assert runner.invoke(app, ["export", "contacts", "--to", "csv", "-o", "out.csv"]).exit_code == 0
    left = sorted(p.name for p in workspace.iterdir() if "out.csv" in p.name or "other" in p.name)
    assert left == sorted([*kept, live.name, "out.csv"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="/"), min_size=0,
                    max_size=300))
def test_any_file_name_is_written_or_refused_cleanly(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "names"
    folder.mkdir(exist_ok=True)
    target = folder / name if name else ""
    try:
        write_atomic(target, b"data")
    except PressctlError as err:
        assert str(err)
        return
    written = Path(os.path.realpath(target))
    assert written.read_bytes() == b"data" or not written.is_file()
    if written.is_file() and written.parent == folder:
        written.unlink()


# export --all: one failed write, and the manifest --------------------------------------------------

def test_one_jobs_failed_write_does_not_stop_the_others_nor_lose_the_manifest(workspace: Path, runner) -> None:
    import json

    _add_job(str(workspace / _device("full", 7)), name="full")
    result = runner.invoke(app, ["export", "--all"])
    assert result.exit_code == 1
    assert result.stderr == f"error: job 'full' failed: {workspace}/full: cannot write: no space left on the device\n"
    folder = Path("exports") / date.today().isoformat()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [record["file"] for record in manifest["files"]] == [
        "campaign-listmonk.json", "mailchimp-press-eu.csv", "press-contacts.vcf"]


def test_a_failed_manifest_write_fails_the_jobs_of_that_folder_only(workspace: Path, runner) -> None:
    folder = Path("exports") / date.today().isoformat()
    folder.mkdir(parents=True)
    (folder / "manifest.json").mkdir()  # the manifest cannot be written there
    _add_job("other/all.csv", name="elsewhere")
    result = runner.invoke(app, ["export", "--all"])
    assert result.exit_code == 2
    assert result.stderr.count("error: job ") == 3 and "manifest.json: is a folder, not a file" in result.stderr
    assert Path("other/manifest.json").is_file() and Path("other/all.csv").is_file()
    assert not (folder / "press-contacts.vcf").exists()  # nothing in that folder went out unrecorded


def test_dev_stdout_is_written_into_by_its_name(workspace: Path) -> None:
    """/dev/stdout leads to a pipe with no other name: it is opened as given, not resolved."""
    done = _pressctl("export", "contacts", "--to", "csv", "-o", "/dev/stdout", cwd=workspace)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\xef\xbb\xbfid,")


def test_standard_output_closed_from_the_start(workspace: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(f"'{sys.executable}' -m pressctl render {RELEASE} >&-", shell=True, cwd=workspace,
                          env=env, capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (1, "error: <stdout>: cannot write: standard output is closed\n")


def test_a_device_may_be_both_input_and_output(workspace: Path, runner) -> None:
    null = _device("null", 3)
    result = runner.invoke(app, ["render", RELEASE, "--config", null, "-o", null])
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.stat(null).st_mode)


def test_a_manifest_that_links_to_an_input_is_not_written_through(workspace: Path, runner) -> None:
    folder = Path("exports") / date.today().isoformat()
    folder.mkdir(parents=True)
    os.symlink("../../contacts.yaml", folder / "manifest.json")
    before = Path("contacts.yaml").read_bytes()
    result = runner.invoke(app, ["export", "--job", "vcards"])
    assert result.exit_code == 2
    assert "manifest.json: is also an input of this command (contacts.yaml)" in result.stderr
    assert Path("contacts.yaml").read_bytes() == before
    assert not (folder / "press-contacts.vcf").exists()


def _last_job_line() -> int:
    """The line of the `output` key of the last job in the workspace's pressctl.toml (the job a test added)."""
    lines = Path("pressctl.toml").read_text(encoding="utf-8").splitlines()
    return max(number for number, line in enumerate(lines, start=1) if line.startswith("output = "))
