"""The domain's shared words, defined once: the channels a message goes out on and the risk
segments a customer's churn score falls into (every door, form and schema reads them here)."""

from __future__ import annotations

from typing import Literal, get_args

Channel = Literal["email", "sms"]
CHANNELS: tuple[str, ...] = get_args(Channel)

RiskSegment = Literal["high", "medium", "low"]
RISK_SEGMENTS: tuple[str, ...] = get_args(RiskSegment)  # from the riskiest
TARGET_SEGMENTS: tuple[str, ...] = ("high", "medium")  # a campaign's audience by default
