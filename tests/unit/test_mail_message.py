"""Building campaign emails: headers, escaping, malformed input refused before any SMTP."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tasks.adapters.mail import build_email
from tasks.core.errors import AddressRefusedError, PermanentMailError

URL = "https://retain.example.com/unsubscribe/abc.def"


def build(**overrides):
    fields = dict(
        subject="Ein Angebot für Sie",
        text="Grüße,\n\nIhr Angebot <script>alert(1)</script> wartet.",
        sender="RetainAI <offers@retain.example.com>",
        to="kunde@example.de",
        unsubscribe_url=URL,
        message_id="<retainai.email.0123@retain.example.com>",
    )
    return build_email(**{**fields, **overrides})


def test_non_ascii_text_survives_and_html_is_escaped():
    raw = build().as_bytes()
    assert raw.isascii()  # quoted-printable and encoded words: no 8BITMIME needed
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Ein Angebot für Sie"
    assert "Grüße," in parsed.get_body(("plain",)).get_content()
    page = parsed.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in page and "<script>" not in page
    assert parsed["Message-ID"] == "<retainai.email.0123@retain.example.com>"
    assert parsed["List-Unsubscribe"] == f"<{URL}>"


@pytest.mark.parametrize(
    "to",
    ["", "no-at-sign", "a@b", "two@@example.com", "a b@example.com", "x@example.com\r\nBcc: y"],
)
def test_malformed_addresses_are_refused_for_good(to):
    with pytest.raises(AddressRefusedError) as raised:
        build(to=to)
    assert isinstance(raised.value, PermanentMailError)


def test_header_injection_and_empty_text_are_refused():
    with pytest.raises(ValueError):
        build(subject="Hi\r\nBcc: everyone@example.com")
    with pytest.raises(ValueError):
        build(text="  ")
