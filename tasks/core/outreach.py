"""What every outgoing message shares: a stable Message-ID, and SMS texts that fit one SMS."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime

from configs.vocabulary import CHANNELS
from tasks.core.errors import SmsExportError

OPT_OUT_TEXT = "Reply STOP to opt out."
SMS_LIMIT = 160  # GSM 03.38 septets in one SMS
SMS_LIMIT_UNICODE = 70  # UCS-2 code units in one SMS, once any character is outside GSM 03.38
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*$")
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = frozenset("^{}\\[~]|€\f")  # sent as escape + character: two septets each


def domain_of(address: str) -> str:
    """The domain of an email address (`news@retain.example` -> `retain.example`)."""
    local, at, domain = address.rpartition("@")
    domain = domain.strip().rstrip(">")
    if not (local and at and _DOMAIN.match(domain)):
        raise ValueError(f"no usable domain in the address {address!r}")
    return domain.lower()


def message_id(campaign_id: int | str, customer_id: int | str, channel: str, domain: str) -> str:
    """The same `<...@domain>` for the same campaign, customer and channel, so a resend is known.

    The ids are hashed: the header travels to mail providers, the customer id need not.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a domain: {domain!r}")
    key = json.dumps([campaign_id, customer_id, channel], separators=(",", ":"))
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<retainai.{channel}.{digest}@{domain.lower()}>"


def sms_units(text: str) -> tuple[int, int]:
    """(length as the network counts it, what one SMS holds) for a text."""
    if all(char in _GSM_BASIC or char in _GSM_EXTENDED for char in text):
        return len(text) + sum(char in _GSM_EXTENDED for char in text), SMS_LIMIT
    return len(text.encode("utf-16-le")) // 2, SMS_LIMIT_UNICODE


def sms_text(text: str, opt_out: str = OPT_OUT_TEXT, *, message_id: str = "") -> str:
    """The text with the opt-out text appended; SmsExportError if it no longer fits one SMS.

    One SMS holds 160 GSM characters (`^{}[]~|\\€` count twice), or 70 once any character
    (an emoji, most accents outside Western Europe) needs Unicode.
    """
    label = f"SMS {message_id}" if message_id else "the SMS"
    body, opt_out = text.strip(), opt_out.strip()
    if not body:
        raise SmsExportError(f"{label} has no text")
    if not opt_out:
        raise SmsExportError(f"{label} needs an opt-out text")
    full = f"{body} {opt_out}"
    units, limit = sms_units(full)
    if units > limit:
        why = "" if limit == SMS_LIMIT else " (it needs Unicode)"
        raise SmsExportError(
            f"{label} is {units} characters with the opt-out text; one SMS holds {limit}{why}"
        )
    return full


SENDABLE = ("approved", "sending")  # sending: a send was cut short; its rest is still due


def due_campaigns(campaigns: list[dict], now: datetime) -> list[int]:
    """Ids of the campaigns a scheduled send should send now: approved by a person (or cut
    short while sending) and with no send time, or one that has come; oldest first."""

    def when(campaign: dict) -> datetime | None:
        at = campaign.get("scheduled_at")
        return at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at

    due = [c for c in campaigns if c["status"] in SENDABLE and (when(c) is None or when(c) <= now)]
    return [c["id"] for c in sorted(due, key=lambda c: c["id"])]
