"""A demonstration campaign's outcomes, drawn by the campaign simulator (known true lift)."""

from __future__ import annotations

import pandas as pd

from configs.schema import RunConfig
from data.campaigns import event_table, simulate_campaign
from tasks.adapters import campaign_store as store
from tasks.core.audience import TREATED
from tasks.services import campaigns
from tasks.services.campaigns import RecordOutcomes
from tasks.services.context import Context


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
