"""The campaign API: create a campaign (audience by expected profit, holdout stored), read
it, its messages and its report, approve its drafts, record outcome events (writing and
sending are background work: serving/api/campaign_work.py). Every route translates its
JSON into a use case's command (tasks/services/campaigns); typed errors become statuses in
serving/errors.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi import Request as HttpRequest
from starlette.concurrency import run_in_threadpool

from serving.api.campaign_models import (
    Approved,
    Campaign,
    CampaignRequest,
    EventsRecorded,
    EventsRequest,
    MessagePage,
    MessageStatus,
)
from serving.api.models import Message
from serving.auth import Analyst, MessageReader, Reader
from serving.refusals import api_language
from serving.state import OrjsonResponse, State
from tasks.core.audience import AudienceFilter
from tasks.services import campaigns
from tasks.services.campaigns import (
    ApproveCampaign,
    CampaignDraft,
    InvalidDraftError,
    RecordOutcomes,
)

router = APIRouter(tags=["campaigns"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}
REFUSED = {404: {"model": Message}, 409: {"model": Message}}
WITH_BODY = {**REFUSED, 400: {"model": Message, "description": "The body cannot be decoded"}}
CampaignId = Annotated[int, Path(ge=1, le=2**31 - 1)]
WHERE = {"audience": ("segment_filter",), "name": ("name",)}  # the draft's fields in the body
RENAMED = {"min_probability": "min_churn_probability", "max_probability": "max_churn_probability"}


def _draft(request: CampaignRequest, who: str) -> CampaignDraft:
    wanted = request.segment_filter
    return CampaignDraft(
        name=request.name,
        created_by=who,
        offer=request.offer,
        channels=tuple(request.channels),
        audience=AudienceFilter(
            risk_segments=tuple(wanted.risk_segments),
            min_probability=wanted.min_churn_probability,
            max_probability=wanted.max_churn_probability,
            segment_values=tuple(wanted.segment_values) if wanted.segment_values else None,
            min_lifetime_value=wanted.min_lifetime_value,
            limit=wanted.limit,
        ),
        holdout_share=request.holdout_share,
        scheduled_at=request.scheduled_at,
        rank=request.rank,
    )


def _refused(error: InvalidDraftError, language: str) -> OrjsonResponse:
    """A draft's broken rule as the API names a body's fields (422, like schema errors), the
    reason in the caller's language (Accept-Language)."""
    head, *rest = error.field
    loc = ["body", *WHERE.get(str(head), (head,)), *(RENAMED.get(str(p), p) for p in rest)]
    detail = [{"loc": loc, "msg": error.reason_in(language), "type": "value_error"}]
    return OrjsonResponse({"detail": detail}, status_code=422)


@router.post("/campaigns", status_code=201, response_model=Campaign, responses=WITH_BODY)
async def create_campaign(
    request: CampaignRequest, state: State, caller: Analyst, http: HttpRequest
):
    """Create a draft campaign: the current scores filtered and ranked by expected profit,
    cut at the limit (default: the profit-maximising size), the holdout drawn per risk
    segment and stored with the audience. 409 when no one matches, or no scores exist."""
    draft = _draft(request, caller.actor)
    try:
        made = await run_in_threadpool(
            campaigns.create_campaign, state.context, state.config, draft
        )
    except InvalidDraftError as error:
        return _refused(error, api_language(http))
    return OrjsonResponse(made.as_json(), status_code=201)


@router.get("/campaigns", response_model=list[Campaign])
async def list_campaigns(state: State, _caller: Reader) -> OrjsonResponse:
    """The table's campaigns, newest first, with their status, audience and messages."""
    found = await run_in_threadpool(campaigns.list_campaigns, state.context, state.config)
    return OrjsonResponse([view.as_json() for view in found])


