"""A campaign email as the customer reads it: the sender's greeting by first name, the offer
by its name (never its catalogue key) with a button linking to its signed page, the sender's
footer and unsubscribe line, all in the message's language; nothing personal from the model."""

from __future__ import annotations

from email import message_from_bytes, policy
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from pydantic import ValidationError

from configs.campaigns import OfferSpec
from configs.schema import load_config
from configs.settings import Settings
from tasks.adapters.campaign_mail import campaign_email
from tasks.core.campaign_email import Letter
from tasks.core.errors import UnsubscribeTokenError
from tasks.core.unsubscribe import OFFER, read_token

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "configs" / "telco.yaml")
SECRET = "email-test-secret-0123456789abcdef"
SETTINGS = Settings(
    secret_key=SECRET,
    public_url="https://retain.example.com",
    mail_from="Example Telco <offers@example.com>",
)
OFFER_KEY = "loyalty-discount"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs)["href"]

    def handle_data(self, data):
        if self._href is not None:
            self.links.append((self._href, data))
            self._href = None


def letter(language: str = "en", first_name: str | None = "Ada") -> Letter:
    spec = CONFIG.campaigns.offers[OFFER_KEY]
    return Letter(
        language=language,
        unsubscribe_url="",
        first_name=first_name,
        offer_name=spec.name_in(OFFER_KEY, language),
        sender_name=CONFIG.campaigns.sender_name,
        postal_address=CONFIG.campaigns.postal_address,
    )


def email(language: str = "en", first_name: str | None = "Ada", cta: str | None = "Claim it"):
    msg = campaign_email(
        SETTINGS,
        campaign_id=12,
        customer_id="7590-VHVEG",
        to="ada@example.test",
        subject="Something extra for you",
        text="We set aside a <b>discount</b> for you.\n\nIt is yours.",
        call_to_action=cta,
        letter=letter(language, first_name),
        offer_link=CONFIG.campaigns.offers[OFFER_KEY].call_to_action_url,
    )
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    plain = parsed.get_body(("plain",)).get_content().replace("\r\n", "\n")
    page = parsed.get_body(("html",)).get_content()
    links = Links()
    links.feed(page)
    return plain, page, links.links


def test_the_email_greets_by_first_name_names_the_offer_and_has_the_footer():
    plain, page, _ = email()
    assert plain.startswith("Hello Ada,\n\nWe set aside a <b>discount</b> for you.")
    assert "Loyalty discount" in plain and "Loyalty discount" in page
    assert OFFER_KEY not in plain.split("https://")[0]  # the key shows only inside the link
    assert "Example Telco · 1 Example Street, Springfield" in plain
    assert "Example Telco · 1 Example Street, Springfield" in page
    assert "To stop receiving these emails, unsubscribe here: https://retain.example.com/" in plain
    assert "<b>" not in page and "&lt;b&gt;discount&lt;/b&gt;" in page  # the text is escaped
    assert "Hello," in email(first_name=None)[0]


def test_the_button_links_to_the_offer_page_with_a_verifiable_signature():
    plain, _, links = email()
    button = next(href for href, text in links if text == "Claim it")
    parts = urlsplit(button)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "offers.example.com",
        "/loyalty-discount",
    )
    token = parse_qs(parts.query)["t"][0]
    assert read_token(SECRET, token, purpose=OFFER) == (12, "7590-VHVEG")
    assert f"Claim it: {button}" in plain
    with pytest.raises(UnsubscribeTokenError):  # an offer link never unsubscribes anyone
        read_token(SECRET, token)
    with pytest.raises(UnsubscribeTokenError):
        read_token("another-secret-0123456789abcdef", token, purpose=OFFER)
    unsubscribe = next(href for href, text in links if text == "Unsubscribe")
    assert read_token(SECRET, unquote(unsubscribe.rsplit("/", 1)[1])) == (12, "7590-VHVEG")
    without = email(cta=None)[2]
    assert any(text == "See your offer" for _, text in without)  # the fixed button text


def test_a_french_customer_reads_french_around_the_message():
    plain, page, links = email(language="fr")
    assert plain.startswith("Bonjour Ada,")
    assert "Remise fidélité" in plain and "Loyalty discount" not in plain
    assert "Pour ne plus recevoir ces e-mails, désinscrivez-vous ici : https://" in plain
    assert '<html lang="fr">' in page and ("Se désinscrire" in [t for _, t in links])
    assert "Vous recevez cet e-mail en tant que client." in plain
    assert "Remise fidélité\nClaim it : https://offers.example.com/" in plain


def test_offer_links_must_carry_the_signed_token():
    base = {"description": "x", "cost_per_acceptance": 1, "acceptance_rate": 0.1}
    for bad, reason in (
        ("https://shop.example.com/offer", "must hold {token}"),
        ("https://shop.example.com/{email}?t={token}", "not email"),
        ("ftp://shop.example.com/{token}", "https://"),
    ):
        with pytest.raises(ValidationError, match=reason):
            OfferSpec(**base, call_to_action_url=bad)
    spec = OfferSpec(**base)
    assert spec.name_in("win-back_deal", "en") == "Win back deal"  # never the key itself
