"""Campaign stages: choose the audience by expected profit with its holdout, write messages.

A campaign is created as a draft with its audience and holdout stored before any message
exists; messages are written for the treated customers with a contact and consent on each
channel (never for the holdout, never to suppressed customers), one per (customer, channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.llm import MessageRequest, write_messages
from tasks.core.audience import (
    HOLDOUT,
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
from tasks.core.contacts import contact_rows
from tasks.core.errors import ConfigError
from tasks.core.message_facts import Offer as MessageOffer
from tasks.core.message_facts import build_facts
from tasks.core.plots import profit_curve_figure
from tasks.progress import step
from tasks.stores import ensure_database


@dataclass(frozen=True)
class Preview:
    """What a campaign would contact: ranked candidates, the chosen audience, its curve."""

    ranked: pd.DataFrame
    audience: pd.DataFrame
    curve: ProfitCurve | None  # None without a value role (ranked by risk)


def offer_of(config: RunConfig, name: str, channels: list[str]) -> Offer:
    """The catalogue's offer, refusing unknown offers and channels it does not allow."""
    spec = config.campaigns.offers.get(name)
    if spec is None:
        known = ", ".join(config.campaigns.offers) or "none configured"
        raise ConfigError(f"unknown offer {name!r} (offers: {known})")
    wrong = [c for c in channels if c not in spec.channels]
    if wrong or not channels:
        raise ConfigError(f"offer {name!r} may use {spec.channels}, not {wrong or 'no channel'}")
    return Offer(name, spec.cost_per_acceptance, spec.cost_per_contact, spec.acceptance_rate,
                 tuple(spec.channels))  # fmt: skip


