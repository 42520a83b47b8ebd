"""Uploads in the background: accepting a file launches its check, a page follows the check
until its verdict (or why it was refused), and scoring a checked upload launches a scoring
run of the table. Both go through the one launcher (tasks/services/jobs): a Prefect
deployment run, or a job the jobs worker takes; never the web process, so a file that takes
memory or time to read takes them there.

A refused upload (a limit passed, a file gone) is deleted; why it was refused is kept as
the error's template and values, so each reader gets it in their language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import upload_store as store
from tasks.core import errors
from tasks.core.errors import InvalidInputError, NotFoundError, RetainAIError, UnavailableError
from tasks.i18n import N_, Count, Share
from tasks.services import jobs, models
from tasks.services.context import Context
from tasks.services.data.commands import (
    CheckUpload,
    NewUpload,
    ScoreUpload,
    ScoringStarted,
    UploadAccepted,
    UploadCheck,
    UploadStatus,
)
from tasks.services.data.uploads import as_of_date, check_upload, verdict_of

CHECK_STOPPED = N_("this file could not be checked (the check stopped); try again")


def accept_upload(ctx: Context, upload: NewUpload, by: str) -> UploadAccepted:
    """Keep a CSV or Parquet file and launch its check. InvalidInputError for another kind of
    file (nothing of it is kept); a check that cannot be launched leaves nothing either."""
    if not upload.name or upload.stream is None:
        raise InvalidInputError(N_("choose a CSV or Parquet file of customers"))
    if Path(upload.name).suffix.lower() not in store.KINDS:
        raise InvalidInputError(
            N_("upload a CSV or Parquet file, not %(name)r"), name=Path(upload.name).name
        )
    upload_id = store.save_upload(ctx.settings, upload.name, upload.stream)
    name = Path(upload.name).name[:200]
    payload = {"upload_id": upload_id, "name": name}
    work = jobs.Launch(jobs.CHECK_UPLOAD, jobs.upload_subject(upload_id), payload, by)
    try:
        launched = jobs.launch(ctx, work)
    except BaseException:
        store.discard(ctx.settings, upload_id)
        raise
    return UploadAccepted(upload_id, name, launched.door)


def run_upload_check(ctx: Context, config: RunConfig, command: CheckUpload) -> UploadCheck:
    """Check a kept upload (for the jobs worker and the check-upload flow); a refusal deletes
    the upload, keeps why and is raised."""
    try:
        return check_upload(ctx, config, command)
    except RetainAIError as error:
        _refuse(ctx, command.upload_id, command.name, error)
        raise


def upload_status(ctx: Context, upload_id: str) -> UploadStatus:
    """Where the check of an upload is. NotFoundError for no such upload; a check that
    stopped without a verdict (its worker died too often, say) refuses the upload."""
    found = verdict_of(ctx, upload_id)
    if found is not None:
        return UploadStatus(upload_id, "checked", found.name, verdict=found)
    refused = store.read_refusal(ctx.settings, upload_id)
    if refused is not None:
        return UploadStatus(upload_id, "refused", refused["name"], refusal=_error_of(refused))
    job = jobs.latest_job(ctx, jobs.upload_subject(upload_id), jobs.CHECK_UPLOAD)
    name = str((job or {}).get("payload", {}).get("name", ""))
    if job is not None and job["state"] in ("failed", "cancelled"):
        error = UnavailableError(CHECK_STOPPED)
        _refuse(ctx, upload_id, name, error)
        return UploadStatus(upload_id, "refused", name, refusal=error)
    if job is None and store.data_file(ctx.settings, upload_id) is None:
        raise NotFoundError(N_("no such upload"))
    return UploadStatus(upload_id, "checking", name)


def score_upload(ctx: Context, command: ScoreUpload) -> ScoringStarted:
    """Launch the scoring flow on a kept upload for `as_of` (default today). NotFoundError for
    no such upload, InvalidInputError for a date that is not one, ConflictError while
    another run of the table (scoring or training) is going."""
    path = store.data_file(ctx.settings, command.upload_id)
    if path is None:
        raise NotFoundError(N_("no such upload"))
    as_of = as_of_date(command.as_of)
    scoring = models.StartScoring(command.config_path, command.table, path, as_of, command.by)
    started = models.start_scoring(ctx, scoring)
    return ScoringStarted(started.run_id, started.backend, as_of)


def _refuse(ctx: Context, upload_id: str, name: str, error: RetainAIError) -> None:
    store.discard(ctx.settings, upload_id)
    refusal = {
        "name": name,
        "kind": type(error).__name__,
        "template": error.template,
        "values": {key: _plain(value) for key, value in error.values.items()},
        "text": str(error),
    }
    store.write_refusal(ctx.settings, upload_id, refusal)


def _plain(value: Any) -> Any:
    """A value as JSON keeps it: a count or a share marked so that it reads as one again."""
    if isinstance(value, Count):
        return {"count": int(value)}
    if isinstance(value, Share):
        return {"share": float(value)}
    return value if isinstance(value, int | float | str | bool | None) else str(value)


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"count"}:
        return Count(value["count"])
    if isinstance(value, dict) and set(value) == {"share"}:
        return Share(value["share"])
    return value


def _error_of(refused: dict[str, Any]) -> RetainAIError:
    """The refusal again as the typed error it was (its status, its translation)."""
    kind = getattr(errors, str(refused.get("kind")), None)
    if not (isinstance(kind, type) and issubclass(kind, RetainAIError)):
        kind = InvalidInputError
    if refused.get("template"):
        try:
            values = {key: _typed(value) for key, value in refused.get("values", {}).items()}
            return kind(refused["template"], **values)
        except (KeyError, TypeError, ValueError):
            pass
    return kind(str(refused.get("text", "")))
