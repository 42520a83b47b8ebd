"""Previewing and creating a campaign: the audience by expected profit (or uplift), cut at
the chosen size, and a draft stored with its audience and holdout in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import campaign_candidates, contact_history, db
from tasks.adapters import campaign_store as store
from tasks.core.audience import (
    RANKINGS,
    UPLIFT_RANKING,
    AudienceFilter,
    Offer,
    ProfitCurve,
    assign_holdout,
    choose_audience,
    default_ranking,
    profit_curve,
    rank_candidates,
    select_candidates,
    without_customers,
)
from tasks.core.errors import ConflictError, UnavailableError
from tasks.core.plots import profit_curve_figure
from tasks.i18n import N_
from tasks.services.campaigns.background import start_writing
from tasks.services.campaigns.commands import CampaignDraft
from tasks.services.campaigns.rules import CheckedDraft, checked_draft, ranks_by_value
from tasks.services.campaigns.uplift import uplift_champion, with_expected_uplift
from tasks.services.campaigns.views import CampaignView, get_campaign
from tasks.services.contacts import reachable_pairs
from tasks.services.context import Context
from tasks.services.data.sources import read_customers

log = logging.getLogger("retainai.campaigns")


@dataclass(frozen=True)
class Preview:
    """What a campaign would contact: ranked candidates, the chosen audience, its curve, and
    the customers the contact rules removed before ranking."""

    offer: Offer
    ranked: pd.DataFrame
    audience: pd.DataFrame
    curve: ProfitCurve | None  # None without a value role (ranked by risk or uplift alone)
    uplift_model: str | None = None  # the uplift model version that ranked them, if one did
    rank: str = "risk"  # what ranked them: risk | profit | uplift
    removed: Removed = field(default_factory=lambda: Removed())

    @property
    def ranked_by(self) -> str:
        """What the candidates are ordered by, as `rank_candidates` orders them."""
        if self.uplift_model:
            return f"uplift model version {self.uplift_model}"
        return RANKINGS[self.rank]

    def figures(self) -> dict[str, Any]:
        """The audience by risk segment, its size against the profit-maximising one, costs,
        and how many customers the contact rules removed."""
        offer, audience, size = self.offer, self.audience, len(self.audience)
        summary: dict[str, Any] = {
            "ranked_by": self.ranked_by,
            "rank": self.rank,
            "uplift_model": self.uplift_model,
            "candidates": len(self.ranked),
            "audience": size,
            "by_risk_segment": audience["risk_segment"].value_counts().to_dict(),
            "contact_cost": round(size * offer.cost_per_contact, 2),
            "expected_offer_cost": round(
                size * offer.acceptance_rate * offer.cost_per_acceptance, 2
            ),
            **self.removed.figures(),
        }
        if self.curve is not None:
            summary |= {
                "best_size": self.curve.best_size,
                "best_profit": round(self.curve.best_profit, 2),
                "profit_at_audience": round(float(self.curve.profit[size]), 2),
            }
        return summary

    def write(self, folder: Path) -> dict[str, Any]:
        """The figures, and the profit curve as a PNG in `folder` (with a value role)."""
        summary = self.figures()
        if self.curve is not None:
            folder.mkdir(parents=True, exist_ok=True)
            title = f"Expected profit of {self.offer.name} by audience size"
            curve = self.curve
            figure = profit_curve_figure(curve.sizes, curve.profit, curve.best_size, title)
            figure.savefig(folder / "profit_curve.png")
            summary["profit_curve"] = str(folder / "profit_curve.png")
        return summary


@dataclass(frozen=True)
class Removed:
    """Customers the contact rules took out of the matched scores, before ranking."""

    unreachable: int = 0  # no contact, address or consent on any chosen channel, or unsubscribed
    recently_contacted: int = 0  # contacted by a campaign within the last `days`
    days: int = 0  # campaigns.min_days_between_contacts (0: no rule)
    consent_checked: bool = False  # False while the table has no contacts at all

    def figures(self) -> dict[str, Any]:
        return {
            "removed_unreachable": self.unreachable,
            "removed_recently_contacted": self.recently_contacted,
            "min_days_between_contacts": self.days,
            "consent_checked": self.consent_checked,
        }

    def said(self) -> str:
        parts = []
        if self.days:
            parts.append(f"{self.recently_contacted:,} contacted in the last {self.days} days")
        if self.consent_checked:
            parts.append(f"{self.unreachable:,} not reachable on the chosen channels")
        return "; ".join(parts) or "no contact rule removed anyone"


def contactable(
    ctx: Context, config: RunConfig, candidates: pd.DataFrame, channels: list[str]
) -> tuple[pd.DataFrame, Removed]:
    """The candidates a campaign on these channels may contact: reachable on one of them (a
    contact with the address and the consent, not unsubscribed; checked once the table has
    contacts) and not contacted by any of the table's campaigns within
    `campaigns.min_days_between_contacts` days."""
    engine, dataset = ctx.engine, config.dataset.name
    checked = contact_history.has_contacts(engine, dataset)
    kept = candidates
    if checked and not kept.empty:
        pairs, _ = reachable_pairs(ctx, config, kept["customer_id"], channels)
        kept = kept[kept["customer_id"].astype(str).isin(set(pairs["customer_id"]))]
    unreachable = len(candidates) - len(kept)
    days = config.campaigns.min_days_between_contacts
    recent = 0
    if days and not kept.empty:
        since = datetime.now(UTC) - timedelta(days=days)
        fresh = without_customers(kept, contact_history.contacted_since(engine, dataset, since))
        kept, recent = fresh, len(kept) - len(fresh)
    return kept.reset_index(drop=True), Removed(unreachable, recent, days, checked)


def rank_choices(ctx: Context, config: RunConfig) -> list[str]:
    """The rankings a campaign of this table may choose: risk; profit with lifetime values;
    uplift when a champion uplift model exists and the scoring source gives the customers'
    columns it reads."""
    choices = ["risk", *(["profit"] if ranks_by_value(config) else [])]
    if ctx.settings.scoring_source is not None and uplift_champion(ctx.settings, config):
        choices.append(UPLIFT_RANKING)
    return choices


def _customers_for_uplift(ctx: Context, given: pd.DataFrame | None) -> pd.DataFrame:
    if given is not None:
        return given
    source = ctx.settings.scoring_source
    if source is None:
        raise ConflictError(
            "ranking by uplift needs the customers' table: set RETAINAI_SCORING_SOURCE"
        )
    return read_customers(ctx, source.get_secret_value(), ctx.settings.scoring_table)


def _preview(ctx: Context, config: RunConfig, checked: CheckedDraft, customers) -> Preview:
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    wanted = checked.audience
    scores = campaign_candidates.candidates(ctx.engine, config.dataset.name, wanted)
    if scores is None:
        raise ConflictError(
            N_("no current scores of %(dataset)s: run `retainai score`"),
            dataset=config.dataset.name,
        )
    candidates, removed = contactable(
        ctx, config, select_candidates(scores, wanted), checked.channels
    )
    if candidates.empty:
        raise ConflictError(
            N_("the audience matches no one: widen the filter or raise the limit (%(removed)s)"),
            removed=removed.said(),
        )
    by_value = ranks_by_value(config)
    rank = checked.rank or default_ranking(customers is not None, by_value)
    version = None
    if rank == UPLIFT_RANKING:
        table = _customers_for_uplift(ctx, customers)
        candidates, version = with_expected_uplift(ctx.settings, config, candidates, table)
    ranked = rank_candidates(candidates, checked.offer, by_value, rank)
    audience = choose_audience(ranked, wanted.limit, by_value)
    curve = profit_curve(ranked) if by_value else None
    return Preview(checked.offer, ranked, audience, curve, version, rank, removed)


def preview_audience(ctx: Context, config: RunConfig, draft: CampaignDraft) -> Preview:
    """The table's current scores filtered, the contact rules applied (`contactable`: consent
    on the chosen channels, no second contact within `campaigns.min_days_between_contacts`),
    ranked as the draft chooses (default: by expected profit, by risk without a value role)
    and cut at the chosen size. Given the customers' table (or asked to rank by uplift), the
    champion uplift model ranks them: by expected uplift x value (by uplift without a value
    role)."""
    return _preview(ctx, config, checked_draft(config, draft, preview=True), draft.customers)


def create_campaign(ctx: Context, config: RunConfig, draft: CampaignDraft) -> CampaignView:
    """A draft campaign with its audience and holdout stored (before any message exists), in
    one transaction; refused whole (nothing stored) when any rule is broken."""
    checked = checked_draft(config, draft)
    preview = _preview(ctx, config, checked, draft.customers)
    audience, share = preview.audience, checked.holdout_share
    ranking = (
        {"ranking": "uplift", "uplift_model_version": preview.uplift_model}
        if preview.uplift_model
        else {"ranking": preview.rank}
    )
    made = store.create_campaign(
        ctx.engine,
        lambda campaign_id: audience.assign(arm=assign_holdout(audience, campaign_id, share)),
        name=checked.name,
        segment_filter={
            **_filter_json(checked.audience),
            **ranking,
            "ranked_by": preview.ranked_by,
        },
        holdout_share=share,
        created_by=draft.created_by,
        dataset=config.dataset.name,
        offer=checked.offer.name,
        channels=checked.channels,
        scheduled_at=draft.scheduled_at,
        scores_as_of=audience["as_of"].max(),
    )
    if draft.start_writing:
        try:
            start_writing(ctx, config, made["id"], draft.created_by or "campaign")
        except UnavailableError as error:  # stored all the same: "write the messages" later
            log.warning("campaign %s: its messages could not be launched: %s", made["id"], error)
    return get_campaign(ctx, config, made["id"])


def _filter_json(wanted: AudienceFilter) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in wanted.__dict__.items()}