def preview_audience(
    settings: Settings, config: RunConfig, offer: Offer, wanted: AudienceFilter
) -> Preview:
    """The table's current scores filtered, ranked by expected profit (by risk without a
    value role) and cut at the chosen size."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        scores = store.candidates(engine, config.dataset.name)
    if scores.empty:
        raise ConfigError(f"no current scores of {config.dataset.name}: run `retainai score`")
    by_value = config.dataset.roles.value is not None and config.survival is not None
    ranked = rank_candidates(select_candidates(scores, wanted), offer, by_value)
    audience = choose_audience(ranked, wanted.limit, by_value)
    return Preview(ranked, audience, profit_curve(ranked) if by_value else None)


@task(name="create-campaign", cache_policy=NO_CACHE)
def create_campaign(
    settings: Settings,
    config: RunConfig,
    name: str,
    offer: Offer,
    channels: list[str],
    wanted: AudienceFilter,
    holdout_share: float,
    created_by: str,
    scheduled_at: datetime | None = None,
) -> dict[str, Any]:
    """A draft campaign with its audience and holdout stored (before any message exists), in
    one transaction."""
    check_holdout_share(holdout_share)
    audience = preview_audience(settings, config, offer, wanted).audience
    with db.connected(settings) as engine:
        campaign = store.create_campaign(
            engine,
            lambda campaign_id: audience.assign(
                arm=assign_holdout(audience, campaign_id, holdout_share)
            ),
            name=name, segment_filter=_filter_json(wanted), holdout_share=holdout_share,
            created_by=created_by, dataset=config.dataset.name, offer=offer.name,
            channels=channels, scheduled_at=scheduled_at,
            scores_as_of=audience["as_of"].max(),
        )  # fmt: skip
    totals = campaign["totals"]
    step(f"campaign {campaign['id']}: {totals['audience']:,} customers, "
         f"{totals['holdout']:,} held out")  # fmt: skip
    return campaign


def _filter_json(wanted: AudienceFilter) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in wanted.__dict__.items()}


@task(name="write-campaign-messages", retries=1, cache_policy=NO_CACHE)
def generate_messages(
    settings: Settings, config: RunConfig, campaign_id: int, prompts: Path | None = None
) -> dict[str, Any]:
    """Messages for the treated customers with a contact and consent on each channel, in one
    batch through the message writer (LLM, else templates); existing messages are kept."""
    with db.connected(settings) as engine:
        campaign = _campaign(engine, campaign_id)
        members = store.audience(engine, campaign_id)
        written = store.messages(engine, campaign_id)
        people = store.contacts_of(engine, config.dataset.name).set_index("customer_id")
        blocked = store.suppressed(engine, config.dataset.name)
        scores = store.candidates(engine, config.dataset.name).set_index("customer_id")
    spec = config.campaigns.offers[campaign["offer"]]
    offer = MessageOffer(campaign["offer"], spec.description)
    done = set(zip(written["customer_id"], written["channel"], strict=True))
    skipped: dict[str, int] = {}
    requests = []
    for customer in members.loc[members["arm"] != HOLDOUT, "customer_id"]:
        for channel in campaign["channels"]:
            reason = _skip(customer, channel, people, blocked)
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
            elif (customer, channel) not in done:
                facts = build_facts(scores.loc[customer].to_dict(), config, offer)
                requests.append(MessageRequest(facts, channel, key=f"{customer}\t{channel}"))
    results = write_messages(settings, requests) if requests else []
    rows = [_row(campaign_id, result) for result in results]
    with db.connected(settings) as engine:
        stored = store.save_messages(engine, rows)
        totals = {**(campaign["totals"] or {}), "skipped": skipped,
                  "messages": len(written) + stored,
                  "tokens": sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows),
                  "cost": round(sum(r["cost"] for r in rows), 6)}  # fmt: skip
        store.update_campaign(engine, campaign_id, totals=totals)
    step(f"campaign {campaign_id}: {stored:,} messages written, skipped {skipped or 'none'}")
    return totals


def _skip(customer: str, channel: str, people: pd.DataFrame, blocked: pd.DataFrame) -> str:
    """Why a customer gets no message on a channel ('' when they do)."""
    if customer not in people.index:
        return "no contact"
    person = people.loc[customer]
    address = person["email"] if channel == "email" else person["phone"]
    if not address or address != address:
        return f"no {channel} address"
    if not bool(person[f"consent_{channel}"]):
        return f"no {channel} consent"
    mine = blocked[blocked["customer_id"] == customer]
    if mine["channel"].isin([channel, "all"]).any():
        return "suppressed"
    return ""


def _row(campaign_id: int, result) -> dict[str, Any]:
    customer, channel = result.key.split("\t")
    message = result.message
    path = result.path if result.reason is None else f"{result.path}: {result.reason}"[:40]
    return {
        "campaign_id": campaign_id, "customer_id": customer, "channel": channel,
        "status": "draft", "subject": message.subject, "body": message.body,
        "call_to_action": message.call_to_action, "path": path,
        "prompt_version": result.prompt_version or result.template_version or "none",
        "prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
        "cost": result.cost,
    }  # fmt: skip


def _campaign(engine, campaign_id: int) -> dict[str, Any]:
    found = store.get_campaign(engine, campaign_id)
    if found is None or found.get("dataset") is None:
        raise ConfigError(f"no campaign {campaign_id}")
    return found


@task(name="import-contacts", retries=1, cache_policy=NO_CACHE)
def import_contacts(settings: Settings, config: RunConfig, raw: pd.DataFrame) -> int:
    """Contacts (customer_id, first_name, email, phone, consent_email, consent_sms) into
    their table, replacing earlier rows of the same customers, in one transaction."""
    rows = contact_rows(raw, config.dataset.name)
    ensure_database(settings)
    with db.connected(settings) as engine:
        return store.upsert_contacts(engine, rows)


def write_preview(preview: Preview, offer: Offer, folder: Path) -> dict[str, Any]:
    """The preview's figures (and the profit curve as a PNG in `folder`): the audience by
    risk segment, the profit-maximising size and what the chosen size costs."""
    audience = preview.audience
    summary: dict[str, Any] = {
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
        summary |= {"best_size": curve.best_size, "best_profit": round(curve.best_profit, 2),
                    "profit_at_audience": round(float(curve.profit[size]), 2)}  # fmt: skip
        folder.mkdir(parents=True, exist_ok=True)
        title = f"Expected profit of {offer.name} by audience size"
        figure = profit_curve_figure(curve.sizes, curve.profit, curve.best_size, title)
        figure.savefig(folder / "profit_curve.png")
        summary["profit_curve"] = str(folder / "profit_curve.png")
    return summary


def campaigns_of(settings: Settings, config: RunConfig) -> list[dict[str, Any]]:
    """The table's campaigns, newest first."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        return store.list_campaigns(engine, config.dataset.name)
