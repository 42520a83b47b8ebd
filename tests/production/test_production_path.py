"""The stack docs/pages/operations.md brings up, then deployed flows on it: the page's own
steps, pipeline, schedules, a concurrency limit and a crash.

Runs go through prefect.yaml's deployments and the stack's process worker; results are read
where they live: the MLflow server, the moto bucket, PostgreSQL and the Prefect API."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from serving_helpers import form_login

from tests.production.conftest import (
    BUCKET,
    CRASHED_AFTER_SECONDS,
    SMALL_MODEL,
    SOURCE_TOKEN,
    TERMINAL,
)
from tests.production.flow_runs import artifact_keys, first_run, scalar, start, timing, wait

# another session holds a transaction that touched customer_scores (the open merge)
WRITING_SCORES = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
    "AND query ILIKE '%customer_scores%' AND query NOT ILIKE '%pg_stat_activity%'"
)
AS_OF = "2026-11-01"
pytestmark = [pytest.mark.slow, pytest.mark.production, pytest.mark.postgres]


def _logs(client, run_id, until, timeout: float = 30.0) -> list:
    """The run's logs once `until` holds for them (the last batch may arrive after the end)."""
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    ours = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id]))
    deadline = time.monotonic() + timeout
    while True:
        logs = client.read_logs(log_filter=ours, limit=200)
        if until(logs) or time.monotonic() > deadline:
            return logs
        time.sleep(1)


def _assert_training_logs(client, run_id, production) -> None:
    """A deployed training run's lines in the Prefect API: the training service's INFO
    progress lines, as the command line prints them, and Prefect's own; no secret."""

    def complete(logs) -> bool:
        return any("is now champion" in entry.message for entry in logs) and any(
            "Finished in state Completed" in entry.message for entry in logs
        )

    logs = _logs(client, run_id, complete)
    messages = [entry.message for entry in logs]
    ours = {entry.message: entry for entry in logs if entry.name == "retainai"}
    champion = next((m for m in ours if " is now champion: " in m), None)
    assert champion is not None, messages
    assert ours[champion].level == 20 and ours[champion].flow_run_id == run_id
    assert any(m.startswith("searching logistic_regression") for m in ours), messages
    assert any(m.startswith(f"reading {production.training_source}") for m in ours), messages
    assert any("Finished in state Completed" in m for m in messages), messages
    assert not [m for m in messages if SOURCE_TOKEN in m]


def _loopback_browser(api: str):
    """An HTTP client that, as browsers do for 127.0.0.1, sends Secure cookies (production
    sets them) over plain http; httpx keeps them for https only."""
    import httpx

    client = httpx.Client(base_url=api, timeout=30)

    def sent_here(response) -> None:
        for cookie in client.cookies.jar:
            cookie.secure = False

    client.event_hooks = {"response": [sent_here]}
    return client


def _bucket_keys(production) -> list[str]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=production.s3_endpoint_url)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="mlflow/")
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def test_the_operations_doc_runs_in_order_from_a_fresh_clone(production):
    """The page's steps up to `make down` (the fixture runs them and stops at the first that
    fails): each done, the watched training run Completed, one model version registered.
    `make down` and what it must leave are checked when the module ends."""
    doc = production.doc
    print(f"\nthe operations doc up to `make down` ran in {doc.seconds:.0f} s")
    assert len(re.findall(r"^@@ step \d+ done", doc.output, re.M)) == doc.steps
    assert "Flow run finished successfully in 'Completed'" in doc.output, doc.output[-4000:]
    assert doc.completed_trainings == 1, doc.completed_trainings
    assert doc.model_versions == 1, doc.model_versions


def test_training_scoring_and_monitoring_run_through_the_worker(production):
    from mlflow import MlflowClient
    from prefect.client.orchestration import get_client

    config = str(production.config)
    with get_client(sync_client=True) as client:
        # two training runs at once: train-weekly's concurrency limit of 1 holds the second
        first = start(client, "train-churn-model/train-weekly", config_path=config)
        second = start(client, "train-churn-model/train-weekly", config_path=config)
        trained = [wait(client, run, 420) for run in (first, second)]
        assert [r.state_name for r in trained] == ["Completed", "Completed"], trained
        print("\ntraining", *map(timing, trained), sep="\n  ")
        earlier, later = sorted(trained, key=lambda r: r.start_time)
        assert earlier.end_time <= later.start_time, "both training runs ran at once"
        held = [state.name for state in client.read_flow_run_states(later.id)]
        assert "AwaitingConcurrencySlot" in held, held
        assert {"training-validation", "holdout-metrics"} <= artifact_keys(client, earlier.id)
        _assert_training_logs(client, earlier.id, production)

        scoring = start(client, "score-customers/score-daily", config_path=config, as_of=AS_OF)
        scored = wait(client, scoring, 240)
        assert scored.state_name == "Completed", scored.state.message
        assert "scoring-kpis" in artifact_keys(client, scoring)
        # the completed scoring run triggers monitoring of the same period
        monitoring = first_run(client, "monitor-churn-model/monitor-after-scoring", 120)
        assert monitoring.parameters["as_of"] == AS_OF, monitoring.parameters
        monitored = wait(client, monitoring.id, 240)
        assert monitored.state_name == "Completed", monitored.state.message
        assert "drift-report" in artifact_keys(client, monitoring.id)
        print("scoring", timing(scored), "\nmonitoring", timing(monitored))

    from tasks.services.operations import stack as local_stack

    tracking = local_stack.exports(production.settings)["RETAINAI_MLFLOW_TRACKING_URI"]
    registry = MlflowClient(tracking_uri=tracking, registry_uri=tracking)
    champion = registry.get_model_version_by_alias(SMALL_MODEL, "champion")
    stored_at = registry.get_model_version_download_uri(SMALL_MODEL, champion.version)
    model_key = "mlflow/" + stored_at.split(":", 1)[1].strip("/") + "/MLmodel"
    keys = _bucket_keys(production)
    assert model_key in keys, (stored_at, keys[:20])
    url = production.database_url
    stored = scalar(url, "SELECT count(*) FROM customer_scores WHERE as_of = :d", d=AS_OF)
    status = scalar(
        url,
        "SELECT string_agg(status || ':' || rows_scored, ',') FROM scoring_runs WHERE as_of = :d",
        d=AS_OF,
    )
    assert stored > 1500 and status == f"completed:{stored}", (stored, status)


