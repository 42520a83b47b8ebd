"""A demonstration campaign: its settings (links the served app accepts) and its outcomes,
drawn by the campaign simulator (known true lift)."""

from __future__ import annotations

import pandas as pd

from configs.schema import RunConfig
from configs.settings import Settings
from data.campaigns import event_table, simulate_campaign
from tasks.adapters import campaign_store as store
from tasks.adapters.local_secret import with_local_secret
from tasks.core.audience import TREATED
from tasks.services import campaigns
from tasks.services.campaigns import RecordOutcomes
from tasks.services.context import Context


def demo_settings(settings: Settings, served_url: str) -> Settings:
    """The demo's sending settings: links signed with the key `retainai serve` checks them
    with (RETAINAI_SECRET_KEY, else in development the state folder's key) and pointing at
    RETAINAI_PUBLIC_URL, else at `served_url` (where `retainai serve` listens); a sender on
    a domain that never delivers unless RETAINAI_MAIL_FROM says otherwise."""
    return with_local_secret(settings).model_copy(
        update={
            "public_url": settings.public_url or served_url,
            "mail_from": settings.mail_from or "RetainAI demo <retention@example.test>",
        }
    )


def simulate_outcomes(
    ctx: Context, config: RunConfig, campaign_id: int, customers: pd.DataFrame
) -> float:
    """Draw the audience's outcomes with the simulator (the customers' own columns plus their
    scores), record them as events, and return the simulator's true lift."""
    members = store.audience(ctx.engine, campaign_id)
    ids = config.dataset.id_column
    found = members.merge(customers.rename(columns={ids: "customer_id"}), on="customer_id")
    drawn = simulate_campaign(found, (found["arm"] == TREATED).to_numpy(), seed=campaign_id)
    campaigns.record_outcomes(ctx, config, RecordOutcomes(campaign_id, event_table(drawn.events)))
    return drawn.true_lift
