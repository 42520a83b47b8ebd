"""What the model use cases take and return: typed commands and results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from configs.schema import RunConfig


@dataclass(frozen=True)
class VersionRow:
    """One registered version with its aliases and holdout figures."""

    version: str
    aliases: str
    family: str
    roc_auc: float | None
    brier: float | None
    threshold: str
    run_id: str


@dataclass(frozen=True)
class PromoteVersion:
    """Make `version` champion by hand (no gates), recorded with `reason`."""

    config: RunConfig
    version: str
    reason: str = "manual promotion"


@dataclass(frozen=True)
class RollBack:
    """Move champion back to the version that held it before."""

    config: RunConfig
    reason: str = "rollback requested"


@dataclass(frozen=True)
class ChampionMoved:
    """Where the champion alias went: `version`, from `previous` (None: there was none)."""

    version: str
    previous: str | None


@dataclass(frozen=True)
class StartTraining:
    """A training run of `table` on the config at `config_path`, asked for by `by`."""

    config_path: Path
    table: str
    by: str


@dataclass(frozen=True)
class TrainingStarted:
    """A training run started: a Prefect flow run, or a job of the jobs worker (its id)."""

    run_id: str
    backend: Literal["prefect", "jobs"]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "backend": self.backend}


@dataclass(frozen=True)
class StartScoring:
    """Score the customers file `data` of `table` as of `as_of` (config at `config_path`),
    asked for by `by`."""

    config_path: Path
    table: str
    data: Path
    as_of: date
    by: str


@dataclass(frozen=True)
class ScoringStarted:
    """A scoring run started: a Prefect flow run, or a job of the jobs worker (its id)."""

    run_id: str
    backend: Literal["prefect", "jobs"]


@dataclass(frozen=True)
class TableWork:
    """The latest background run of a table (scoring an upload, training), as pages show it."""

    kind: str  # score-upload | train-model
    state: str  # queued | running | done | failed | cancelled
    as_of: str | None
    error: str | None
    created_at: Any
    finished_at: Any

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")
