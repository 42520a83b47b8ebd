"""Fixtures for tests that run the real flows."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from data.generate import generate_customers, write_customers
from tests.conftest import fresh_postgres_database

REPO = Path(__file__).resolve().parents[2]


def small_config(
    folder: Path, monitoring: dict | None = None, chunk_rows: int | None = None, **families
) -> Path:
    """The Telco config with small grids (and lower gates) so a test trains in seconds."""
    raw = yaml.safe_load((REPO / "configs" / "telco.yaml").read_text())
    raw["model"].update(cv_folds=3)
    raw["model"]["families"] = families or {
        "logistic_regression": {"grid": {"C": [0.1, 1.0]}},
        "random_forest": {"grid": {"n_estimators": [30], "max_depth": [6]}},
        "lightgbm": {"grid": {"n_estimators": [60], "num_leaves": [8], "learning_rate": [0.05]}},
        "blend": {"grid": {"weight": [0.5]}},
    }
    raw["quality_gates"] = {
        "min_roc_auc": 0.6,
        "max_brier": 0.25,
        "min_lift_at_10": 1.2,
        "champion_tolerance": 0.005,
    }
    if monitoring:
        raw["monitoring"].update(monitoring)
    if chunk_rows:
        raw["scoring"]["chunk_rows"] = chunk_rows
    name = "config-" + "-".join(sorted(families)) if families else "config"
    name += f"-{(monitoring or {}).get('action', 'default')}-{chunk_rows or 'all'}"
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    """A state folder whose application database is a fresh PostgreSQL one of this module's
    own (schema made), so no other module's runs are in it."""
    folder = tmp_path_factory.mktemp("scoring")
    with fresh_postgres_database() as postgres_url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAINAI_STATE_DIR", str(folder))
        patch.setenv("RETAINAI_DATABASE_URL", postgres_url)
        from tasks.adapters import db

        engine = db.make_engine(postgres_url)
        db.upgrade(engine)
        engine.dispose()
        yield folder


@pytest.fixture(scope="module")
def trained(state):
    """A champion trained on 2,500 generated customers with the small config."""
    from flows.train import train_churn_model

    customers = state / "train.csv"
    write_customers(generate_customers(2500, seed=3), customers)
    return train_churn_model(str(small_config(state)), str(customers))
