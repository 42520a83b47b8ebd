"""The campaign API: create a campaign (audience by expected profit, holdout stored), read
it, its messages and its report, approve its drafts, record outcome events, and the public
unsubscribe link of its emails. Writing messages and sending them are runs of the flows."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import HTMLResponse
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
from serving.state import OrjsonResponse, State
from tasks import campaign_actions as actions
from tasks.core.audience import AudienceFilter
from tasks.core.errors import ConfigError, NotFoundError, UnsubscribeTokenError

router = APIRouter(tags=["campaigns"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}
REFUSED = {404: {"model": Message}, 409: {"model": Message}}
WITH_BODY = {**REFUSED, 400: {"model": Message, "description": "The body cannot be decoded"}}
CampaignId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _call(function, *args):
    """A campaign action in the thread pool; its ConfigError is the caller's to fix (409); a
    missing campaign (NotFoundError) is the app's 404 (serving/errors.py)."""
    try:
        return await run_in_threadpool(function, *args)
    except ConfigError as exc:
        raise HTTPException(409, str(exc)) from None


@router.post("/campaigns", status_code=201, response_model=Campaign, responses=WITH_BODY)
async def create_campaign(request: CampaignRequest, state: State, caller: Analyst):
    """Create a draft campaign: the current scores filtered and ranked by expected profit,
    cut at the limit (default: the profit-maximising size), the holdout drawn per risk
    segment and stored with the audience. 409 when no one matches, or no scores exist."""
    config, wanted = state.config, request.segment_filter
    column, allowed = config.dataset.roles.segment, config.dataset.segment_values
    message = f"not a {column} value; allowed: {allowed}" if column else "the table has no segment"
    where = ["body", "segment_filter", "segment_values"]
    values = enumerate(wanted.segment_values or [])
    wrong = [
        {"loc": [*where, i], "msg": message, "type": "literal_error"}
        for i, value in values
        if value not in allowed
    ]
    if wrong:
        return OrjsonResponse({"detail": wrong}, status_code=422)
    audience = AudienceFilter(
        risk_segments=tuple(wanted.risk_segments),
        min_probability=wanted.min_churn_probability,
        max_probability=wanted.max_churn_probability,
        segment_values=tuple(wanted.segment_values) if wanted.segment_values else None,
        min_lifetime_value=wanted.min_lifetime_value,
        limit=wanted.limit,
    )
    share = request.holdout_share or config.campaigns.holdout_share
    if request.offer is not None and request.offer not in config.campaigns.offers:
        message = f"not an offer of the catalogue: {list(config.campaigns.offers)}"
        detail = [{"loc": ["body", "offer"], "msg": message, "type": "literal_error"}]
        return OrjsonResponse({"detail": detail}, status_code=422)
    offer = await _call(actions.offer_of, config, request.offer, list(request.channels))
    created = await _call(
        actions.draft_campaign,
        state.settings,
        config,
        request.name,
        offer,
        list(request.channels),
        audience,
        share,
        caller.actor,
        request.scheduled_at,
    )
    return OrjsonResponse(created, status_code=201)


@router.get("/campaigns", response_model=list[Campaign])
async def list_campaigns(state: State, _caller: Reader) -> OrjsonResponse:
    """The table's campaigns, newest first, with their status and totals."""
    return OrjsonResponse(await _call(actions.campaigns_of, state.settings, state.config))


@router.get("/campaigns/{campaign_id}", response_model=Campaign, responses=NOT_FOUND)
async def get_campaign(campaign_id: CampaignId, state: State, _caller: Reader):
    """One campaign with its status and totals."""
    return OrjsonResponse(
        await _call(actions.campaign_of, state.settings, state.config, campaign_id)
    )


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
    found = await _call(actions.messages_of, state.settings, state.config, campaign_id, status)
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


@router.post("/campaigns/{campaign_id}/approve", response_model=Approved, responses=NOT_FOUND)
async def approve_campaign(campaign_id: CampaignId, state: State, caller: Analyst):
    """Approve every draft message of the campaign (sending is a run of the send flow)."""
    moved = await _call(actions.approve, state.settings, state.config, campaign_id, caller.actor)
    return OrjsonResponse({"campaign": campaign_id, "approved": moved})


@router.get("/campaigns/{campaign_id}/report", responses=NOT_FOUND)
async def campaign_report(campaign_id: CampaignId, state: State, _caller: Reader):
    """Sent, accepted, retention treated vs holdout, lift with its 95% interval (method
    named), p-value, revenue net of costs with its interval, generation cost."""
    found = await _call(actions.read_report, state.settings, state.config, campaign_id)
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
    frame = pd.DataFrame(rows)
    new = await _call(actions.record_outcomes, state.settings, state.config, campaign_id, frame)
    return OrjsonResponse({"campaign": campaign_id, "received": len(rows), "new": new})


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>"""


def _page(title: str, text: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=title, text=text, form=form), status_code=status)


@router.get("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe_page(token: Annotated[str, Path(max_length=1024)]) -> HTMLResponse:
    """The link in an email: a page whose button unsubscribes (a GET changes nothing, so
    mail scanners that follow links unsubscribe no one)."""
    form = (
        f'<form method="post" action="{escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", "Stop all retention messages to you?", form)


@router.post("/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False)
async def unsubscribe(token: Annotated[str, Path(max_length=1024)], state: State) -> HTMLResponse:
    """The button, and one-click unsubscribe from the mail client (RFC 8058): the customer
    of the signed token is never contacted again, on any channel."""
    try:
        await run_in_threadpool(actions.unsubscribe, state.settings, state.config, token)
    except UnsubscribeTokenError:
        return _page(
            "Link not valid", "This unsubscribe link is not valid or has expired.", status=400
        )
    except (ConfigError, NotFoundError):
        return _page("Link not valid", "This unsubscribe link is not valid.", status=404)
    return _page("Unsubscribed", "You will receive no more retention messages from us.")
