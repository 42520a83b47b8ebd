import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from configs.schema import load_config
from tasks.core.drift import (
    ColumnDrift,
    drift_columns,
    match_outcomes,
    monitored_frame,
    performance_alert,
    realised_performance,
    reference_sample,
    summarize_snapshot,
)

REPO = Path(__file__).resolve().parents[2]
# json.loads(snapshot.json()) of Evidently 0.7.23's DataDriftPreset(drift_share=0.3, ks,
# chisquare) on 3,000 baseline vs 3,000 drifted customers, trimmed to the keys the parser reads.
SNAPSHOT = Path(__file__).parent / "fixtures" / "evidently_snapshot.json"


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "configs" / "telco.yaml")


@pytest.fixture(scope="module")
def snapshot():
    return json.loads(SNAPSHOT.read_text())


def test_drift_columns_are_the_features_without_id_or_target(config):
    numeric, categorical = drift_columns(config)
    assert numeric == ["tenure", "MonthlyCharges", "TotalCharges"]
    assert "Contract" in categorical and len(categorical) == 16
    assert {"customerID", "Churn"}.isdisjoint([*numeric, *categorical])


def test_summarize_snapshot_reads_the_golden_evidently_json(config, snapshot):
    summary = summarize_snapshot(snapshot, *drift_columns(config), 3000, 2990)
    assert summary.dataset_drift is True
    assert summary.drift_share_threshold == 0.3
    assert summary.drifted_share == pytest.approx(17 / 19)
    assert len(summary.columns) == 19 and len(summary.drifted_columns) == 17
    assert {"Partner", "Dependents"}.isdisjoint(summary.drifted_columns)
    assert {"Contract", "MonthlyCharges", "tenure"} <= set(summary.drifted_columns)
    by_name = {c.column: c for c in summary.columns}
    assert by_name["tenure"] == ColumnDrift(
        "tenure", "numeric", "ks", pytest.approx(3.2002760492551775e-119), 0.05, True
    )
    partner = by_name["Partner"]
    assert (partner.kind, partner.method, partner.drifted) == ("categorical", "chisquare", False)
    assert partner.score == pytest.approx(0.5347226197289323)
    for column in summary.columns:  # p-value methods: drifted exactly when below the threshold
        assert column.drifted == (column.score < column.threshold)
    record = summary.to_dict()
    assert (record["reference_rows"], record["current_rows"]) == (3000, 2990)
    assert record["columns"][0]["column"] == "tenure"
    json.dumps(record)


def test_summarize_snapshot_without_drift(config, snapshot):
    calm = copy.deepcopy(snapshot)
    calm["metrics"][0]["value"] = {"count": 1.0, "share": 1 / 19}
    for test in calm["tests"][1:]:
        test["status"] = "SUCCESS"
    calm["tests"][1]["status"] = "FAIL"  # tenure alone
    summary = summarize_snapshot(calm, *drift_columns(config), 10, 10)
    assert summary.dataset_drift is False
    assert summary.drifted_columns == ["tenure"]


def test_summarize_snapshot_refuses_incomplete_reports(config, snapshot):
    numeric, categorical = drift_columns(config)
    with pytest.raises(ValueError, match="run the report with tests"):
        summarize_snapshot({**snapshot, "tests": []}, numeric, categorical, 1, 1)
    with pytest.raises(ValueError, match=r"no verdict for columns \['extra'\]"):
        summarize_snapshot(snapshot, [*numeric, "extra"], categorical, 1, 1)
    with pytest.raises(ValueError, match="not monitored"):
        summarize_snapshot(snapshot, numeric[1:], categorical, 1, 1)
    with pytest.raises(ValueError, match="one DriftedColumnsCount"):
        summarize_snapshot(
            {**snapshot, "metrics": snapshot["metrics"][1:]}, numeric, categorical, 1, 1
        )
    broken = copy.deepcopy(snapshot)
    broken["metrics"][0]["value"]["count"] = 3.0
    with pytest.raises(ValueError, match="inconsistent"):
        summarize_snapshot(broken, numeric, categorical, 1, 1)


def test_monitored_frame_types_columns_and_names_missing_ones(config):
    numeric, categorical = drift_columns(config)
    frame = pd.DataFrame({c: ["Yes", "No"] for c in categorical})
    frame = frame.assign(SeniorCitizen=[1, 0], tenure=["3", "x"], MonthlyCharges=[1, 2])
    with pytest.raises(ValueError, match=r"lacks monitored columns: \['TotalCharges'\]"):
        monitored_frame(frame, config, "current")
    typed = monitored_frame(
        frame.assign(TotalCharges=[1.5, 2.0], customerID=["a", "b"]), config, "x"
    )
    assert list(typed.columns) == [*numeric, *categorical]
    assert typed["tenure"].dtype == "float64" and np.isnan(typed["tenure"][1])
    assert typed["SeniorCitizen"].tolist() == ["1", "0"]


def _customers(rows: int, churners: int) -> pd.DataFrame:
    data = {"customerID": [f"c{i}" for i in range(rows)], "Churn": ["No"] * rows}
    frame = pd.DataFrame(data).assign(tenure=np.arange(rows, dtype=float), Contract="One year")
    frame.loc[: churners - 1, "Churn"] = "Yes"
    return frame


