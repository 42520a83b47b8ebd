"""The campaign stages of the send flows, as Prefect tasks over the campaign use cases:
approve, find the campaigns due, send, record outcomes, report (also as an artifact)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.alerts import announce_send
from tasks.core.progress import step
from tasks.services import campaigns
from tasks.services.campaigns import ApproveCampaign, RecordOutcomes, SendCampaign
from tasks.services.context import Context


@task(name="approve-campaign", cache_policy=NO_CACHE)
def approve_campaign(ctx: Context, config: RunConfig, command: ApproveCampaign) -> int:
    """Approve every draft message of the campaign; returns how many were approved."""
    return campaigns.approve_campaign(ctx, config, command)


@task(name="send-campaign", cache_policy=NO_CACHE)
def send_campaign(ctx: Context, config: RunConfig, command: SendCampaign) -> dict[str, Any]:
    """Send the approved messages at most once each; counts per outcome."""
    counts = campaigns.send_campaign(ctx, config, command)
    step(f"campaign {command.campaign_id}: {counts}")
    announce_send(ctx.settings, command.campaign_id, counts)
    return counts


@task(name="due-campaigns", cache_policy=NO_CACHE)
def find_due_campaigns(ctx: Context, config: RunConfig) -> list[int]:
    """The campaigns to send now: approved (or cut short while sending), their time come."""
    return campaigns.due_campaigns(ctx, config)


@task(name="record-campaign-events", retries=1, cache_policy=NO_CACHE)
def record_events(ctx: Context, config: RunConfig, campaign_id: int, raw: pd.DataFrame) -> int:
    """Outcome events of a campaign's customers (idempotent per event key); how many were new."""
    return campaigns.record_outcomes(ctx, config, RecordOutcomes(campaign_id, raw))


@task(name="campaign-report", cache_policy=NO_CACHE)
def report_campaign(ctx: Context, config: RunConfig, campaign_id: int) -> dict[str, Any]:
    """The campaign's report (written under the reports folder), also a Prefect artifact."""
    report = campaigns.write_report(ctx, config, campaign_id)
    lift = report.get("lift")
    markdown_artifact(
        key=f"campaign-{campaign_id}-report",
        markdown=(
            f"**Campaign {campaign_id}** ({report['name']}): "
            + (
                f"lift {lift['lift']:+.3f} [{lift['low']:+.3f}, {lift['high']:+.3f}] "
                f"({lift['method']}, p={lift['p_value']:.3g})"
                if lift
                else report.get("note", "")
            )
        ),
    )
    return report


def markdown_artifact(key: str, markdown: str) -> None:
    """A Prefect markdown artifact when called inside a flow or task run (else nothing: a
    stage called as a plain function starts no Prefect API)."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is not None or TaskRunContext.get() is not None:
        create_markdown_artifact(key=key, markdown=markdown)
