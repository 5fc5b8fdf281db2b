"""`pressctl site --serve`: the site on 127.0.0.1 for a preview, rebuilt when its inputs change (polled)."""

from __future__ import annotations

import errno
import functools
import threading
import time
from collections.abc import Callable
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pressctl.errors import PressctlError, UsageError
from pressctl.site.build import BuildResult, SiteInputs, build_site

HOST = "127.0.0.1"  # a preview: never reachable from another machine
POLL_SECONDS = 0.5
# Without --now an embargo may lift while the preview runs: look again at least this often.
CLOCK_SECONDS = 60


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the core never prints; a preview's request log is noise


def serve(inputs: SiteInputs, output: Path, *, base_url: str | None, now: datetime | None, port: int = 0,
          on_ready: Callable[[str], None], on_build: Callable[[BuildResult], None],
          on_error: Callable[[PressctlError], None]) -> None:
    """Build, serve `output` on 127.0.0.1:`port` (0: an unused one), and rebuild on every change until
    Ctrl-C. A build that fails after the first is reported and the last good site stays up."""
    server = _bind(port)
    url = f"http://{HOST}:{server.server_address[1]}/"
    worker: threading.Thread | None = None
    try:
        preview_base = base_url if base_url is not None or _has_base_url(inputs) else url
        seen = _fingerprint(inputs, now)
        on_build(build_site(inputs, output, base_url=preview_base, now=now))
        server.RequestHandlerClass = functools.partial(_Quiet, directory=str(output))
        worker = threading.Thread(target=server.serve_forever, name="pressctl-site-serve", daemon=True)
        worker.start()
        on_ready(url)
        while True:
            time.sleep(POLL_SECONDS)
            current = _fingerprint(inputs, now)
            if current == seen:
                continue
            seen = current
            try:
                on_build(build_site(inputs, output, base_url=preview_base, now=now))
            except PressctlError as err:
                on_error(err)
    except KeyboardInterrupt:
        pass  # Ctrl-C: the way a preview ends
    finally:
        if worker is not None:
            server.shutdown()
        server.server_close()


def _bind(port: int) -> ThreadingHTTPServer:
    try:
        return ThreadingHTTPServer((HOST, port), _Quiet)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {HOST} is already in use",
                             hint="give another with --port, or leave --port out for an unused one") from None
        raise UsageError(f"cannot listen on {HOST}:{port}: {err.strerror or err}",
                         hint="leave --port out for an unused one") from None


def _has_base_url(inputs: SiteInputs) -> bool:
    from pressctl.config import load_config

    return bool(load_config(inputs.config).raw.get("site", {}).get("base_url"))


def _fingerprint(inputs: SiteInputs, now: datetime | None) -> tuple[Any, ...]:
    """What a rebuild depends on: every release, template, the book and the settings (name, size, mtime)."""
    from pressctl.config import DEFAULT_CONFIG
    from pressctl.render.environment import WORKSPACE_TEMPLATES

    files = [inputs.contacts, inputs.config or DEFAULT_CONFIG]
    for folder in (inputs.releases, inputs.templates or WORKSPACE_TEMPLATES):
        if folder.is_dir():
            files += sorted(folder.rglob("*"))
    stamps: list[tuple[str, int | None, int | None]] = []
    for path in files:
        try:
            status = path.stat()
            stamps.append((str(path), status.st_size, status.st_mtime_ns))
        except OSError:
            stamps.append((str(path), None, None))
    clock = int(time.time() // CLOCK_SECONDS) if now is None else 0
    return (clock, *stamps)
