"""The dashboard's overview (`/dashboard/`): the latest KPI cards with their change since the
previous scoring period, risk segments, revenue at risk and the history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import day_of, pages_of, translator
from tasks.core.policy import allows
from tasks.services import customers as service
from tasks.services.operations.setup_checks import configuration_warnings

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/", response_class=HTMLResponse)
async def overview(request: Request, state: State, session: ViewerPage) -> Response:
    dataset = state.config.dataset.name
    found = await run_in_threadpool(service.overview, state.context, dataset)
    shown = {"cards": [], "charts": []}
    if found.latest is not None:
        latest = found.latest
        _ = translator(request, session)
        drawn = [
            charts.segment_chart(latest["kpis"], _=_),
            charts.revenue_chart(latest["kpis"], _=_, labels=state.config.dataset.labels),
            charts.history_chart(found.history, day_of(request, session), _=_),
        ]
        shown = {
            "cards": found.cards,
            "charts": [c for c in drawn if c],
            "as_of": latest["as_of"],
            "model_version": latest["model_version"],
            "previous_as_of": found.previous_as_of,
        }
    role = session.user["role"]
    warnings = configuration_warnings(state.settings, role) if allows(role, "admin") else []
    return pages_of(request).render(
        request,
        "overview.html",
        session=session,
        active="overview",
        dataset=dataset,
        currency=state.config.dataset.currency,
        high_from=state.config.segments.high,
        medium_from=state.config.segments.medium,
        warnings=warnings,
        **shown,
    )
