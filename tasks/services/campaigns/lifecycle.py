"""Moving a campaign on: approving its drafts, recording its outcomes, finding the ones due
to be sent. Each refuses a wrong state with a ConflictError that says what to do first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.core.campaign_report import event_rows
from tasks.core.errors import ConflictError, SecondApproverError
from tasks.core.outreach import due_campaigns as due
from tasks.i18n import N_
from tasks.services.campaigns.commands import ApproveCampaign, RecordOutcomes
from tasks.services.campaigns.views import refresh_report, stored_campaign
from tasks.services.context import Context

APPROVABLE = ("draft", "approved")


@dataclass(frozen=True)
class ApprovalQuote:
    """What approving a campaign's drafts commits to, shown before a person confirms."""

    campaign_id: int
    messages: int  # draft messages to approve
    customers: int  # treated customers they reach
    by_channel: dict[str, int]
    contact_cost: float  # messages x the offer's cost per contact
    expected_offer_cost: float  # customers x acceptance rate x cost per acceptance
    generation_cost: float  # already spent writing them
    currency: str
    second_approver: bool  # the four-eyes rule is on
    created_by: str

    @property
    def cost(self) -> float:
        """What sending them is expected to cost: contacts and accepted offers."""
        return round(self.contact_cost + self.expected_offer_cost, 2)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "cost": self.cost}


def approval_quote(ctx: Context, config: RunConfig, campaign_id: int) -> ApprovalQuote:
    """The count and the cost of approving the campaign's draft messages now."""
    campaign = stored_campaign(ctx.engine, config, campaign_id)
    drafts = store.messages(ctx.engine, campaign_id, "draft")
    offer = config.campaigns.offers[campaign["offer"]]
    customers = int(drafts["customer_id"].nunique()) if len(drafts) else 0
    by_channel = {str(k): int(v) for k, v in drafts["channel"].value_counts().items()}
    return ApprovalQuote(
        campaign_id=campaign_id,
        messages=len(drafts),
        customers=customers,
        by_channel=by_channel,
        contact_cost=round(len(drafts) * offer.cost_per_contact, 2),
        expected_offer_cost=round(customers * offer.acceptance_rate * offer.cost_per_acceptance, 2),
        generation_cost=round(float(drafts["cost"].sum()) if len(drafts) else 0.0, 6),
        currency=config.dataset.currency,
        second_approver=config.campaigns.require_second_approver,
        created_by=str(campaign["created_by"]),
    )


def check_approver(config: RunConfig, campaign: dict[str, Any], command: ApproveCampaign):
    """The four-eyes rule, when the run config asks for it: a person, not its creator."""
    if not config.campaigns.require_second_approver:
        return
    if not command.person or not command.approved_by:
        raise SecondApproverError(
            N_(
                "approving a campaign needs a signed-in person (a session or a login token), "
                "not an API token: campaigns.require_second_approver is on"
            )
        )
    if command.approved_by.strip().casefold() == str(campaign["created_by"]).casefold():
        raise SecondApproverError(
            N_(
                "%(who)s created campaign %(id)s: another person must approve it "
                "(campaigns.require_second_approver)"
            ),
            who=command.approved_by,
            id=campaign["id"],
        )


def approve_campaign(ctx: Context, config: RunConfig, command: ApproveCampaign) -> int:
    """Approve every draft message of the campaign; returns how many were approved. Refused
    while it has no draft message (write them first), once its sending has begun, when the
    drafts are no longer the count the person confirmed, and by the four-eyes rule."""
    engine, campaign_id = ctx.engine, command.campaign_id
    campaign = stored_campaign(engine, config, campaign_id)
    if campaign["status"] not in APPROVABLE:
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: nothing to approve"),
            id=campaign_id,
            status=campaign["status"],
        )
    check_approver(config, campaign, command)
    drafts = store.messages(engine, campaign_id, "draft")
    if drafts.empty and campaign["status"] == "draft":
        raise ConflictError(
            N_("campaign %(id)s has no draft message: generate them first"), id=campaign_id
        )
    expected = command.expected_messages
    if expected is not None and expected != len(drafts):
        raise ConflictError(
            N_(
                "campaign %(id)s has %(drafts)s draft messages, not the %(expected)s "
                "confirmed: review them and confirm again"
            ),
            id=campaign_id,
            drafts=f"{len(drafts):,}",
            expected=f"{expected:,}",
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
    were new, and stores the campaign's report computed again when any is. Unknown events
    (InvalidInputError) and customers outside the audience (ConflictError) are refused before
    anything is stored."""
    stored_campaign(ctx.engine, config, command.campaign_id)
    members = store.audience(ctx.engine, command.campaign_id)["customer_id"]
    rows = event_rows(command.events, command.campaign_id, members)
    new = store.record_events(ctx.engine, rows)
    if new:  # the outcomes changed: the report is computed once, here, and stored
        refresh_report(ctx, config, command.campaign_id)
    return new


def due_campaigns(ctx: Context, config: RunConfig) -> list[int]:
    """The campaigns to send now: approved (or cut short while sending), their time come."""
    return due(store.list_campaigns(ctx.engine, config.dataset.name), datetime.now(UTC))
