"""POST /trigger-training: a Prefect deployment run if a server is configured, else a job of
the table that the jobs worker runs as a child process (the source in its environment, never
in its arguments); one run of the table at a time; 409 without training data."""

from __future__ import annotations

import sys

import pytest
from serving_helpers import bearer, run_jobs

from tasks.adapters import flow_process
from tasks.services import jobs
from tasks.services.context import Context

# a training run that records what it was given, then ends
RECORD = (
    "import os, pathlib, sys; "
    "pathlib.Path(os.environ['RETAINAI_STATE_DIR'], 'training.args')"
    ".write_text(' '.join(sys.argv[1:]) + chr(10) + os.environ['RETAINAI_TRAINING_SOURCE'])"
)


def _trigger(served, path: str = "/trigger-training", role: str = "admin"):
    return served.client.post(path, headers=bearer(served.tokens[role]))


def test_a_job_of_the_table_run_by_the_worker(served, champion, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    first = _trigger(served)
    assert first.status_code == 202, first.text
    assert first.json()["backend"] == "jobs"
    table = jobs.table_subject(served.config.dataset.name)
    job = jobs.latest_job(served.state.context, table)
    assert str(job["id"]) == first.json()["run_id"] and job["kind"] == "train-model"
    assert job["payload"] == {"config_path": str(champion.config)}  # never the source
    alias = _trigger(served, "/api/trigger-training")
    assert alias.status_code == 202 and alias.json() == first.json()  # the same run
    assert _trigger(served, "/api/trigger-training", "analyst").status_code == 403

    monkeypatch.setattr(flow_process, "COMMAND", [sys.executable, "-c", RECORD])
    assert run_jobs(served.state) == 1
    job = jobs.latest_job(served.state.context, table)
    assert job["state"] == "done", job["error"]
    argv, source = (champion.state / "training.args").read_text().splitlines()
    assert argv == f"train --config {champion.config}" and source == str(champion.data)
    again = _trigger(served)
    assert again.status_code == 202 and again.json()["run_id"] != first.json()["run_id"]


def test_a_failed_run_says_how_it_ended(served, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert _trigger(served).status_code == 202
    failing = "import sys; print('error: no champion to beat'); sys.exit(3)"
    monkeypatch.setattr(flow_process, "COMMAND", [sys.executable, "-c", failing])
    assert run_jobs(served.state) == 1
    job = jobs.latest_job(served.state.context, jobs.table_subject(served.config.dataset.name))
    assert job["state"] == "failed"
    assert job["error"] == "the training run stopped with exit code 3: error: no champion to beat"


def test_without_a_training_source_the_api_names_the_setting(served, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    bare = served.state.settings.model_copy(update={"training_source": None})
    monkeypatch.setattr(served.state, "context", Context(bare))
    response = _trigger(served)
    assert response.status_code == 409  # a missing setting, not an outage
    assert "set RETAINAI_TRAINING_SOURCE" in response.json()["detail"]


@pytest.fixture
def training_deployment(served, prefect_server, monkeypatch):
    """`train-churn-model/train-weekly` registered on the test Prefect server, which the
    served app's context names (as PREFECT_API_URL at its start would)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    named = served.state.settings.model_copy(update={"prefect_api_url": PREFECT_API_URL.value()})
    monkeypatch.setattr(served.state, "context", Context(named))
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("train-churn-model")
        deployment_id = client.create_deployment(flow_id, "train-weekly")
    yield deployment_id
    with get_client(sync_client=True) as client:
        client.delete_deployment(deployment_id)


def test_prefect_deployment_run_and_conflict(served, training_deployment):
    first = _trigger(served)
    assert first.status_code == 202, first.text
    assert first.json()["backend"] == "prefect"
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(first.json()["run_id"])
    assert run.deployment_id == training_deployment
    # the worker's environment names the source: no run parameter carries it
    assert run.parameters == {"config_path": str(served.state.config_path)}
    again = _trigger(served)
    assert again.status_code == 409 and str(run.id) in again.json()["detail"]
