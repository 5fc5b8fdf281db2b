"""pressctl.toml: the mailing tools' list-id tables are part of the settings, and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def _config(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "pressctl.toml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = _config(tmp_path, b"\xef\xbb\xbf[sender]\nname = \"Presse\"\nemail = \"presse@example.org\"\n")
    assert load_config(path).sender.name == "Presse"


@pytest.mark.parametrize(("key", "value", "what"), [
    ("list_unsubscribe_mailto", r"mailto:press@example.org\u0000?subject=x", "a NUL byte"),
    ("list_unsubscribe_mailto", r"mailto:press@example.org\r\nBcc: evil@example.net", "a carriage return"),
    ("list_unsubscribe", r"https://example.org/u?id={id}\nBcc: evil@example.net", "a line break"),
    ("list_unsubscribe", r"https://example.org/u\u0085", "the control character U+0085"),
    ("list_unsubscribe", r"https://example.org/u\u2028x", "the control character U+2028"),
])
def test_a_control_character_in_a_header_bound_value_is_refused_at_its_line(tmp_path: Path, key: str, value: str,
                                                                            what: str) -> None:
    path = _config(tmp_path, f'[sender]\nname = "Press"\n\n[email]\n# the unsubscribe links\n{key} = "{value}"\n')
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:6: `email.{key}` holds {what}; it must be one line of text")


@pytest.mark.parametrize("name", [r"Press\u0000Office", r"Press\nBcc: evil@example.net", "Press\\tOffice"])
def test_a_control_character_in_the_sender_name_is_refused(tmp_path: Path, name: str) -> None:
    path = _config(tmp_path, f'[organisation]\nname = "Harbour"\n[sender]\nname = "{name}"\n')
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:4: `sender.name` holds ")


def test_about_may_hold_line_breaks_but_no_nul(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, '[organisation]\nabout = """\nOne.\n\nTwo.\n"""\n')).organisation.about == \
        "One.\n\nTwo."
    with pytest.raises(UsageError) as caught:
        load_config(_config(tmp_path, '[organisation]\nabout = "One\\u0000"\n'))
    assert "`organisation.about` holds a NUL byte" in str(caught.value)


@pytest.mark.parametrize(("text", "line"), [("x = " + "[" * 5000 + "]" * 5000, 2),
                                           ("x = " + "{a = " * 3000 + "1" + "}" * 3000, 2),
                                           ("[export]\n" + "y = [" * 40 + "]" * 40, 3)])
def test_deeply_nested_toml_is_one_message_not_a_recursion_error(tmp_path: Path, runner, text: str,
                                                                 line: int) -> None:
    from pressctl.cli import app

    path = _config(tmp_path, "# settings\n" + text + "\n")
    result = runner.invoke(app, ["export", "--all", "--config", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}:{line}: arrays or tables nested more than 32 deep")


def test_brackets_in_strings_and_comments_are_not_nesting(tmp_path: Path) -> None:
    deep = "[" * 40
    path = _config(tmp_path, f'# {deep}\n[organisation]\nname = "{deep}"\nabout = \'\'\'{deep}\'\'\'\n')
    assert load_config(path).organisation.name == deep


@pytest.mark.parametrize(("text", "line"), [
    ('[sender]\nname = "A"\n\n[organisatoin]\nname = "B"\n', 4),
    ('[sender]\nname = "A"\nemial = "a@example.org"\n', 3),
    ('organisation.name = "A"\norganisation.webiste = "x"\n', 2),
    ('[listmonk.lists]\npress-eu = 3\nlabour-beat = true\n', 3),
    ('[organisation]\nabout = """\nname = 1\n"""\nname = 5\n', 5),  # a key-like line inside a string is skipped
])
def test_every_configuration_error_names_its_line(tmp_path: Path, text: str, line: int) -> None:
    path = _config(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert caught.value.line == line, str(caught.value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(blacklist_categories=["Cs"]), max_size=200))
def test_any_text_loads_or_is_refused_with_one_message(tmp_path: Path, text: str) -> None:
    path = _config(tmp_path, text)
    try:
        load_config(path)
    except UsageError as err:
        assert str(err).startswith(str(path))
