"""Every benchmark in bench/ run once at a tiny size, as a subprocess: it exits 0 and prints
one JSON object with the figures it promises, its baseline's included.

The sizes only prove the benches still run against the code they measure; their figures mean
nothing here. Each bench talks to this session's Prefect API server (no ephemeral server of
its own), and the benches that need a champion read the session's (`champion`, trained once
for the serving tests) instead of training one. Benches on PostgreSQL get a throwaway
database each and skip only when no server answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from serving_helpers import small_config

from data.generate import generate_customers, write_customers
from tests.conftest import fresh_postgres_database

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_env(prefect_server, tmp_path_factory) -> dict[str, str]:
    """The environment of a bench: this checkout importable, this session's Prefect API,
    and no RETAINAI_ setting of the tests (each bench chooses its own state and database)."""
    from prefect.settings import PREFECT_API_URL

    # MLflow's set_registry_uri exports MLFLOW_REGISTRY_URI: a store of an earlier test
    leftovers = ("RETAINAI_", "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    env = {k: v for k, v in os.environ.items() if not k.startswith(leftovers)}
    env.update(
        PYTHONPATH=str(REPO),
        PREFECT_API_URL=PREFECT_API_URL.value(),
        TMPDIR=str(tmp_path_factory.mktemp("bench-tmp")),
    )
    return env


def run_bench(env: dict[str, str], name: str, *args: str, timeout: float = 600) -> dict:
    """Run bench/`name` with `args`; its whole standard output is one JSON object."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / name), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)


def has(figures: dict, *keys: str) -> None:
    missing = [key for key in keys if key not in figures]
    assert not missing, f"missing {missing} in {sorted(figures)}"


def test_inference_latency(bench_env):
    figures = run_bench(
        bench_env,
        "inference_latency.py",
        *("--train-rows", "600", "--parity-rows", "300", "--trees", "20"),
        *("--pipeline-calls", "20", "--compiled-calls", "100"),
    )
    has(figures, "seed", "train_rows", "families")
    assert set(figures["families"]) == {"logistic_regression", "random_forest", "lightgbm", "blend"}
    for family in figures["families"].values():
        has(family, "pipeline_predict_proba", "compiled_predict", "speedup_p50", "max_abs_diff")
        assert family["max_abs_diff"] < 1e-9


def test_model_quality(bench_env, tmp_path):
    data = tmp_path / "customers.csv"
    write_customers(generate_customers(1200, seed=11), data)
    config = small_config(tmp_path)
    figures = run_bench(bench_env, "model_quality.py", "--data", str(data), "--config", str(config))
    has(figures, "roc_auc", "pr_auc", "brier", "model_family", "baseline", "meets_target")
    has(figures["baseline"], "model_family", "roc_auc", "pr_auc", "brier")
    assert figures["rows_train"] + figures["rows_holdout"] == 1200


def test_serving(bench_env, champion, tmp_path):
    state = tmp_path / "state"  # a copy: the bench writes its token and logs into the state
    shutil.copytree(champion.state, state)
    figures = run_bench(bench_env, "serving.py", "--seconds", "0.3", "--state-dir", str(state))
    has(figures, "p50_ms", "p99_ms", "rps", "mlflow_p50_ms", "mlflow_p99_ms", "mlflow_rps")
    has(figures, "speedup", "max_abs_diff", "mlflow_max_abs_diff", "scenarios")
    assert figures["max_abs_diff"] < 1e-6 and figures["mlflow_max_abs_diff"] < 1e-6
    for served in figures["scenarios"].values():
        assert all(s["requests"] > 0 and s["errors"] == 0 for s in served.values()), served


@pytest.mark.postgres
def test_campaigns(bench_env):
    with fresh_postgres_database() as url:
        figures = run_bench(
            bench_env,
            "campaigns.py",
            *("--messages", "40", "--latency", "0.02", "--concurrency", "8"),
            *("--database-url", url),
        )
    has(figures, "messages_per_second", "ideal_messages_per_second", "share_of_ideal")
    has(figures, "raw_client_messages_per_second", "send_per_second", "raw_smtp_per_second")
    has(figures, "rss_growth_mb", "targets", "meets_targets")
    assert figures["messages"] == figures["sent"] == 40


@pytest.mark.postgres
def test_batch_scoring(bench_env, champion):
    with fresh_postgres_database() as url:
        figures = run_bench(
            bench_env,
            "batch_scoring.py",
            *("--rows", "2000", "--repeats", "1", "--database-url", url),
            *("--champion-state", str(champion.state)),
        )
    has(figures, "seconds", "floor_seconds", "naive_seconds", "ratio_to_floor")
    has(figures, "speedup_vs_naive", "peak_rss_mb", "targets", "meets_targets")
    assert figures["rows"] == 2000


@pytest.mark.postgres
def test_dashboard(bench_env, champion):
    with fresh_postgres_database() as url:
        figures = run_bench(
            bench_env,
            "dashboard.py",
            *("--rows", "2000", "--requests", "3", "--database-url", url),
            *("--champion-state", str(champion.state)),
        )
    has(figures, "pages", "view_first_page_ms", "worst_p95_ms", "target_p95_ms", "meets_target")
    assert all({"p50_ms", "p95_ms"} <= set(page) for page in figures["pages"].values())


@pytest.mark.postgres
def test_dask_scaling(bench_env, champion):
    with fresh_postgres_database() as url:
        figures = run_bench(
            bench_env,
            "dask_scaling.py",
            *("--rows", "2000", "--memory-limit", "1GiB", "--database-url", url),
            *("--champion-state", str(champion.state)),
        )
    has(figures, "one_worker_seconds", "two_workers_seconds", "two_vs_one_speedup")
    has(figures, "one_worker_customers_per_second", "two_workers_customers_per_second")
    assert figures["rows"] == 2000
