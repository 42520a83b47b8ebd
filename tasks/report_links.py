"""Reports kept in the configured store (local folder or S3) and linked from the flow run's
Prefect artifacts and from the MLflow run they belong to."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE

from configs.settings import Settings
from tasks.adapters import registry, report_store


@task(name="publish-reports", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def publish_reports(
    settings: Settings,
    paths: list[Path],
    key: str,
    description: str,
    mlflow_run_id: str | None = None,
) -> str:
    """Copy the report files or folders to the store (in the order given: a pointer naming a
    folder goes last), link the first from a Prefect artifact `key` and tag the MLflow run
    with it (`reports_uri`); returns its location."""
    locations = [report_store.publish(settings, path) for path in paths]
    create_link_artifact(key=key, link=locations[0], description=description)
    if mlflow_run_id is not None:
        registry.set_tags(mlflow_run_id, {"reports_uri": locations[0]})
    return locations[0]
