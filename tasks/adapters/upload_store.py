"""Where uploaded customer files are kept: under the state folder's uploads/, each as
`<id>.csv` or `<id>.parquet` with its verdict (`<id>.json`) and its quarantined rows
(`<id>.quarantine.csv`) beside it. A refused upload is deleted; why it was refused is kept
under upload-refusals/ (`<id>.json`: the error's kind, template and values, no data), so the
page that waits for the check can say why.

An upload is written under a temporary name and renamed once whole; a write that fails part
way leaves nothing behind. Ids are made here (uuid4 hex) and a request's id is never a path."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from configs.settings import Settings
from tasks.adapters.db import row_dict
from tasks.adapters.storage import inside, write_frame_atomic, write_json_atomic
from tasks.adapters.tables import scoring_runs

KINDS = (".csv", ".parquet")
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex
PARTIAL = ".part"  # an upload being written


def folder_of(settings: Settings) -> Path:
    return settings.state / "uploads"


def save_upload(settings: Settings, name: str, stream: BinaryIO) -> str:
    """Write an uploaded file (a CSV or Parquet `name`) under a temporary name, renamed once
    whole; its id. A write that fails part way leaves nothing behind."""
    upload_id = uuid.uuid4().hex
    folder = folder_of(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{upload_id}{Path(name).suffix.lower()}"
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
    """The uploaded file of `upload_id` (an id `save_upload` made), else None."""
    if not UPLOAD_ID.fullmatch(upload_id):  # never a path, nor a name too long for one
        return None
    found = [inside(folder_of(settings), f"{upload_id}{kind}") for kind in KINDS]
    return next((path for path in found if path.is_file()), None)


def quarantine_path(data: Path) -> Path:
    """Where the quarantined rows of the upload `data` are kept (a CSV download)."""
    return data.with_suffix(".quarantine.csv")


def write_quarantine(data: Path, rows: pd.DataFrame) -> None:
    write_frame_atomic(rows, quarantine_path(data))


def write_verdict(data: Path, verdict: dict[str, Any]) -> None:
    write_json_atomic(data.with_suffix(".json"), verdict)


def refusals_of(settings: Settings) -> Path:
    return settings.state / "upload-refusals"


def write_refusal(settings: Settings, upload_id: str, refusal: dict[str, Any]) -> None:
    """Keep why the upload `upload_id` was refused (its file is deleted)."""
    if UPLOAD_ID.fullmatch(upload_id):
        write_json_atomic(refusals_of(settings) / f"{upload_id}.json", refusal)


def read_refusal(settings: Settings, upload_id: str) -> dict[str, Any] | None:
    """Why the upload `upload_id` was refused, if it was."""
    if not UPLOAD_ID.fullmatch(upload_id):
        return None
    found = refusals_of(settings) / f"{upload_id}.json"
    return json.loads(found.read_text()) if found.is_file() else None


def read_verdict(settings: Settings, upload_id: str) -> dict[str, Any] | None:
    """The stored verdict on an upload, if it was checked."""
    path = data_file(settings, upload_id)
    found = path.with_suffix(".json") if path else None
    if found is None or not found.is_file():
        return None
    return json.loads(found.read_text())


def recent_verdicts(settings: Settings, limit: int) -> list[dict[str, Any]]:
    """The verdicts of the latest checked uploads, newest first."""
    folder = folder_of(settings)
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    return [json.loads(p.read_text()) for p in files[:limit]]


def recent_runs(engine: Engine, dataset: str, limit: int) -> list[dict[str, Any]]:
    """The latest scoring runs of a table, newest first."""
    query = (
        sa.select(scoring_runs)
        .where(scoring_runs.c.dataset == dataset)
        .order_by(scoring_runs.c.started_at.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [row_dict(row) for row in connection.execute(query)]
