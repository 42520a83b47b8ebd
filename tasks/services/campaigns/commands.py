"""What a campaign use case is asked to do: one command per use case, built by every door
(the API, the pages, the CLI, the flows) from its own input format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from tasks.core.audience import AudienceFilter
from tasks.core.errors import ConflictError, InvalidInputError


@dataclass(frozen=True, eq=False)
class CampaignDraft:
    """A campaign to preview or create. `None` means the one default, decided in
    `rules.checked_draft`: the catalogue's first offer, the config's holdout share; the
    audience defaults to the target risk segments (`AudienceFilter()`)."""

    name: str = ""
    created_by: str = ""
    offer: str | None = None
    channels: tuple[str, ...] = ("email",)
    audience: AudienceFilter = field(default_factory=AudienceFilter)
    holdout_share: float | None = None
    scheduled_at: datetime | None = None
    customers: pd.DataFrame | None = None  # given: ranked by the champion uplift model
    start_writing: bool = True  # launch the writing of its messages once it is stored
    rank: str | None = None  # risk | profit | uplift (RANKINGS); None: the one default


@dataclass(frozen=True)
class ApproveCampaign:
    campaign_id: int
    approved_by: str  # the person's email (or a machine token's name)
    person: bool = True  # False: a static API token, which the four-eyes rule refuses
    expected_messages: int | None = None  # the count the person confirmed (refused if stale)


@dataclass(frozen=True)
class SendCampaign:
    campaign_id: int
    retry_unknown: bool = False  # send again what a crash left `unknown` (a person decides)
    outbox: Path | None = None  # deliver email into this folder instead of the relay


@dataclass(frozen=True)
class SendNow:
    """Send an approved campaign in the background now (its send time brought forward)."""

    campaign_id: int
    by: str
    retry_unknown: bool = False


@dataclass(frozen=True, eq=False)
class RecordOutcomes:
    campaign_id: int
    events: pd.DataFrame  # customer_id, event[, event_key, occurred_at]


class InvalidDraftError(InvalidInputError):
    """A draft breaks a rule; `field` names the draft's field (and item) that does."""

    def __init__(self, field: tuple[str | int, ...], message: str) -> None:
        super().__init__(f"{'.'.join(map(str, field))}: {message}")
        self.field = field
        self.reason = message


class PastScheduleError(ConflictError):
    """A campaign scheduled at a time already past: send it now (no time) or later."""


def read_when(text: Any, field: str) -> datetime | None:
    """A date and time typed by a person (ISO; UTC without a zone), None when empty; an
    InvalidDraftError naming `field` otherwise."""
    if text in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise InvalidDraftError((field,), f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class MessageKey:
    """One message of a campaign: its customer and channel."""

    campaign_id: int
    customer_id: str
    channel: str


@dataclass(frozen=True)
class EditMessage:
    """A person's text for a draft message, checked like a language model's answer."""

    key: MessageKey
    body: str
    edited_by: str
    subject: str | None = None  # email only
    call_to_action: str | None = None  # email only


@dataclass(frozen=True)
class RegenerateMessage:
    key: MessageKey


@dataclass(frozen=True)
class ExcludeCustomer:
    campaign_id: int
    customer_id: str
    excluded_by: str


@dataclass(frozen=True)
class CancelCampaign:
    campaign_id: int
    cancelled_by: str
