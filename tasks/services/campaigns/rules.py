"""What a valid campaign draft is, decided once for every door: the offer and its channels,
the audience filter, the holdout share (with its one default), the name."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from configs.schema import RunConfig
from configs.vocabulary import RISK_SEGMENTS
from tasks.core.audience import RANKINGS, AudienceFilter, Offer
from tasks.core.errors import ConflictError
from tasks.i18n import N_
from tasks.services.campaigns.commands import CampaignDraft, InvalidDraftError, PastScheduleError

NAME_MAX = 200
SCHEDULE_SLACK = timedelta(minutes=1)  # a form filled in "now" reaches the server later


@dataclass(frozen=True)
class CheckedDraft:
    """A draft every rule accepted, its defaults filled in."""

    name: str
    offer: Offer
    channels: list[str]
    audience: AudienceFilter
    holdout_share: float
    rank: str | None = None  # None: uplift with customers, else profit with a value role


def offer_of(config: RunConfig, name: str | None, channels: list[str] | tuple[str, ...]) -> Offer:
    """The catalogue's offer (the first one when `name` is None), refusing unknown offers and
    channels it does not allow."""
    offers = config.campaigns.offers
    if name is None and offers:
        name = next(iter(offers))
    spec = offers.get(name) if name is not None else None
    if spec is None:
        if not offers:
            raise InvalidDraftError(("offer",), N_("no offer is configured"))
        raise InvalidDraftError(
            ("offer",),
            N_("unknown offer %(name)r (offers: %(known)s)"),
            name=name,
            known=", ".join(offers),
        )
    wrong = [c for c in channels if c not in spec.channels]
    if wrong or not channels:
        # the catalogue the server holds refuses these channels for the offer: a conflict
        raise ConflictError(
            N_("offer %(name)r may use %(allowed)s, not %(wrong)s"),
            name=name,
            allowed=spec.channels,
            wrong=wrong or "no channel",
        )
    costs = spec.cost_per_acceptance, spec.cost_per_contact, spec.acceptance_rate
    return Offer(name, *costs, tuple(spec.channels))


def _bounded(value: float | None, field: str, low: float, high: float) -> None:
    if value is None:
        return
    if not math.isfinite(value) or not low <= value <= high:
        raise InvalidDraftError(
            ("audience", field),
            N_("%(value)s is outside [%(low)s, %(high)s]"),
            value=float(value),
            low=float(low),
            high=float(high),
        )


def check_audience(config: RunConfig, wanted: AudienceFilter) -> None:
    """The filter's segments, values and bounds are ones the table knows."""
    if not wanted.risk_segments:
        raise InvalidDraftError(("audience", "risk_segments"), N_("choose at least one segment"))
    for i, segment in enumerate(wanted.risk_segments):
        if segment not in RISK_SEGMENTS:
            raise InvalidDraftError(
                ("audience", "risk_segments", i),
                N_("%(value)r is not one of %(allowed)s"),
                value=segment,
                allowed=", ".join(RISK_SEGMENTS),
            )
    column, allowed = config.dataset.roles.segment, config.dataset.segment_values
    for i, value in enumerate(wanted.segment_values or ()):
        if value not in allowed:
            where = ("audience", "segment_values", i)
            if not column:
                raise InvalidDraftError(where, N_("the table has no segment column"))
            raise InvalidDraftError(
                where,
                N_("%(value)r is not a %(column)s value; allowed: %(allowed)s"),
                value=value,
                column=column,
                allowed=", ".join(map(str, allowed)),
            )
    _bounded(wanted.min_probability, "min_probability", 0.0, 1.0)
    _bounded(wanted.max_probability, "max_probability", 0.0, 1.0)
    _bounded(wanted.min_lifetime_value, "min_lifetime_value", 0.0, 1e9)
    if wanted.limit is not None and not 1 <= wanted.limit <= 10_000_000:
        raise InvalidDraftError(
            ("audience", "limit"), N_("%(value)s is outside [1, 10000000]"), value=wanted.limit
        )


def check_schedule(when: datetime | None, now: datetime | None = None) -> None:
    """A campaign is scheduled now or later (a time without a zone is read as UTC): a time
    already past is a PastScheduleError (a conflict with the clock, 409, not a malformed
    field: the same text was valid a moment before)."""
    if when is None:
        return
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if moment < now - SCHEDULE_SLACK:
        raise PastScheduleError(
            N_(
                "scheduled_at: %(moment)s is in the past: choose a later time, or none to send"
                " once approved"
            ),
            moment=moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        )


def checked_draft(config: RunConfig, draft: CampaignDraft, preview: bool = False) -> CheckedDraft:
    """The draft with its defaults, or InvalidDraftError naming the first field that breaks a
    rule (a preview needs no name)."""
    name = draft.name.strip()
    if not name and not preview:
        raise InvalidDraftError(("name",), N_("a campaign needs a name"))
    if len(name) > NAME_MAX:
        raise InvalidDraftError(("name",), N_("at most %(n)s characters"), n=NAME_MAX)
    offer = offer_of(config, draft.offer, draft.channels)
    check_audience(config, draft.audience)
    share = config.campaigns.holdout_share if draft.holdout_share is None else draft.holdout_share
    if not 0.0 < share <= 0.5:
        raise InvalidDraftError(
            ("holdout_share",), N_("%(value)s is outside (0, 0.5]"), value=float(share)
        )
    rank = draft.rank or None
    if rank is not None and rank not in RANKINGS:
        raise InvalidDraftError(
            ("rank",),
            N_("%(value)r is not one of %(allowed)s"),
            value=rank,
            allowed=", ".join(RANKINGS),
        )
    if rank == "profit" and not ranks_by_value(config):
        raise InvalidDraftError(
            ("rank",), N_("ranking by expected profit needs the value role and the survival model")
        )
    if not preview:
        check_schedule(draft.scheduled_at)
    return CheckedDraft(name, offer, list(draft.channels), draft.audience, share, rank)


def ranks_by_value(config: RunConfig) -> bool:
    """Whether the table has customers' lifetime values (the value role and survival)."""
    return config.dataset.roles.value is not None and config.survival is not None