@router.get("/campaigns/{campaign_id}", response_model=Campaign, responses=NOT_FOUND)
async def get_campaign(campaign_id: CampaignId, state: State, _caller: Reader):
    """One campaign, as the list shows it."""
    found = await run_in_threadpool(
        campaigns.get_campaign, state.context, state.config, campaign_id
    )
    return OrjsonResponse(found.as_json())


@router.get("/campaigns/{campaign_id}/messages", response_model=MessagePage, responses=NOT_FOUND)
async def campaign_messages(
    campaign_id: CampaignId,
    state: State,
    _caller: MessageReader,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> OrjsonResponse:
    """The campaign's messages by customer (one per customer and channel), paginated."""
    found = await run_in_threadpool(
        campaigns.campaign_messages, state.context, state.config, campaign_id, status
    )
    page = found.iloc[offset : offset + limit].drop(columns=["campaign_id"])
    items = [{str(k): _plain(v) for k, v in row.items()} for row in page.to_dict("records")]
    next_offset = offset + limit if offset + limit < len(found) else None
    return OrjsonResponse(
        {"items": items, "limit": limit, "offset": offset, "next_offset": next_offset}
    )


def _plain(value):
    """A frame's cell as JSON takes it: NaN and NaT as null, Timestamps as datetimes."""
    if value is None or value != value:
        return None
    return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value


@router.get("/campaigns/{campaign_id}/approval", responses=NOT_FOUND)
async def approval_quote(campaign_id: CampaignId, state: State, _caller: Analyst):
    """What approving now commits to: the draft messages and customers, what their contacts
    and the offers they are expected to accept cost (in the table's currency), and whether
    the four-eyes rule (campaigns.require_second_approver) applies."""
    found = await run_in_threadpool(
        campaigns.approval_quote, state.context, state.config, campaign_id
    )
    return OrjsonResponse(found.as_json())


@router.post("/campaigns/{campaign_id}/approve", response_model=Approved, responses=REFUSED)
async def approve_campaign(
    campaign_id: CampaignId,
    state: State,
    caller: Analyst,
    expected_messages: Annotated[int | None, Query(ge=0, le=100_000_000)] = None,
):
    """Approve every draft message of the campaign; with `expected_messages` (the count of
    GET .../approval the caller confirmed) refused (409) when the drafts changed since. With
    campaigns.require_second_approver, 403 unless the caller is a person (a login token)
    other than the campaign's creator."""
    command = ApproveCampaign(campaign_id, caller.actor, caller.is_login, expected_messages)
    moved = await run_in_threadpool(
        campaigns.approve_campaign, state.context, state.config, command
    )
    return OrjsonResponse({"campaign": campaign_id, "approved": moved})


@router.get("/campaigns/{campaign_id}/report", responses=NOT_FOUND)
async def campaign_report(campaign_id: CampaignId, state: State, _caller: Reader):
    """Sent, accepted, retention treated vs holdout, lift with its 95% interval (method
    named), p-value, revenue net of costs with its interval, generation cost."""
    found = await run_in_threadpool(campaigns.read_report, state.context, state.config, campaign_id)
    return OrjsonResponse(found)


@router.post("/campaigns/{campaign_id}/events", response_model=EventsRecorded, responses=WITH_BODY)
async def record_events(
    campaign_id: CampaignId, request: EventsRequest, state: State, _caller: Analyst
) -> OrjsonResponse:
    """Outcome events of the campaign's customers, idempotent per event key (default
    `customer_id:event`). Unknown customers are refused (409) before anything is stored."""
    now = datetime.now(UTC)
    rows = [e.model_dump() for e in request.events]
    for row in rows:
        row["event_key"] = row["event_key"] or f"{row['customer_id']}:{row['event']}"
        row["occurred_at"] = row["occurred_at"] or now
    command = RecordOutcomes(campaign_id, pd.DataFrame(rows))
    new = await run_in_threadpool(campaigns.record_outcomes, state.context, state.config, command)
    return OrjsonResponse({"campaign": campaign_id, "received": len(rows), "new": new})
