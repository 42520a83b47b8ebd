"""A campaign as the dashboard's form and the original product's JSON describe it, read into
what `campaign_actions` takes; anything wrong is one ConfigError naming the field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from configs.schema import RunConfig
from tasks.core.audience import AudienceFilter
from tasks.core.errors import ConfigError

RISKS = ("high", "medium", "low")


@dataclass(frozen=True)
class CampaignForm:
    name: str
    offer: str | None
    channels: list[str]
    wanted: AudienceFilter
    holdout_share: float | None
    scheduled_at: datetime | None


def _number(text: Any, field: str, low: float | None = None, high: float | None = None):
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ConfigError(f"{field}: {text!r} is not a number") from None
    if not math.isfinite(value):  # NaN passes every bound below
        raise ConfigError(f"{field}: {text!r} is not a number")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{field}: {value:g} is {_outside(low, high)}")
    return value


def _outside(low: float | None, high: float | None) -> str:
    if low is None:
        return f"above {high:g}"
    if high is None:
        return f"below {low:g}"
    return f"outside [{low:g}, {high:g}]"


def _when(text: Any, field: str) -> datetime | None:
    if text in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise ConfigError(f"{field}: {text!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_campaign_form(form: Any, config: RunConfig, preview: bool = False) -> CampaignForm:
    """The create form (a Starlette FormData or query parameters); `preview` allows no name."""
    name = str(form.get("name") or "").strip()
    if not name and not preview:
        raise ConfigError("name: a campaign needs a name")
    risks = tuple(r for r in form.getlist("risk") if r in RISKS) or ("high", "medium")
    values = [v for v in form.getlist("segment_value") if v]
    unknown = [v for v in values if v not in config.dataset.segment_values]
    if unknown:
        raise ConfigError(f"segment_value: {unknown} are not values of the segment column")
    limit = _number(form.get("limit"), "limit", 1, 10_000_000)
    wanted = AudienceFilter(
        risk_segments=risks,
        min_probability=_number(form.get("min_probability"), "min_probability", 0, 1),
        max_probability=_number(form.get("max_probability"), "max_probability", 0, 1),
        segment_values=tuple(values) or None,
        min_lifetime_value=_number(form.get("min_lifetime_value"), "min_lifetime_value", 0),
        limit=int(limit) if limit is not None else None,
    )
    return CampaignForm(
        name=name[:200],
        offer=form.get("offer") or None,
        channels=list(form.getlist("channel")) or ["email"],
        wanted=wanted,
        holdout_share=_number(form.get("holdout_share"), "holdout_share", 0, 0.5),
        scheduled_at=_when(form.get("scheduled_at"), "scheduled_at"),
    )


def read_legacy_campaign(body: Any, config: RunConfig) -> CampaignForm:
    """The original product's body: name, segment_filter (churn_score_min), email_template (an
    offer of the catalogue; template code is never uploaded), scheduled_at."""
    if not isinstance(body, dict) or not str(body.get("name") or "").strip():
        raise ConfigError("name: a campaign needs a name")
    wanted = body.get("segment_filter") or {}
    if not isinstance(wanted, dict):
        raise ConfigError('segment_filter: an object, e.g. {"churn_score_min": 0.6}')
    template = body.get("email_template")
    if template is not None and template not in config.campaigns.offers:
        known = ", ".join(config.campaigns.offers)
        raise ConfigError(f"email_template: {template!r} is not in the catalogue ({known})")
    floor = _number(wanted.get("churn_score_min"), "segment_filter.churn_score_min", 0, 1)
    audience = AudienceFilter(risk_segments=RISKS, min_probability=floor)
    return CampaignForm(
        str(body["name"]).strip()[:200],
        template,
        ["email"],
        audience,
        None,
        _when(body.get("scheduled_at"), "scheduled_at"),
    )
