"""Churn tables of other shapes, from a config alone: trained, scored, monitored and served in
one state, each with its own registered model; absent roles leave their figures absent."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import yaml

from tasks.core.errors import ConfigError, RegistryError
from tests.tables import SHAPES

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]
AS_OF = "2026-11-01"
LIFETIME_KPIS = {"average_expected_remaining_months", "average_lifetime_value"}
VALUE_KPIS = {"revenue_at_risk_monthly", "revenue_at_risk_horizon"}


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tables")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAINAI_STATE_DIR", str(folder))
        patch.delenv("RETAINAI_REGISTERED_MODEL", raising=False)
        yield folder


def _files(state: Path, shape: str) -> dict[str, Path]:
    frame, raw = SHAPES[shape](1500, seed=0)
    batch, _ = SHAPES[shape](600, seed=1)
    paths = {name: state / f"{shape}-{name}" for name in ("config.yaml", "train.csv", "batch.csv")}
    paths["config.yaml"].write_text(yaml.safe_dump(raw, sort_keys=False))
    frame.to_csv(paths["train.csv"], index=False)
    batch.to_csv(paths["batch.csv"], index=False)
    if raw["dataset"].get("id_column"):
        paths["outcomes.csv"] = state / f"{shape}-outcomes.csv"
        batch[[raw["dataset"]["id_column"], raw["dataset"]["target"]["column"]]].to_csv(
            paths["outcomes.csv"], index=False
        )
    return paths


@pytest.fixture(scope="module")
def trained(state):
    """Every shape trained in the same state: each table its own registered model."""
    from flows.train import train_churn_model

    found = {}
    for shape in SHAPES:
        files = _files(state, shape)
        summary = train_churn_model(str(files["config.yaml"]), str(files["train.csv"]))
        assert summary["promoted"] and summary["version"] == "1", shape
        found[shape] = (files, summary)
    return found


def _rows(query: str, **params) -> pd.DataFrame:
    from configs.settings import Settings

    engine = sa.create_engine(Settings().resolved_database_url)
    try:
        with engine.connect() as connection:
            return pd.read_sql(sa.text(query), connection, params=params)
    finally:
        engine.dispose()


def test_each_table_has_its_own_registry(trained):
    from configs.settings import Settings
    from tasks.adapters import registry

    registry.configure(Settings())
    for shape in SHAPES:
        assert [v.version for v in registry.versions(f"retainai-{shape}")] == ["1"]


def test_survival_figures_only_where_there_is_a_duration(trained):
    for shape, (_, summary) in trained.items():
        drawn = (Path(summary["report_dir"]) / "survival").exists()
        assert drawn == (shape != "tv"), shape


@pytest.mark.parametrize("shape", ["tv", "flat"])
def test_scored_monitored_and_served_from_a_config_alone(trained, shape):
    from flows.monitor import monitor_churn_model
    from flows.score import score_customers_flow

    files, _ = trained[shape]
    config_path = str(files["config.yaml"])
    scored = score_customers_flow(config_path, str(files["batch.csv"]), as_of=AS_OF)
    assert scored["rows_scored"] == 600
    kpis = scored["kpis"]
    assert (kpis.keys() >= VALUE_KPIS) == (shape == "flat")
    assert (kpis.keys() >= LIFETIME_KPIS) == (shape == "flat")
    assert not LIFETIME_KPIS & kpis.keys() if shape == "tv" else True
    assert ("by_segment" in kpis) == (shape == "tv")
    rows = _rows("SELECT * FROM customer_scores WHERE dataset = :d", d=shape)
    assert len(rows) == 600
    assert rows["monthly_value"].isna().all() == (shape == "tv")
    assert rows["segment_value"].isna().all() == (shape == "flat")
    assert rows["lifetime_value"].isna().all() == (shape == "tv")
    ids = pd.read_csv(files["batch.csv"], dtype=str).iloc[:, 0]
    assert set(rows["customer_id"]) == set(ids)  # 6273 stays 6273, 0001234 keeps its zeros
    result = monitor_churn_model(config_path, outcomes=str(files["outcomes.csv"]), as_of=AS_OF)
    assert [r["rows"] for r in result["realised"]] == [600]
    stored = _rows("SELECT * FROM realised_performance WHERE dataset = :d", d=shape)
    assert len(stored) == 1
    _serve_one(files, shape)


def _serve_one(files: dict[str, Path], shape: str) -> None:
    from fastapi.testclient import TestClient

    from configs.settings import ServingSettings, Settings
    from serving.app import create_app
    from tasks.adapters import tokens

    config = yaml.safe_load(files["config.yaml"].read_text())["dataset"]
    batch = pd.read_csv(files["batch.csv"]).drop(columns=[config["target"]["column"]])
    record = json.loads(batch.head(1).to_json(orient="records"))[0]
    serving = ServingSettings(poll_seconds=0, token_cache_seconds=0, gc_freeze=False)
    app = create_app(Settings().model_copy(update={"serving": serving}), files["config.yaml"])
    with TestClient(app) as client:
        token = tokens.create(app.state.serving.engine, f"{shape}-viewer", "viewer")
        headers = {"Authorization": f"Bearer {token}"}
        answer = client.post("/predict", json=record, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["customer_id"] == str(record[config["id_column"]])
        assert answer.headers["x-model-name"] == f"retainai-{shape}"
        kpis = client.get("/kpis", headers=headers)
        assert kpis.status_code == 200 and kpis.json()["dataset"] == shape


def test_scoring_needs_an_id_column(trained):
    from flows.score import score_customers_flow

    files, _ = trained["saas"]
    with pytest.raises(ConfigError, match=r"scoring needs dataset\.id_column"):
        score_customers_flow(str(files["config.yaml"]), str(files["batch.csv"]), as_of=AS_OF)


def test_a_champion_of_another_table_is_never_fed_this_one(trained, monkeypatch):
    from flows.score import score_customers_flow
    from flows.train import train_churn_model

    files, _ = trained["flat"]
    monkeypatch.setenv("RETAINAI_REGISTERED_MODEL", "retainai-tv")
    with pytest.raises(RegistryError, match=r"reads columns this config does not have: \['f1'"):
        score_customers_flow(str(files["config.yaml"]), str(files["batch.csv"]), as_of=AS_OF)
    with pytest.raises(RegistryError, match="reads columns this config does not have"):
        train_churn_model(str(files["config.yaml"]), str(files["train.csv"]))
