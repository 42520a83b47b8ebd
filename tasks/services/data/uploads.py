"""Customer files uploaded from the dashboard: checked against the table's contract
(structural errors, quarantined rows with their reasons, downloadable) and listed. Accepting
one and scoring it go through the one launcher (tasks/services/data/checks.py).

A file past the upload limits (RETAINAI_UPLOAD_MAX_*) is refused while it is read, and a
refused or broken upload leaves nothing behind."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import upload_store as store
from tasks.adapters.source_limits import ReadLimits
from tasks.adapters.sources import read_source
from tasks.core.contract import validate_frame
from tasks.core.errors import (
    InvalidInputError,
    NotFoundError,
    RetainAIError,
    TooLargeError,
)
from tasks.core.redaction import hide_paths
from tasks.i18n import N_
from tasks.services.context import Context
from tasks.services.data.commands import CheckUpload, DataOverview, UploadCheck

SHOWN_REASONS = 50  # quarantined rows shown on the page (all are in the download)
RECENT = 10  # uploads and scoring runs listed


def check_upload(ctx: Context, config: RunConfig, command: CheckUpload) -> UploadCheck:
    """The contract's verdict on a kept upload, stored beside it (JSON, quarantine CSV). A file
    past the upload limits raises TooLargeError and is deleted."""
    settings = ctx.settings
    path = store.data_file(settings, command.upload_id)
    if path is None:
        raise NotFoundError(N_("no such upload"))
    rows = clean = quarantined = 0
    reasons: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    structural = None
    try:
        frame = read_source(str(path), settings=settings, limits=ReadLimits.uploads(settings))
        rows = len(frame)
        result = validate_frame(frame, config, "scoring")
    except TooLargeError:
        store.discard(settings, command.upload_id)
        raise
    except RetainAIError as error:  # structural problems, unreadable file, too many bad rows
        structural = _as_sent(error, path, command.name)
    else:
        clean, quarantined = len(result.clean), len(result.quarantined)
        reasons = dict(result.reason_counts)
        if quarantined:
            store.write_quarantine(path, result.quarantined)
            ids = config.dataset.id_column
            for _, row in result.quarantined.head(SHOWN_REASONS).iterrows():
                shown = str(row.get(ids, "")) if ids else ""
                examples.append({"id": shown, "reason": str(row["quarantine_reason"])})
    found = UploadCheck(
        command.upload_id,
        Path(command.name).name[:200],
        datetime.now(UTC).isoformat(),
        rows,
        clean,
        quarantined,
        reasons,
        examples,
        structural,
    )
    store.write_verdict(path, asdict(found))
    return found


def verdict_of(ctx: Context, upload_id: str) -> UploadCheck | None:
    """The stored verdict on an upload, if it was checked."""
    found = store.read_verdict(ctx.settings, upload_id)
    return UploadCheck(**found) if found is not None else None


def discard_upload(ctx: Context, upload_id: str) -> None:
    """Delete an upload and everything kept beside it."""
    store.discard(ctx.settings, upload_id)


def list_uploads(ctx: Context, dataset: str) -> DataOverview:
    """The latest scoring runs of the table and the latest checked uploads; what went wrong
    in a run, never where the server keeps its files."""
    runs = store.recent_runs(ctx.engine, dataset, RECENT)
    for run in runs:
        run["error"] = run["error"] and hide_paths(run["error"])
    checked = [UploadCheck(**v) for v in store.recent_verdicts(ctx.settings, RECENT)]
    return DataOverview(runs=runs, uploads=checked)


def quarantine_download(ctx: Context, upload_id: str) -> Path:
    """The quarantined rows of an upload, as a CSV file to send."""
    path = store.data_file(ctx.settings, upload_id)
    found = store.quarantine_path(path) if path else None
    if found is None or not found.is_file():
        raise NotFoundError(N_("no quarantined rows for this upload"))
    return found


def as_of_date(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInputError(
            N_("as_of: %(text)r is not a date (YYYY-MM-DD)"), text=text[:40]
        ) from None


def _as_sent(error: RetainAIError, path: Path, name: str) -> str:
    """What is wrong with the file, naming it as it was sent: never where the server keeps it."""
    return hide_paths(str(error).replace(str(path), Path(name).name))
