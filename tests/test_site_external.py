"""`pressctl site` through real components: the Nu Html Checker on every page, headless Chromium at two
widths, and `--serve` fetched over HTTP from 127.0.0.1 while a release changes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, find_executable, require_tool
from site_helpers import MAIN, NOW_TEXT, newsroom, write_release
from test_render import _png_colours, _vnu

from pressctl.cli import app

HOSTILE = {"headline": "<script>alert('h')</script> & \"more\"", "body": "<b onclick=x>bold</b> ]]> & <!-- x"}
SHOTS = Path(os.environ.get("PRESSCTL_SITE_SHOTS", "")) if os.environ.get("PRESSCTL_SITE_SHOTS") else None


def _build(workspace: Path, runner) -> Path:  # type: ignore[no-untyped-def]
    newsroom(workspace)
    write_release(workspace / "releases", "2024-06-30-hostile", headline=HOSTILE["headline"], date="2024-06-30",
                  body=HOSTILE["body"])
    result = runner.invoke(app, ["site", "--now", NOW_TEXT])
    assert result.exit_code == 0, result.output
    return workspace / "public"


@pytest.mark.external
@pytest.mark.slow
def test_every_page_is_valid_html5(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    jar = _vnu()
    site = _build(workspace, runner)
    pages = sorted(str(p) for p in site.glob("*.html"))
    assert len(pages) == 6
    run = subprocess.run(["java", "-jar", jar, "--format", "json", *pages], capture_output=True, text=True,
                         timeout=180)
    report = json.loads(run.stderr or run.stdout)
    problems = [(Path(m.get("url", "")).name, m["type"], m.get("message")) for m in report["messages"]
                if m["type"] == "error" or m.get("subType") == "warning"]
    assert problems == []


@pytest.mark.external
@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 390])
def test_chromium_shows_the_index_and_a_release(workspace: Path, runner, tmp_path: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    """Screenshots to look at: kept under PRESSCTL_SITE_SHOTS when it is set, else in the test's tmp folder."""
    chromium = require_tool(find_executable("chromium") or "/usr/bin/chromium", "Chromium (Debian package chromium)")
    site = _build(workspace, runner)
    folder = SHOTS or tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    for page in ("index.html", f"{MAIN}.html"):
        shot = folder / f"{Path(page).stem}-{width}.png"
        shot.unlink(missing_ok=True)
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
                        f"--window-size={width},1400", (site / page).as_uri()],
                       capture_output=True, timeout=90, check=False)
        assert shot.exists(), f"Chromium wrote no screenshot of {page}"
        assert _png_colours(shot.read_bytes()) > 10
        assert int.from_bytes(shot.read_bytes()[16:20], "big") == width  # the PNG is as wide as the window


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # only ever 127.0.0.1
        return response.status, response.read().decode("utf-8")


def _save(path: Path, text: str) -> None:
    """Save as most editors do: the whole text in a file outside the watched folders, renamed over the
    old one. `write_text` empties the file before it writes, and a poll that fell in between saw an empty
    release (an error line, then a second build) where the test reads one build."""
    saving = path.parent.parent / f".{path.name}.saving"
    saving.write_text(text, encoding="utf-8")
    os.replace(saving, path)


@pytest.mark.slow
def test_serve_rebuilds_while_a_release_changes(workspace: Path) -> None:
    newsroom(workspace)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-m", "pressctl", "site", "--serve", "--now", NOW_TEXT],
                               cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        built = process.stderr.readline()
        ready = process.stderr.readline()
        assert built == "Built public/: 4 releases in 4 languages; 1 under embargo left out.\n"
        assert ready.startswith("Serving public/ at http://127.0.0.1:") and ready.endswith(" (Ctrl-C stops).\n")
        url = ready.split(" at ", 1)[1].split(" ", 1)[0]
        status, index = _get(url)
        assert status == 200 and "Les dockers signent un accord" in index
        status, page = _get(url + "2024-06-27-accord-dockers.html")
        assert status == 200 and '<link rel="canonical" href="https://example.org/press/2024-06-27-accord' in page
        release = workspace / "releases" / "2024-06-27-accord-dockers.md"
        _save(release, release.read_text().replace("signent un accord", "signent un nouvel accord"))
        deadline = time.monotonic() + 30
        while "signent un nouvel accord" not in _get(url + "2024-06-27-accord-dockers.html")[1]:
            assert time.monotonic() < deadline, "the page was not rebuilt"
            time.sleep(0.2)
        assert "signent un nouvel accord" in _get(url)[1]
        assert process.stderr.readline() == "Built public/: 4 releases in 4 languages; 1 under embargo left out.\n"
        _save(release, release.read_text().replace("language: fr", "language: fr\nmedia_contacts: [nobody]"))
        assert process.stderr.readline().startswith("error: releases/2024-06-27-accord-dockers.md:6: media contact")
        assert process.stderr.readline() == "  (still serving the last good build)\n"
        assert "signent un nouvel accord" in _get(url)[1]
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=20)
    assert process.returncode == 0
    assert rest == ""
    with pytest.raises(OSError):
        _get(url)


