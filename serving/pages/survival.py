"""The survival page: the Kaplan-Meier curves of the latest scoring run and the champion's
Cox hazard ratios."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import group_charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import pages_of, translator
from tasks.core.message_facts import readable
from tasks.services import models

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/survival", response_class=HTMLResponse)
async def survival(request: Request, state: State, session: ViewerPage) -> Response:
    found = await run_in_threadpool(models.survival_overview, state.context, state.config)
    _ = translator(request, session)
    labels = state.config.dataset.labels
    curves = found["curves"].items()
    drawn = [group_charts.survival_chart(rows, by, _=_, labels=labels) for by, rows in curves]
    medians = {readable(by): groups for by, groups in (found.get("medians") or {}).items()}
    return pages_of(request).render(
        request,
        "survival.html",
        session=session,
        active="survival",
        charts=drawn,
        inf=float("inf"),
        **{**found, "medians": medians},
    )
