"""Customer files uploaded from the dashboard: kept under the state folder, checked against the
table's contract (structural errors, quarantined rows with their reasons, downloadable), then
scored by the same scoring flow as any source. Plain functions for the web app; the check runs
in a process of its own (tasks/upload_check.py).

An upload is written under a temporary name and renamed once whole; a file past the upload
limits (RETAINAI_UPLOAD_MAX_*) is refused while it is read, and a refused or broken upload
leaves nothing behind."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters.db import row_dict
from tasks.adapters.source_limits import ReadLimits
from tasks.adapters.sources import read_source
from tasks.adapters.storage import inside, write_frame_atomic, write_json_atomic
from tasks.adapters.tables import scoring_runs
from tasks.core.contract import validate_frame
from tasks.core.errors import ConfigError, NotFoundError, RetainAIError, TooLargeError
from tasks.core.redaction import hide_paths

KINDS = (".csv", ".parquet")
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
SHOWN_REASONS = 50  # quarantined rows shown on the page (all are in the download)
PARTIAL = ".part"  # an upload being written


@dataclass(frozen=True)
class UploadCheck:
    upload_id: str
    name: str
    uploaded_at: str
    rows: int
    clean_rows: int
    quarantined_rows: int
    reasons: dict[str, int]
    examples: list[dict[str, Any]]  # the first quarantined rows: id and reason
    structural: str | None  # why the file cannot be scored at all


def folder_of(settings: Settings) -> Path:
    return settings.state / "uploads"


def new_upload(settings: Settings, name: str) -> tuple[str, Path]:
    """An id and the path to write an uploaded file to; other kinds are refused."""
    suffix = Path(name).suffix.lower()
    if suffix not in KINDS:
        raise ConfigError(f"upload a CSV or Parquet file, not {Path(name).name!r}")
    upload_id = uuid.uuid4().hex
    folder = folder_of(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return upload_id, folder / f"{upload_id}{suffix}"


def save_upload(settings: Settings, name: str, stream: BinaryIO) -> str:
    """Write an uploaded file under a temporary name, renamed once whole; its id. A write that
    fails part way leaves nothing behind."""
    upload_id, path = new_upload(settings, name)
    partial = path.with_name(path.name + PARTIAL)
    try:
        with partial.open("wb") as out:
            shutil.copyfileobj(stream, out, length=1024 * 1024)
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return upload_id


def discard(settings: Settings, upload_id: str) -> None:
    """Delete an upload and everything kept beside it (verdict, quarantined rows, logs)."""
    if UPLOAD_ID.fullmatch(upload_id):
        for found in folder_of(settings).glob(f"{upload_id}.*"):
            with contextlib.suppress(FileNotFoundError):
                found.unlink()


def data_file(settings: Settings, upload_id: str) -> Path | None:
    """The uploaded file of `upload_id` (an id `new_upload` made), else None."""
    if not UPLOAD_ID.fullmatch(upload_id):  # never a path, nor a name too long for one
        return None
    found = [inside(folder_of(settings), f"{upload_id}{kind}") for kind in KINDS]
    return next((path for path in found if path.is_file()), None)


def quarantine_file(settings: Settings, upload_id: str) -> Path:
    """The quarantined rows of an upload, as a CSV download."""
    path = data_file(settings, upload_id)
    found = path.with_suffix(".quarantine.csv") if path else None
    if found is None or not found.is_file():
        raise NotFoundError("no quarantined rows for this upload")
    return found


def check_upload(settings: Settings, config: RunConfig, upload_id: str, name: str) -> UploadCheck:
    """The contract's verdict on an uploaded file, kept beside it (JSON, quarantine CSV). A file
    past the upload limits raises TooLargeError and is deleted."""
    path = data_file(settings, upload_id)
    if path is None:
        raise ConfigError("no such upload")
    rows = clean = quarantined = 0
    reasons: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    structural = None
    try:
        frame = read_source(str(path), settings=settings, limits=ReadLimits.uploads(settings))
        rows = len(frame)
        result = validate_frame(frame, config, "scoring")
    except TooLargeError:
        discard(settings, upload_id)
        raise
    except RetainAIError as error:  # structural problems, unreadable file, too many bad rows
        structural = _as_sent(error, path, name)
    else:
        clean, quarantined = len(result.clean), len(result.quarantined)
        reasons = dict(result.reason_counts)
        if quarantined:
            write_frame_atomic(result.quarantined, path.with_suffix(".quarantine.csv"))
            ids = config.dataset.id_column
            for _, row in result.quarantined.head(SHOWN_REASONS).iterrows():
                examples.append(
                    {
                        "id": str(row.get(ids, "")) if ids else "",
                        "reason": str(row["quarantine_reason"]),
                    }
                )
    found = UploadCheck(
        upload_id,
        Path(name).name[:200],
        datetime.now(UTC).isoformat(),
        rows,
        clean,
        quarantined,
        reasons,
        examples,
        structural,
    )
    write_json_atomic(path.with_suffix(".json"), asdict(found))
    return found


def verdict_of(settings: Settings, upload_id: str) -> UploadCheck | None:
    """The stored verdict on an upload, if it was checked."""
    path = data_file(settings, upload_id)
    found = path.with_suffix(".json") if path else None
    if found is None or not found.is_file():
        return None
    return UploadCheck(**json.loads(found.read_text()))


def _as_sent(error: RetainAIError, path: Path, name: str) -> str:
    """What is wrong with the file, naming it as it was sent: never where the server keeps it."""
    return hide_paths(str(error).replace(str(path), Path(name).name))


def recent_uploads(settings: Settings, limit: int = 10) -> list[UploadCheck]:
    folder = folder_of(settings)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [UploadCheck(**json.loads(p.read_text())) for p in files[:limit]]


def recent_runs(engine: Engine, dataset: str, limit: int = 10) -> list[dict[str, Any]]:
    query = (
        sa.select(scoring_runs)
        .where(scoring_runs.c.dataset == dataset)
        .order_by(scoring_runs.c.started_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [row_dict(row) for row in connection.execute(query)]
