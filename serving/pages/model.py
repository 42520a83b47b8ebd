"""The model page (MLOps): champion and challenger with holdout figures and plots, the
promotion log, drift with the latest Evidently report, realised performance over time; for
admins, "retrain now" (the training trigger) and "roll back"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts, security_headers
from serving.sessions import AdminPage, ViewerPage
from serving.state import State
from serving.web.render import (
    NO_STORE,
    confirm_page,
    day_of,
    error_text,
    language_of,
    pages_of,
    translator,
)
from tasks.core import card_text
from tasks.core.errors import ConflictError, NotFoundError
from tasks.i18n import N_, gettext
from tasks.services import models, monitoring

router = APIRouter(include_in_schema=False)
Confirmed = Annotated[str, Form(max_length=3)]
DONE = {
    "rollback": N_("The champion was rolled back: the previous version scores again."),
    "training": N_("Training started: its run shows below and refreshes by itself."),
}


async def _render(
    request: Request, state, session, status: int = 200, note=None, work=None
) -> Response:
    found = await run_in_threadpool(models.model_overview, state.context, state.config)
    _ = translator(request, session)
    chart = charts.realised_chart(found["realised"], day_of(request, session), _=_)
    for version in (found["champion"], found["challenger"]):
        if version and version["card"] is not None:  # the card in the reader's language
            version["card_sections"] = card_text.sections(version["card"], _)
    return pages_of(request).render(
        request,
        "model.html",
        status=status,
        session=session,
        active="model",
        plots=models.PLOTS,
        realised_chart=chart,
        messages=[note] if note else [],
        work=work,
        **found,
    )


@router.get("/dashboard/model", response_class=HTMLResponse)
async def model(request: Request, state: State, session: ViewerPage, done: str = "") -> Response:
    text = DONE.get(done)
    note = {"kind": "ok", "text": gettext(language_of(request, session), text)} if text else None
    table = state.config.dataset.name
    work = await run_in_threadpool(models.table_work, state.context, table)  # training's run
    return await _render(request, state, session, note=note, work=work)


@router.get("/dashboard/model/plots/{version}/{plot}")
async def plot(state: State, session: ViewerPage, version: str, plot: str) -> Response:
    found = await run_in_threadpool(
        models.evaluation_plot, state.context, state.config, version, plot
    )
    if found is None:
        raise NotFoundError(N_("no such plot"))
    return FileResponse(found, media_type="image/png", headers={"Cache-Control": "private"})


@router.get("/dashboard/model/drift-report", response_class=HTMLResponse)
async def drift_report(state: State, session: ViewerPage, uri: str) -> Response:
    found = await run_in_threadpool(monitoring.drift_report_file, state.context, uri)
    if found is None:
        raise NotFoundError(N_("no such report"))
    policy = {"Content-Security-Policy": security_headers.REPORT}  # sandboxed
    return FileResponse(found, media_type="text/html", headers={**NO_STORE, **policy})


@router.post("/dashboard/model/retrain", response_class=HTMLResponse)
async def retrain(
    request: Request, state: State, session: AdminPage, confirmed: Confirmed = ""
) -> Response:
    if confirmed != "yes":
        language = language_of(request, session)
        return confirm_page(
            request,
            session,
            heading=gettext(language, "Retrain the model now?"),
            text=gettext(
                language,
                "A training run starts on the configured training data. Its model becomes the "
                "champion only if it passes the quality gates and beats the current one.",
            ),
            action="/dashboard/model/retrain",
            button=gettext(language, "Start training"),
            back="/dashboard/model",
        )
    command = models.StartTraining(
        state.config_path, state.config.dataset.name, session.user["email"]
    )
    try:
        await run_in_threadpool(models.start_training, state.context, command)
    except ConflictError as error:  # a run is going, or no training data is set
        note = {"kind": "error", "text": error_text(request, session, error)}
        return await _render(request, state, session, note=note)
    return RedirectResponse("/dashboard/model?done=training", status_code=303, headers=NO_STORE)


@router.post("/dashboard/model/rollback")
async def rollback(
    request: Request, state: State, session: AdminPage, confirmed: Confirmed = ""
) -> Response:
    if confirmed != "yes":
        language = language_of(request, session)
        return confirm_page(
            request,
            session,
            heading=gettext(language, "Roll back the champion?"),
            text=gettext(
                language,
                "The previous champion version scores customers again from now on; the "
                "current one stays registered.",
            ),
            action="/dashboard/model/rollback",
            button=gettext(language, "Roll back"),
            back="/dashboard/model",
        )
    reason = f"rolled back from the dashboard by {session.user['email']}"
    command = models.RollBack(state.config, reason)
    try:
        await run_in_threadpool(models.rollback, state.context, command)
    except (ConflictError, NotFoundError) as error:
        return await _render(
            request,
            state,
            session,
            status=409,
            note={"kind": "error", "text": error_text(request, session, error)},
        )
    await state.holder.refresh()
    return RedirectResponse("/dashboard/model?done=rollback", status_code=303, headers=NO_STORE)
