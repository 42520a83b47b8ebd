"""The campaigns pages: the list, a new campaign with a live preview of its audience and
expected-profit curve, and one campaign, from which an analyst takes it through every step
the command line offers (write its messages, approve, send, record outcome events, its
report). `POST /dashboard/campaigns` is also the original product's JSON route: a JSON body
with a bearer token, or the page's form with a session. Every step is a use case of
tasks/services/campaigns; the pages only translate forms and show what comes back."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts
from serving.auth import authenticate
from serving.errors import api_language, status_of
from serving.pages.campaign_forms import read_campaign_form, read_legacy_campaign
from serving.sessions import AnalystPage, ViewerPage, page
from serving.state import OrjsonResponse, State
from serving.web.render import NO_STORE, error_text, language_of, pages_of, translator
from tasks import i18n
from tasks.core.errors import InvalidInputError, RetainAIError
from tasks.core.policy import allows
from tasks.core.redaction import hide_paths
from tasks.i18n import N_
from tasks.i18n.formatting import format_number
from tasks.services import campaigns as use
from tasks.services.campaigns import (
    ApproveCampaign,
    InvalidDraftError,
    RecordOutcomes,
)

router = APIRouter(include_in_schema=False)
EVENTS_UPLOAD = 2 * 1024 * 1024  # bytes of an events CSV from the page
analyst_form = page("campaigns")
LEGACY_NAMES = {"offer": "email_template", "audience": "segment_filter"}
NO_EVENTS = N_("no events recorded: %(why)s")


@router.get("/dashboard/campaigns", response_class=HTMLResponse)
async def campaigns(request: Request, state: State, session: ViewerPage) -> Response:
    found = await run_in_threadpool(use.list_campaigns, state.context, state.config)
    offers = state.config.campaigns.offers
    return pages_of(request).render(
        request,
        "campaigns.html",
        session=session,
        active="campaigns",
        campaigns=found,
        offers=offers,
    )


def _form_context(state) -> dict[str, Any]:
    data = state.config.dataset
    return {
        "rankings": use.rank_choices(state.context, state.config),
        "offers": state.config.campaigns.offers,
        "segment_values": data.segment_values,
        "segment_name": data.roles.segment,
        "holdout_share": state.config.campaigns.holdout_share,
    }


@router.get("/dashboard/campaigns/new", response_class=HTMLResponse)
async def new_campaign(request: Request, state: State, session: AnalystPage) -> Response:
    form = await run_in_threadpool(_form_context, state)
    return pages_of(request).render(
        request, "campaign_new.html", session=session, active="campaigns", **form
    )


def _preview(state, params, _: charts.Translate) -> dict[str, Any]:
    found = use.preview_audience(state.context, state.config, read_campaign_form(params))
    curve = found.curve
    chart = (
        charts.profit_chart(curve.sizes, curve.profit, curve.best_size, len(found.audience), _=_)
        if curve is not None
        else None
    )
    return {"figures": found.figures(), "chart": chart, "currency": state.config.dataset.currency}


@router.get("/dashboard/campaigns/preview", response_class=HTMLResponse)
async def preview(request: Request, state: State, session: AnalystPage) -> Response:
    """The audience the form's filter would contact (an htmx fragment)."""
    try:
        _ = translator(request, session)
        found = await run_in_threadpool(_preview, state, request.query_params, _)
    except RetainAIError as error:
        found = {"error": error_text(request, session, error)}
    return pages_of(request).render(request, "campaign_preview.html", session=session, **found)


async def _legacy(request: Request, state) -> Response:
    """The original product's JSON route: 201 with the draft, else `{"detail": ...}`."""
    try:
        caller = await authenticate(request, "campaigns", request.headers.get("authorization"))
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise InvalidInputError(N_("the body is not JSON")) from None
        draft = read_legacy_campaign(body, caller.actor)
        made = await run_in_threadpool(use.create_campaign, state.context, state.config, draft)
    except InvalidDraftError as error:
        head, *rest = error.field
        where = ".".join(map(str, [LEGACY_NAMES.get(str(head), head), *rest]))
        reason = error.reason_in(api_language(request))
        return OrjsonResponse({"detail": f"{where}: {reason}"}, status_code=422)
    except RetainAIError as error:  # the one mapping of typed errors, as JSON here
        detail = hide_paths(i18n.translate_error(error, api_language(request)))
        return OrjsonResponse({"detail": detail}, status_code=status_of(error)[0])
    return OrjsonResponse(made.as_json(), status_code=201)