def test_reference_sample_is_deterministic_sized_and_stratified(config):
    rows = 12_000
    frame = _customers(rows, 3000)
    for name in [c for c in config.dataset.feature_columns if c not in frame]:
        frame[name] = 0.0 if name in config.dataset.numeric else "No"
    first = reference_sample(frame, config, seed=7)
    assert len(first) == config.monitoring.reference_rows == 5000
    assert list(first.columns) == config.dataset.feature_columns
    pd.testing.assert_frame_equal(first, reference_sample(frame, config, seed=7))
    assert not first.equals(reference_sample(frame, config, seed=8))
    assert first["tenure"].is_monotonic_increasing and first["tenure"].is_unique
    assert (first["tenure"] < 3000).sum() == 1250  # churners keep their 25% share exactly
    small = reference_sample(frame.head(100), config, seed=7)
    assert len(small) == 100
    unlabeled = reference_sample(frame.drop(columns="Churn"), config, seed=7)
    assert len(unlabeled) == 5000
    with pytest.raises(ValueError, match="Contract"):
        reference_sample(frame.drop(columns="Contract"), config, seed=7)


def test_realised_performance_matches_sklearn_and_hand_figures():
    labels = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 0] * 4)
    probabilities = np.linspace(0.95, 0.05, 40)  # row 0 scores highest
    perf = realised_performance(labels, probabilities, bins=10)
    assert perf["rows"] == 40 and perf["churn_rate"] == pytest.approx(0.3)
    assert perf["roc_auc"] == pytest.approx(roc_auc_score(labels, probabilities))
    assert perf["brier"] == pytest.approx(brier_score_loss(labels, probabilities))
    assert perf["precision_at_10"] == pytest.approx(2 / 4)  # top 4 rows: 1, 0, 1, 0
    calibration = perf["calibration"]
    assert len(calibration) == 10 and sum(b["count"] for b in calibration) == 40
    assert [b["bin"] for b in calibration] == list(range(10))
    assert calibration[0]["mean_predicted"] < calibration[-1]["mean_predicted"]
    ece = sum(b["count"] * abs(b["mean_predicted"] - b["observed_rate"]) for b in calibration)
    assert perf["expected_calibration_error"] == pytest.approx(ece / 40)
    json.dumps(perf)


def test_realised_performance_edge_cases():
    one_class = realised_performance([0, 0, 0], [0.1, 0.2, 0.3])
    assert one_class["roc_auc"] is None and one_class["brier"] == pytest.approx(14 / 300)
    tied = realised_performance([0, 1, 0, 1], [0.5] * 4, bins=10)
    assert tied["calibration"] == [
        {"bin": 0, "mean_predicted": 0.5, "observed_rate": 0.5, "count": 4}
    ]
    assert tied["expected_calibration_error"] == 0.0
    with pytest.raises(ValueError, match="0/1"):
        realised_performance([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="within"):
        realised_performance([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match="no outcomes"):
        realised_performance([], [])


def test_performance_alert():
    assert performance_alert({"roc_auc": 0.72, "rows": 10}, 0.70) is None
    assert performance_alert({"roc_auc": None, "rows": 3}, 0.70) is None
    message = performance_alert({"roc_auc": 0.61, "rows": 500}, 0.70)
    assert message is not None and "0.6100" in message and "0.7" in message


def test_match_outcomes_groups_by_version_and_date():
    scores = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a", "b", "d"],
            "as_of": ["2026-01-01"] * 3 + ["2026-02-01"] * 3,
            "model_version": ["1", "1", "1", "2", "2", "2"],
            "churn_probability": [0.9, 0.2, 0.4, 0.8, 0.3, 0.5],
        }
    )
    outcomes = pd.DataFrame({"customer_id": ["a", "b", "d"], "churned": [True, False, True]})
    groups = match_outcomes(scores, outcomes)
    assert list(groups) == [("1", "2026-01-01"), ("2", "2026-02-01")]
    labels, probabilities = groups[("1", "2026-01-01")]  # c has no outcome yet
    assert labels.tolist() == [1, 0] and probabilities.tolist() == [0.9, 0.2]
    labels, probabilities = groups[("2", "2026-02-01")]
    assert labels.tolist() == [1, 0, 1] and probabilities.tolist() == [0.8, 0.3, 0.5]
    dated = pd.DataFrame({"customer_id": ["a"], "as_of": ["2026-02-01"], "churned": [1]})
    assert list(match_outcomes(scores, dated)) == [("2", "2026-02-01")]
    twice = pd.concat([outcomes, outcomes.head(1)])
    with pytest.raises(ValueError, match="more than one label"):
        match_outcomes(scores, twice)
    with pytest.raises(ValueError, match="churn_probability"):
        match_outcomes(scores.drop(columns="churn_probability"), outcomes)
    with pytest.raises(ValueError, match="0/1"):
        match_outcomes(scores, outcomes.assign(churned=["Yes", "No", "Yes"]))
