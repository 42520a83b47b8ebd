"""The scoring and monitoring flows against the real PostgreSQL server (and SQLite)."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from serving_helpers import form_login

from data.generate import generate_customers, write_customers
from tasks.core.errors import (
    ChampionGateError,
    ConcurrentRunError,
    DataSourceError,
    DriftBlockedError,
    PerformanceAlertError,
    StructuralValidationError,
)
from tests.integration.conftest import small_config
from tests.integration.prefect_events import alert_events

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_server")]
AS_OF = "2026-11-01"


@pytest.fixture(scope="module")
def batch(state) -> Path:
    path = state / "batch.csv"
    write_customers(generate_customers(1200, seed=4), path)
    return path


def _engine():
    from configs.settings import Settings
    from tasks.adapters import db

    return db.make_engine(Settings().resolved_database_url)


def _rows(sql: str, **params) -> pd.DataFrame:
    engine = _engine()
    try:
        with engine.connect() as connection:
            return pd.DataFrame(connection.execute(sa.text(sql), params).mappings().all())
    finally:
        engine.dispose()


def _score(state, data, as_of=AS_OF, **config):
    from flows.score import score_customers_flow

    return score_customers_flow(
        str(small_config(state, chunk_rows=500, **config)), str(data), as_of=as_of
    )


def _stored(as_of=AS_OF) -> pd.DataFrame:
    return _rows(
        "SELECT customer_id, model_version, churn_probability, risk_segment, top_reasons, "
        "expected_remaining_months, lifetime_value, run_id FROM customer_scores "
        "WHERE as_of = :as_of ORDER BY customer_id",
        as_of=date.fromisoformat(as_of),
    )


def test_scores_kpis_and_rerun_is_idempotent(trained, state, batch):
    first = _score(state, batch)
    stored = _stored()
    assert len(stored) == first["rows_scored"] == 1200
    assert stored["customer_id"].is_unique
    assert set(stored["risk_segment"]) <= {"high", "medium", "low"}
    assert (stored["lifetime_value"] > 0).all() and (stored["expected_remaining_months"] > 0).all()
    assert all(len(reasons) == 3 for reasons in stored["top_reasons"])
    named = {r["feature"] for reasons in stored["top_reasons"] for r in reasons}
    assert not named & {"log_tenure", "tenure_band"}  # folded into tenure: one reason

    second = _score(state, batch)
    again = _stored()
    assert len(again) == 1200
    cols = ["customer_id", "churn_probability", "risk_segment", "top_reasons", "lifetime_value"]
    pd.testing.assert_frame_equal(stored[cols], again[cols])
    assert set(again["run_id"]) == {second["run_id"]}

    kpis = _rows(  # the rerun replaced the first run's snapshot (other tests' are left out)
        "SELECT kpis, run_id FROM kpi_snapshots WHERE as_of = :a AND run_id IN (:r1, :r2)",
        a=date(2026, 11, 1),
        r1=first["run_id"],
        r2=second["run_id"],
    )
    assert list(kpis["run_id"]) == [second["run_id"]]
    snapshot = kpis["kpis"][0]
    assert snapshot["customers_scored"] == 1200
    assert snapshot["average_score"] == pytest.approx(again["churn_probability"].mean(), abs=1e-6)
    runs = _rows("SELECT status FROM scoring_runs")
    assert list(runs["status"]) == ["completed", "completed"]


def test_probabilities_equal_the_logged_pipeline(trained, state, batch):
    from configs.schema import load_config
    from tasks.adapters import registry
    from tasks.core.contract import validate_frame

    config = load_config(small_config(state))
    raw = pd.read_csv(batch, dtype=str, keep_default_na=False)
    clean = validate_frame(raw, config, "scoring").clean
    pipeline = registry.load_pipeline("retainai-churn", trained["version"])
    expected = pd.Series(
        pipeline.predict_proba(clean[config.dataset.feature_columns])[:, 1],
        index=clean["customerID"].to_numpy(),
    )
    stored = _stored().set_index("customer_id")["churn_probability"]
    assert (stored - expected.loc[stored.index]).abs().max() < 1e-9


def test_the_dashboard_reads_what_the_flows_wrote(trained, state, batch):
    """Overview, survival and model pages on a state the training and scoring flows made."""
    from fastapi.testclient import TestClient

    from configs.settings import ServingSettings, Settings
    from serving.app import create_app
    from tasks.services import accounts

    app = create_app(
        Settings().model_copy(update={"serving": ServingSettings(poll_seconds=0)}),
        small_config(state),
    )
    with TestClient(app) as client:
        email = f"{uuid.uuid4().hex[:8]}@example.test"
        new = accounts.NewUser(email, "viewer", "flows passphrase")
        accounts.create_user(app.state.serving.context, new)
        form_login(client, email, "flows passphrase")
        overview = client.get("/dashboard/")
        assert overview.status_code == 200 and "1,200" in overview.text
        survival = client.get("/dashboard/survival")
        assert survival.status_code == 200
        assert survival.text.count("js-plotly-plot") + survival.text.count("plotly-graph-div") >= 2
        assert 'id="medians"' in survival.text and 'id="hazards"' in survival.text
        heat = client.get("/dashboard/heatmaps")
        assert heat.text.count("plotly-graph-div") == 6  # 3 pairs x (churn rate, mean score)
        assert "Contract and tenure band" in heat.text
        model = client.get("/dashboard/model")
        assert f"Version {trained['version']}" in model.text
        image = client.get(f"/dashboard/model/plots/{trained['version']}/roc.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("as_of", ["2026-11-01", "2026-10-01"], ids=["rescored", "fresh"])
def test_failure_mid_load_leaves_previous_state(trained, state, batch, monkeypatch, as_of):
    """A chunk that fails after another was written: staged (a period scored before) or
    copied into the open transaction (a fresh period), nothing is stored."""
    _score(state, batch)  # the period 2026-11-01 has scores
    before = _stored(as_of)
    from tasks.adapters import score_merge

    original = score_merge.write_chunk

    def crash_on_second_chunk(engine, merge, run, chunk, parts):
        if chunk == 1:
            raise RuntimeError("injected failure while writing chunk 1")
        return original(engine, merge, run, chunk, parts)

    monkeypatch.setattr(score_merge, "write_chunk", crash_on_second_chunk)
    changed = state / "changed.csv"
    write_customers(generate_customers(1200, seed=4).assign(MonthlyCharges=30.0), changed)
    with pytest.raises(RuntimeError, match="injected failure"):
        _score(state, changed, as_of=as_of)
    pd.testing.assert_frame_equal(_stored(as_of), before)
    assert _rows("SELECT count(*) AS n FROM customer_scores_staging")["n"][0] == 0
    assert (
        _rows("SELECT status FROM scoring_runs ORDER BY started_at")["status"].iloc[-1] == "failed"
    )


def test_failure_inside_the_merge_transaction_rolls_back(trained, state, batch, monkeypatch):
    before = _stored()
    import tasks.score

    monkeypatch.setattr(tasks.score, "compute_kpis", lambda *a: {"not json": object()})
    changed = state / "changed2.csv"
    write_customers(generate_customers(1200, seed=4).assign(MonthlyCharges=25.0), changed)
    with pytest.raises(Exception, match="JSON serializable"):
        _score(state, changed)
    pd.testing.assert_frame_equal(_stored(), before)


def test_concurrent_run_for_the_same_as_of_cannot_write(trained, state, batch):
    from tasks.adapters import score_runs

    engine = _engine()
    try:
        with score_runs.period_lock(engine, "score", "telco", date(2026, 11, 1)):
            with pytest.raises(ConcurrentRunError, match="in progress"):
                _score(state, batch)
            other_day = _score(state, batch, as_of="2026-11-05")  # other periods still run
            assert other_day["rows_scored"] == 1200
    finally:
        engine.dispose()
    _score(state, batch)  # the lock is released with its holder


def test_a_killed_run_is_marked_abandoned_by_the_next_one(trained, state, batch):
    from tasks.adapters.tables import customer_scores_staging, scoring_runs

    engine = _engine()
    killed = {
        "dataset": "telco",
        "model_name": "retainai-churn",
        "model_version": "1",
        "status": "running",
        "source": "x",
        "started_at": datetime.now(UTC),
    }
    staged = {
        "chunk": 0,
        "customer_id": "X1",
        "churn_probability": 0.5,
        "risk_segment": "medium",
        "top_reasons": [],
    }
    try:
        with engine.begin() as connection:
            for run_id, as_of in (("killed-a", date(2026, 9, 9)), ("killed-b", date(2026, 11, 8))):
                connection.execute(
                    scoring_runs.insert().values(run_id=run_id, as_of=as_of, **killed)
                )
                connection.execute(customer_scores_staging.insert().values(run_id=run_id, **staged))
    finally:
        engine.dispose()
    _score(state, batch, as_of="2026-11-08")
    runs = _rows("SELECT run_id, status, error FROM scoring_runs WHERE run_id LIKE 'killed%'")
    assert runs["status"].tolist() == ["failed", "failed"]
    assert runs["error"].str.startswith("abandoned").all()
    assert _rows("SELECT count(*) AS n FROM customer_scores_staging")["n"][0] == 0


def test_current_scores_view_keeps_the_latest_per_customer(trained, state):
    later = state / "later.csv"
    frame = generate_customers(1200, seed=4).head(300)
    write_customers(frame, later)
    _score(state, later, as_of="2026-12-01")
    current = _rows("SELECT customer_id, as_of FROM current_scores")
    assert current["customer_id"].is_unique
    latest = current.set_index("customer_id")["as_of"]
    assert (latest.loc[frame["customerID"]] == date(2026, 12, 1)).all()
    assert (latest.drop(frame["customerID"]) < date(2026, 12, 1)).all()


def test_bad_batches_write_nothing(trained, state):
    before = _rows("SELECT count(*) AS n FROM customer_scores")["n"][0]
    missing = state / "missing_column.csv"
    generate_customers(200, seed=9).drop(columns=["Contract"]).to_csv(missing, index=False)
    with pytest.raises(StructuralValidationError, match="Contract"):
        _score(state, missing, as_of="2026-10-01")
    unknown = state / "unknown.csv"
    frame = generate_customers(400, seed=9)
    frame.loc[frame.index[:3], "PaymentMethod"] = "Bitcoin"
    frame.to_csv(unknown, index=False)
    result = _score(state, unknown, as_of="2026-10-02")
    assert result["rows_scored"] == 397 and result["rows_quarantined"] == 3
    after = _rows("SELECT count(*) AS n FROM customer_scores")["n"][0]
    assert after == before + 397


def test_drift_block_and_warn(trained, state):
    began = datetime.now(UTC)
    drifted = state / "drifted.csv"
    write_customers(generate_customers(1500, seed=12, drift=True), drifted)
    with pytest.raises(DriftBlockedError, match="scores not written"):
        _score(state, drifted, as_of="2026-09-01", monitoring={"action": "block"})
    assert (
        _rows("SELECT count(*) AS n FROM customer_scores WHERE as_of = :a", a=date(2026, 9, 1))[
            "n"
        ][0]
        == 0
    )
    from flows.monitor import monitor_churn_model

    warned = monitor_churn_model(str(small_config(state)), str(drifted), as_of="2026-09-02")
    assert warned["drift"]["dataset_drift"] is True
    assert "Contract" in warned["drift"]["drifted_columns"]
    stored = _rows(
        "SELECT dataset_drift, action FROM drift_reports WHERE as_of = :a", a=date(2026, 9, 2)
    )
    assert bool(stored["dataset_drift"][0]) and stored["action"][0] == "warn"
    # the block and the warning both told the people on call, with the figures
    blocked, warning = alert_events("drift", began, count=2)
    days = [blocked["payload"]["as_of"], warning["payload"]["as_of"]]
    assert days == ["2026-09-01", "2026-09-02"]
    assert warning["payload"]["drifted_share"] == round(warned["drift"]["drifted_share"], 4)
    assert "Contract" in warning["payload"]["drifted_columns"]
    assert "Contract" in warning["payload"]["text"]
    same = state / "same.csv"
    write_customers(generate_customers(1500, seed=13), same)
    quiet = monitor_churn_model(str(small_config(state)), str(same), as_of="2026-09-03")
    assert quiet["drift"]["dataset_drift"] is False


def test_drift_retrain_runs_the_gated_training_flow(trained, state):
    from flows.monitor import monitor_churn_model

    drifted = state / "drifted_retrain.csv"
    write_customers(generate_customers(1500, seed=14, drift=True), drifted)
    labelled = state / "retrain.csv"
    write_customers(generate_customers(2500, seed=15), labelled)
    config = small_config(state, monitoring={"action": "retrain"})
    before = _versions()
    # the new version faces the champion gate: promoted or refused, it is registered
    with contextlib.suppress(ChampionGateError):
        monitor_churn_model(
            str(config), str(drifted), as_of="2026-09-04", retrain_data=str(labelled)
        )
    assert len(_versions()) == len(before) + 1


def _versions() -> list[str]:
    from configs.settings import Settings
    from tasks.adapters import registry

    registry.configure(Settings())
    return [v.version for v in registry.versions("retainai-churn")]


def test_realised_performance_from_delayed_outcomes(trained, state, batch):
    from flows.monitor import monitor_churn_model

    result = monitor_churn_model(str(small_config(state)), outcomes=str(batch))
    stored = _rows("SELECT model_version, as_of, rows, roc_auc FROM realised_performance")
    assert len(stored) >= 1 and (stored["roc_auc"] > 0.7).all()
    assert {r["as_of"] for r in result["realised"]} >= {AS_OF}
    strict = small_config(state, monitoring={"action": "warn", "min_realised_roc_auc": 0.99})
    began = datetime.now(UTC)
    with pytest.raises(PerformanceAlertError, match="below the floor"):
        monitor_churn_model(str(strict), outcomes=str(batch))
    alert = alert_events("realised-roc-auc", began)[0]["payload"]
    assert alert["floor"] == 0.99 and alert["roc_auc"] < 0.99 and alert["rows"] > 0
    assert alert["subject"].startswith("RetainAI: realised ROC-AUC 0.")


def test_dask_task_runner_writes_the_same_rows(trained, state, batch):
    from prefect_dask import DaskTaskRunner

    from flows.score import score_customers_flow

    local_run = _score(state, batch)  # the current champion, local task runner
    local = _stored().query("model_version == @local_run['model_version']")
    runner = DaskTaskRunner(
        cluster_kwargs={
            "n_workers": 2,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": None,
        }
    )
    dask_run = score_customers_flow.with_options(task_runner=runner)(
        str(small_config(state, chunk_rows=400)), str(batch), as_of=AS_OF
    )
    assert dask_run["model_version"] == local_run["model_version"]
    dask = _stored().query("model_version == @local_run['model_version']")
    cols = ["customer_id", "churn_probability", "risk_segment", "top_reasons"]
    pd.testing.assert_frame_equal(
        local[cols].reset_index(drop=True), dask[cols].reset_index(drop=True)
    )


def test_database_down_is_a_clear_error(trained, state, batch, monkeypatch):
    monkeypatch.setenv("RETAINAI_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/x")
    with pytest.raises(DataSourceError, match="unreachable"):
        _score(state, batch)


def test_embedded_sqlite_store(trained, state, batch, monkeypatch, tmp_path):
    monkeypatch.setenv("RETAINAI_DATABASE_URL", f"sqlite:///{tmp_path / 'app.db'}")
    from tasks.adapters import db

    engine = db.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    db.upgrade(engine)
    engine.dispose()
    _score(state, batch)
    _score(state, batch)
    stored = _stored()
    assert len(stored) == 1200 and stored["customer_id"].is_unique
    reasons = stored["top_reasons"][0]
    assert len(json.loads(reasons) if isinstance(reasons, str) else reasons) == 3


def test_migrations_upgrade_and_downgrade(postgres_url):
    from tasks.adapters import db

    name = f"retainai_migrate_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        postgres_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine = db.make_engine(postgres_url.rsplit("/", 1)[0] + f"/{name}")
    try:
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        tables = set(sa.inspect(engine).get_table_names())
        assert {"customer_scores", "kpi_snapshots", "drift_reports", "model_promotions"} <= tables
        assert "current_scores" in sa.inspect(engine).get_view_names()
        db.downgrade(engine, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


ROW_OF_0004 = (
    "INSERT INTO customer_scores (customer_id, as_of, model_version, churn_probability, "
    "risk_segment, top_reasons, monthly_charges, segment_value, scored_at, run_id) VALUES "
    "('0001-ABCDE', '2026-11-01', '3', 0.61, 'high', '[]', 29.85, 'Month-to-month', "
    "'2026-11-01 05:00:00+00', 'r1')"
)


@pytest.mark.parametrize("server", ["sqlite", "postgresql"])
def test_migration_gives_existing_rows_the_telco_table(server, postgres_url, tmp_path):
    """A database made by the code before tables were keys keeps its history."""
    from tasks.adapters import db

    if server == "sqlite":
        url, admin, name = f"sqlite:///{tmp_path / 'old.db'}", None, None
    else:
        name = f"retainai_old_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(
            postgres_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    engine = db.make_engine(url)
    try:
        db.upgrade(engine, "0004")
        with engine.begin() as connection:
            connection.execute(sa.text(ROW_OF_0004))
            connection.execute(
                sa.text(
                    "INSERT INTO kpi_snapshots VALUES ('2026-11-01', '3', '{}', 'r1', "
                    "'2026-11-01 05:00:00+00')"
                )
            )
        db.upgrade(engine)
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT * FROM current_scores")).mappings().one()
            kpis = connection.execute(sa.text("SELECT dataset FROM kpi_snapshots")).scalar()
        assert (row["dataset"], row["customer_id"], row["monthly_value"]) == (
            "telco",
            "0001-ABCDE",
            29.85,
        )
        assert kpis == "telco"
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
