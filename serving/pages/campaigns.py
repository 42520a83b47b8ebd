"""The campaigns pages: the list with status and lift, a new campaign with a live preview of
its audience and expected-profit curve, one campaign (its messages, approval, outcome events
and report with the lift interval). `POST /dashboard/campaigns` is also the original
product's JSON route: a JSON body with a bearer token, or the page's form with a session."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts
from serving.auth import authenticate
from serving.pages.campaign_forms import read_campaign_form, read_legacy_campaign
from serving.sessions import AnalystPage, ViewerPage, page
from serving.state import OrjsonResponse, State
from serving.web.render import NO_STORE, pages_of
from tasks import campaign_actions as actions
from tasks.core.errors import ConfigError
from tasks.core.policy import allows

router = APIRouter(include_in_schema=False)
EVENTS_UPLOAD = 2 * 1024 * 1024  # bytes of an events CSV from the page
analyst_form = page("campaigns")


def _lift(settings, config, campaign: dict[str, Any]) -> dict[str, Any] | None:
    if campaign["status"] not in ("sending", "sent"):
        return None
    return actions.read_report(settings, config, campaign["id"]).get("lift")


@router.get("/dashboard/campaigns", response_class=HTMLResponse)
async def campaigns(request: Request, state: State, session: ViewerPage) -> Response:
    found = await run_in_threadpool(actions.campaigns_of, state.settings, state.config)
    for campaign in found:
        campaign["lift"] = await run_in_threadpool(_lift, state.settings, state.config, campaign)
    return pages_of(request).render(
        request, "campaigns.html", session=session, active="campaigns", campaigns=found
    )


def _form_context(state) -> dict[str, Any]:
    data = state.config.dataset
    return {
        "offers": state.config.campaigns.offers,
        "segment_values": data.segment_values,
        "segment_name": data.roles.segment,
        "holdout_share": state.config.campaigns.holdout_share,
    }


@router.get("/dashboard/campaigns/new", response_class=HTMLResponse)
async def new_campaign(request: Request, state: State, session: AnalystPage) -> Response:
    return pages_of(request).render(
        request, "campaign_new.html", session=session, active="campaigns", **_form_context(state)
    )


def _preview(state, params) -> dict[str, Any]:
    form = read_campaign_form(params, state.config, preview=True)
    offer = actions.offer_of(state.config, form.offer, form.channels)
    found = actions.preview_audience(state.settings, state.config, offer, form.wanted)
    figures = actions.preview_figures(found, offer)
    curve = found.curve
    chart = (
        charts.profit_chart(curve.sizes, curve.profit, curve.best_size, len(found.audience))
        if curve is not None
        else None
    )
    return {"figures": figures, "chart": chart}


@router.get("/dashboard/campaigns/preview", response_class=HTMLResponse)
async def preview(request: Request, state: State, session: AnalystPage) -> Response:
    """The audience the form's filter would contact (an htmx fragment)."""
    try:
        found = await run_in_threadpool(_preview, state, request.query_params)
    except ConfigError as error:
        found = {"error": str(error)}
    return pages_of(request).render(request, "campaign_preview.html", session=session, **found)


@router.post("/dashboard/campaigns")
async def create(request: Request, state: State) -> Response:
    """JSON (bearer token, analyst): the original product's campaign; 201 with the draft.
    A form (session, analyst, CSRF): the page's; on to the new campaign's page."""
    api = request.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    session, status = None, 422  # a bad body; 409 once only the stored scores can refuse it
    try:
        if api:
            caller = await authenticate(request, "campaigns", request.headers.get("authorization"))
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise ConfigError("the body is not JSON") from None
            form, who = read_legacy_campaign(body, state.config), caller.actor
        else:
            session = await analyst_form(request)  # the session and its CSRF token, first
            form = read_campaign_form(await request.form(), state.config)
            who = session.user["email"]
        share = form.holdout_share or state.config.campaigns.holdout_share
        offer = actions.offer_of(state.config, form.offer, form.channels)
        status = 409
        made = await run_in_threadpool(
            actions.draft_campaign,
            state.settings,
            state.config,
            form.name,
            offer,
            form.channels,
            form.wanted,
            share,
            who,
            form.scheduled_at,
        )
    except ConfigError as error:
        if api:
            raise HTTPException(status, str(error)) from None
        return pages_of(request).render(
            request,
            "campaign_new.html",
            status=400,
            session=session,
            active="campaigns",
            messages=[{"kind": "error", "text": str(error)}],
            **_form_context(state),
        )
    if api:
        return OrjsonResponse(made, status_code=201)
    return RedirectResponse(f"/dashboard/campaigns/{made['id']}", status_code=303, headers=NO_STORE)


def _campaign_page(state, campaign_id: int, role: str) -> dict[str, Any]:
    """The campaign, its report and message counts; the messages themselves (recipients,
    subjects) only for a role allowed `messages`, as GET /campaigns/{id}/messages."""
    campaign = actions.campaign_of(state.settings, state.config, campaign_id)
    messages = actions.messages_of(state.settings, state.config, campaign_id)
    counts = messages["status"].value_counts().to_dict() if len(messages) else {}
    report = actions.read_report(state.settings, state.config, campaign_id)
    shown = messages.head(20).to_dict("records") if allows(role, "messages") else None
    may_act = allows(role, "campaigns")
    return {
        "campaign": campaign,
        "counts": counts,
        "rows": shown,
        "report": report,
        "may_act": may_act,
    }


@router.get("/dashboard/campaigns/{campaign_id}", response_class=HTMLResponse)
async def campaign(
    request: Request, state: State, session: ViewerPage, campaign_id: int
) -> Response:
    found = await run_in_threadpool(_campaign_page, state, campaign_id, session.user["role"])
    return pages_of(request).render(
        request, "campaign.html", session=session, active="campaigns", **found
    )


@router.post("/dashboard/campaigns/{campaign_id}/approve")
async def approve(
    request: Request, state: State, session: AnalystPage, campaign_id: int
) -> Response:
    await run_in_threadpool(
        actions.approve, state.settings, state.config, campaign_id, session.user["email"]
    )
    return RedirectResponse(
        f"/dashboard/campaigns/{campaign_id}", status_code=303, headers=NO_STORE
    )


@router.post("/dashboard/campaigns/{campaign_id}/events")
async def events(
    request: Request, state: State, session: AnalystPage, campaign_id: int
) -> Response:
    """Outcome events from an uploaded CSV (customer_id, event[, event_key, occurred_at])."""
    upload = (await request.form()).get("events")
    try:
        if upload is None or isinstance(upload, str):
            raise ConfigError("choose a CSV file of events")
        raw = pd.read_csv(io.BytesIO(await upload.read()), dtype=str)
        new = await run_in_threadpool(
            actions.record_outcomes, state.settings, state.config, campaign_id, raw
        )
        note = {"kind": "ok", "text": f"{new:,} new events recorded"}
    except (ConfigError, ValueError, pd.errors.ParserError) as error:
        note = {"kind": "error", "text": f"no events recorded: {error}"}
    found = await run_in_threadpool(_campaign_page, state, campaign_id, session.user["role"])
    return pages_of(request).render(
        request, "campaign.html", session=session, active="campaigns", messages=[note], **found
    )
