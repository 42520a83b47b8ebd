"""Scoring on a Dask cluster of separate processes: a scheduler and two workers standing for
machines, the flow pointed at the scheduler the way the deployment is (RETAINAI_DASK_ADDRESS)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from bench.dask_processes import dask_cluster, tasks_per_worker
from data.generate import generate_customers, write_customers
from tests.integration.conftest import small_config

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]
COLUMNS = [
    "customer_id",
    "model_version",
    "churn_probability",
    "risk_segment",
    "top_reasons",
    "expected_remaining_months",
    "lifetime_value",
]


def _stored(url: str, as_of: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    f"SELECT {', '.join(COLUMNS)}, run_id FROM customer_scores "
                    "WHERE as_of = :as_of ORDER BY customer_id"
                ),
                {"as_of": date.fromisoformat(as_of)},
            )
            return pd.DataFrame(rows.mappings().all())
    finally:
        engine.dispose()


def _chunk_parents(flow_run_id) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterId,
        TaskRunFilter,
        TaskRunFilterName,
    )

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])),
            task_run_filter=TaskRunFilter(name=TaskRunFilterName(like_="score-chunk")),
        )
    return [run.task_inputs.get("__parents__") for run in runs]


def test_two_worker_processes_write_the_local_runners_rows(trained, state, tmp_path, monkeypatch):
    from distributed import Client

    from configs.settings import Settings
    from flows.score import score_customers_flow

    database_url = Settings().resolved_database_url  # the state's own database

    customers = tmp_path / "customers.csv"
    write_customers(generate_customers(20_000, seed=21), customers)
    config = str(small_config(state, chunk_rows=2000))
    monkeypatch.delenv("RETAINAI_DASK_ADDRESS", raising=False)
    local_run = score_customers_flow(config, str(customers), as_of="2026-08-01")
    local = _stored(database_url, "2026-08-01")

    with dask_cluster(tmp_path / "dask", workers=2, memory_limit="1GiB") as address:
        monkeypatch.setenv("RETAINAI_DASK_ADDRESS", address)
        with Client(address) as client:
            client.get_task_stream()  # the scheduler records tasks from now on
            finished = score_customers_flow(
                config, str(customers), as_of="2026-08-02", return_state=True
            )
            stream = client.get_task_stream()
    dask_run = finished.result()

    assert dask_run["rows_scored"] == local_run["rows_scored"] == 20_000
    assert dask_run["model_version"] == local_run["model_version"] == trained["version"]

    # submitted by the flow itself: a task submitted inside another task carries that task's
    # parameters (the whole table, the champion) to the scheduler, once per chunk
    parents = _chunk_parents(finished.state_details.flow_run_id)
    assert len(parents) == 10 and not any(parents), parents
    chunks = tasks_per_worker(stream, "score_chunk")
    assert sum(chunks.values()) == 10, chunks  # every chunk ran on the cluster
    tasks = tasks_per_worker(stream, "")  # with the champion's load, the suite, the curves
    assert len(tasks) == 2 and sum(tasks.values()) == 13, tasks  # both workers took a share
    remote = _stored(database_url, "2026-08-02")
    assert set(remote["run_id"]) == {dask_run["run_id"]}
    pd.testing.assert_frame_equal(local[COLUMNS], remote[COLUMNS])
    assert dask_run["kpis"]["customers_scored"] == local_run["kpis"]["customers_scored"]
    assert dask_run["kpis"]["average_score"] == pytest.approx(local_run["kpis"]["average_score"])


def test_a_chunk_model_travels_as_its_reference_and_loads_once_per_process(trained, state):
    import json
    import pickle
    import subprocess
    import sys

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.score import load_champion

    config = load_config(small_config(state))
    model = load_champion.fn(config, state / "champion-check", Settings()).for_chunks(Settings())
    assert model.ready() is model  # where it was loaded, the object itself
    sent = pickle.dumps(model)
    assert len(sent) < 10_000, len(sent)  # no model inside: the registry reference only
    assert pickle.loads(sent).compiled is None
    assert pickle.loads(sent).ready().compiled is model.compiled  # kept where it was loaded

    rows = generate_customers(300, seed=5)
    elsewhere = subprocess.run(  # another process loads that version from the registry, once
        [sys.executable, "-c", WORKER],
        input=pickle.dumps((sent, rows)),
        capture_output=True,
        check=True,
    )
    loaded = json.loads(elsewhere.stdout.splitlines()[-1])
    assert loaded["version"] == model.version == trained["version"]
    assert loaded["same_object_twice"] and loaded["has_survival"] == (model.survival is not None)
    assert loaded["scores"] == pytest.approx(model.compiled.predict(rows).tolist(), abs=1e-12)


WORKER = """
import json, pickle, sys
sent, rows = pickle.load(sys.stdin.buffer)
model = pickle.loads(sent)
loaded = model.ready()
print(json.dumps({
    "version": loaded.version,
    "same_object_twice": pickle.loads(sent).ready() is loaded,
    "has_survival": loaded.survival is not None,
    "scores": loaded.compiled.predict(rows).tolist(),
}))
"""
