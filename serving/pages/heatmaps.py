"""The heatmaps page (`/dashboard/heatmaps`): churn rate (observed, else mean score) by pairs
of columns, as the latest scoring run stored them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import group_charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import pages_of, translator
from tasks.services import customers as service

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/heatmaps", response_class=HTMLResponse)
async def heatmaps(request: Request, state: State, session: ViewerPage) -> Response:
    found = await run_in_threadpool(service.heatmaps, state.context, state.config.dataset.name)
    _, labels = translator(request, session), state.config.dataset.labels
    drawn = []
    for name, table in found.tables.items():
        if table.get("churn_rate") is not None:
            drawn.append(group_charts.heatmap_chart(name, table, "churn_rate", _=_, labels=labels))
        drawn.append(group_charts.heatmap_chart(name, table, "mean_score", _=_, labels=labels))
    return pages_of(request).render(
        request,
        "heatmaps.html",
        session=session,
        active="heatmaps",
        charts=drawn,
        as_of=found.as_of,
    )
