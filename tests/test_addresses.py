"""The one address function: validated, normalised, IDNA 2008, keyed in any letter case."""

import pytest

from pressctl.contacts.addresses import mail_address, require_address
from pressctl.errors import InputError


def test_a_valid_address_is_normalised_with_its_a_label():
    address = mail_address("Jürgen@Bücher.DE")
    assert address is not None
    assert address.normalised == "Jürgen@bücher.de"
    assert address.ascii_domain == "xn--bcher-kva.de"
    assert address.needs_smtputf8 and address.ascii is None


def test_idna_2008_keeps_sharp_s_a_different_domain():
    address = mail_address("press@straße.de")
    assert address is not None and address.ascii == "press@xn--strae-oqa.de"
    assert address.key == "press@straße.de" != mail_address("press@strasse.de").key  # type: ignore[union-attr]


def test_letter_case_does_not_make_another_address():
    assert mail_address("A.Reporter@Example.ORG").key == mail_address("a.reporter@example.org").key  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["a@x.org>, <evil@y.org", "a@x.org\r\nBcc: evil@y.org", " a@x.org", "no-at-sign", ""])
def test_what_check_refuses_is_no_address(text):
    assert mail_address(text) is None


def test_require_address_names_the_setting():
    with pytest.raises(InputError, match=r"\[sender\] email: 'nope' is not a valid e-mail address"):
        require_address("nope", where="[sender] email")
