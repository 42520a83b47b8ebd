"""Campaign stages of the flows: create the draft (see `campaign_actions`), write messages.

Messages are written for the treated customers with a contact and consent on each
channel (never for the holdout, never to suppressed customers), one per (customer, channel).
"""

from __future__ import annotations

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
from tasks.campaign_actions import campaign_of, draft_campaign
from tasks.core.audience import HOLDOUT, AudienceFilter, Offer
from tasks.core.contacts import contact_rows
from tasks.core.message_facts import Offer as MessageOffer
from tasks.core.message_facts import build_facts
from tasks.progress import step
from tasks.stores import ensure_database


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
    """A draft campaign with its audience and holdout stored (before any message exists)."""
    campaign = draft_campaign(settings, config, name, offer, channels, wanted, holdout_share,
                              created_by, scheduled_at)  # fmt: skip
    totals = campaign["totals"]
    step(f"campaign {campaign['id']}: {totals['audience']:,} customers, "
         f"{totals['holdout']:,} held out")  # fmt: skip
    return campaign


@task(name="write-campaign-messages", retries=1, cache_policy=NO_CACHE)
def generate_messages(
    settings: Settings, config: RunConfig, campaign_id: int, prompts: Path | None = None
) -> dict[str, Any]:
    """Messages for the treated customers with a contact and consent on each channel, in one
    batch through the message writer (LLM, else templates); existing messages are kept."""
    campaign = campaign_of(settings, config, campaign_id)
    with db.connected(settings) as engine:
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


@task(name="import-contacts", retries=1, cache_policy=NO_CACHE)
def import_contacts(settings: Settings, config: RunConfig, raw: pd.DataFrame) -> int:
    """Contacts (customer_id, first_name, email, phone, consent_email, consent_sms) into
    their table, replacing earlier rows of the same customers, in one transaction."""
    rows = contact_rows(raw, config.dataset.name)
    ensure_database(settings)
    with db.connected(settings) as engine:
        return store.upsert_contacts(engine, rows)
