"""The retention campaign flows: draft a campaign (audience, holdout, messages), and send one
that a person approved, then report it. Sending always waits for approval."""

from __future__ import annotations

from typing import Any

from prefect import flow

from configs.schema import load_config
from configs.settings import Settings
from tasks.campaign import AudienceFilter, create_campaign, generate_messages
from tasks.campaign_actions import offer_of
from tasks.campaign_delivery import report_campaign, send_campaign


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
) -> dict[str, Any]:
    """Choose the audience by expected profit, hold out its share, write the drafts."""
    config = load_config(config_path)
    settings = Settings()
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
    campaign = create_campaign(settings, config, name, chosen, channels, wanted, share, created_by)
    totals = generate_messages(settings, config, campaign["id"])
    return {"campaign": campaign["id"], "status": "draft", "totals": totals}


@flow(name="send-retention-campaign")
def send_retention_campaign(config_path: str, campaign_id: int) -> dict[str, Any]:
    """Send an approved campaign's messages once each, then report it."""
    config = load_config(config_path)
    settings = Settings()
    counts = send_campaign(settings, config, campaign_id)
    return {"campaign": campaign_id, "sent": counts, "report": report_campaign(
        settings, config, campaign_id)}  # fmt: skip
