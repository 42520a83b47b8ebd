"""What people do with a campaign, as plain functions for every entry point (the API, the CLI
and the flow's tasks): preview and create one, read it, approve its drafts, record outcomes,
report it, and honour an unsubscribe link. No Prefect here: the API serves these directly.

A campaign is created as a draft with its audience and holdout stored in one transaction,
before any message exists. Every refusal is one ConfigError (or UnsubscribeTokenError) that
says what is wrong, raised before anything is stored; an unknown campaign is a NotFoundError.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import campaign_candidates, db
from tasks.adapters import campaign_store as store
from tasks.adapters.storage import write_json_atomic
from tasks.core.audience import (
    AudienceFilter,
    Offer,
    ProfitCurve,
    assign_holdout,
    check_holdout_share,
    choose_audience,
    profit_curve,
    rank_candidates,
    select_candidates,
)
from tasks.core.campaign_report import campaign_report, event_rows
from tasks.core.errors import ConfigError, NotFoundError
from tasks.core.plots import profit_curve_figure
from tasks.core.unsubscribe import read_token
from tasks.stores import ensure_database
from tasks.uplift_training import with_expected_uplift

UNSUBSCRIBE_MAX_AGE_DAYS = 365  # a link in an old email still works for a year


@dataclass(frozen=True)
class Preview:
    """What a campaign would contact: ranked candidates, the chosen audience, its curve."""

    ranked: pd.DataFrame
    audience: pd.DataFrame
    curve: ProfitCurve | None  # None without a value role (ranked by risk or uplift alone)
    uplift_model: str | None = None  # the uplift model version that ranked them, if one did


def offer_of(config: RunConfig, name: str | None, channels: list[str]) -> Offer:
    """The catalogue's offer (the first one when `name` is None), refusing unknown offers and
    channels it does not allow."""
    offers = config.campaigns.offers
    if name is None and offers:
        name = next(iter(offers))
    spec = offers.get(name) if name is not None else None
    if spec is None:
        known = ", ".join(offers) or "none configured"
        raise ConfigError(f"unknown offer {name!r} (offers: {known})")
    wrong = [c for c in channels if c not in spec.channels]
    if wrong or not channels:
        raise ConfigError(f"offer {name!r} may use {spec.channels}, not {wrong or 'no channel'}")
    return Offer(
        name,
        spec.cost_per_acceptance,
        spec.cost_per_contact,
        spec.acceptance_rate,
        tuple(spec.channels),
    )


def preview_audience(
    settings: Settings,
    config: RunConfig,
    offer: Offer,
    wanted: AudienceFilter,
    customers: pd.DataFrame | None = None,
) -> Preview:
    """The table's current scores filtered, ranked by expected profit (by risk without a
    value role) and cut at the chosen size. Given the customers' table, the champion uplift
    model ranks them instead: by expected uplift x value (by uplift without a value role)."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        scores = campaign_candidates.candidates(engine, config.dataset.name, wanted)
    if scores is None:
        raise ConfigError(f"no current scores of {config.dataset.name}: run `retainai score`")
    candidates, version = select_candidates(scores, wanted), None
    if customers is not None and not candidates.empty:
        candidates, version = with_expected_uplift(settings, config, candidates, customers)
    by_value = config.dataset.roles.value is not None and config.survival is not None
    ranked = rank_candidates(candidates, offer, by_value)
    audience = choose_audience(ranked, wanted.limit, by_value)
    return Preview(ranked, audience, profit_curve(ranked) if by_value else None, version)


def draft_campaign(
    settings: Settings,
    config: RunConfig,
    name: str,
    offer: Offer,
    channels: list[str],
    wanted: AudienceFilter,
    holdout_share: float,
    created_by: str,
    scheduled_at: datetime | None = None,
    customers: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """A draft campaign with its audience and holdout stored (before any message exists), in
    one transaction; given the customers' table, ranked by the champion uplift model."""
    check_holdout_share(holdout_share)
    preview = preview_audience(settings, config, offer, wanted, customers)
    audience = preview.audience
    ranking = (
        {"ranking": "uplift", "uplift_model_version": preview.uplift_model}
        if (preview.uplift_model)
        else {"ranking": "risk"}
    )
    with db.connected(settings) as engine:
        return store.create_campaign(
            engine,
            lambda campaign_id: audience.assign(
                arm=assign_holdout(audience, campaign_id, holdout_share)
            ),
            name=name,
            segment_filter={**_filter_json(wanted), **ranking},
            holdout_share=holdout_share,
            created_by=created_by,
            dataset=config.dataset.name,
            offer=offer.name,
            channels=channels,
            scheduled_at=scheduled_at,
            scores_as_of=audience["as_of"].max(),
        )


def _filter_json(wanted: AudienceFilter) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in wanted.__dict__.items()}


