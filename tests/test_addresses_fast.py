"""mail_address() validates each domain once; its answer must be email-validator's for every address."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.contacts.addresses import MailAddress, mail_address

ATEXT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_!#$%&'*+-/=?^`{|}~"
DOMAINS = ["example.org", "Example.NET", "häfen.example", "XN--HFEN-LOA.example", "bücher.de", "straße.de",
           "localhost", "a..b", "-x.org", "x_y.org", "例え.jp", "x.org>, <evil@y.org", "", "1.2.3.4", "[1.2.3.4]",
           "example.invalid", "a" * 64 + ".org", ("a" * 60 + ".") * 4 + "org"]


def reference(text: str) -> MailAddress | None:
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return MailAddress(checked.local_part, checked.domain, checked.ascii_domain)


locals_ = st.one_of(st.text(st.sampled_from(ATEXT + "."), min_size=0, max_size=70),
                    st.sampled_from(["Postmaster", "ABUSE", "a b", '"quoted"', "jürgen", "a@b"]))


@settings(max_examples=200, deadline=None)
@given(local=locals_, domain=st.sampled_from(DOMAINS) | st.text(max_size=12))
def test_mail_address_agrees_with_email_validator(local: str, domain: str) -> None:
    text = f"{local}@{domain}"
    assert mail_address(text) == reference(text)
