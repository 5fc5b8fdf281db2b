"""`pressctl init`: a new workspace that renders at once."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

from pressctl.atomic import write_atomic
from pressctl.errors import UsageError

CONTACTS = """\
# The contact book: your spokespeople, and the journalists you write to.
# Check it after every edit with `pressctl contacts check`.
version: 1
defaults:
  region: NL          # reads national-form numbers such as "020 555 0100"
  phone_format: international

contacts:
  - id: press-office
    name: Press Office
    organisation: Example Organisation
    email: press@example.org
    phone: "+31 20 555 0100"
    languages: [en]

  - id: alex-de-boer
    name: Alex de Boer
    role: Spokesperson
    organisation: Example Organisation
    email: alex.deboer@example.org
    phones:
      - {number: "+31 6 12345678", type: mobile}
    languages: [en, nl]

  - id: sam-editor
    name: Sam Editor
    role: News editor
    organisation: Example Daily
    email: news@example.net
    languages: [en]
    lists: [press]
    consent: {basis: consent, source: "asked to join the press list", date: 2024-01-15}
"""

CONFIG = """\
# pressctl settings; every key is optional.

[organisation]
name = "Example Organisation"
website = "https://example.org"
# The "About …" section at the end of every release (Markdown), unless a
# release sets its own `about`.
about = \"\"\"
**Example Organisation** does good work. Replace this paragraph with the
two or three sentences that journalists should know about you.
\"\"\"

[sender]
# The From: of every e-mail (`pressctl render --format eml`).
name = "Example Organisation Press Office"
email = "press@example.org"

[email]
# Added to merged e-mails as List-Unsubscribe; {id} is the contact's id.
list_unsubscribe = "https://example.org/press/unsubscribe?contact={id}"
# A mailto: address as well, for mail programs that offer only that:
# list_unsubscribe_mailto = "mailto:press@example.org?subject=unsubscribe%20{id}"

# The mail server `pressctl send` delivers through (see docs/send.md). Never
# write the password here: this file belongs in git.
# [smtp]
# host = "smtp.example.org"
# port = 587
# security = "starttls"
# username = "press@example.org"
# password_env = "PRESSCTL_SMTP_PASSWORD"
# rate = "30/minute"
"""

# What pressctl makes and git should not keep: the send journal, export outputs and merge outboxes.
GITIGNORE = (".pressctl/", "exports/", "outbox/")
GITIGNORE_HEADER = "# Made by pressctl: the send journal (.pressctl/), export outputs and merge outboxes"

RELEASE = """\
---
headline: Example Organisation opens its first press office
subheadline: One line that tells the story in more detail than the headline
dateline: Amsterdam
date: {today}
language: en
quotes:
  - by: alex-de-boer
    text: >-
      A quote from a real person says what the numbers cannot. Keep it to two
      or three sentences.
media_contacts: [alex-de-boer, press-office]
notes:
  - "Photographs are free to use with the credit *Example Organisation*."
audience: [press]
---
The first paragraph answers who, what, when and where. The dateline is
added in front of it.

A quote goes where you place it with a paragraph of its own:

[[quote: alex-de-boer]]

Further paragraphs give the background. Markdown works: **bold**, *italic*,
[links](https://example.org) and lists.
"""

TEMPLATES_README = """\
# Templates

pressctl renders releases with Jinja2 templates. The built-in set is used
unless a file here has the same name:

- `release.txt`  — the plain-text release (and the text part of e-mails)
- `release.html` — the standalone HTML page
- `email.html`   — the HTML part of e-mails (extends `release.html`)

To change one part, extend the built-in template and override one block,
for example `templates/release.html`:

    {% extends "builtin/release.html" %}
    {% block about %}<p>Our own boilerplate.</p>{% endblock %}

Blocks: status, headline, statement, quote, ends, notes, about (and style,
before, after in HTML; greeting and footer in text). Every variable is
listed in pressctl's docs/templates.md.
"""


def create_workspace(folder: Path, today: date) -> list[Path]:
    """Write the starter files into `folder`; refuses to overwrite anything."""
    slug = f"{today.isoformat()}-first-release.md"
    files = {
        Path("contacts.yaml"): CONTACTS,
        Path("pressctl.toml"): CONFIG,
        Path("releases") / slug: RELEASE.format(today=today.isoformat()),
        Path("templates") / "README.md": TEMPLATES_README,
    }
    for name in files:
        # `templates` as a file would stop mkdir half-way through: find it before anything is written.
        in_the_way = next((p for p in reversed((folder / name).parents) if p.exists() and not p.is_dir()), None)
        if in_the_way is not None:
            raise UsageError("is a file where pressctl init makes a folder; move it aside or start the workspace "
                             "in another folder", path=str(in_the_way))
    existing = [str(folder / name) for name in files if (folder / name).exists() or (folder / name).is_symlink()]
    if existing:
        raise UsageError(f"would overwrite {', '.join(existing)}; pressctl init only starts new workspaces")
    created: list[Path] = []  # folders and files, in the order made, to take back on failure
    try:
        for name in files:
            for parent in reversed((folder / name).parents):
                if not parent.exists():
                    parent.mkdir()
                    created.append(parent)
        for name, text in files.items():
            write_atomic(folder / name, text)
            created.append(folder / name)
    except OSError as err:
        for path in reversed(created):
            with contextlib.suppress(OSError):
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
        raise UsageError(f"cannot create the workspace: {err.strerror or err}", path=err.filename or folder) from None
    written = [folder / name for name in files]
    if update_gitignore(folder / ".gitignore"):
        written.append(folder / ".gitignore")
    return written


def update_gitignore(path: Path) -> bool:
    """Add pressctl's lines to `path`: a new file, or the missing lines appended to one that exists
    (every line already there is kept). True when the file was written."""
    try:
        old = path.read_text(encoding="utf-8") if path.exists() else None
    except (OSError, UnicodeDecodeError):
        return False  # not ours to repair; leave it as it is
    present = {line.strip().rstrip("/") for line in (old or "").splitlines()}
    missing = [line for line in GITIGNORE if line.rstrip("/") not in present and "/" + line.rstrip("/") not in present]
    if not missing:
        return False
    text = old or ""
    if text and not text.endswith("\n"):
        text += "\n"
    text += ("\n" if text else "") + GITIGNORE_HEADER + "\n" + "\n".join(missing) + "\n"
    try:
        write_atomic(path, text)
    except (OSError, UsageError):
        return False
    return True
