"""Moving a campaign on: approving its drafts, recording its outcomes, finding the ones due
to be sent. Each refuses a wrong state with a ConflictError that says what to do first."""

from __future__ import annotations

from datetime import UTC, datetime

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.core.campaign_report import event_rows
from tasks.core.errors import ConflictError
from tasks.core.outreach import due_campaigns as due
from tasks.i18n import N_
from tasks.services.campaigns.commands import ApproveCampaign, RecordOutcomes
from tasks.services.campaigns.views import stored_campaign
from tasks.services.context import Context

APPROVABLE = ("draft", "approved")


def approve_campaign(ctx: Context, config: RunConfig, command: ApproveCampaign) -> int:
    """Approve every draft message of the campaign; returns how many were approved. Refused
    while it has no draft message (write them first) or once its sending has begun."""
    engine, campaign_id = ctx.engine, command.campaign_id
    campaign = stored_campaign(engine, config, campaign_id)
    if campaign["status"] not in APPROVABLE:
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: nothing to approve"),
            id=campaign_id,
            status=campaign["status"],
        )
    drafts = store.messages(engine, campaign_id, "draft")
    if drafts.empty and campaign["status"] == "draft":
        raise ConflictError(
            N_("campaign %(id)s has no draft message: generate them first"), id=campaign_id
        )
    keys = list(zip(drafts["customer_id"], drafts["channel"], strict=True))
    moved = store.move_messages(engine, campaign_id, keys, "draft", "approved")
    store.update_campaign(
        engine,
        campaign_id,
        status="approved",
        approved_by=command.approved_by,
        approved_at=datetime.now(UTC),
    )
    return moved


def record_outcomes(ctx: Context, config: RunConfig, command: RecordOutcomes) -> int:
    """Outcome events of a campaign's customers (idempotent per event key); returns how many
    were new. Unknown events (InvalidInputError) and customers outside the audience
    (ConflictError) are refused before anything is stored."""
    stored_campaign(ctx.engine, config, command.campaign_id)
    members = store.audience(ctx.engine, command.campaign_id)["customer_id"]
    rows = event_rows(command.events, command.campaign_id, members)
    return store.record_events(ctx.engine, rows)


def due_campaigns(ctx: Context, config: RunConfig) -> list[int]:
    """The campaigns to send now: approved (or cut short while sending), their time come."""
    return due(store.list_campaigns(ctx.engine, config.dataset.name), datetime.now(UTC))
