"""Campaign stages of the flows: create the draft (see `campaign_actions`), write messages.

Messages are written for the treated customers with a contact and consent on each
channel (never for the holdout, never to suppressed customers), one per (customer, channel).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.campaign_actions import draft_campaign
from tasks.campaign_messages import write_campaign_messages
from tasks.core.audience import AudienceFilter, Offer
from tasks.core.contacts import contact_rows
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
    customers: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """A draft campaign with its audience and holdout stored (before any message exists);
    given the customers' table, its audience is ranked by the champion uplift model."""
    campaign = draft_campaign(
        settings,
        config,
        name,
        offer,
        channels,
        wanted,
        holdout_share,
        created_by,
        scheduled_at,
        customers,
    )
    totals = campaign["totals"]
    step(
        f"campaign {campaign['id']}: {totals['audience']:,} customers, "
        f"{totals['holdout']:,} held out"
    )
    return campaign


@task(name="write-campaign-messages", retries=1, cache_policy=NO_CACHE)
def generate_messages(settings: Settings, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """Messages for the treated customers with a contact and consent on each channel, written
    in batches through one message writer (LLM, else templates); existing messages are kept."""
    written = [0]

    def progress(stored: int) -> None:
        written[0] += stored
        step(f"campaign {campaign_id}: {written[0]:,} messages written")

    totals = write_campaign_messages(settings, config, campaign_id, progress)
    step(
        f"campaign {campaign_id}: {totals['messages']:,} messages, "
        f"skipped {totals['skipped'] or 'none'}"
    )
    return totals


@task(name="import-contacts", retries=1, cache_policy=NO_CACHE)
def import_contacts(settings: Settings, config: RunConfig, raw: pd.DataFrame) -> int:
    """Contacts (customer_id, first_name, email, phone, consent_email, consent_sms) into
    their table, replacing earlier rows of the same customers, in one transaction."""
    rows = contact_rows(raw, config.dataset.name)
    ensure_database(settings)
    with db.connected(settings) as engine:
        return store.upsert_contacts(engine, rows)
