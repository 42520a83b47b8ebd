"""A campaign's background work on its page: the progress block (messages written of those
planned, fallbacks, cost so far; while sending, sent / failed / unknown) that htmx refreshes
every two seconds while work goes on, and the "send now" and "stop sending" buttons. The
work goes through the one launcher (tasks/services/jobs): never this process."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.pages.campaigns import _step
from serving.sessions import AnalystPage, ViewerPage
from serving.state import State
from serving.web.render import pages_of
from tasks.core.errors import InvalidInputError
from tasks.core.policy import allows
from tasks.i18n import N_
from tasks.services import campaigns as use
from tasks.services.campaigns import SendNow

router = APIRouter(include_in_schema=False)


def progress_context(state, campaign_id: int, role: str) -> dict:
    """What campaign_progress.html shows: the progress, and whether the role may act."""
    progress = use.campaign_progress(state.context, state.config, campaign_id)
    return {"progress": progress, "may_send": allows(role, "campaigns")}


@router.get("/dashboard/campaigns/{campaign_id}/progress", response_class=HTMLResponse)
async def progress(
    request: Request, state: State, session: ViewerPage, campaign_id: int
) -> Response:
    """The progress block alone (an htmx fragment, polled while work goes on)."""
    found = await run_in_threadpool(progress_context, state, campaign_id, session.user["role"])
    page = pages_of(request).render(request, "campaign_progress.html", session=session, **found)
    if request.query_params.get("watching") and not found["progress"].active:
        page.headers["HX-Refresh"] = "true"  # the work ended: the whole page shows its result
    return page


@router.post("/dashboard/campaigns/{campaign_id}/send")
async def send(request: Request, state: State, session: AnalystPage, campaign_id: int) -> Response:
    """Send the approved messages now, in the background; the box must be ticked."""
    form = await request.form()
    command = SendNow(campaign_id, session.user["email"], form.get("retry_unknown") == "yes")

    def run():
        if form.get("confirm") != "yes":
            raise InvalidInputError(N_("tick the box to confirm the send"))
        return use.send_now(state.context, state.config, command)

    refused = N_("not sent: %(why)s")
    return await _step(request, state, session, campaign_id, run, refused=refused)


@router.post("/dashboard/campaigns/{campaign_id}/stop")
async def stop(request: Request, state: State, session: AnalystPage, campaign_id: int) -> Response:
    """Stop the campaign's send after the batch in flight."""

    def run():
        return use.stop_sending(state.context, state.config, campaign_id)

    return await _step(
        request, state, session, campaign_id, run, refused=N_("not stopped: %(why)s")
    )
