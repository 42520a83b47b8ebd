"""A campaign's messages from its page: one message opened, edited (checked like a model's
answer), written again; a customer excluded; the campaign cancelled; its SMS export and its
audience (customer and arm, to collect their outcomes) downloaded. Every action is a use
case of tasks/services/campaigns, allowed by the one policy (`messages` to read a message,
`campaigns` to change one): viewers get 403."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.errors import status_of
from serving.pages.campaigns import _step
from serving.refusals import refusal
from serving.sessions import AnalystPage, Session, page
from serving.state import State
from serving.web.render import NO_STORE, error_text, language_of, pages_of
from tasks import i18n
from tasks.core.errors import InvalidInputError, RetainAIError
from tasks.core.redaction import hide_paths
from tasks.i18n import N_
from tasks.i18n.formatting import format_number
from tasks.services import campaigns as use
from tasks.services.campaigns import (
    CancelCampaign,
    EditMessage,
    ExcludeCustomer,
    MessageKey,
    RegenerateMessage,
)

router = APIRouter(include_in_schema=False)
MessagesPage = Annotated[Session, Depends(page("messages"))]
ONE = "/dashboard/campaigns/{campaign_id}/messages/{customer_id}/{channel}"


def _where(key: MessageKey) -> str:
    return f"/dashboard/campaigns/{key.campaign_id}/messages/{key.customer_id}/{key.channel}"


async def _show(request, state, session, key: MessageKey, note=None, status=200) -> Response:
    def load() -> dict[str, Any]:
        campaign = use.get_campaign(state.context, state.config, key.campaign_id)
        message = use.get_message(state.context, state.config, key)
        return {"campaign": campaign, "message": message}

    found = await run_in_threadpool(load)
    return pages_of(request).render(
        request,
        "campaign_message.html",
        status=status,
        session=session,
        active="campaigns",
        messages=[note] if note else [],
        **found,
    )


@router.get(ONE, response_class=HTMLResponse)
async def message(
    request: Request,
    state: State,
    session: MessagesPage,
    campaign_id: int,
    customer_id: str,
    channel: str,
) -> Response:
    return await _show(request, state, session, MessageKey(campaign_id, customer_id, channel))


async def _change(request, state, session, key: MessageKey, run, done: str) -> Response:
    """Run one change of a message: its page with `done`, or with why it was refused (a
    missing campaign or message is the app's 404)."""
    try:
        await run_in_threadpool(run)
    except RetainAIError as error:
        if status_of(error)[0] == 404:
            raise
        note = {"kind": "error", "text": hide_paths(error_text(request, session, error))}
        return await _show(request, state, session, key, note, status=status_of(error)[0])
    return await _show(request, state, session, key, {"kind": "ok", "text": done})


@router.post(f"{ONE}/edit")
async def edit(
    request: Request,
    state: State,
    session: AnalystPage,
    campaign_id: int,
    customer_id: str,
    channel: str,
) -> Response:
    form = await request.form()
    key = MessageKey(campaign_id, customer_id, channel)

    def text(name: str) -> str | None:
        value = form.get(name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else None

    command = EditMessage(
        key, text("body") or "", session.user["email"], text("subject"), text("call_to_action")
    )

    def run():
        return use.edit_message(state.context, state.config, command)

    done = i18n.gettext(language_of(request, session), "Message saved as edited.")
    return await _change(request, state, session, key, run, done)


@router.post(f"{ONE}/regenerate")
async def regenerate(
    request: Request,
    state: State,
    session: AnalystPage,
    campaign_id: int,
    customer_id: str,
    channel: str,
) -> Response:
    key = MessageKey(campaign_id, customer_id, channel)

    def run():
        return use.regenerate_message(state.context, state.config, RegenerateMessage(key))

    done = i18n.gettext(language_of(request, session), "Message written again.")
    return await _change(request, state, session, key, run, done)


def _confirmed(form) -> None:
    if form.get("confirm") != "yes":
        raise InvalidInputError(N_("tick the box to confirm"))


@router.post("/dashboard/campaigns/{campaign_id}/customers/{customer_id}/exclude")
async def exclude(
    request: Request, state: State, session: AnalystPage, campaign_id: int, customer_id: str
) -> Response:
    form = await request.form()
    command = ExcludeCustomer(campaign_id, customer_id, session.user["email"])

    def run():
        _confirmed(form)
        return use.exclude_customer(state.context, state.config, command)

    def done(moved: int) -> str:
        language = language_of(request, session)
        message = N_("%(who)s excluded: %(n)s messages will not be sent.")
        return i18n.gettext(language, message, who=customer_id, n=format_number(moved, language))

    return await _step(request, state, session, campaign_id, run, done)


@router.post("/dashboard/campaigns/{campaign_id}/cancel")
async def cancel(request: Request, state: State, session: AnalystPage, campaign_id: int):
    form = await request.form()
    command = CancelCampaign(campaign_id, session.user["email"])

    def run():
        _confirmed(form)
        return use.cancel_campaign(state.context, state.config, command)

    def done(moved: int) -> str:
        language = language_of(request, session)
        message = N_("Campaign cancelled: %(n)s messages will not be sent.")
        return i18n.gettext(language, message, n=format_number(moved, language))

    return await _step(request, state, session, campaign_id, run, done)


# a campaign's downloads: its audience (both arms, for the outcomes), the audience with its
# messages, and the SMS export a send wrote
EXPORTS = {
    "audience": use.audience_export,
    "messages": use.messages_export,
    "sms": use.sms_export,
}


@router.get("/dashboard/campaigns/{campaign_id}/{kind}.csv")
async def export(
    request: Request, state: State, session: MessagesPage, campaign_id: int, kind: str
) -> Response:
    """A campaign's file (EXPORTS) as a download; any other name is not found."""
    if kind not in EXPORTS:
        raise refusal(404, N_("no such file"))
    found = await run_in_threadpool(
        _exported, EXPORTS[kind], state, campaign_id, language_of(request, session)
    )
    return _download(found)


def _exported(make: Any, state: Any, campaign_id: int, language: str) -> Any:
    """The file, with its headings in the reader's language when it is one for people."""
    if make is use.messages_export:
        return make(state.context, state.config, campaign_id, language)
    return make(state.context, state.config, campaign_id)


def _download(found: Any) -> Response:
    return Response(
        found.content,
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{found.filename}"'},
    )
