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
from tasks.i18n import DEFAULT_LANGUAGE, N_, Phrase, translate_error


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


# A draft's fields as the form names them, for its errors ("Holdout share: ...").
FIELD_NAMES = {
    "name": N_("Campaign name"),
    "offer": N_("Offer"),
    "channels": N_("Channels"),
    "risk_segments": N_("Risk segments"),
    "segment_values": N_("Segment values"),
    "min_probability": N_("Lowest churn probability"),
    "max_probability": N_("Highest churn probability"),
    "min_lifetime_value": N_("Lowest lifetime value"),
    "limit": N_("Audience size limit"),
    "holdout_share": N_("Holdout share"),
    "rank": N_("Rank by"),
    "scheduled_at": N_("Send time"),
    "body": N_("Request body"),
    "segment_filter": N_("Segment filter"),
    "churn_score_min": N_("Lowest churn score"),
    "email_template": N_("Email template"),
}


def field_name(field: tuple[str | int, ...]) -> Phrase:
    """The draft's field in business words, with its item's rank when it is a list's
    ("Risk segments, item 2")."""
    named = [str(part) for part in field if not isinstance(part, int)]
    last = named[-1] if named else ""
    label = FIELD_NAMES.get(last)
    name = Phrase(label) if label else Phrase(N_("field %(field)s"), field=".".join(named))
    items = [part for part in field if isinstance(part, int)]
    if items:
        return Phrase(N_("%(field)s, item %(item)s"), field=name, item=items[-1] + 1)
    return name


class InvalidDraftError(InvalidInputError):
    """A draft breaks a rule; `field` names the draft's field (and item) that does, `reason`
    says why (a template with named values, translated at each door with the field's name)."""

    def __init__(self, field: tuple[str | int, ...], reason: str, **values: object) -> None:
        self.field = field
        self.reason_phrase = Phrase(reason, **values)
        super().__init__(
            N_("%(field)s: %(reason)s"), field=field_name(field), reason=self.reason_phrase
        )
        self.args = (translate_error(self, DEFAULT_LANGUAGE),)  # numbers as a reader writes them

    @property
    def reason(self) -> str:
        return str(self.reason_phrase)

    def reason_in(self, language: str) -> str:
        return self.reason_phrase.in_language(language)


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
        raise InvalidDraftError(
            (field,), N_("%(text)r is not a date and time"), text=text
        ) from None
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
