"""Starting training and scoring runs, and what the Prefect server has deployed.

A training run is a flow run of the training deployment when a Prefect server is configured
and has it, else a local child process; a scoring run of an upload is always a local child
process. The local children hold the table's run slot: one run of a table at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from tasks.core.errors import ConflictError
from tasks.services.context import Context
from tasks.services.models.commands import (
    ScoringStarted,
    StartScoring,
    StartTraining,
    TrainingStarted,
)


class LocalTraining(Protocol):
    """Training in a child process of this one (the server's launcher)."""

    source: str | None  # RETAINAI_TRAINING_SOURCE, handed to the child by its environment

    def start(self, config_path: Path) -> tuple[str, int]:
        """(run id, pid); ConcurrentRunError while a run of the table is going."""
        ...


class LocalScoring(Protocol):
    def start(self, data: Path, as_of: Any, name: str | None = None) -> int: ...


def start_training(ctx: Context, local: LocalTraining, command: StartTraining) -> TrainingStarted:
    """Start a training run (blocking: call from a worker thread). ConflictError while one is
    going, or when there is no deployment and no training data is set.

    The source is never a run parameter or a command-line argument (both are shown to
    others): a deployment run reads it from its worker's environment, a child from its own."""
    if ctx.prefect.configured:
        parameters = {"config_path": str(command.config_path)}
        run_id = ctx.prefect.start_deployment_run(parameters=parameters)
        if run_id is not None:
            return TrainingStarted(run_id, "prefect")
    if not local.source:
        raise ConflictError(
            "no training data: set RETAINAI_TRAINING_SOURCE to the customers file to train "
            "on (or deploy train-churn-model/train-weekly on Prefect)"
        )
    run_id, pid = local.start(command.config_path)
    return TrainingStarted(run_id, "subprocess", pid)


def start_scoring(ctx: Context, local: LocalScoring, command: StartScoring) -> ScoringStarted:
    """Score an uploaded file in a child process (its log: data + .score.log);
    ConcurrentRunError while a run of the table is going."""
    return ScoringStarted(local.start(command.data, command.as_of, command.name))


def prefect_configured(ctx: Context) -> bool:
    return ctx.prefect.configured


def deployment_schedules(ctx: Context) -> list[dict[str, Any]]:
    """The Prefect server's deployments with their schedules, next run and concurrency limit;
    ConfigError when none is configured, UnavailableError when it does not answer."""
    return ctx.prefect.deployment_schedules()
