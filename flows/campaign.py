"""The retention campaign flows: draft a campaign (audience, holdout, messages), and send one
that a person approved, then report it. Sending always waits for approval."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow

from configs.errors import ConfigError
from configs.schema import load_config
from configs.settings import Settings
from tasks.campaign import AudienceFilter, create_campaign, generate_messages
from tasks.campaign_actions import offer_of
from tasks.campaign_delivery import find_due_campaigns, report_campaign, send_campaign
from tasks.ingest import ingest


@flow(name="run-retention-campaign")
def run_retention_campaign(
    config_path: str,
    name: str,
    offer: str,
    channels: list[str] | None = None,
    risk_segments: list[str] | None = None,
    min_probability: float | None = None,
    max_probability: float | None = None,
    segment_values: list[str] | None = None,
    min_lifetime_value: float | None = None,
    limit: int | None = None,
    holdout_share: float | None = None,
    created_by: str = "flow",
    rank_by: Literal["risk", "uplift"] = "risk",
    data: str | None = None,
    table: str | None = None,
) -> dict[str, Any]:
    """Choose the audience by expected profit (from churn risk, or from the champion uplift
    model on the customers' table `data`), hold out its share, write the drafts."""
    config = load_config(config_path)
    settings = Settings()
    if rank_by == "uplift" and not data:
        raise ConfigError("rank_by uplift needs data: the customers' table")
    customers = ingest(data, table, None, settings) if rank_by == "uplift" else None
    channels = channels or ["email"]
    wanted = AudienceFilter(
        risk_segments=tuple(risk_segments or ("high", "medium")),
        min_probability=min_probability,
        max_probability=max_probability,
        segment_values=tuple(segment_values) if segment_values else None,
        min_lifetime_value=min_lifetime_value,
        limit=limit,
    )
    chosen = offer_of(config, offer, channels)
    share = holdout_share if holdout_share is not None else config.campaigns.holdout_share
    campaign = create_campaign(
        settings, config, name, chosen, channels, wanted, share, created_by, customers=customers
    )
    totals = generate_messages(settings, config, campaign["id"])
    return {"campaign": campaign["id"], "status": "draft", "totals": totals}


@flow(name="send-retention-campaign")
def send_retention_campaign(config_path: str, campaign_id: int) -> dict[str, Any]:
    """Send an approved campaign's messages once each, then report it."""
    return _send_and_report(Settings(), load_config(config_path), campaign_id)


@flow(name="send-due-campaigns")
def send_due_campaigns(config_path: str) -> list[dict[str, Any]]:
    """Send every campaign a person approved whose send time has come (a schedule runs this),
    one after the other; each is sent at most once per message and reported."""
    config, settings = load_config(config_path), Settings()
    due = find_due_campaigns(settings, config)
    return [_send_and_report(settings, config, campaign_id) for campaign_id in due]


def _send_and_report(settings: Settings, config, campaign_id: int) -> dict[str, Any]:
    counts = send_campaign(settings, config, campaign_id)
    report = report_campaign(settings, config, campaign_id)
    return {"campaign": campaign_id, "sent": counts, "report": report}
