"""The data page: upload a CSV or Parquet file of customers, see the contract's verdict
(structural errors, quarantined rows with their reasons, downloadable), score it through the
scoring flow for the date the user picks; configured sources and recent scoring runs. The
check runs in a child process within the upload limits; one scoring or training run of the
table at a time."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.errors import status_of
from serving.sessions import AnalystPage, ViewerPage
from serving.state import State
from serving.web.render import pages_of
from tasks import uploads
from tasks.core.errors import ConcurrentRunError, ConfigError, RetainAIError, UnavailableError
from tasks.core.policy import allows
from tasks.core.redaction import hide_paths, mask_url
from tasks.services import models

router = APIRouter(include_in_schema=False)
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes of an uploaded customer file


async def _page(request: Request, state, session, status: int = 200, **extra) -> Response:
    settings, dataset = state.settings, state.config.dataset.name
    runs = await run_in_threadpool(uploads.recent_runs, state.engine, dataset)
    for run in runs:  # what went wrong, never where the server keeps its files
        run["error"] = run["error"] and hide_paths(run["error"])
    for message in extra.get("messages", []):
        message["text"] = hide_paths(message["text"])
    recent = await run_in_threadpool(uploads.recent_uploads, settings)
    admin = allows(session.user["role"], "admin")  # data sources are an admin matter
    sources = _sources(settings) if admin else None
    prefect = models.prefect_configured(state.context)
    schedules, schedule_error = None, None
    if prefect and admin:
        try:
            schedules = await run_in_threadpool(models.deployment_schedules, state.context)
        except (ConfigError, UnavailableError) as error:
            schedule_error = str(error)
    return pages_of(request).render(
        request,
        "data.html",
        status=status,
        session=session,
        active="data",
        runs=runs,
        uploads=recent,
        sources=sources,
        prefect=prefect,
        schedules=schedules,
        schedule_error=schedule_error,
        today=date.today().isoformat(),
        **extra,
    )


def _sources(settings) -> dict[str, str | None]:
    """The configured sources as admins see them: where, never with what credentials."""
    found = {
        "training (RETAINAI_TRAINING_SOURCE)": settings.training_source,
        "scoring (RETAINAI_SCORING_SOURCE)": settings.scoring_source,
    }
    return {label: value and mask_url(value.get_secret_value()) for label, value in found.items()}


@router.get("/dashboard/data", response_class=HTMLResponse)
async def data(request: Request, state: State, session: ViewerPage) -> Response:
    return await _page(request, state, session)


@router.post("/dashboard/data", response_class=HTMLResponse)
async def upload(request: Request, state: State, session: AnalystPage) -> Response:
    form = await request.form()
    sent = form.get("file")
    try:
        if sent is None or isinstance(sent, str) or not sent.filename:
            raise ConfigError("choose a CSV or Parquet file of customers")
        settings, name = state.settings, sent.filename
        upload_id = await run_in_threadpool(uploads.save_upload, settings, name, sent.file)
        checked = await run_in_threadpool(state.checker.check, settings, upload_id, name)
    except RetainAIError as error:  # the message names the limit passed, if one was
        refused = [{"kind": "error", "text": str(error)}]
        return await _page(request, state, session, status=status_of(error)[0], messages=refused)
    return await _page(request, state, session, checked=checked)


@router.get("/dashboard/data/{upload_id}/quarantine.csv")
async def quarantine(state: State, session: ViewerPage, upload_id: str) -> Response:
    found = await run_in_threadpool(uploads.quarantine_file, state.settings, upload_id)
    return FileResponse(found, media_type="text/csv", filename=f"quarantine-{upload_id}.csv")


@router.post("/dashboard/data/{upload_id}/score")
async def score(request: Request, state: State, session: AnalystPage, upload_id: str) -> Response:
    form = await request.form()
    path = uploads.data_file(state.settings, upload_id)
    try:
        if path is None:
            raise ConfigError("no such upload")
        as_of = date.fromisoformat(str(form.get("as_of") or date.today().isoformat()))
    except (ConfigError, ValueError) as error:
        return await _page(
            request, state, session, status=400, messages=[{"kind": "error", "text": str(error)}]
        )
    found = await run_in_threadpool(uploads.verdict_of, state.settings, upload_id)
    try:
        command = models.StartScoring(path, as_of, found and found.name)
        started = await run_in_threadpool(
            models.start_scoring, state.context, state.scorer, command
        )
    except ConcurrentRunError as error:  # another run of the table is going: it is named
        refused = [{"kind": "error", "text": str(error)}]
        return await _page(request, state, session, status=409, messages=refused)
    note = {
        "kind": "ok",
        "text": f"scoring started for {as_of} (process {started.pid}); its run "
        "appears below, reload to follow it",
    }
    return await _page(request, state, session, messages=[note])