def test_cron_schedules_create_scheduled_runs(production):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    now = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        for name, cron_check in (
            ("score-customers/score-daily", lambda t: (t.hour, t.minute) == (5, 0)),
            ("train-churn-model/train-weekly", lambda t: (t.weekday(), t.hour) == (0, 3)),
        ):
            deployment = client.read_deployment_by_name(name)
            ours = DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id]))
            deadline, planned = time.monotonic() + 60, []
            while not planned and time.monotonic() < deadline:
                planned = [
                    r
                    for r in client.read_flow_runs(deployment_filter=ours, limit=50)
                    if r.auto_scheduled
                ]
                time.sleep(1)
            assert len(planned) >= 2, f"the scheduler created no runs for {name}"
            starts = sorted(r.expected_start_time.astimezone(UTC) for r in planned)
            assert all(cron_check(t) and t > now - timedelta(minutes=1) for t in starts), starts
            assert all(r.state_name == "Scheduled" for r in planned)


def test_a_worker_killed_mid_run_leaves_it_crashed_and_no_partial_period(production):
    from prefect.client.orchestration import get_client

    from tasks.adapters.stack import kill
    from tasks.services.operations import stack as local_stack

    url, as_of = production.database_url, "2026-11-02"
    before = scalar(url, "SELECT count(*) FROM customer_scores")
    with get_client(sync_client=True) as client:
        run_id = start(
            client,
            "score-customers/score-daily",
            config_path=str(production.config),
            data=str(production.large_batch),
            as_of=as_of,
        )
        # the run's merge transaction is open: scores are being written for the period
        deadline, writing = time.monotonic() + 240, False
        while not writing and time.monotonic() < deadline:
            writing = bool(scalar(url, WRITING_SCORES))
            assert client.read_flow_run(run_id).state_type.value not in TERMINAL
            time.sleep(0.2)
        assert writing, "the scoring run never started writing"
        # the worker's host dies: its group and the flow run's own session, at once
        assert kill(production.settings, "worker") >= 2
        killed_at = time.monotonic()
        crashed = wait(client, run_id, CRASHED_AFTER_SECONDS + 90, until={"CRASHED"})
        print(f"\nmarked Crashed {time.monotonic() - killed_at:.0f} s after the kill")
        assert "heartbeat" in crashed.state.message  # the crash detector, the stack still up
        assert local_stack.up(production.settings).crashed == []  # a new worker, nothing left

    assert scalar(url, "SELECT count(*) FROM customer_scores WHERE as_of = :d", d=as_of) == 0
    assert scalar(url, "SELECT count(*) FROM kpi_snapshots WHERE as_of = :d", d=as_of) == 0
    assert scalar(url, "SELECT count(*) FROM customer_scores_staging") == 0
    assert scalar(url, "SELECT count(*) FROM customer_scores") == before
    status = scalar(
        url, "SELECT string_agg(status, ',') FROM scoring_runs WHERE as_of = :d", d=as_of
    )
    assert status in ("running", "failed"), status


def test_the_data_page_shows_the_deployments_and_their_schedules(production):
    """The stack's API reads the Prefect server it was started with: an admin sees every
    deployment with its schedule, next run and concurrency limit; a viewer does not."""

    from configs.settings import Settings
    from tasks.adapters.prefect_door import PrefectDoor
    from tasks.services import accounts
    from tasks.services.context import Context

    schedules = PrefectDoor.from_settings(Settings()).deployment_schedules()
    rows = {row["name"]: row for row in schedules}
    assert rows["score-customers/score-daily"]["schedules"] == ["cron 0 5 * * * (UTC)"]
    assert rows["score-customers/score-daily"]["next_run"].endswith("05:00 UTC")
    assert rows["monitor-churn-model/monitor-after-scoring"]["schedules"] == ["no schedule"]
    assert {row["concurrency_limit"] for row in rows.values()} == {1}
    ctx = Context(Settings(database_url=production.database_url))
    password = "production data page passphrase"
    for email, role in (("ops@example.test", "admin"), ("look@example.test", "viewer")):
        accounts.create_user(ctx, accounts.NewUser(email, role, password))
    ctx.engine.dispose()
    api = f"http://127.0.0.1:{production.settings.api_port}"
    for email, shown in (("ops@example.test", True), ("look@example.test", False)):
        with _loopback_browser(api) as client:
            form_login(client, email, password)
            page = client.get("/dashboard/data")
            assert page.status_code == 200
            assert ('id="schedules"' in page.text) is shown
            assert ("score-customers/score-daily" in page.text) is shown
            assert ("cron 0 3 * * 1 (UTC)" in page.text) is shown
