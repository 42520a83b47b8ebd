"""Request and response models of the campaign API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field

from configs.vocabulary import CHANNELS, TARGET_SEGMENTS, Channel, RiskSegment
from serving.api.models import Strict


def _iso_text(value: Any) -> Any:
    """A JSON datetime is ISO 8601 text; a number is no date (lax parsing would read seconds)."""
    if value is not None and not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 date-time string")
    return value


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_text)]
EVENTS_BODY = 2 * 1024 * 1024  # bytes: 5,000 events of the longest ids and keys fit
MessageStatus = Literal[
    "draft", "approved", "sending", "sent", "unknown", "failed", "excluded", "cancelled"
]
Event = Literal["delivered", "opened", "clicked", "accepted", "retained", "churned"]


class SegmentFilter(Strict):
    """Which current scores a campaign targets; every given condition must hold."""

    risk_segments: list[RiskSegment] = Field(list(TARGET_SEGMENTS), min_length=1, max_length=3)
    segment_values: list[str] | None = Field(None, min_length=1, max_length=50)
    min_churn_probability: float | None = Field(None, ge=0.0, le=1.0)
    max_churn_probability: float | None = Field(None, ge=0.0, le=1.0)
    min_lifetime_value: float | None = Field(None, ge=0.0, le=1e9)
    limit: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        strict=False,  # 12.0 is the integer 12 in JSON
        description="Default: the profit-maximising audience size.",
    )


class CampaignRequest(Strict):
    name: str = Field(min_length=1, max_length=200)
    offer: str | None = Field(
        None, min_length=1, max_length=100, description="Default: the catalogue's first offer."
    )
    channels: list[Channel] = Field(["email"], min_length=1, max_length=len(CHANNELS))
    segment_filter: SegmentFilter = SegmentFilter()
    holdout_share: float | None = Field(
        None, gt=0.0, le=0.5, description="Default: the config's campaigns.holdout_share."
    )
    scheduled_at: IsoDatetime | None = Field(None, strict=False)  # ISO 8601 text in JSON
    rank: Literal["risk", "profit", "uplift"] | None = Field(
        None,
        description="risk: churn probability; profit: expected profit (default with lifetime "
        "values); uplift: the champion uplift model on the scoring source's customers.",
    )


class Campaign(BaseModel):
    id: int
    name: str
    status: str
    offer: str | None = None
    channels: list[str] | None = None
    segment_filter: dict[str, Any]
    holdout_share: float
    totals: dict[str, Any] | None = None
    scores_as_of: Any = None
    scheduled_at: datetime | None = None
    created_by: str
    created_at: datetime
    approved_by: str | None = None
    approved_at: datetime | None = None
    audience: int | None = None
    holdout: int | None = None
    messages: dict[str, int] | None = None  # by status
    lift: dict[str, Any] | None = None  # from the stored report: retention lift, interval
    net_revenue: dict[str, Any] | None = None  # from the stored report: net of costs, interval
    accepted: int | None = None  # treated customers who accepted the offer
    currency: str | None = None  # ISO 4217 code of the money figures (dataset.currency)


class CampaignMessage(BaseModel):
    customer_id: str
    channel: str
    status: str
    subject: str | None
    body: str
    call_to_action: str | None
    path: str
    prompt_version: str
    prompt_tokens: int
    completion_tokens: int
    cost: float
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    edited_by: str | None = None  # a person changed the text (path "edited")
    edited_at: datetime | None = None


class MessagePage(BaseModel):
    items: list[CampaignMessage]
    limit: int
    offset: int
    next_offset: int | None


class Approved(BaseModel):
    campaign: int
    approved: int


class OutcomeEvent(Strict):
    customer_id: str = Field(min_length=1, max_length=64)
    event: Event
    event_key: str | None = Field(None, min_length=1, max_length=200)
    occurred_at: IsoDatetime | None = Field(None, strict=False)  # ISO 8601 text in JSON


class EventsRequest(Strict):
    events: list[OutcomeEvent] = Field(min_length=1, max_length=5_000)  # within EVENTS_BODY


class EventsRecorded(BaseModel):
    campaign: int
    received: int
    new: int


class MessageEdit(Strict):
    """A person's text for a draft message (email: all three; SMS: the body only), checked
    by the same rules as a language model's answer."""

    body: str = Field(min_length=1, max_length=4000)
    subject: str | None = Field(None, max_length=400)
    call_to_action: str | None = Field(None, max_length=400)
