"""The data page: upload a CSV or Parquet file of customers, see the contract's verdict
(structural errors, quarantined rows with their reasons, downloadable), score it through the
scoring flow for the date the user picks; configured sources and recent scoring runs. The
check runs in a child process within the upload limits; one scoring or training run of the
table at a time. Every rule is the data service's; refusals are shown on the page with the
status of their kind."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.errors import status_of
from serving.sessions import AnalystPage, ViewerPage
from serving.state import State
from serving.web.render import error_text, pages_of, translator
from tasks.core.errors import ConfigError, RetainAIError, UnavailableError
from tasks.core.policy import allows
from tasks.core.redaction import hide_paths
from tasks.services import data as service
from tasks.services import models

router = APIRouter(include_in_schema=False)
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes of an uploaded customer file


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
        **extra,
    )


async def _refused(request: Request, state, session, error: RetainAIError) -> Response:
    """The page again with what was refused (a limit passed, a run going: it is named)."""
    refused = [{"kind": "error", "text": error_text(request, session, error)}]
    return await _page(request, state, session, status=status_of(error)[0], messages=refused)


@router.get("/dashboard/data", response_class=HTMLResponse)
async def data(request: Request, state: State, session: ViewerPage) -> Response:
    return await _page(request, state, session)


@router.post("/dashboard/data", response_class=HTMLResponse)
async def upload(request: Request, state: State, session: AnalystPage) -> Response:
    form = await request.form()
    sent = form.get("file")
    upload = service.NewUpload(name="", stream=None)  # no file chosen
    if sent is not None and not isinstance(sent, str):
        upload = service.NewUpload(name=sent.filename or "", stream=sent.file)
    try:
        checked = await run_in_threadpool(
            service.accept_upload, state.context, upload, state.checker
        )
    except RetainAIError as error:
        return await _refused(request, state, session, error)
    return await _page(request, state, session, checked=checked)


@router.get("/dashboard/data/{upload_id}/quarantine.csv")
async def quarantine(state: State, session: ViewerPage, upload_id: str) -> Response:
    found = await run_in_threadpool(service.quarantine_download, state.context, upload_id)
    return FileResponse(found, media_type="text/csv", filename=f"quarantine-{upload_id}.csv")


@router.post("/dashboard/data/{upload_id}/score")
async def score(request: Request, state: State, session: AnalystPage, upload_id: str) -> Response:
    form = await request.form()
    command = service.ScoreUpload(upload_id=upload_id, as_of=str(form.get("as_of") or "") or None)
    try:
        started = await run_in_threadpool(
            service.score_upload, state.context, command, state.scorer
        )
    except RetainAIError as error:
        return await _refused(request, state, session, error)
    _ = translator(request, session)
    text = _(
        "scoring started for %(day)s (process %(pid)s); its run appears below, reload to follow it",
        day=started.as_of,
        pid=started.pid,
    )
    note = {"kind": "ok", "text": text}
    return await _page(request, state, session, messages=[note])
