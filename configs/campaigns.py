"""The retention campaigns' part of a run config: the offer catalogue and campaign defaults."""

from __future__ import annotations

from pydantic import Field, model_validator

from configs.dataset import Strict
from configs.vocabulary import Channel


class OfferSpec(Strict):
    """One offer: what an accepted offer and a contact cost, how often it is taken, where."""

    description: str = Field(min_length=1, max_length=300)
    cost_per_acceptance: float = Field(ge=0.0)
    cost_per_contact: float = Field(0.0, ge=0.0)
    acceptance_rate: float = Field(gt=0.0, le=1.0)
    channels: list[Channel] = Field(["email"], min_length=1)


class Campaigns(Strict):
    """Offers by name, the default holdout share and the horizon at which retention counts."""

    offers: dict[str, OfferSpec] = Field(default_factory=dict)
    holdout_share: float = Field(0.1, gt=0.0, le=0.5)
    horizon_days: int = Field(90, ge=1, le=730)
    # no customer is contacted again, by any campaign, within this many days (0: no rule)
    min_days_between_contacts: int = Field(14, ge=0, le=365)
    email_prompt: str = "retention-email-v1"
    sms_prompt: str = "retention-sms-v1"

    @model_validator(mode="after")
    def _names(self) -> Campaigns:
        for name in self.offers:
            if not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"offer name {name!r}: letters, digits, '-' and '_' only")
        return self
