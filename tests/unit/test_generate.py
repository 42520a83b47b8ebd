"""Tests for the synthetic Telco customer generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from data.generate import customer_ids, generate_customers, write_customers

HEADER = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]
ADDONS = [
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
]
YES_NO = {"Yes", "No"}
PAYMENTS = {
    "Electronic check",
    "Mailed check",
    "Bank transfer (automatic)",
    "Credit card (automatic)",
}
CATEGORIES = {
    "gender": {"Female", "Male"},
    "SeniorCitizen": {0, 1},
    "Partner": YES_NO,
    "Dependents": YES_NO,
    "PhoneService": YES_NO,
    "MultipleLines": {"Yes", "No", "No phone service"},
    "InternetService": {"DSL", "Fiber optic", "No"},
    **{name: {"Yes", "No", "No internet service"} for name in ADDONS},
    "Contract": {"Month-to-month", "One year", "Two year"},
    "PaperlessBilling": YES_NO,
    "PaymentMethod": PAYMENTS,
    "Churn": YES_NO,
}
NUMERIC = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return generate_customers(8_000, seed=0)


@pytest.fixture(scope="module")
def drifted() -> pd.DataFrame:
    return generate_customers(3_000, seed=1, drift=True)


def test_schema_matches_telco_header(customers: pd.DataFrame) -> None:
    assert list(customers.columns) == HEADER
    assert len(customers) == 8_000
    assert customers["SeniorCitizen"].dtype == np.int64
    assert customers["tenure"].dtype == np.int64
    assert customers["MonthlyCharges"].dtype == np.float64
    text = [c for c in HEADER if c not in {"SeniorCitizen", "tenure", "MonthlyCharges"}]
    assert all(customers[c].dtype == object for c in text)
    assert customers["tenure"].between(0, 72).all()
    cents = customers["MonthlyCharges"] * 100
    assert np.allclose(cents, cents.round()) and (cents.round() % 5 == 0).all()  # 5-cent steps


def test_category_values_are_the_real_strings(customers: pd.DataFrame) -> None:
    for column, values in CATEGORIES.items():
        assert set(customers[column].unique()) == values, column


def testcustomer_ids_are_unique_and_shaped_like_telco(customers: pd.DataFrame) -> None:
    assert customers["customerID"].is_unique
    assert customers["customerID"].str.fullmatch(r"\d{4}-[A-Z]{5}").all()
    million = customer_ids(np.random.default_rng(3), 1_000_000)
    assert len(million) == 1_000_000
    assert pd.Series(million).is_unique


def test_generation_is_deterministic_per_seed_and_mode() -> None:
    first = generate_customers(500, seed=7)
    pd.testing.assert_frame_equal(first, generate_customers(500, seed=7))
    assert not first.equals(generate_customers(500, seed=8))
    assert not first.equals(generate_customers(500, seed=7, drift=True))
    assert generate_customers(1, seed=7).shape == (1, len(HEADER))


@pytest.mark.parametrize("rows", [0, -5])
def test_rows_must_be_positive(rows: int) -> None:
    with pytest.raises(ValueError, match="rows must be >= 1"):
        generate_customers(rows, seed=0)


def test_total_charges_blank_exactly_for_new_customers(customers: pd.DataFrame) -> None:
    blank = customers["TotalCharges"] == " "
    assert blank.any()
    assert (blank == (customers["tenure"] == 0)).all()
    billed = customers[~blank]
    assert billed["TotalCharges"].str.fullmatch(r"\d+(\.\d{1,2})?").all()
    ratio = billed["TotalCharges"].astype(float) / (billed["tenure"] * billed["MonthlyCharges"])
    assert ratio.between(0.7, 1.4).all()
    assert ratio.median() == pytest.approx(1.0, abs=0.02)


def test_services_are_consistent(customers: pd.DataFrame) -> None:
    offline = customers["InternetService"] == "No"
    for name in ADDONS:
        assert ((customers[name] == "No internet service") == offline).all(), name
    no_phone = customers["PhoneService"] == "No"
    assert ((customers["MultipleLines"] == "No phone service") == no_phone).all()
    assert not (no_phone & offline).any()
    charges = customers.groupby("InternetService")["MonthlyCharges"].mean()
    assert charges["Fiber optic"] > charges["DSL"] > charges["No"]


def test_contract_tracks_tenure_and_churn_rate_is_realistic(customers: pd.DataFrame) -> None:
    tenure = customers.groupby("Contract")["tenure"].mean()
    assert tenure["Month-to-month"] < tenure["One year"] < tenure["Two year"]
    churned = customers["Churn"] == "Yes"
    assert 0.20 <= churned.mean() <= 0.32
    by_contract = churned.groupby(customers["Contract"]).mean()
    assert by_contract["Month-to-month"] > by_contract["One year"] > by_contract["Two year"]


def test_churn_is_learnable_but_not_trivial(customers: pd.DataFrame) -> None:
    features = customers.drop(columns=["customerID", "Churn"])
    features["TotalCharges"] = pd.to_numeric(features["TotalCharges"], errors="coerce").fillna(0)
    target = (customers["Churn"] == "Yes").astype(int)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=0.25, random_state=0, stratify=target
    )
    categorical = [c for c in features.columns if c not in NUMERIC]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical), (StandardScaler(), NUMERIC)
        ),
        LogisticRegression(max_iter=1_000),
    ).fit(x_train, y_train)
    auc = roc_auc_score(y_test, model.predict_proba(x_test)[:, 1])
    assert 0.78 <= auc <= 0.90


def test_drift_shifts_the_population(drifted: pd.DataFrame) -> None:
    baseline = generate_customers(3_000, seed=2)
    assert list(drifted.columns) == HEADER
    m2m = "Month-to-month"
    assert (drifted["Contract"] == m2m).mean() > (baseline["Contract"] == m2m).mean() + 0.1
    assert drifted["MonthlyCharges"].mean() > baseline["MonthlyCharges"].mean() + 5
    assert drifted["tenure"].mean() < baseline["tenure"].mean() - 5
    assert ks_2samp(baseline["MonthlyCharges"], drifted["MonthlyCharges"]).pvalue < 0.001
    assert ks_2samp(baseline["tenure"], drifted["tenure"]).pvalue < 0.001


def test_csv_round_trip_keeps_telco_text(tmp_path, customers: pd.DataFrame) -> None:
    path = write_customers(customers, tmp_path / "nested" / "dir" / "customers.csv")
    assert path == tmp_path / "nested" / "dir" / "customers.csv"
    assert [p.name for p in path.parent.iterdir()] == ["customers.csv"]
    assert path.read_text().splitlines()[0] == ",".join(HEADER)
    text = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(text.columns) == HEADER
    assert (text["TotalCharges"] == customers["TotalCharges"]).all()
    assert (text["TotalCharges"] == " ").sum() == (customers["tenure"] == 0).sum()
    assert not text["MonthlyCharges"].str.endswith(".0").any()  # 84, not 84.0, as in Telco
    typed = pd.read_csv(path, dtype={"TotalCharges": str}, keep_default_na=False)
    pd.testing.assert_frame_equal(typed, customers)


def test_parquet_round_trip(tmp_path, drifted: pd.DataFrame) -> None:
    path = write_customers(drifted, tmp_path / "customers.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), drifted)
    assert [p.name for p in tmp_path.iterdir()] == ["customers.parquet"]


def test_failed_write_leaves_previous_file_and_no_temp(tmp_path) -> None:
    path = write_customers(generate_customers(10, seed=0), tmp_path / "out.parquet")
    before = path.read_bytes()
    broken = pd.DataFrame({"mixed": [1, "a", 2.5]})  # Arrow cannot store mixed objects
    with pytest.raises(ValueError):  # pyarrow.ArrowInvalid: mixed object column
        write_customers(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]