def write_preview(preview: Preview, offer: Offer, folder: Path) -> dict[str, Any]:
    """The preview's figures (and the profit curve as a PNG in `folder`): the audience by
    risk segment, the profit-maximising size and what the chosen size costs."""
    summary = preview_figures(preview, offer)
    curve = preview.curve
    if curve is not None:
        folder.mkdir(parents=True, exist_ok=True)
        title = f"Expected profit of {offer.name} by audience size"
        figure = profit_curve_figure(curve.sizes, curve.profit, curve.best_size, title)
        figure.savefig(folder / "profit_curve.png")
        summary["profit_curve"] = str(folder / "profit_curve.png")
    return summary


def preview_figures(preview: Preview, offer: Offer) -> dict[str, Any]:
    """The audience by risk segment, its size against the profit-maximising one, its costs."""
    audience = preview.audience
    summary: dict[str, Any] = {
        "ranked_by": f"uplift model version {preview.uplift_model}"
        if preview.uplift_model
        else "churn risk",
        "candidates": len(preview.ranked),
        "audience": len(audience),
        "by_risk_segment": audience["risk_segment"].value_counts().to_dict(),
        "contact_cost": round(len(audience) * offer.cost_per_contact, 2),
        "expected_offer_cost": round(
            len(audience) * offer.acceptance_rate * offer.cost_per_acceptance, 2
        ),
    }
    if preview.curve is not None:
        curve = preview.curve
        size = len(audience)
        summary |= {
            "best_size": curve.best_size,
            "best_profit": round(curve.best_profit, 2),
            "profit_at_audience": round(float(curve.profit[size]), 2),
        }
    return summary


def campaigns_of(settings: Settings, config: RunConfig) -> list[dict[str, Any]]:
    """The table's campaigns, newest first."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        return store.list_campaigns(engine, config.dataset.name)


def campaign_of(settings: Settings, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """One campaign of the table; NotFoundError when there is none."""
    with db.connected(settings) as engine:
        return _campaign(engine, config, campaign_id)


def messages_of(
    settings: Settings, config: RunConfig, campaign_id: int, status: str | None = None
) -> pd.DataFrame:
    """The campaign's messages (one per customer and channel), by customer."""
    with db.connected(settings) as engine:
        _campaign(engine, config, campaign_id)
        return store.messages(engine, campaign_id, status)


def approve(settings: Settings, config: RunConfig, campaign_id: int, approved_by: str) -> int:
    """Approve every draft message of the campaign; returns how many were approved."""
    with db.connected(settings) as engine:
        _campaign(engine, config, campaign_id)
        drafts = store.messages(engine, campaign_id, "draft")
        keys = list(zip(drafts["customer_id"], drafts["channel"], strict=True))
        moved = store.move_messages(engine, campaign_id, keys, "draft", "approved")
        store.update_campaign(
            engine,
            campaign_id,
            status="approved",
            approved_by=approved_by,
            approved_at=datetime.now(UTC),
        )
    return moved


def record_outcomes(
    settings: Settings, config: RunConfig, campaign_id: int, raw: pd.DataFrame
) -> int:
    """Outcome events of a campaign's customers (idempotent per event key); returns how many
    were new. Unknown campaigns, customers and events are refused before anything is stored."""
    with db.connected(settings) as engine:
        _campaign(engine, config, campaign_id)
        members = store.audience(engine, campaign_id)["customer_id"]
        return store.record_events(engine, event_rows(raw, campaign_id, members))


def report_of(settings: Settings, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """`read_report`, also written as JSON under the reports folder (the CLI and the flow)."""
    report = read_report(settings, config, campaign_id)
    write_json_atomic(settings.reports_dir / "campaigns" / str(campaign_id) / "report.json", report)
    return report


def read_report(settings: Settings, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The campaign's report (counts, lift with its interval, revenue net of costs), for
    readers that store nothing (the API and the pages)."""
    with db.connected(settings) as engine:
        campaign = _campaign(engine, config, campaign_id)
        members = store.audience(engine, campaign_id)
        events = store.events(engine, campaign_id)
        messages = store.messages(engine, campaign_id)
    offer = config.campaigns.offers[campaign["offer"]]
    report = {
        "campaign": campaign_id,
        "name": campaign["name"],
        "offer": campaign["offer"],
        **campaign_report(members, events, messages, offer, seed=campaign_id),
    }
    return report


def unsubscribe(settings: Settings, config: RunConfig, token: str) -> tuple[int, str]:
    """Honour an unsubscribe link: the customer of the signed token is never contacted again
    on any channel (idempotent). Returns (campaign id, customer id)."""
    if settings.secret_key is None:
        raise ConfigError("unsubscribe links need RETAINAI_SECRET_KEY")
    secret = settings.secret_key.get_secret_value()
    campaign_id, customer_id = read_token(secret, token, max_age=UNSUBSCRIBE_MAX_AGE_DAYS * 86400)
    with db.connected(settings) as engine:
        _campaign(engine, config, int(campaign_id))
        store.suppress(engine, config.dataset.name, str(customer_id), "all", "unsubscribed")
    return int(campaign_id), str(customer_id)


def _campaign(engine, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    found = store.get_campaign(engine, campaign_id)
    if found is None or found.get("dataset") != config.dataset.name:
        raise NotFoundError(f"no campaign {campaign_id} of {config.dataset.name}")
    return found
