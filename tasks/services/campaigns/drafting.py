"""Previewing and creating a campaign: the audience by expected profit (or uplift), cut at
the chosen size, and a draft stored with its audience and holdout in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import campaign_candidates, db
from tasks.adapters import campaign_store as store
from tasks.core.audience import (
    AudienceFilter,
    Offer,
    ProfitCurve,
    assign_holdout,
    choose_audience,
    profit_curve,
    rank_candidates,
    select_candidates,
)
from tasks.core.errors import ConflictError
from tasks.core.plots import profit_curve_figure
from tasks.i18n import N_
from tasks.services.campaigns.commands import CampaignDraft
from tasks.services.campaigns.rules import CheckedDraft, checked_draft
from tasks.services.campaigns.uplift import with_expected_uplift
from tasks.services.campaigns.views import CampaignView, get_campaign
from tasks.services.context import Context


@dataclass(frozen=True)
class Preview:
    """What a campaign would contact: ranked candidates, the chosen audience, its curve."""

    offer: Offer
    ranked: pd.DataFrame
    audience: pd.DataFrame
    curve: ProfitCurve | None  # None without a value role (ranked by risk or uplift alone)
    uplift_model: str | None = None  # the uplift model version that ranked them, if one did

    def figures(self) -> dict[str, Any]:
        """The audience by risk segment, its size against the profit-maximising one, costs."""
        offer, audience, size = self.offer, self.audience, len(self.audience)
        summary: dict[str, Any] = {
            "ranked_by": f"uplift model version {self.uplift_model}"
            if self.uplift_model
            else "churn risk",
            "candidates": len(self.ranked),
            "audience": size,
            "by_risk_segment": audience["risk_segment"].value_counts().to_dict(),
            "contact_cost": round(size * offer.cost_per_contact, 2),
            "expected_offer_cost": round(
                size * offer.acceptance_rate * offer.cost_per_acceptance, 2
            ),
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


def _preview(ctx: Context, config: RunConfig, checked: CheckedDraft, customers) -> Preview:
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    wanted = checked.audience
    scores = campaign_candidates.candidates(ctx.engine, config.dataset.name, wanted)
    if scores is None:
        raise ConflictError(
            N_("no current scores of %(dataset)s: run `retainai score`"),
            dataset=config.dataset.name,
        )
    candidates, version = select_candidates(scores, wanted), None
    if customers is not None and not candidates.empty:
        candidates, version = with_expected_uplift(ctx.settings, config, candidates, customers)
    by_value = config.dataset.roles.value is not None and config.survival is not None
    ranked = rank_candidates(candidates, checked.offer, by_value)
    audience = choose_audience(ranked, wanted.limit, by_value)
    curve = profit_curve(ranked) if by_value else None
    return Preview(checked.offer, ranked, audience, curve, version)


def preview_audience(ctx: Context, config: RunConfig, draft: CampaignDraft) -> Preview:
    """The table's current scores filtered, ranked by expected profit (by risk without a
    value role) and cut at the chosen size. Given the customers' table, the champion uplift
    model ranks them instead: by expected uplift x value (by uplift without a value role)."""
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
        else {"ranking": "risk"}
    )
    made = store.create_campaign(
        ctx.engine,
        lambda campaign_id: audience.assign(arm=assign_holdout(audience, campaign_id, share)),
        name=checked.name,
        segment_filter={**_filter_json(checked.audience), **ranking},
        holdout_share=share,
        created_by=draft.created_by,
        dataset=config.dataset.name,
        offer=checked.offer.name,
        channels=checked.channels,
        scheduled_at=draft.scheduled_at,
        scores_as_of=audience["as_of"].max(),
    )
    return get_campaign(ctx, config, made["id"])


def _filter_json(wanted: AudienceFilter) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in wanted.__dict__.items()}
