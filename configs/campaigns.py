"""The retention campaigns' part of a run config: the offer catalogue and campaign defaults."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from configs.dataset import Strict
from configs.vocabulary import Channel

Language = Literal["en", "fr"]  # the languages messages are written in (tasks/i18n)
URL_FIELDS = {"token", "campaign", "customer"}  # what an offer's link template may hold


class OfferText(Strict):
    """An offer's name and description in another language."""

    display_name: str = Field(min_length=1, max_length=80)
    description: str = Field("", max_length=300)


class OfferSpec(Strict):
    """One offer: what customers read (its name, description and where its button leads),
    what an accepted offer and a contact cost, how often it is taken, on which channels.

    `call_to_action_url` is the offer page's link with `{token}` (the campaign and customer,
    signed with RETAINAI_SECRET_KEY like unsubscribe links, for the page to check), and
    optionally `{campaign}` and `{customer}`, e.g. https://shop.example.com/offer?t={token}."""

    display_name: str | None = Field(None, min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=300)
    call_to_action_url: str | None = Field(None, max_length=500)
    translations: dict[Language, OfferText] = Field(default_factory=dict)
    cost_per_acceptance: float = Field(ge=0.0)
    cost_per_contact: float = Field(0.0, ge=0.0)
    acceptance_rate: float = Field(gt=0.0, le=1.0)
    channels: list[Channel] = Field(["email"], min_length=1)

    @field_validator("call_to_action_url")
    @classmethod
    def _link_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("call_to_action_url must start with https:// (or http://)")
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            raise ValueError(f"call_to_action_url is not a link template: {error}") from None
        if fields - URL_FIELDS:
            unknown = ", ".join(sorted(fields - URL_FIELDS))
            raise ValueError(
                f"call_to_action_url may hold {{token}}, {{campaign}} and "
                f"{{customer}} only, not {unknown}"
            )
        if "token" not in fields:
            raise ValueError("call_to_action_url must hold {token} (the signed customer link)")
        return value

    def name_in(self, key: str, language: str) -> str:
        """What customers read as the offer's name in `language` (never the catalogue key
        alone: 'loyalty-discount' reads 'Loyalty discount' when no name is given)."""
        if language in self.translations:
            return self.translations[language].display_name  # type: ignore[index]
        return self.display_name or key.replace("-", " ").replace("_", " ").capitalize()

    def description_in(self, language: str) -> str:
        text = self.translations.get(language)  # type: ignore[call-overload]
        return text.description if text is not None and text.description else self.description


class Campaigns(Strict):
    """Offers by name, the default holdout share and the horizon at which retention counts;
    the sender's name and postal address every email's footer carries; the language of a
    customer without one on file."""

    offers: dict[str, OfferSpec] = Field(default_factory=dict)
    holdout_share: float = Field(0.1, gt=0.0, le=0.5)
    horizon_days: int = Field(90, ge=1, le=730)
    # no customer is contacted again, by any campaign, within this many days (0: no rule)
    min_days_between_contacts: int = Field(14, ge=0, le=365)
    email_prompt: str = "retention-email-v1"
    sms_prompt: str = "retention-sms-v1"
    # four eyes: the person approving a campaign is not the one who created it
    require_second_approver: bool = False
    sender_name: str | None = Field(None, min_length=1, max_length=100)
    postal_address: str | None = Field(None, min_length=1, max_length=300)
    default_language: Language = "en"

    @model_validator(mode="after")
    def _names(self) -> Campaigns:
        for name in self.offers:
            if not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError(f"offer name {name!r}: letters, digits, '-' and '_' only")
        return self
