"""The channels a campaign can go out on, one registration each: how a message of the
channel is delivered, which contact column it goes to, which consent allows it, and which
kind of message the writer writes for it. A new channel is one adapter module implementing
`Deliverer` (tasks/adapters/delivery.py), one entry here and its name in configs/vocabulary.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from configs.settings import Settings
from configs.vocabulary import CHANNELS
from tasks.adapters.delivery import Deliverer
from tasks.adapters.email_delivery import EmailDeliverer
from tasks.adapters.sms_export import SmsDeliverer


@dataclass(frozen=True)
class ChannelAdapter:
    make: Callable[[Settings, int, Path | None], Deliverer]  # (settings, campaign, outbox)
    address: str  # the contacts column a message goes to
    consent: str  # the contacts column that must say yes
    writes_as: str  # the message kind written for it (templates, length limits)


CHANNEL_ADAPTERS: dict[str, ChannelAdapter] = {
    "email": ChannelAdapter(EmailDeliverer, "email", "consent_email", "email"),
    "sms": ChannelAdapter(SmsDeliverer, "phone", "consent_sms", "sms"),
}
if set(CHANNEL_ADAPTERS) != set(CHANNELS):
    raise RuntimeError(f"channels without a delivery: {set(CHANNELS) ^ set(CHANNEL_ADAPTERS)}")


def deliverer_for(
    channel: str, settings: Settings, campaign_id: int, outbox: Path | None = None
) -> Deliverer:
    """The channel's deliverer for one send of a campaign."""
    return CHANNEL_ADAPTERS[channel].make(settings, campaign_id, outbox)
