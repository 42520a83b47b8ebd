"""A campaign as the dashboard's form and the original product's JSON describe it, read into
the use case's `CampaignDraft` (the rules and defaults live there); text that is not a
number or a date is one InvalidDraftError naming the field."""

from __future__ import annotations

import math
from typing import Any

from configs.vocabulary import RISK_SEGMENTS
from tasks.core.audience import AudienceFilter
from tasks.i18n import N_
from tasks.services.campaigns import CampaignDraft, InvalidDraftError, read_when


def _number(text: Any, field: str, low: float | None = None, high: float | None = None):
    if text in (None, ""):
        return None
    where = tuple(field.split("."))
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise InvalidDraftError(where, N_("%(text)r is not a number"), text=text) from None
    if not math.isfinite(value):  # NaN passes every bound below
        raise InvalidDraftError(where, N_("%(text)r is not a number"), text=text)
    if high is not None and value > high and low is None:
        raise InvalidDraftError(where, N_("%(value)s is above %(high)s"), value=value, high=high)
    if low is not None and value < low and high is None:
        raise InvalidDraftError(where, N_("%(value)s is below %(low)s"), value=value, low=low)
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidDraftError(
            where,
            N_("%(value)s is outside [%(low)s, %(high)s]"),
            value=value,
            low=float(low or 0),
            high=float(high or 0),
        )
    return value


def read_campaign_form(form: Any, who: str = "") -> CampaignDraft:
    """The create form (a Starlette FormData or query parameters) as a draft."""
    risks = tuple(r for r in form.getlist("risk") if r in RISK_SEGMENTS)
    limit = _number(form.get("limit"), "limit", 1, 10_000_000)
    wanted = AudienceFilter(
        min_probability=_number(form.get("min_probability"), "min_probability", 0, 1),
        max_probability=_number(form.get("max_probability"), "max_probability", 0, 1),
        segment_values=tuple(v for v in form.getlist("segment_value") if v) or None,
        min_lifetime_value=_number(form.get("min_lifetime_value"), "min_lifetime_value", 0),
        limit=int(limit) if limit is not None else None,
    )
    if risks:
        wanted = AudienceFilter(**{**wanted.__dict__, "risk_segments": risks})
    channels = tuple(form.getlist("channel"))
    return CampaignDraft(
        name=str(form.get("name") or ""),
        created_by=who,
        offer=form.get("offer") or None,
        channels=channels or CampaignDraft.channels,
        audience=wanted,
        holdout_share=_number(form.get("holdout_share"), "holdout_share"),
        scheduled_at=read_when(form.get("scheduled_at"), "scheduled_at"),
        rank=form.get("rank") or None,
    )


def read_legacy_campaign(body: Any, who: str) -> CampaignDraft:
    """The original product's body: name, segment_filter (churn_score_min), email_template (an
    offer of the catalogue; template code is never uploaded), scheduled_at."""
    if not isinstance(body, dict):
        raise InvalidDraftError(("body",), N_("a JSON object with at least a name"))
    wanted = body.get("segment_filter") or {}
    if not isinstance(wanted, dict):
        raise InvalidDraftError(("segment_filter",), N_('an object, e.g. {"churn_score_min": 0.6}'))
    floor = _number(wanted.get("churn_score_min"), "segment_filter.churn_score_min", 0, 1)
    template = body.get("email_template")
    if template is not None and not isinstance(template, str):
        raise InvalidDraftError(("email_template",), N_("the name of an offer of the catalogue"))
    return CampaignDraft(
        name=str(body.get("name") or ""),
        created_by=who,
        offer=template,
        audience=AudienceFilter(risk_segments=RISK_SEGMENTS, min_probability=floor),
        scheduled_at=read_when(body.get("scheduled_at"), "scheduled_at"),
    )
