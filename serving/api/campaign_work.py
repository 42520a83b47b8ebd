"""A campaign's background work over the API: write its messages, send it now, stop its
send, and read the progress (what the campaign page shows). The work goes through the one
launcher: a Prefect deployment run with a Prefect server, else a durable job that the
worker `retainai serve` starts takes; the routes answer 202 at once."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from serving.api.models import Message, Strict
from serving.auth import Analyst, Reader
from serving.state import OrjsonResponse, State
from tasks.services import campaigns
from tasks.services.campaigns import SendNow

router = APIRouter(tags=["campaigns"], default_response_class=OrjsonResponse)
REFUSED = {404: {"model": Message}, 409: {"model": Message}, 503: {"model": Message}}
WITH_BODY = {**REFUSED, 400: {"model": Message, "description": "The body cannot be decoded"}}
CampaignId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class Launched(BaseModel):
    """Where the work went: a job of the application database or a Prefect flow run."""

    campaign: int
    door: Literal["jobs", "prefect"]
    job: int | None
    flow_run: str | None
    new: bool  # False: the campaign's job already was this work


class SendRequest(Strict):
    retry_unknown: bool = False  # also send again what a crash left unknown (may duplicate)


class Stopped(BaseModel):
    campaign: int
    status: str


class Progress(BaseModel):
    campaign: int
    status: str
    work: Literal["writing", "sending"] | None
    job_state: str | None
    error: str | None
    written: int
    planned: int | None
    fallbacks: int
    cost: float
    sent: int
    failed: int
    unknown: int
    waiting: int
    active: bool


def _launched(campaign_id: int, found) -> OrjsonResponse:
    body = {"campaign": campaign_id, "door": found.door, "job": found.job}
    body |= {"flow_run": found.flow_run, "new": found.new}
    return OrjsonResponse(body, status_code=202)


@router.post(
    "/campaigns/{campaign_id}/generate",
    status_code=202,
    response_model=Launched,
    responses=REFUSED,
)
async def write_messages(campaign_id: CampaignId, state: State, caller: Analyst):
    """Write the draft campaign's missing messages in the background (creating a campaign
    already starts this). 409 once it is no longer a draft or while it is being sent."""
    found = await run_in_threadpool(
        campaigns.start_writing, state.context, state.config, campaign_id, caller.actor
    )
    return _launched(campaign_id, found)


@router.post(
    "/campaigns/{campaign_id}/send", status_code=202, response_model=Launched, responses=WITH_BODY
)
async def send_now(
    campaign_id: CampaignId, state: State, caller: Analyst, request: SendRequest | None = None
):
    """Send the approved campaign's messages now, in the background, at most once each (the
    same outbox as `retainai campaign send`); a later send time is brought forward. 409
    before approval or with nothing left to send."""
    retry = request.retry_unknown if request is not None else False
    command = SendNow(campaign_id, caller.actor, retry)
    found = await run_in_threadpool(campaigns.send_now, state.context, state.config, command)
    return _launched(campaign_id, found)


@router.post("/campaigns/{campaign_id}/stop", response_model=Stopped, responses=REFUSED)
async def stop_sending(campaign_id: CampaignId, state: State, _caller: Analyst):
    """Stop the campaign's send after the batch in flight (its scheduled send too); what is
    left stays approved for a later send. 409 when it is neither waiting nor sending."""
    status = await run_in_threadpool(
        campaigns.stop_sending, state.context, state.config, campaign_id
    )
    return OrjsonResponse({"campaign": campaign_id, "status": status})


@router.get("/campaigns/{campaign_id}/progress", response_model=Progress, responses=REFUSED)
async def progress(campaign_id: CampaignId, state: State, _caller: Reader):
    """What the campaign's background work has done: messages written of those planned,
    fallbacks, cost so far; sent, failed, unknown and waiting; whether work goes on."""
    found = await run_in_threadpool(
        campaigns.campaign_progress, state.context, state.config, campaign_id
    )
    return OrjsonResponse(found.as_json())
