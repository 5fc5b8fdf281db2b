"""The `[smtp]` table of pressctl.toml: checked key by key, each mistake reported at its line."""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.config import Config
from pressctl.errors import UsageError
from pressctl.suggest import did_you_mean

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
KEYS = ("host", "port", "security", "username", "password_env", "password_command", "rate", "daily_limit",
        "ca_file", "timeout", "retries", "retry_wait", "connections")
MAX_CONNECTIONS = 10  # more than a mail server takes kindly from one sender
# Keys that would hold the secret itself; the file lives in git, so none of them is accepted.
SECRET_KEYS = ("password", "pass", "passwd", "secret", "token")
_RATE = re.compile(r"\s*(\d+)\s*/\s*(second|minute|hour)\s*")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_HEADER = re.compile(r"\s*\[\s*smtp\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"\s*\[")
_KEY = re.compile(r"""\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=""")
SAMPLE = """[smtp]
host = "smtp.example.org"
port = 587
security = "starttls"
username = "press@example.org"
password_env = "PRESSCTL_SMTP_PASSWORD\""""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # starttls | tls | none
    username: str = ""
    password_env: str = ""
    password_command: str = ""
    per_second: float | None = None  # messages per second at most (from `rate`)
    daily_limit: int | None = None
    ca_file: str = ""  # certificates to trust instead of the system's (a private CA; the tests use one)
    timeout: float = 60.0  # seconds to wait for the server at any step
    retries: int = 3  # extra rounds for messages deferred by a 4xx or a dropped connection
    retry_wait: float = 30.0  # seconds before the first retry round; doubled for each further round
    connections: int = 1  # SMTP connections used at once, each one transaction at a time
    path: str = "pressctl.toml"
    line: int | None = None  # of `[smtp]`, for messages about the table as a whole

    @property
    def server(self) -> str:
        """`smtp.example.org:587 (STARTTLS) as press@example.org`, as the plan shows it."""
        how = {"starttls": "STARTTLS", "tls": "TLS", "none": "no encryption"}[self.security]
        who = f" as {self.username}" if self.username else ""
        return f"{self.host}:{self.port} ({how}){who}"


def smtp_settings(config: Config) -> SmtpSettings:
    """The checked `[smtp]` settings; a UsageError (exit 2) at the line of the first mistake."""
    path = config.path or "pressctl.toml"
    table = config.raw.get("smtp")
    if table is None:
        raise UsageError("no [smtp] settings: pressctl send needs to know the mail server", path=path,
                         hint="add, for example:\n" + SAMPLE)
    lines = _key_lines(Path(path)) if config.path else {}
    header = lines.get("")
    if not isinstance(table, dict):
        raise UsageError("`smtp` must be a table ([smtp])", path=path, line=header)

    def fail(key: str, message: str, hint: str | None = None) -> UsageError:
        return UsageError(message, path=path, line=lines.get(key, header), hint=hint)

    for key in table:
        if key.lower() in SECRET_KEYS:
            raise fail(key, f"`smtp.{key}`: a password must not be written in pressctl.toml, which lives in git",
                       hint='name an environment variable that holds it (password_env = "PRESSCTL_SMTP_PASSWORD") '
                            'or a command that prints it (password_command = "pass show smtp/press")')
        if key not in KEYS:
            raise fail(key, f"unknown key `smtp.{key}`",
                       hint=did_you_mean(key, KEYS, prefix="smtp.") or f"known keys: {', '.join(KEYS)}")

    def text(key: str, default: str = "") -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or "\n" in value or "\r" in value:
            raise fail(key, f"`smtp.{key}` must be text on one line")
        return value.strip()

    def whole(key: str, default: int | None, low: int) -> int | None:
        value = table.get(key, default)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
            raise fail(key, f"`smtp.{key}` must be a whole number of at least {low}")
        return value

    def seconds(key: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail(key, f"`smtp.{key}` must be a number of seconds")
        return float(value)

    host = text("host")
    if not host:
        raise fail("host", "`smtp.host` is missing: the name of the mail server", hint='host = "smtp.example.org"')
    security = text("security", "starttls").lower()
    if security not in SECURITY:
        raise fail("security", f"`smtp.security` is {security!r}; it must be one of {', '.join(SECURITY)}",
                   hint=did_you_mean(security, SECURITY))
    if security == "none" and not is_loopback(host):
        raise fail("security", f"`smtp.security = \"none\"` would send the password and every message to {host} "
                               "in plain text; it is allowed only to a server on this machine (localhost)",
                   hint='use security = "starttls" (port 587) or "tls" (port 465)')
    port = whole("port", DEFAULT_PORTS[security], 1)
    assert port is not None
    if port > 65535:
        raise fail("port", "`smtp.port` must be a port number (1 to 65535)")
    password_env, password_command = text("password_env"), text("password_command")
    if password_env and password_command:
        raise fail("password_command", "give either `smtp.password_env` or `smtp.password_command`, not both")
    username = text("username")
    if (password_env or password_command) and not username:
        raise fail("username", "`smtp.username` is missing: a password is configured, but for whom?")
    if username and not (password_env or password_command):
        raise fail("username", "`smtp.username` is set but no password: add `password_env` or `password_command`")
    rate = table.get("rate")
    per_second = None
    if rate is not None:
        match = _RATE.fullmatch(rate) if isinstance(rate, str) else None
        if not match or int(match.group(1)) < 1:
            raise fail("rate", f"`smtp.rate` is {rate!r}; write it as a number per second, minute or hour",
                       hint='rate = "30/minute" or rate = "2/second"')
        per_second = int(match.group(1)) / _SECONDS[match.group(2)]
    ca_file = text("ca_file")
    if ca_file:
        ca_path = Path(ca_file) if Path(ca_file).is_absolute() else Path(path).parent / ca_file
        if not ca_path.is_file():
            raise fail("ca_file", f"`smtp.ca_file`: no such file {ca_file!r}")
        ca_file = str(ca_path)
    timeout = seconds("timeout", 60.0)
    if timeout <= 0:
        raise fail("timeout", "`smtp.timeout` must be more than 0 seconds")
    connections = whole("connections", 1, 1) or 1
    if connections > MAX_CONNECTIONS:
        raise fail("connections", f"`smtp.connections` is {connections}; at most {MAX_CONNECTIONS} connections are "
                                  "opened to one server", hint="most servers take 2 to 5 at once from one sender")
    return SmtpSettings(host, port, security, username, password_env, password_command, per_second,
                        whole("daily_limit", None, 1), ca_file, timeout, whole("retries", 3, 0) or 0,
                        seconds("retry_wait", 30.0), connections, path, header)


def password(settings: SmtpSettings) -> str | None:
    """The password from the environment or a command; None when the server needs none."""
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if not value:
            raise UsageError(f"the environment variable {settings.password_env} (`smtp.password_env`) is not set",
                             path=settings.path, hint=f"export {settings.password_env}=… before pressctl send")
        return value
    if settings.password_command:
        try:
            args = shlex.split(settings.password_command)
            done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, ValueError, subprocess.TimeoutExpired) as err:
            raise UsageError(f"`smtp.password_command` could not run: {err}", path=settings.path) from None
        value = done.stdout.rstrip("\r\n")
        if done.returncode != 0 or not value:
            why = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "printed nothing"
            status = f"exited with {done.returncode}" if done.returncode else "printed no password"
            raise UsageError(f"`smtp.password_command` {status}: {why}", path=settings.path)
        # `pass` and similar print the secret on the first line; anything after it is notes.
        return value.splitlines()[0]
    return None


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _key_lines(path: Path) -> dict[str, int]:
    """The line of `[smtp]` (under "") and of each key written in it. tomllib gives no positions, and
    a mistake in a settings file is found fastest at its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADER.match(line):
            inside = True
            found[""] = number
        elif _ANY_HEADER.match(line):
            inside = False
        elif inside and (match := _KEY.match(line)):
            found.setdefault(next(group for group in match.groups() if group), number)
    return found


def describe_rate(settings: SmtpSettings) -> str:
    parts: list[Any] = []
    if settings.per_second:
        per_minute = settings.per_second * 60
        parts.append(f"{per_minute:g}/minute" if per_minute < 60 else f"{settings.per_second:g}/second")
    if settings.daily_limit:
        parts.append(f"at most {settings.daily_limit} a day")
    if settings.connections > 1:
        parts.append(f"{settings.connections} connections at once")
    return ", ".join(parts)