@router.post("/dashboard/campaigns")
async def create(request: Request, state: State) -> Response:
    """JSON (bearer token, analyst): the original product's campaign; 201 with the draft.
    A form (session, analyst, CSRF): the page's; on to the new campaign's page."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return await _legacy(request, state)
    session = await analyst_form(request)  # the session and its CSRF token, first
    try:
        draft = read_campaign_form(await request.form(), session.user["email"])
        made = await run_in_threadpool(use.create_campaign, state.context, state.config, draft)
    except RetainAIError as error:
        form = await run_in_threadpool(_form_context, state)
        return pages_of(request).render(
            request,
            "campaign_new.html",
            status=400,
            session=session,
            active="campaigns",
            messages=[{"kind": "error", "text": error_text(request, session, error)}],
            **form,
        )
    return RedirectResponse(f"/dashboard/campaigns/{made.id}", status_code=303, headers=NO_STORE)


def _campaign_page(state, campaign_id: int, role: str) -> dict[str, Any]:
    """The campaign (the same view the list shows), its report and, for a role allowed
    `messages` (as GET /campaigns/{id}/messages), its first messages."""
    ctx, config = state.context, state.config
    campaign = use.get_campaign(ctx, config, campaign_id)
    report = use.read_report(ctx, config, campaign_id)
    shown = None
    if allows(role, "messages"):
        shown = use.campaign_messages(ctx, config, campaign_id).head(50).to_dict("records")
    may_act = allows(role, "campaigns")
    steps = campaign.next_steps if may_act else ()
    quote = use.approval_quote(ctx, config, campaign_id) if "approve" in steps else None
    progress = use.campaign_progress(ctx, config, campaign_id)  # campaign_progress.html
    return {
        "campaign": campaign,
        "report": report,
        "rows": shown,
        "steps": steps,
        "quote": quote,
        "progress": progress,
        "may_send": may_act,
        "offers": config.campaigns.offers,
    }


async def show_campaign(request, state, session, campaign_id: int, note=None) -> Response:
    found = await run_in_threadpool(_campaign_page, state, campaign_id, session.user["role"])
    return pages_of(request).render(
        request,
        "campaign.html",
        session=session,
        active="campaigns",
        messages=[note] if note else [],
        **found,
    )


@router.get("/dashboard/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign(
    request: Request, state: State, session: ViewerPage, campaign_id: int
) -> Response:
    return await show_campaign(request, state, session, campaign_id)


async def _step(request, state, session, campaign_id: int, run, done=None, refused="") -> Response:
    """Run one step of the campaign: back to its page (with `done`'s note when given), or
    its page saying why the step was refused (`refused`: a heading with `%(why)s`). A
    missing campaign is the app's 404."""
    _ = translator(request, session)
    try:
        found = await run_in_threadpool(run)
    except RetainAIError as error:
        if status_of(error)[0] == 404:
            raise
        why = hide_paths(error_text(request, session, error))
        note = {"kind": "error", "text": _(refused, why=why) if refused else why}
        return await show_campaign(request, state, session, campaign_id, note)
    if done is None:
        where = f"/dashboard/campaigns/{campaign_id}"
        return RedirectResponse(where, status_code=303, headers=NO_STORE)
    return await show_campaign(
        request, state, session, campaign_id, {"kind": "ok", "text": done(found)}
    )


@router.post("/dashboard/campaigns/{campaign_id}/generate")
async def generate(
    request: Request, state: State, session: AnalystPage, campaign_id: int
) -> Response:
    def run():  # in the background: a job of the worker, or a Prefect run
        return use.start_writing(state.context, state.config, campaign_id, session.user["email"])

    return await _step(request, state, session, campaign_id, run)


@router.post("/dashboard/campaigns/{campaign_id}/approve")
async def approve(
    request: Request, state: State, session: AnalystPage, campaign_id: int
) -> Response:
    """Approve the drafts the person saw counted and costed, once they ticked the box."""
    form = await request.form()
    expected = str(form.get("expected") or "")

    def run():
        if form.get("confirm") != "yes":
            raise InvalidInputError(N_("tick the box to confirm the count and the cost"))
        if not expected.isdigit():
            raise InvalidInputError(N_("the confirmed count is missing: open the page again"))
        command = ApproveCampaign(campaign_id, session.user["email"], True, int(expected))
        return use.approve_campaign(state.context, state.config, command)

    return await _step(
        request, state, session, campaign_id, run, refused=N_("not approved: %(why)s")
    )


@router.post("/dashboard/campaigns/{campaign_id}/events")
async def events(
    request: Request, state: State, session: AnalystPage, campaign_id: int
) -> Response:
    """Outcome events from an uploaded CSV (customer_id, event[, event_key, occurred_at])."""
    upload = (await request.form()).get("events")
    _ = translator(request, session)
    try:
        if upload is None or isinstance(upload, str):
            raise InvalidInputError(N_("choose a CSV file of events"))
        raw = pd.read_csv(io.BytesIO(await upload.read()), dtype=str)
    except (InvalidInputError, ValueError, pd.errors.ParserError) as error:
        why = error_text(request, session, error)
        note = {"kind": "error", "text": _(NO_EVENTS, why=why)}
        return await show_campaign(request, state, session, campaign_id, note)
    command = RecordOutcomes(campaign_id, raw)

    def run():
        return use.record_outcomes(state.context, state.config, command)

    def done(new: int) -> str:
        return _("%(n)s new events recorded", n=format_number(new, language_of(request, session)))

    return await _step(request, state, session, campaign_id, run, done, NO_EVENTS)
