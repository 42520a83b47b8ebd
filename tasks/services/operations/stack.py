"""The local production stack for the command line: start, stop, inspect, deploy."""

from __future__ import annotations

from configs.settings import Settings
from tasks.adapters import stack
from tasks.adapters.alert_automations import ensure_alert_automations
from tasks.adapters.prefect_door import PrefectDoor
from tasks.adapters.stack_services import REPO, client_env, services
from tasks.core.redaction import mask_url

up = stack.up
down = stack.down
status = stack.status


def urls(settings: Settings) -> dict[str, str]:
    """Every URL a person opens, by label (Prefect UI, MLflow UI, API docs, dashboard)."""
    found: dict[str, str] = {}
    for service in services(settings):
        found.update(service.urls)
    return found


def exports(settings: Settings) -> dict[str, str]:
    """The variables a shell needs to use the running stack (`retainai deploy`, flows)."""
    return client_env(settings)


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


def deploy(settings: Settings) -> tuple[bool, list[str], str, list[str]]:
    """Register prefect.yaml's deployments: (pool created, deployments, crash detector id,
    alert automations)."""
    door = PrefectDoor.from_settings(settings)
    door.require_api()
    created = door.ensure_work_pool(settings.work_pool)
    door.deploy_all(REPO)
    automation = door.ensure_crash_detector(settings)
    alerts = ensure_alert_automations(settings)
    return created, door.deployment_names(), automation, alerts
