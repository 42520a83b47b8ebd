"""What a campaign use case is asked to do: one command per use case, built by every door
(the API, the pages, the CLI, the flows) from its own input format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from tasks.core.audience import AudienceFilter
from tasks.core.errors import InvalidInputError


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
    rank: str | None = None  # risk | profit | uplift (RANKINGS); None: the one default


@dataclass(frozen=True)
class ApproveCampaign:
    campaign_id: int
    approved_by: str


@dataclass(frozen=True)
class SendCampaign:
    campaign_id: int
    retry_unknown: bool = False  # send again what a crash left `unknown` (a person decides)
    outbox: Path | None = None  # deliver email into this folder instead of the relay


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
