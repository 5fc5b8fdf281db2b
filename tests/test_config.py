"""pressctl.toml: the mailing tools' list-id tables are part of the settings, and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.config import load_config
from pressctl.errors import UsageError
from tests.conftest import REPO


def test_example_settings_have_list_ids_for_every_tool() -> None:
    config = load_config(REPO / "pressctl.toml")
    assert config.list_ids == {
        "listmonk": {"press-eu": 3, "labour-beat": 4},
        "brevo": {"press-eu": 7, "labour-beat": 8},
        "mailchimp": {"press-eu": "a1b2c3d4e5", "labour-beat": "a1b2c3d4e5"},
    }
    assert [job["name"] for job in config.exports] == ["mailchimp-eu", "vcards", "campaign-listmonk"]


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[listmonk.list]\npress-eu = 3\n", "unknown key `listmonk.list`"),
        ("[listmonk.lists]\npress-eu = true\n", "`listmonk.lists.press-eu` must be the list's id in listmonk"),
        ("[brevo]\nlists = 3\n", "`brevo.lists` must be a table of list names and ids"),
        ("listmonk = 3\n", "`listmonk` must be a table"),
        ('[brevo.lists]\npress-eu = { list_id = "x" }\n', "`brevo.lists.press-eu` must be the list's id in brevo"),
        ('[mailchimp.lists]\npress-eu = { list_id = "x", segment = 4 }\n',
         "unknown key `mailchimp.lists.press-eu.segment`"),
        ("[mailchimp.lists]\npress-eu = { saved_segment_id = 4 }\n",
         "`mailchimp.lists.press-eu.list_id` must be the audience id"),
        ('[mailchimp.lists]\npress-eu = { list_id = "x", saved_segment_id = "4" }\n',
         "`mailchimp.lists.press-eu.saved_segment_id` must be the saved segment's id"),
    ],
)
def test_bad_list_id_tables_are_usage_errors(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "pressctl.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


@pytest.mark.parametrize("address", ["not an address", "press@", "press@localhost", "a, b <c@example.org>"])
def test_a_sender_email_that_is_not_an_address_is_a_usage_error(tmp_path: Path, address: str) -> None:
    path = tmp_path / "pressctl.toml"
    path.write_text(f'[sender]\nname = "Press"\nemail = "{address}"\n', encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:3: `sender.email` is not an e-mail address ({address!r}): ")


def test_the_example_sender_email_is_accepted() -> None:
    assert load_config(REPO / "pressctl.toml").sender.email == "press@example.org"


def test_mailchimp_takes_an_audience_with_a_saved_segment(tmp_path: Path) -> None:
    path = tmp_path / "pressctl.toml"
    path.write_text('[mailchimp.lists]\npress-eu = "a1b2"\nlabour-beat = { list_id = "a1b2", saved_segment_id = 42 }\n',
                    encoding="utf-8")
    assert load_config(path).list_ids == {
        "mailchimp": {"press-eu": "a1b2", "labour-beat": {"list_id": "a1b2", "saved_segment_id": 42}}}