def test_serve_on_a_port_in_use_says_so_once(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["site", "--serve", "--port", str(port), "--now", NOW_TEXT])
    assert (result.exit_code, result.stderr) == (
        2, f"error: port {port} on 127.0.0.1 is already in use\n"
           "  hint: give another with --port, or leave --port out for an unused one\n")
    assert not (workspace / "public").exists()


# The real build, paused after the first page it writes into the new folder until the test kills it:
# polling for that page and then killing raced the build, which could finish (or swap the folders in)
# between the two. Only Path.write_bytes is wrapped, in that process.
PAUSE_AFTER_A_PAGE = """\
import pathlib, sys, time
write_bytes = pathlib.Path.write_bytes
def write_and_pause(path, data):
    written = write_bytes(path, data)
    if path.suffix == ".html" and path.parent.name.endswith(".new"):
        print(path.name, flush=True)
        time.sleep(600)
    return written
pathlib.Path.write_bytes = write_and_pause
from pressctl.cli import main
sys.argv[0] = "pressctl"
main()
"""


@pytest.mark.slow
def test_a_build_killed_half_way_leaves_the_published_site_whole(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    from pressctl.site.publish import foreign_file

    example = (workspace / "releases" / f"{MAIN}.md").read_text(encoding="utf-8")
    for n in range(100):
        (workspace / "releases" / f"2024-06-{1 + n % 28:02d}-copy-{n:03d}.md").write_text(
            example.replace("date: 2024-06-26", f"date: 2024-06-{1 + n % 28:02d}").replace(
                'embargo: "2024-06-26T06:00:00+02:00"\n', ""), encoding="utf-8")
    assert runner.invoke(app, ["site", "--now", NOW_TEXT]).exit_code == 0
    site = workspace / "public"
    before = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob('*') if p.is_file()}
    for path in (workspace / "releases").glob("*-copy-*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("Dock workers", "Crane drivers"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen([sys.executable, "-c", PAUSE_AFTER_A_PAGE, "site", "--now", NOW_TEXT],
                               cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    try:
        page = process.stdout.readline()  # a page of the new site is written, and the build waits
    finally:
        process.kill()  # SIGKILL while the new site is being written beside the old one
        process.wait(timeout=20)
        process.stdout.close()
    assert page.endswith(".html\n"), "the build ended before it wrote a page beside the old site"
    assert process.returncode == -signal.SIGKILL
    assert foreign_file(site) is None
    assert {str(p.relative_to(site)): p.read_bytes() for p in site.rglob('*') if p.is_file()} == before
    assert list(workspace.glob(".public.*.new")), "the killed build left its half-written folder"
    result = runner.invoke(app, ["site", "--now", NOW_TEXT])
    assert result.exit_code == 0
    assert b"Crane drivers" in (site / "2024-06-01-copy-000.html").read_bytes()
    assert not list(workspace.glob(".public.*")), "the next build removes what the killed one left"


def test_every_link_works_when_the_site_is_served_under_a_sub_path(workspace: Path, runner) -> None:  # type: ignore[no-untyped-def]
    """A web server whose root is the workspace serves the site at /public/: every relative link resolves."""
    import functools
    import re
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urljoin

    site = _build(workspace, runner)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(workspace)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = f"http://127.0.0.1:{server.server_address[1]}/public/"
        checked = 0
        for page in sorted(p.name for p in site.glob("*.html")):
            status, html = _get(root + page)
            assert status == 200
            for href in re.findall(r'<(?:a|link) [^>]*href="([^"]+)"', html):
                if href.startswith(("https://", "http://", "mailto:", "tel:")):
                    continue
                assert _get(urljoin(root + page, href))[0] == 200, (page, href)
                checked += 1
        assert checked > 20
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_a_full_disk_stops_the_build_and_the_old_site_stays(workspace: Path, runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True,
                             check=False)
    if mounted.returncode != 0:
        require_tool(None, "a small tmpfs (mount as root) to fill")
    try:
        site = disk / "public"
        assert runner.invoke(app, ["site", "--now", NOW_TEXT, "-o", str(site)]).exit_code == 0
        before = {str(p.relative_to(site)): p.read_bytes() for p in site.rglob('*') if p.is_file()}
        write_release(workspace / "releases", "2024-06-30-long", headline="A long one", date="2024-06-30",
                      body="\n\n".join(["A paragraph that goes on and on. " * 40] * 60))
        result = runner.invoke(app, ["site", "--now", NOW_TEXT, "-o", str(site)])
        assert result.exit_code == 2
        assert result.stderr.startswith("error: ") and "cannot write the site: No space left on device" in result.stderr
        assert {str(p.relative_to(site)): p.read_bytes() for p in site.rglob('*') if p.is_file()} == before
        assert sorted(p.name for p in disk.iterdir()) == ["public"]  # the half-built copy is gone
    finally:
        subprocess.run(["umount", str(disk)], check=False)
