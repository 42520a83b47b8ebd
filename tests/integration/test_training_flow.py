"""The real training flow on generated data, with a real MLflow store in a temporary folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.generate import generate_customers, write_customers
from tasks.core.errors import (
    ChampionGateError,
    DataSourceError,
    QuarantineLimitError,
    StructuralValidationError,
)
from tests.integration.conftest import small_config
from tests.integration.prefect_events import alert_events

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    folder = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RETAINAI_STATE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def customers(state) -> Path:
    path = state / "customers.csv"
    write_customers(generate_customers(2500, seed=3), path)
    return path


@pytest.fixture(scope="module")
def first_model(state, customers):
    from flows.train import train_churn_model

    return train_churn_model(str(small_config(state)), str(customers))


def _registry():
    from configs.settings import Settings
    from tasks.adapters import registry

    settings = Settings()
    registry.configure(settings)
    return {v.version: set(v.aliases) for v in registry.versions("retainai-churn")}


def _version(version: str):
    from mlflow import MlflowClient

    return MlflowClient().get_model_version("retainai-churn", version)


def _promotions():
    from configs.settings import Settings
    from tasks.adapters import db

    settings = Settings()
    engine = db.make_engine(settings.resolved_database_url)
    try:
        return db.promotion_history(engine, "retainai-churn")
    finally:
        engine.dispose()


def test_first_model_is_registered_and_champion(first_model, state):
    assert first_model["version"] == "1" and first_model["promoted"]
    assert _registry() == {"1": {"challenger", "champion"}}
    assert [e["action"] for e in _promotions()] == ["promote"]
    report = Path(first_model["report_dir"])
    for name in (
        "validation.json",
        "evaluation.json",
        "roc.png",
        "pr.png",
        "calibration.png",
        "confusion_matrix.png",
        "feature_importance.png",
    ):
        assert (report / name).is_file(), name
    assert 0.0 < first_model["threshold"] < 1.0
    assert first_model["holdout"]["roc_auc"] > 0.75


def test_run_is_fully_tracked(first_model):
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(first_model["run_id"])
    assert run.info.status == "FINISHED"
    assert {"git_sha", "config_digest", "data_source"} <= set(run.data.tags)
    assert run.data.params["model_family"] == first_model["family"]
    assert run.data.metrics["holdout_roc_auc"] == pytest.approx(first_model["holdout"]["roc_auc"])
    assert len(run.inputs.dataset_inputs) == 1
    children = client.search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert sorted(c.info.run_name for c in children) == [
        "blend",
        "lightgbm",
        "logistic_regression",
        "random_forest",
    ]
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config", "validation", "evaluation"} <= artifacts


def test_the_version_card_and_each_figure_are_in_the_registry(first_model, customers):
    from mlflow import MlflowClient

    found = _version("1")
    card = found.description
    holdout = first_model["holdout"]
    for fact in (
        "# Model card",
        f"Source: {customers}",
        "Rows: 2,500 validated, 0 quarantined",
        f"Family: {first_model['family']}".replace("_", "\\_"),
        f"decision threshold {first_model['threshold']:.3f}",
        f"| ROC-AUC | {holdout['roc_auc']:.4f} |",
        "passed: ROC-AUC",
        "Champion gate: passed: first model to pass the quality gates",
        "## Known limits",
        f"Reports: {first_model['reports_uri']}",
    ):
        assert fact in card, (fact, card)
    run = MlflowClient().get_run(first_model["run_id"])
    digest = run.inputs.dataset_inputs[0].dataset.digest
    assert found.tags["data_digest"] == digest and f"Digest: {digest}" in card
    for figure in ("roc_auc", "pr_auc", "brier", "lift_at_10", "f1_churn", "threshold", "rows"):
        assert float(found.tags[f"holdout.{figure}"]) == pytest.approx(holdout[figure], 1e-5)
    assert json.loads(found.tags["holdout_metrics"])["roc_auc"] == pytest.approx(
        holdout["roc_auc"], abs=1e-6
    )
    model = MlflowClient().get_registered_model("retainai-churn")
    assert "probability that a customer leaves (Churn = Yes)" in model.description


def test_pyfunc_serves_the_same_probabilities(first_model, customers):
    import mlflow

    from configs.schema import load_config
    from tasks.adapters import registry
    from tasks.core.contract import validate_frame

    config = load_config(REPO / "configs" / "telco.yaml")
    raw = pd.read_csv(customers, dtype=str, keep_default_na=False).head(50)
    frame = validate_frame(raw, config, "scoring").clean[config.dataset.feature_columns]
    pyfunc = mlflow.pyfunc.load_model("models:/retainai-churn@champion")
    sklearn_model = registry.load_pipeline("retainai-churn", "1")
    np.testing.assert_allclose(
        np.asarray(pyfunc.predict(frame))[:, 1],
        sklearn_model.predict_proba(frame)[:, 1],
        atol=1e-12,
    )


def test_champion_gate_refuses_a_worse_model_then_rollback(first_model, state, customers):
    from flows.train import train_churn_model

    stump = small_config(state, random_forest={"grid": {"n_estimators": [1], "max_depth": [1]}})
    began = datetime.now(UTC)
    with pytest.raises(ChampionGateError, match="worse than the champion"):
        train_churn_model(str(stump), str(customers))
    refused = alert_events("promotion-refused", began)[0]["payload"]
    assert refused["version"] == "2" and "worse than the champion" in refused["reason"]
    assert f"roc_auc {refused['roc_auc']:.4f}" in refused["text"]
    assert _registry() == {"1": {"champion"}, "2": {"challenger"}}
    assert [e["action"] for e in _promotions()] == ["promote", "refuse"]
    refused = _version("2")
    assert "Champion gate: refused: worse than the champion" in refused.description

    # the champion's own data, config and code: nothing fitted, registered or moved
    same = train_churn_model(str(small_config(state)), str(customers))
    assert (same["version"], same["registered"], same["promoted"]) == ("1", False, False)
    assert same["reason"] == (
        "the data and configuration are those of version 1: nothing registered"
    )
    assert same["holdout"]["roc_auc"] == pytest.approx(first_model["holdout"]["roc_auc"])
    assert _registry() == {"1": {"champion"}, "2": {"challenger"}}
    assert [e["action"] for e in _promotions()] == ["promote", "refuse"]
    from mlflow import MlflowClient

    run = MlflowClient().get_run(same["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags["unchanged_from_version"] == "1"
    assert "model" not in {a.path for a in MlflowClient().list_artifacts(same["run_id"])}

    # another config (its monitoring action) on the same data: a new version, as good
    blocking = small_config(state, monitoring={"action": "block"})
    retrained = train_churn_model(str(blocking), str(customers))
    assert retrained["promoted"] and retrained["version"] == "3" and retrained["registered"]
    assert _registry()["3"] == {"champion", "challenger"}

    from configs.schema import load_config
    from configs.settings import Settings
    from tasks.services import models
    from tasks.services.context import Context

    command = models.RollBack(load_config(blocking))
    moved = models.rollback(Context(Settings()), command)
    assert (moved.previous, moved.version) == ("3", "1")
    assert "champion" in _registry()["1"]
    assert [e["action"] for e in _promotions()][-1] == "rollback"


def _bad_file(folder: Path, name: str, mutate) -> Path:
    frame = generate_customers(300, seed=11)
    frame = mutate(frame) if mutate else frame
    path = folder / name
    if isinstance(frame, str):
        path.write_text(frame)
    else:
        frame.to_csv(path, index=False)
    return path


def _unknown_contract(frame):
    frame.loc[frame.index[:60], "Contract"] = "Weekly"
    return frame


@pytest.mark.parametrize(
    ("name", "mutate", "error", "message"),
    [
        ("missing.csv", None, DataSourceError, "not found"),
        ("empty.csv", lambda f: "", DataSourceError, "empty"),
        (
            "no_contract.csv",
            lambda f: f.drop(columns=["Contract"]),
            StructuralValidationError,
            "Contract",
        ),
        (
            "labels.csv",
            lambda f: f.assign(Churn=np.where(f.Churn == "Yes", "churned", "stayed")),
            StructuralValidationError,
            "Churn",
        ),
        (
            "charges.csv",
            lambda f: f.assign(TotalCharges="n/a"),
            StructuralValidationError,
            "TotalCharges",
        ),
        (
            "duplicates.csv",
            lambda f: f.assign(customerID=f.customerID.iloc[0]),
            StructuralValidationError,
            "customerID",
        ),
        ("unknown.csv", _unknown_contract, QuarantineLimitError, "Contract: unknown category"),
    ],
)
def test_bad_input_fails_before_the_registry(first_model, state, name, mutate, error, message):
    from flows.train import train_churn_model

    before = _registry()
    path = state / name if mutate is None else _bad_file(state, name, mutate)
    with pytest.raises(error, match=message):
        train_churn_model(str(small_config(state)), str(path))
    assert _registry() == before


def test_a_run_whose_reports_cannot_be_published_leaves_the_champion(
    first_model, state, customers, s3_endpoint_url, monkeypatch
):
    """The reports store's bucket does not exist: the run fails before registering."""
    from mlflow import MlflowClient

    from flows.train import train_churn_model

    monkeypatch.setenv("RETAINAI_S3_ENDPOINT_URL", s3_endpoint_url)
    monkeypatch.setenv("RETAINAI_REPORTS_URL", "s3://no-such-reports-bucket/reports")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    before, promotions = _registry(), _promotions()
    champion = next(v for v, aliases in before.items() if "champion" in aliases)
    other = small_config(state, monitoring={"action": "retrain"})  # new inputs: it would fit
    with pytest.raises(Exception, match="NoSuchBucket"):
        train_churn_model(str(other), str(customers))
    assert _registry() == before and "champion" in _registry()[champion]
    assert _promotions() == promotions
    client = MlflowClient()
    experiment = client.get_experiment_by_name("retainai-churn")
    runs = client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"])
    latest = next(r for r in runs if r.info.run_name.startswith("train-"))
    assert latest.info.status == "FAILED"
    assert "evaluation" in {a.path for a in client.list_artifacts(latest.info.run_id)}
