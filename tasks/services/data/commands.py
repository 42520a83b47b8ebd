"""What the data use cases take and give back: uploads, their checks, scoring them, drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from tasks.core.errors import RetainAIError


@dataclass(frozen=True)
class NewUpload:
    """A customer file sent from the dashboard: its name as sent and its bytes."""

    name: str
    stream: BinaryIO | None  # None: no file was chosen


@dataclass(frozen=True)
class CheckUpload:
    """Check a kept upload against the table's contract (in the background)."""

    upload_id: str
    name: str


@dataclass(frozen=True)
class UploadAccepted:
    """An upload kept and its check launched: a job of the jobs worker or a Prefect run."""

    upload_id: str
    name: str
    backend: str  # "jobs" | "prefect"


@dataclass(frozen=True)
class UploadStatus:
    """Where an upload's check is: `checking`, `checked` (its `verdict`) or `refused` (the
    `refusal` says why; the file is deleted)."""

    upload_id: str
    state: str
    name: str
    verdict: UploadCheck | None = None
    refusal: RetainAIError | None = None

    @property
    def active(self) -> bool:
        return self.state == "checking"


@dataclass(frozen=True)
class ScoreUpload:
    """Score a kept upload of `table` for a date (`as_of` as typed: YYYY-MM-DD; none: today)
    with the config at `config_path`, asked for by `by`."""

    upload_id: str
    as_of: str | None
    config_path: Path
    table: str
    by: str


@dataclass(frozen=True)
class DraftRequest:
    """Profile a churn table and write a config draft for it."""

    data: str
    target: str
    table: str | None = None
    query: str | None = None
    out: Path | None = None  # default configs/NAME.yaml
    name: str | None = None  # default: the file or table name
    force: bool = False  # overwrite an existing file


@dataclass(frozen=True)
class UploadCheck:
    """The contract's verdict on an upload (kept beside it as JSON)."""

    upload_id: str
    name: str
    uploaded_at: str
    rows: int
    clean_rows: int
    quarantined_rows: int
    reasons: dict[str, int]
    examples: list[dict[str, Any]]  # the first quarantined rows: id and reason
    structural: str | None  # why the file cannot be scored at all


@dataclass(frozen=True)
class DataOverview:
    """What the data page lists: recent scoring runs and checked uploads."""

    runs: list[dict[str, Any]]
    uploads: list[UploadCheck]


@dataclass(frozen=True)
class ScoringStarted:
    """A scoring run of an upload started: a Prefect flow run or a job (its id)."""

    run_id: str
    backend: str
    as_of: date


@dataclass(frozen=True)
class ConfigDraft:
    path: Path
    summary: str
