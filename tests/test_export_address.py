"""The address every export writes comes from mail_address(): validated and normalised, never the raw text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pressctl.contacts.load import open_book
from pressctl.errors import InputError
from pressctl.export.fields import email_cell


def test_the_email_cell_is_the_validated_normalised_address(workspace: Path) -> None:
    book_path = workspace / "contacts.yaml"
    book_path.write_text(book_path.read_text(encoding="utf-8")
                         .replace("j.hoffmann@häfen.example", "J.Hoffmann@HÄFEN.example")
                         .replace("mreid@example.com", "a@x.org>, <evil@y.org"), encoding="utf-8")
    contacts = open_book(book_path).by_id()
    assert email_cell(contacts["juergen-hoffmann"]) == "J.Hoffmann@häfen.example"
    assert email_cell(contacts["femke-jansen"]) == "femke.jansen@example.net"
    with pytest.raises(InputError, match=re.escape("contact 'marcus-reid': 'a@x.org>, <evil@y.org' is not a valid")):
        email_cell(contacts["marcus-reid"], book_file="contacts.yaml")
