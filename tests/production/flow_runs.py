"""Deployed flow runs on the production stack: start one, wait for it, read what it left."""

from __future__ import annotations

import time

import sqlalchemy as sa

from tests.production.conftest import TERMINAL


def start(client, deployment: str, job_variables: dict | None = None, **parameters):
    found = client.read_deployment_by_name(deployment)
    return client.create_flow_run_from_deployment(
        found.id, parameters=parameters, job_variables=job_variables
    ).id


def wait(client, run_id, timeout: float, until=TERMINAL):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state_type.value in until:
            return run
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} still {run.state_name} after {timeout:.0f} s")


def first_run(client, deployment: str, timeout: float):
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    found = client.read_deployment_by_name(deployment)
    ours = DeploymentFilter(id=DeploymentFilterId(any_=[found.id]))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = client.read_flow_runs(deployment_filter=ours, limit=1)
        if runs:
            return runs[0]
        time.sleep(1)
    raise AssertionError(f"no run of {deployment} within {timeout:.0f} s")


def timing(run) -> str:
    waited = (run.start_time - run.expected_start_time).total_seconds()
    return f"{run.name}: waited {waited:.0f} s, ran {run.total_run_time.total_seconds():.0f} s"


def artifact_keys(client, run_id) -> set[str]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    ours = FlowRunFilter(id=FlowRunFilterId(any_=[run_id]))
    return {artifact.key for artifact in client.read_artifacts(flow_run_filter=ours)}


def scalar(database_url: str, sql: str, **params):
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()
    finally:
        engine.dispose()
