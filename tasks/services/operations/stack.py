"""The local production stack for the command line: start, stop, inspect, deploy."""

from __future__ import annotations

from dataclasses import dataclass

from configs.settings import Settings
from tasks.adapters import stack
from tasks.adapters.alert_automations import ensure_alert_automations
from tasks.adapters.prefect_door import PrefectDoor
from tasks.adapters.stack_services import (
    REPO,
    RUN_LOG_ENV,
    client_env,
    prefect_api_url,
    prepare_stores,
    services,
    worker_name,
)
from tasks.core.errors import ProblemsError, UnavailableError
from tasks.core.redaction import mask_url
from tasks.services.operations.preflight import Preflight, run_checks

down = stack.down
status = stack.status
ABANDONED_RUNS_TIMEOUT_SECONDS = 30.0  # a Prefect server just started answers slowly


@dataclass(frozen=True)
class StackUp:
    """The services, the stores this start created, the flow runs it marked Crashed (their
    worker had stopped with the stack) and what the deployments would meet."""

    services: list[stack.ServiceState]
    created: list[str]
    crashed: list[str]
    preflight: Preflight
    warnings: list[str]


def up(settings: Settings) -> StackUp:
    """Create the missing databases and buckets (ProblemsError listing those that cannot be),
    start the services, mark Crashed the runs a stopped worker of this stack left behind,
    then check what the deployments will read."""
    created = prepare_stores(settings)
    crashed: list[str] = []
    warnings: list[str] = []

    def crash_abandoned(worker_running: bool) -> None:
        if worker_running:
            return
        door = PrefectDoor(prefect_api_url(settings), timeout=ABANDONED_RUNS_TIMEOUT_SECONDS)
        online = settings.crashed_after_seconds
        try:
            crashed.extend(
                door.crash_abandoned_runs(settings.work_pool, worker_name(settings), online)
            )
        except UnavailableError as exc:  # the crash detector still marks them, later
            warnings.append(f"runs a stopped worker left were not looked for: {exc}")

    states = stack.up(settings, after_servers=crash_abandoned)
    return StackUp(states, created, crashed, run_checks(settings), warnings)


def urls(settings: Settings) -> dict[str, str]:
    """Every URL a person opens, by label (Prefect UI, MLflow UI, API docs, dashboard)."""
    found: dict[str, str] = {}
    for service in services(settings):
        found.update(service.urls)
    return found


def exports(settings: Settings) -> dict[str, str]:
    """The variables a shell needs to use the running stack (`retainai deploy`, flows)."""
    return client_env(settings)


def worker_env(launch_env: dict[str, str]) -> dict[str, str]:
    """The environment of a worker started on its own (`retainai worker`): the one it was
    given, with its runs' INFO lines sent to the Prefect API as the stack's worker does."""
    return {**launch_env, **RUN_LOG_ENV}


def stores(settings: Settings) -> dict[str, str]:
    """Where each server keeps its state (credentials masked)."""
    from tasks.adapters.stack_services import mlflow_artifacts, mlflow_backend

    plan = {s.name: s for s in services(settings)}
    prefect_db = plan["prefect"].env.get("PREFECT_API_DATABASE_CONNECTION_URL")
    return {
        "Prefect database": mask_url(prefect_db) if prefect_db else "SQLite in PREFECT_HOME",
        "MLflow backend": mask_url(mlflow_backend(settings)),
        "MLflow artifacts": mlflow_artifacts(settings),
        "logs": str(stack.folder(settings)),
    }


@dataclass(frozen=True)
class Deployed:
    """What `retainai deploy` did: the work pool (created or there), the deployments on the
    server, the crash detector automation, the alert automations and what the preflight
    checked."""

    pool_created: bool
    deployments: list[str]
    automation: str
    alerts: list[str]
    checked: list[str]


def deploy(settings: Settings) -> Deployed:
    """Check what the deployments will read (ProblemsError listing every problem, nothing
    deployed), then register prefect.yaml's deployments, the pool, the crash detector and the
    alert automations."""
    checked = run_checks(settings)
    if checked.problems:
        lines = [p.line() for p in checked.problems]
        count = f"{len(lines)} problem{'s' if len(lines) > 1 else ''}"
        raise ProblemsError(f"nothing deployed: what the deployments will read has {count}", lines)
    door = PrefectDoor.from_settings(settings)
    door.require_api()
    created = door.ensure_work_pool(settings.work_pool)
    door.deploy_all(REPO)
    automation = door.ensure_crash_detector(settings)
    alerts = ensure_alert_automations(settings)
    return Deployed(created, door.deployment_names(), automation, alerts, checked.checked)
