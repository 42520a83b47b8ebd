"""The campaign stages of the flows, as Prefect tasks over the campaign use cases
(tasks/services/campaigns): create the draft, write its messages, import contacts."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.core.progress import step
from tasks.services import campaigns, contacts
from tasks.services.campaigns import CampaignDraft, CampaignView
from tasks.services.context import Context


@task(name="create-campaign", cache_policy=NO_CACHE)
def create_campaign(ctx: Context, config: RunConfig, draft: CampaignDraft) -> CampaignView:
    """A draft campaign with its audience and holdout stored (before any message exists)."""
    made = campaigns.create_campaign(ctx, config, draft)
    step(f"campaign {made.id}: {made.audience:,} customers, {made.holdout:,} held out")
    return made


@task(name="write-campaign-messages", retries=1, cache_policy=NO_CACHE)
def generate_messages(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """Messages for the treated customers with a contact and consent on each channel."""
    written = [0]

    def progress(stored: int) -> None:
        written[0] += stored
        step(f"campaign {campaign_id}: {written[0]:,} messages written")

    totals = campaigns.generate_messages(ctx, config, campaign_id, progress)
    step(
        f"campaign {campaign_id}: {totals['messages']:,} messages "
        f"({totals['prompts_asked']:,} prompts asked, {totals['answers_reused']:,} answers "
        f"reused), skipped {totals['skipped'] or 'none'}"
    )
    return totals


@task(name="import-contacts", retries=1, cache_policy=NO_CACHE)
def import_contacts(ctx: Context, config: RunConfig, raw: pd.DataFrame) -> int:
    """Contacts with their consents into their table (see `contacts.import_contacts`)."""
    return contacts.import_contacts(ctx, config, raw)
