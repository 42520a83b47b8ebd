"""Starting training and scoring runs, running them for the jobs worker, and what the Prefect
server has deployed.

Both go through the one launcher (tasks/services/jobs): a flow run of their deployment when a
Prefect server is configured, else a job of the table (`table:<name>`) that the jobs worker
runs as a child process (`python -m flows train|score`). One job per table at a time, so a
table is never trained and scored at once from the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tasks.adapters import flow_process
from tasks.core.errors import ConflictError, RetainAIError
from tasks.i18n import N_
from tasks.services import jobs
from tasks.services.context import Context
from tasks.services.models.commands import (
    ScoringStarted,
    StartScoring,
    StartTraining,
    TableWork,
    TrainingStarted,
)

RUN_FAILED = N_("the %(run)s run stopped with exit code %(code)s: %(line)s")


def start_training(ctx: Context, command: StartTraining) -> TrainingStarted:
    """Start a training run. ConflictError while a run of the table goes (a second Prefect
    training run, or any job of the table), or without Prefect when no training data is set.

    The source is never a run parameter (parameters are shown to others): a deployment run
    reads it from its Prefect worker's environment, the jobs worker's child from its own."""
    if not ctx.prefect.configured and ctx.settings.training_source is None:
        raise ConflictError(
            N_(
                "no training data: set RETAINAI_TRAINING_SOURCE to the customers file to train "
                "on (or deploy train-churn-model/train-weekly on Prefect)"
            )
        )
    payload = {"config_path": str(command.config_path)}
    work = jobs.Launch(jobs.TRAIN_MODEL, jobs.table_subject(command.table), payload, command.by)
    launched = jobs.launch(ctx, work)
    return TrainingStarted(_run_of(launched), launched.door)  # type: ignore[arg-type]


def start_scoring(ctx: Context, command: StartScoring) -> ScoringStarted:
    """Start scoring the file `data` for `as_of` (JSON-simple parameters: the config, the
    file's path in the state folder the app and the workers share, the date). ConflictError
    while another run of the table goes."""
    payload = {
        "config_path": str(command.config_path),
        "data": str(command.data),
        "as_of": command.as_of.isoformat(),
    }
    work = jobs.Launch(jobs.SCORE_UPLOAD, jobs.table_subject(command.table), payload, command.by)
    launched = jobs.launch(ctx, work)
    return ScoringStarted(_run_of(launched), launched.door)  # type: ignore[arg-type]


def _run_of(launched: jobs.Launched) -> str:
    return str(launched.flow_run if launched.door == "prefect" else launched.job)


def table_work(ctx: Context, table: str) -> TableWork | None:
    """The table's latest background run (from the jobs worker), if any."""
    job = jobs.latest_job(ctx, jobs.table_subject(table))
    if job is None:
        return None
    return TableWork(
        kind=job["kind"],
        state=job["state"],
        as_of=(job["payload"] or {}).get("as_of"),
        error=job["error"],
        created_at=job["created_at"],
        finished_at=job["finished_at"],
    )


def run_training(
    ctx: Context, job_id: int, payload: dict[str, Any], stop: Callable[[], bool]
) -> dict[str, Any]:
    """The training flow of a job, in a child process (for the jobs worker)."""
    arguments = ["train", "--config", str(payload["config_path"])]
    return _run(ctx, "training", job_id, arguments, stop)


def run_scoring(
    ctx: Context, job_id: int, payload: dict[str, Any], stop: Callable[[], bool]
) -> dict[str, Any]:
    """The scoring flow of a job on its file and date, in a child process (for the jobs
    worker)."""
    arguments = ["score", "--config", str(payload["config_path"]), "--data", str(payload["data"])]
    arguments += ["--as-of", str(payload["as_of"])]
    found = _run(ctx, "scoring", job_id, arguments, stop)
    return {**found, "as_of": str(payload["as_of"])}


def _run(
    ctx: Context, run: str, job_id: int, arguments: list[str], stop: Callable[[], bool]
) -> dict[str, Any]:
    log = ctx.settings.state / "logs" / "jobs" / f"{job_id}-{run}.log"
    ended = flow_process.run_flow(ctx.settings, arguments, log, stop)
    if ended.stopped:
        return {"stopped": True}
    if ended.code != 0:
        raise RetainAIError(RUN_FAILED, run=run, code=ended.code, line=ended.last_line)
    return {"exit_code": 0}


def prefect_configured(ctx: Context) -> bool:
    return ctx.prefect.configured


def deployment_schedules(ctx: Context) -> list[dict[str, Any]]:
    """The Prefect server's deployments with their schedules, next run and concurrency limit;
    ConfigError when none is configured, UnavailableError when it does not answer."""
    return ctx.prefect.deployment_schedules()
