"""The retention campaign flows: draft a campaign (audience, holdout, messages), and send one
that a person approved, then report it. Sending always waits for approval."""

from __future__ import annotations

from typing import Any, Literal

from prefect import flow

from configs.schema import RunConfig, load_config
from tasks.campaign import create_campaign, generate_messages
from tasks.campaign_delivery import find_due_campaigns, report_campaign, send_campaign
from tasks.core.errors import InvalidInputError
from tasks.ingest import ingest
from tasks.run_setup import run_settings
from tasks.services.campaigns import AudienceFilter, CampaignDraft, SendCampaign
from tasks.services.context import Context


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
    config, ctx = load_config(config_path), Context(run_settings())
    if rank_by == "uplift" and not data:
        raise InvalidInputError("rank_by uplift needs data: the customers' table")
    customers = ingest(data, table, None, ctx.settings) if rank_by == "uplift" else None
    wanted = AudienceFilter(
        min_probability=min_probability,
        max_probability=max_probability,
        segment_values=tuple(segment_values) if segment_values else None,
        min_lifetime_value=min_lifetime_value,
        limit=limit,
    )
    if risk_segments:
        wanted = AudienceFilter(**{**wanted.__dict__, "risk_segments": tuple(risk_segments)})
    draft = CampaignDraft(
        name=name,
        created_by=created_by,
        offer=offer,
        channels=tuple(channels) if channels else CampaignDraft.channels,
        audience=wanted,
        holdout_share=holdout_share,
        customers=customers,
        start_writing=False,  # this flow writes them itself, next
    )
    campaign = create_campaign(ctx, config, draft)
    totals = generate_messages(ctx, config, campaign.id)
    return {"campaign": campaign.id, "status": "draft", "totals": totals}


@flow(name="write-campaign-messages")
def write_campaign_messages(config_path: str, campaign_id: int) -> dict[str, Any]:
    """Write the missing messages of an existing draft campaign (the dashboard launches this
    as soon as a campaign is created); the ones already written are kept."""
    config, ctx = load_config(config_path), Context(run_settings())
    totals = generate_messages(ctx, config, campaign_id)
    return {"campaign": campaign_id, "status": "draft", "totals": totals}


@flow(name="send-retention-campaign")
def send_retention_campaign(
    config_path: str, campaign_id: int, retry_unknown: bool = False
) -> dict[str, Any]:
    """Send an approved campaign's messages once each, then report it (`retry_unknown`: a
    person decided to send again what a crash left unknown)."""
    ctx = Context(run_settings())
    return _send_and_report(ctx, load_config(config_path), campaign_id, retry_unknown)


@flow(name="send-due-campaigns")
def send_due_campaigns(config_path: str) -> list[dict[str, Any]]:
    """Send every campaign a person approved whose send time has come (a schedule runs this),
    one after the other; each is sent at most once per message and reported."""
    config, ctx = load_config(config_path), Context(run_settings())
    due = find_due_campaigns(ctx, config)
    return [_send_and_report(ctx, config, campaign_id) for campaign_id in due]


def _send_and_report(
    ctx: Context, config: RunConfig, campaign_id: int, retry_unknown: bool = False
) -> dict[str, Any]:
    counts = send_campaign(ctx, config, SendCampaign(campaign_id, retry_unknown))
    report = report_campaign(ctx, config, campaign_id)
    return {"campaign": campaign_id, "sent": counts, "report": report}
