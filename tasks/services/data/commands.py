"""What the data use cases take and give back: uploads, their checks, scoring them, drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from configs.settings import Settings


@dataclass(frozen=True)
class NewUpload:
    """A customer file sent from the dashboard: its name as sent and its bytes."""

    name: str
    stream: BinaryIO | None  # None: no file was chosen


@dataclass(frozen=True)
class CheckUpload:
    """Check a kept upload against the table's contract (in the checking process)."""

    upload_id: str
    name: str


@dataclass(frozen=True)
class ScoreUpload:
    """Score a kept upload for a date (`as_of` as typed: YYYY-MM-DD; none: today)."""

    upload_id: str
    as_of: str | None = None


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
    pid: int
    as_of: date


@dataclass(frozen=True)
class ConfigDraft:
    path: Path
    summary: str


class Checker(Protocol):
    """Checks an upload where its reading cannot harm the caller (a child process)."""

    def check(self, settings: Settings, upload_id: str, name: str) -> UploadCheck: ...
