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
    """A training run on the config at `config_path`."""

    config_path: Path


@dataclass(frozen=True)
class TrainingStarted:
    run_id: str
    backend: Literal["prefect", "subprocess"]
    pid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"run_id": self.run_id, "backend": self.backend}
        return found if self.pid is None else {**found, "pid": self.pid}


@dataclass(frozen=True)
class StartScoring:
    """Score the customers file `data` (the upload `name`) as of `as_of`."""

    data: Path
    as_of: date
    name: str | None = None


@dataclass(frozen=True)
class ScoringStarted:
    pid: int
