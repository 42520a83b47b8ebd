"""POST /trigger-training: a Prefect deployment run if one exists, else a subprocess; 409."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from serving_helpers import bearer, child_environment

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def _trigger(served):
    return served.client.post("/trigger-training", headers=bearer(served.tokens["admin"]))


def test_subprocess_run_and_conflict(served, champion, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    launcher = served.state.launcher
    monkeypatch.setattr(launcher, "command", SLEEPER)
    monkeypatch.setattr(launcher, "source", str(champion.data))
    first = _trigger(served)
    assert first.status_code == 202, first.text
    assert first.json()["backend"] == "subprocess" and len(first.json()["run_id"]) == 32
    process = launcher.process
    try:
        assert process.args[-2:] == ["--config", str(champion.config)]  # no source in argv
        environ = child_environment(process.pid)
        assert f"RETAINAI_TRAINING_SOURCE={champion.data}".encode() in environ
        again = _trigger(served)
        assert again.status_code == 409 and "running" in again.json()["detail"]
        alias = served.client.post("/api/trigger-training", headers=bearer(served.tokens["admin"]))
        assert alias.status_code == 409 and alias.json() == again.json()  # one route, one lock
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    monkeypatch.setattr(launcher, "command", [sys.executable, "-c", "pass"])
    assert _trigger(served).status_code == 202  # the lock went with the finished run
    launcher.process.wait(timeout=30)
    alias = served.client.post("/api/trigger-training", headers=bearer(served.tokens["admin"]))
    assert alias.status_code == 202 and alias.json()["backend"] == "subprocess"
    launcher.process.wait(timeout=30)
    analyst = served.client.post("/api/trigger-training", headers=bearer(served.tokens["analyst"]))
    assert analyst.status_code == 403  # the same policy: admins only


def test_without_a_training_source_the_api_names_the_setting(served, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setattr(served.state.launcher, "source", None)
    response = _trigger(served)
    assert response.status_code == 409  # a missing setting, not an outage
    assert "set RETAINAI_TRAINING_SOURCE" in response.json()["detail"]


@pytest.fixture
def training_deployment(served, prefect_server, monkeypatch):
    """`train-churn-model/train-weekly` registered on the test Prefect server, which the
    served app's context names (as PREFECT_API_URL at its start would)."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    from tasks.services.context import Context

    monkeypatch.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    named = served.state.settings.model_copy(update={"prefect_api_url": PREFECT_API_URL.value()})
    monkeypatch.setattr(served.state, "context", Context(named))
    with get_client(sync_client=True) as client:
        flow_id = client.create_flow_from_name("train-churn-model")
        deployment_id = client.create_deployment(flow_id, "train-weekly")
    yield deployment_id
    with get_client(sync_client=True) as client:
        client.delete_deployment(deployment_id)


def test_prefect_deployment_run_and_conflict(served, training_deployment, monkeypatch):
    monkeypatch.setattr(served.state.launcher, "source", "postgresql://u:pw@db.internal/crm")
    first = _trigger(served)
    assert first.status_code == 202, first.text
    assert first.json()["backend"] == "prefect"
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(first.json()["run_id"])
    assert run.deployment_id == training_deployment
    # the worker's environment names the source: no run parameter carries it
    assert run.parameters == {"config_path": str(served.state.launcher.config_path)}
    again = _trigger(served)
    assert again.status_code == 409 and str(run.id) in again.json()["detail"]
