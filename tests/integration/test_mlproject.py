"""`mlflow run .` from the repository root: train, score and monitor for real, in the current
environment, with every store in a temporary folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.generate import generate_customers, write_customers
from tests.integration.conftest import small_config
from tests.store_templates import seed_mlflow_store

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


def mlflow_run(env: dict[str, str], entry: str, *parameters: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mlflow", "run", ".", "-e", entry, "--env-manager", "local"]
    for parameter in parameters:
        command += ["-P", parameter]
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def project_env(state: Path) -> dict[str, str]:
    """The checkout's python first on PATH; RetainAI's and the project run's stores in `state`."""
    from prefect.settings import PREFECT_API_URL

    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RETAINAI_STATE_DIR": str(state),
        "MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
        "PREFECT_API_URL": PREFECT_API_URL.value(),
    }


def test_the_project_trains_scores_and_monitors(tmp_path):
    env = project_env(tmp_path / "state")
    seed_mlflow_store(tmp_path / "state" / "mlflow.db")  # migrated once per session
    had_mlruns = (REPO / "mlruns").exists()
    customers = tmp_path / "customers.csv"
    write_customers(generate_customers(600, 7), customers)

    config = small_config(tmp_path, lightgbm={"grid": {"n_estimators": [40], "num_leaves": [8]}})
    done = mlflow_run(env, "train", f"config={config}", f"data={customers}")
    assert done.returncode == 0, done.stderr
    assert "model v1 (lightgbm) promoted to champion" in done.stdout

    done = mlflow_run(env, "score", f"data={customers}", "as_of=2026-01-31")
    assert done.returncode == 0, done.stderr
    assert "scored 600 customers for 2026-01-31 with champion v1" in done.stdout

    done = mlflow_run(env, "monitor", "config=configs/telco.yaml", f"data={customers}")
    assert done.returncode == 0, done.stderr
    assert "dataset drift: False" in done.stdout
    assert (tmp_path / "state" / "reports" / "monitoring").is_dir()
    assert (REPO / "mlruns").exists() == had_mlruns  # the project's run went to the store


def test_a_missing_parameter_is_refused_before_anything_runs(tmp_path):
    done = mlflow_run(project_env(tmp_path / "state"), "train")
    assert done.returncode != 0
    assert "No value given for missing parameters: 'data'" in done.stderr
    assert not (tmp_path / "state").exists()
