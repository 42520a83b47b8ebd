"""A campaign's email to one customer: its text put in the customer's letter (greeting,
offer button, footer: tasks/core/campaign_email.py) and its links signed with
RETAINAI_SECRET_KEY."""

from __future__ import annotations

from dataclasses import replace
from email.message import EmailMessage

from configs.settings import Settings
from tasks.adapters.mail import build_email
from tasks.core.campaign_email import Letter, html_page, plain_text
from tasks.core.errors import ConfigError
from tasks.core.outreach import domain_of, message_id
from tasks.core.unsubscribe import OFFER, make_token, offer_url, unsubscribe_url


def campaign_email(
    settings: Settings,
    *,
    campaign_id: int | str,
    customer_id: int | str,
    to: str,
    subject: str,
    text: str,
    call_to_action: str | None = None,
    letter: Letter | None = None,
    offer_link: str | None = None,
) -> EmailMessage:
    """The email of a campaign to a customer, its links signed with RETAINAI_SECRET_KEY: the
    unsubscribe link and, given the offer's `offer_link` template, the offer's button. The
    `letter` (language, first name, offer name, sender's footer) is put around `text`."""
    if settings.secret_key is None or not settings.public_url or not settings.mail_from:
        raise ConfigError(
            "campaign email needs RETAINAI_SECRET_KEY, RETAINAI_PUBLIC_URL and RETAINAI_MAIL_FROM"
        )
    if not text.strip():  # the greeting and footer around it are no message
        raise ValueError("the email has no text")
    secret = settings.secret_key.get_secret_value()
    leave = unsubscribe_url(settings.public_url, make_token(secret, campaign_id, customer_id))
    letter = replace(letter or Letter("en", leave), unsubscribe_url=leave)
    if offer_link:
        token = make_token(secret, campaign_id, customer_id, purpose=OFFER)
        letter = replace(letter, offer_url=offer_url(offer_link, token, campaign_id, customer_id))
    return build_email(
        subject=subject,
        text=plain_text(text, call_to_action, letter),
        sender=settings.mail_from,
        to=to,
        unsubscribe_url=leave,
        message_id=message_id(campaign_id, customer_id, "email", domain_of(settings.mail_from)),
        page=html_page(subject, text, call_to_action, letter),
    )
