"""What a person changes in a campaign before it goes out: a draft message read, edited (the
text is checked by the same rules as a language model's answer, kept as edited and marked
so), written again by the writer, a customer excluded, the whole campaign cancelled.

An excluded customer stays in the treated arm of the report (the lift is measured on the
campaign as assigned, intention to treat); their messages are never sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import campaign_edits as edits
from tasks.adapters import campaign_store as store
from tasks.adapters.campaign_candidates import member_scores
from tasks.adapters.deliverers import CHANNEL_ADAPTERS
from tasks.adapters.llm import MessageRequest, OpenAIMessageWriter
from tasks.core.audience import HOLDOUT
from tasks.core.errors import ConflictError, InvalidInputError, NotFoundError
from tasks.core.message_facts import Offer, build_facts
from tasks.core.messages import InvalidAnswerError, parse_answer
from tasks.i18n import N_
from tasks.services.campaigns.commands import (
    CancelCampaign,
    EditMessage,
    ExcludeCustomer,
    MessageKey,
    RegenerateMessage,
)
from tasks.services.campaigns.views import refresh_report, stored_campaign
from tasks.services.campaigns.writing import message_row
from tasks.services.context import Context

UNSENT = ("draft", "approved")  # messages a person may still take back
CANCELLABLE = ("draft", "approved")  # campaigns whose sending has not begun


def get_message(ctx: Context, config: RunConfig, key: MessageKey) -> dict[str, Any]:
    """One message of the campaign; NotFoundError when it has none for that customer and
    channel."""
    stored_campaign(ctx.engine, config, key.campaign_id)
    found = edits.get_message(ctx.engine, key.campaign_id, key.customer_id, key.channel)
    if found is None:
        raise NotFoundError(
            N_("campaign %(id)s has no %(channel)s message for %(customer)s"),
            id=key.campaign_id,
            channel=key.channel,
            customer=key.customer_id,
        )
    return found


def _draft_of(ctx: Context, config: RunConfig, key: MessageKey) -> dict[str, Any]:
    found = get_message(ctx, config, key)
    if found["status"] != "draft":
        raise ConflictError(
            N_(
                "the %(channel)s message for %(customer)s is %(status)s: "
                "only a draft message can change"
            ),
            channel=key.channel,
            customer=key.customer_id,
            status=found["status"],
        )
    return found


def checked_text(command: EditMessage) -> dict[str, Any]:
    """The person's text through the very check a model's answer passes (`parse_answer`):
    lengths, control characters, placeholders; InvalidInputError naming what is wrong."""
    channel = CHANNEL_ADAPTERS[command.key.channel].writes_as
    fields = {"body": command.body}
    if channel == "email":
        fields |= {"subject": command.subject, "call_to_action": command.call_to_action}
    try:
        message = parse_answer(json.dumps(fields), channel)
    except InvalidAnswerError as error:
        raise InvalidInputError(
            N_("the edited message is refused: %(reason)s"), reason=str(error)
        ) from None
    return {
        "subject": message.subject,
        "body": message.body,
        "call_to_action": message.call_to_action,
    }


def edit_message(ctx: Context, config: RunConfig, command: EditMessage) -> dict[str, Any]:
    """Replace a draft message's text with the person's, checked like a model's answer; it
    is kept as edited (`path` "edited", who and when). Returns the stored message."""
    key = command.key
    _draft_of(ctx, config, key)
    values = {
        **checked_text(command),
        "path": "edited",
        "edited_by": command.edited_by,
        "edited_at": edits.now(),
    }
    if not edits.replace_text(ctx.engine, key.campaign_id, key.customer_id, key.channel, values):
        raise ConflictError(
            N_("the message for %(customer)s changed meanwhile: open it again"),
            customer=key.customer_id,
        )
    return get_message(ctx, config, key)


def regenerate_message(
    ctx: Context, config: RunConfig, command: RegenerateMessage
) -> dict[str, Any]:
    """Write a draft message again through the campaign's writer (the language model with a
    key, else the templates), replacing the text and any edit. Returns the stored message."""
    key = command.key
    _draft_of(ctx, config, key)
    campaign = stored_campaign(ctx.engine, config, key.campaign_id)
    scores = member_scores(ctx.engine, config.dataset.name, key.campaign_id)
    row = scores[scores["customer_id"] == key.customer_id]
    if row.empty:
        raise NotFoundError(
            N_("%(customer)s has no score in campaign %(id)s"),
            customer=key.customer_id,
            id=key.campaign_id,
        )
    offer = Offer(campaign["offer"], config.campaigns.offers[campaign["offer"]].description)
    facts = build_facts(row.iloc[0].to_dict(), config, offer)
    request = MessageRequest(
        facts, CHANNEL_ADAPTERS[key.channel].writes_as, key=f"{key.customer_id}\t{key.channel}"
    )
    written = asyncio.run(_write_one(ctx, request))
    fresh = message_row(key.campaign_id, written)
    values = {k: fresh[k] for k in ("subject", "body", "call_to_action", "path")}
    values |= {k: fresh[k] for k in ("prompt_version", "prompt_tokens", "completion_tokens")}
    old = get_message(ctx, config, key)
    values |= {"cost": float(old["cost"]) + fresh["cost"], "edited_by": None, "edited_at": None}
    if not edits.replace_text(ctx.engine, key.campaign_id, key.customer_id, key.channel, values):
        raise ConflictError(
            N_("the message for %(customer)s changed meanwhile: open it again"),
            customer=key.customer_id,
        )
    refresh_report(ctx, config, key.campaign_id)  # its generation cost
    return get_message(ctx, config, key)


async def _write_one(ctx: Context, request: MessageRequest):
    async with OpenAIMessageWriter(ctx.settings) as writer:
        return (await writer.write_batch([request]))[0]


def exclude_customer(ctx: Context, config: RunConfig, command: ExcludeCustomer) -> int:
    """Take a treated customer out of the sending: their draft and approved messages become
    `excluded` (never sent); how many. Refused for a customer outside the treated audience
    and once the campaign's sending has begun."""
    campaign = stored_campaign(ctx.engine, config, command.campaign_id)
    if campaign["status"] not in CANCELLABLE:
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: no one can be excluded now"),
            id=command.campaign_id,
            status=campaign["status"],
        )
    members = store.audience(ctx.engine, command.campaign_id)
    arm = members.loc[members["customer_id"] == command.customer_id, "arm"]
    if arm.empty or arm.iloc[0] == HOLDOUT:
        raise NotFoundError(
            N_("%(customer)s is not a treated customer of campaign %(id)s"),
            customer=command.customer_id,
            id=command.campaign_id,
        )
    moved = edits.exclude_customer(
        ctx.engine, command.campaign_id, command.customer_id, UNSENT, command.excluded_by
    )
    refresh_report(ctx, config, command.campaign_id)
    return moved


def cancel_campaign(ctx: Context, config: RunConfig, command: CancelCampaign) -> int:
    """Cancel a campaign before its sending begins: it and its unsent messages become
    `cancelled` (nothing is ever sent); how many messages. Again on a cancelled one: 0."""
    campaign = stored_campaign(ctx.engine, config, command.campaign_id)
    if campaign["status"] == "cancelled":
        return 0
    if campaign["status"] not in CANCELLABLE:
        raise ConflictError(
            N_("campaign %(id)s is %(status)s: too late to cancel"),
            id=command.campaign_id,
            status=campaign["status"],
        )
    moved = edits.cancel_campaign(ctx.engine, command.campaign_id, CANCELLABLE, UNSENT)
    if moved is None:
        raise ConflictError(
            N_("campaign %(id)s changed meanwhile: open it again"), id=command.campaign_id
        )
    store.update_campaign(
        ctx.engine,
        command.campaign_id,
        totals={**(campaign["totals"] or {}), "cancelled_by": command.cancelled_by},
    )
    return moved
