"""The campaign API's steps before sending: one message read, edited (checked like a model's
answer), written again; a customer excluded; the campaign cancelled; and its SMS export
downloaded once sent. Each route builds a use case's command (tasks/services/campaigns);
typed errors become statuses in serving/errors.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from configs.vocabulary import Channel
from serving.api.campaign_models import CampaignMessage, MessageEdit
from serving.api.models import Message
from serving.auth import Analyst, MessageReader
from serving.refusals import api_language
from serving.state import OrjsonResponse, State
from tasks.services import campaigns
from tasks.services.campaigns import (
    CancelCampaign,
    EditMessage,
    ExcludeCustomer,
    MessageKey,
    RegenerateMessage,
)

router = APIRouter(tags=["campaigns"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}
REFUSED = {404: {"model": Message}, 409: {"model": Message}}
CampaignId = Annotated[int, Path(ge=1, le=2**31 - 1)]
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]
ONE = "/campaigns/{campaign_id}/messages/{customer_id}/{channel}"


def _message(found: dict[str, Any]) -> OrjsonResponse:
    return OrjsonResponse(CampaignMessage.model_validate(found).model_dump(mode="json"))


@router.get(ONE, response_model=CampaignMessage, responses=NOT_FOUND)
async def get_message(
    campaign_id: CampaignId,
    customer_id: CustomerId,
    channel: Channel,
    state: State,
    _caller: MessageReader,
):
    """One message of the campaign: its subject, body and call to action, how it was
    written (`path`: llm, template, edited) and its status."""
    key = MessageKey(campaign_id, customer_id, channel)
    return _message(
        await run_in_threadpool(campaigns.get_message, state.context, state.config, key)
    )


@router.put(
    ONE,
    response_model=CampaignMessage,
    responses={
        **REFUSED,
        400: {"model": Message, "description": "The body cannot be decoded"},
        422: {"model": Message, "description": "The text breaks a rule"},
    },
)
async def edit_message(
    campaign_id: CampaignId,
    customer_id: CustomerId,
    channel: Channel,
    request: MessageEdit,
    state: State,
    caller: Analyst,
):
    """Replace a draft message's text; it is checked by the same rules as a language
    model's answer (lengths, no control character, no placeholder; 422 saying which field)
    and kept as edited. 409 once the message is approved or sent."""
    key = MessageKey(campaign_id, customer_id, channel)
    command = EditMessage(key, request.body, caller.actor, request.subject, request.call_to_action)
    return _message(
        await run_in_threadpool(campaigns.edit_message, state.context, state.config, command)
    )


@router.post(f"{ONE}/regenerate", response_model=CampaignMessage, responses=REFUSED)
async def regenerate_message(
    campaign_id: CampaignId,
    customer_id: CustomerId,
    channel: Channel,
    state: State,
    _caller: Analyst,
):
    """Write a draft message again through the campaign's writer (the language model with a
    key, else the templates); an edit is replaced. 409 once it is approved or sent."""
    command = RegenerateMessage(MessageKey(campaign_id, customer_id, channel))
    return _message(
        await run_in_threadpool(campaigns.regenerate_message, state.context, state.config, command)
    )


@router.post("/campaigns/{campaign_id}/customers/{customer_id}/exclude", responses=REFUSED)
async def exclude_customer(
    campaign_id: CampaignId, customer_id: CustomerId, state: State, caller: Analyst
) -> OrjsonResponse:
    """Never send this treated customer the campaign's messages (they become `excluded`);
    the customer stays in the report's treated group. 409 once sending has begun."""
    command = ExcludeCustomer(campaign_id, customer_id, caller.actor)
    moved = await run_in_threadpool(
        campaigns.exclude_customer, state.context, state.config, command
    )
    return OrjsonResponse({"campaign": campaign_id, "customer_id": customer_id, "excluded": moved})


@router.post("/campaigns/{campaign_id}/cancel", responses=REFUSED)
async def cancel_campaign(campaign_id: CampaignId, state: State, caller: Analyst):
    """Cancel a draft (or approved, not yet sending) campaign: nothing of it is ever sent.
    Again on a cancelled campaign: 0 messages. 409 once sending has begun."""
    command = CancelCampaign(campaign_id, caller.actor)
    moved = await run_in_threadpool(campaigns.cancel_campaign, state.context, state.config, command)
    return OrjsonResponse({"campaign": campaign_id, "status": "cancelled", "messages": moved})


@router.get(
    "/campaigns/{campaign_id}/messages-export",
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
async def messages_export(
    campaign_id: CampaignId, state: State, _caller: MessageReader, request: Request
) -> Response:
    """The campaign's audience in rank order with each customer's group, risk and messages
    (CSV, cells safe to open in a spreadsheet), its headings and words in the language of
    Accept-Language (English otherwise); numbers and times as a program reads them."""
    language = api_language(request)
    found = await run_in_threadpool(
        campaigns.messages_export, state.context, state.config, campaign_id, language
    )
    return _download(found)


@router.get(
    "/campaigns/{campaign_id}/sms-export",
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}}}},
    response_class=Response,
)
async def sms_export(campaign_id: CampaignId, state: State, _caller: MessageReader) -> Response:
    """The SMS export the send wrote for the gateway (CSV: phone, text, message_id). 404
    until the campaign's SMS were sent."""
    found = await run_in_threadpool(campaigns.sms_export, state.context, state.config, campaign_id)
    return _download(found)


def _download(found: Any) -> Response:
    return Response(
        found.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{found.filename}"',
            "Cache-Control": "no-store",
        },
    )
