"""The data page: upload a CSV or Parquet file of customers, see the contract's verdict
(structural errors, quarantined rows with their reasons, downloadable), score it through the
scoring flow for the date the user picks; configured sources and recent scoring runs.

Checking an upload and scoring it are background work of the one launcher (a Prefect
deployment run, or a job of the jobs worker; never this process): the page says where the
work is and htmx refreshes it every two seconds until it ends, then the whole page shows its
result. One run of the table (scoring or training) at a time. Every rule is the data
service's; refusals are shown on the page with the status of their kind."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.errors import status_of
from serving.sessions import AnalystPage, ViewerPage
from serving.state import State
from serving.web.render import NO_STORE, error_text, pages_of, translator
from tasks.core.errors import ConfigError, NotFoundError, RetainAIError, UnavailableError
from tasks.core.policy import allows
from tasks.core.redaction import hide_paths
from tasks.i18n import N_
from tasks.services import data as service
from tasks.services import models

router = APIRouter(include_in_schema=False)
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes of an uploaded customer file
DONE = {"scoring": N_("Scoring started: its run shows below and refreshes by itself.")}


async def _page(request: Request, state, session, status: int = 200, **extra) -> Response:
    ctx = state.context
    listed = await run_in_threadpool(service.list_uploads, ctx, state.config.dataset.name)
    for message in extra.get("messages", []):
        message["text"] = hide_paths(message["text"])
    admin = allows(session.user["role"], "admin")  # data sources are an admin matter
    prefect = models.prefect_configured(ctx)
    schedules, schedule_error = None, None
    if prefect and admin:
        try:
            schedules = await run_in_threadpool(models.deployment_schedules, ctx)
        except (ConfigError, UnavailableError) as error:
            schedule_error = error_text(request, session, error)
    return pages_of(request).render(
        request,
        "data.html",
        status=status,
        session=session,
        active="data",
        runs=listed.runs,
        uploads=listed.uploads,
        sources=service.configured_sources(ctx) if admin else None,
        prefect=prefect,
        schedules=schedules,
        schedule_error=schedule_error,
        today=date.today().isoformat(),
        **(await _work(state)),
        **extra,
    )


async def _work(state) -> dict[str, Any]:
    """The table's latest background run, for data_runs.html."""
    work = await run_in_threadpool(models.table_work, state.context, state.config.dataset.name)
    return {"work": work}


async def _refused(request: Request, state, session, error: RetainAIError, **extra) -> Response:
    """The page again with what was refused (a limit passed, a run going: it is named)."""
    refused = [{"kind": "error", "text": error_text(request, session, error)}]
    return await _page(
        request, state, session, status=status_of(error)[0], messages=refused, **extra
    )


async def _status(state, upload_id: str) -> service.UploadStatus | None:
    try:
        return await run_in_threadpool(service.upload_status, state.context, upload_id)
    except NotFoundError:
        return None


@router.get("/dashboard/data", response_class=HTMLResponse)
async def data(
    request: Request, state: State, session: ViewerPage, upload: str = "", done: str = ""
) -> Response:
    """The page; with `upload`, where that upload's check is (its verdict once checked)."""
    found = await _status(state, upload) if upload else None
    notes = (
        [{"kind": "ok", "text": translator(request, session)(DONE[done])}] if done in DONE else []
    )
    if found is not None and found.refusal is not None:
        return await _refused(request, state, session, found.refusal, upload=found)
    return await _page(
        request, state, session, upload=found, checked=found and found.verdict, messages=notes
    )


@router.get("/dashboard/data/uploads/{upload_id}/check", response_class=HTMLResponse)
async def check(request: Request, state: State, session: ViewerPage, upload_id: str) -> Response:
    """Where an upload's check is (an htmx fragment, polled while it goes on)."""
    found = await _status(state, upload_id)
    if found is None:
        raise NotFoundError(N_("no such upload"))
    page = pages_of(request).render(request, "data_upload.html", session=session, upload=found)
    if request.query_params.get("watching") and not found.active:
        page.headers["HX-Refresh"] = "true"  # the check ended: the page shows its verdict
    return page


@router.get("/dashboard/data/runs", response_class=HTMLResponse)
async def runs(request: Request, state: State, session: ViewerPage) -> Response:
    """The table's latest background run (an htmx fragment, polled while it goes on)."""
    found = await _work(state)
    page = pages_of(request).render(request, "data_runs.html", session=session, **found)
    if request.query_params.get("watching") and not (found["work"] and found["work"].active):
        page.headers["HX-Refresh"] = "true"  # the run ended: the page lists it
    return page


@router.post("/dashboard/data", response_class=HTMLResponse)
async def upload(request: Request, state: State, session: AnalystPage) -> Response:
    """Keep the file and launch its check; the page then follows the check."""
    form = await request.form()
    sent = form.get("file")
    upload = service.NewUpload(name="", stream=None)  # no file chosen
    if sent is not None and not isinstance(sent, str):
        upload = service.NewUpload(name=sent.filename or "", stream=sent.file)
    by = session.user["email"]
    try:
        accepted = await run_in_threadpool(service.accept_upload, state.context, upload, by)
    except RetainAIError as error:
        return await _refused(request, state, session, error)
    where = f"/dashboard/data?upload={accepted.upload_id}"
    return RedirectResponse(where, status_code=303, headers=NO_STORE)


@router.get("/dashboard/data/{upload_id}/quarantine.csv")
async def quarantine(state: State, session: ViewerPage, upload_id: str) -> Response:
    found = await run_in_threadpool(service.quarantine_download, state.context, upload_id)
    return FileResponse(found, media_type="text/csv", filename=f"quarantine-{upload_id}.csv")


@router.post("/dashboard/data/{upload_id}/score")
async def score(request: Request, state: State, session: AnalystPage, upload_id: str) -> Response:
    """Launch the scoring of a checked upload for the chosen date."""
    form = await request.form()
    command = service.ScoreUpload(
        upload_id=upload_id,
        as_of=str(form.get("as_of") or "") or None,
        config_path=state.config_path,
        table=state.config.dataset.name,
        by=session.user["email"],
    )
    try:
        await run_in_threadpool(service.score_upload, state.context, command)
    except RetainAIError as error:  # a run of the table going, a date that is none: named
        found = await _status(state, upload_id)
        shown = found and found.verdict
        return await _refused(request, state, session, error, upload=found, checked=shown)
    where = f"/dashboard/data?upload={upload_id}&done=scoring"
    return RedirectResponse(where, status_code=303, headers=NO_STORE)
