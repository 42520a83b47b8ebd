"""Contributions are exact for every model family and the reasons are written from them.

- contributions + bias reproduce the model's raw score (LightGBM: `raw_score`; blend and
  logistic regression: `decision_function`; random forest: the probability);
- the LightGBM path decomposition (Saabas) equals a plain walk of the dumped trees;
- the encoder is bit for bit `ColumnTransformer.transform`, for text and Categorical columns;
- the column-wise reasons JSON is the text the straightforward per-row formatting gives.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from tasks.core.inference import Contributions
from tasks.core.scoring import fixed6, json_numbers, reason_records, reasons_json
from tasks.core.treewalk import ZERO
from tests.unit.conftest import CONFIG, FEATURES, customers

pytestmark = pytest.mark.filterwarnings("ignore:.*feature names.*:UserWarning")
FAMILIES = ["logistic_regression", "random_forest", "lightgbm", "lightgbm_deep", "blend"]


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    frame = customers(1500, 11)[FEATURES].copy()
    frame.loc[frame.index[:5], "TotalCharges"] = np.nan  # missing values follow LightGBM
    return frame


def _raw_score(pipeline, frame: pd.DataFrame) -> np.ndarray:
    model = pipeline.named_steps["model"]
    encoded = np.asarray(pipeline[:-1].transform(frame), dtype=float)
    if isinstance(model, RandomForestClassifier):
        return model.predict_proba(encoded)[:, 1]
    if hasattr(model, "booster_"):
        return model.booster_.predict(encoded, raw_score=True)
    return model.decision_function(encoded)


@pytest.mark.parametrize("family", FAMILIES)
def test_contributions_plus_bias_reproduce_the_raw_score(fitted, compiled, batch, family):
    linear = family in ("logistic_regression", "blend")  # sklearn refuses NaN there
    frame = batch.fillna({"TotalCharges": 0.0}) if linear else batch
    found = compiled[family].contributions(frame)
    total = found.values.to_numpy().sum(axis=1) + found.bias
    assert np.max(np.abs(total - _raw_score(fitted[family], frame))) < 1e-9
    assert list(found.values.columns) == list(compiled[family].sources)
    assert found.values.index.equals(frame.index) and len(found.features) == len(frame)
    assert found.units == ("probability" if family == "random_forest" else "log-odds")


def _walk(node: dict, row: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """Reference Saabas for one tree: follow the row, credit each value change to the split."""
    contributions = np.zeros(width)
    if "leaf_value" in node:
        return contributions, node["leaf_value"]
    root = node["internal_value"]
    while "leaf_value" not in node:
        value, missing = row[node["split_feature"]], node["missing_type"]
        if np.isnan(value) and missing == "NaN":
            left = node["default_left"]
        else:
            value = 0.0 if np.isnan(value) else value  # LightGBM reads NaN as 0 there
            if missing == "Zero" and abs(value) <= ZERO:
                left = node["default_left"]
            else:
                left = value <= node["threshold"]
        child = node["left_child"] if left else node["right_child"]
        after = child.get("leaf_value", child.get("internal_value"))
        contributions[node["split_feature"]] += after - node.get("internal_value")
        node = child
    return contributions, root


@pytest.mark.parametrize("family", ["lightgbm", "lightgbm_deep"])
def test_lightgbm_path_decomposition_equals_a_plain_tree_walk(fitted, compiled, batch, family):
    model = compiled[family]
    encoded = model.encode(batch)
    found, bias = model.contributions_encoded(encoded)
    dump = fitted[family].named_steps["model"].booster_.dump_model()
    width = encoded.shape[1]
    for row in range(0, len(encoded), 97):
        expected, root = np.zeros(width), 0.0
        for info in dump["tree_info"]:
            values, start = _walk(info["tree_structure"], encoded[row], width)
            expected += values
            root += start
        assert np.max(np.abs(found[row] - expected @ model.encoder.to_source)) < 1e-12
        assert abs(bias[row] - root) < 1e-12


@pytest.mark.parametrize("compact", [False, True])
def test_the_encoder_is_bit_for_bit_the_column_transformer(fitted, compiled, batch, compact):
    frame = batch.astype({c: object for c in CONFIG.dataset.categorical}).copy()
    frame.loc[frame.index[0], "PaymentMethod"] = "Bitcoin"  # unknown: all zeros
    frame.loc[frame.index[1], "Contract"] = None  # missing: all zeros
    frame.loc[frame.index[2], "SeniorCitizen"] = 1  # an int where the categories are text
    frame.loc[frame.index[3], "MonthlyCharges"] = np.nan
    if compact:
        frame = frame.astype({c: "category" for c in CONFIG.dataset.categorical})
    pipeline = fitted["blend"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(pipeline[:-1].transform(frame), dtype=float)
    got = compiled["blend"].encode(frame)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)
    records = compiled["blend"].encode(frame.astype(object).to_dict("records"))
    np.testing.assert_array_equal(records, expected)


def _reference_reasons(found: Contributions, features: pd.DataFrame, top: int):
    """The per-row formatting the column-wise builder must reproduce."""
    values = found.values.to_numpy()
    columns = list(found.values.columns)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    rows = []
    for i, picks in enumerate(order):
        items = []
        for j in picks:
            column = features[columns[j]].to_numpy()
            if column.dtype.kind in "fi":
                shown = json.dumps(round(float(column[i]), 6))
            else:
                shown = json.dumps(str(column[i]))
            items.append(
                f'{{"feature":{json.dumps(columns[j])},"value":{shown},'
                f'"contribution":{values[i, j]:.6f}}}'
            )
        rows.append("[" + ",".join(items) + "]")
    return rows


@pytest.mark.parametrize("top", [1, 3, 5, 40])
def test_reasons_json_matches_the_per_row_formatting(compiled, batch, top):
    found = compiled["blend"].contributions(batch.fillna(0.0).astype({"Contract": "category"}))
    values = found.values.copy()
    values.iloc[:50] = 0.0  # ties everywhere: the earlier column first
    values.iloc[50:100, 4:] = -0.0
    values.iloc[100:150] = np.round(values.iloc[100:150].to_numpy(), 2)  # more ties
    values.iloc[150:200] = values.iloc[150:200] * 1e-7  # rounds to (-)0.000000
    values.iloc[200, 0] = np.nan
    features = found.features.copy()
    features.loc[features.index[:20], "charge_drift"] = [
        np.nan,
        np.inf,
        -np.inf,
        -0.0,
        1e-7,
        -1e-7,
        5e-5,
        1e17,
        123456.0000004,
        0.1,
        2.5e-7,
        1.0000005,
        -3.4999995,
        7.0,
        1e-4,
        99999999.9999999,
        0.30000000000000004,
        -1e-300,
        42,
        1.5,
    ]
    features["tenure"] = features["tenure"].astype(int)
    features.loc[features.index[5], "Contract"] = np.nan  # a missing category
    changed = Contributions(values, found.bias, found.units, found.features)
    assert reasons_json(changed, features, top) == _reference_reasons(changed, features, top)


def test_reasons_of_no_rows_and_no_reasons(compiled, batch):
    found = compiled["blend"].contributions(batch.iloc[:0])
    assert reasons_json(found, found.features, 3) == [] and reason_records(found, 3) == []
    found = compiled["blend"].contributions(batch.fillna(0.0).iloc[:2])
    assert reasons_json(found, found.features, 0) == ["[]", "[]"]


def test_reason_records_are_the_largest_contributions(compiled, batch):
    found = compiled["lightgbm"].contributions(batch.iloc[:20])
    for row, reasons in enumerate(reason_records(found, 3)):
        assert [r["feature"] for r in reasons] == list(
            found.values.iloc[row].abs().sort_values(ascending=False, kind="stable").index[:3]
        )
        assert all(r["value"] == found.features[r["feature"]].iloc[row] for r in reasons[:1])


def test_numbers_are_written_as_python_writes_them():
    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(size=50_000) * 10.0 ** rng.integers(-9, 12, 50_000),
            rng.integers(-(10**7), 10**7, 5_000) / 1e6,  # 6-decimal values
            rng.integers(-(10**8), 10**8, 5_000) / 2e6,  # ties half-way at the 7th decimal
            [
                0.0,
                -0.0,
                1e-7,
                -1e-7,
                5e-7,
                5e-5,
                1e-4,
                0.0078125,
                -0.0078125,
                1e17,
                2.0**32,
                2.0**32 - 0.5,
                np.nan,
                np.inf,
                -np.inf,
                123456.0000005,
                2.5e-7,
                1.0000005,
                0.30000000000000004,
                1e-300,
                4.35,
                99999999.9999999,
            ],
        ]
    )
    assert fixed6(values).to_pylist() == [f"{v:.6f}" for v in values.tolist()]
    assert json_numbers(values).to_pylist() == [json.dumps(round(v, 6)) for v in values.tolist()]
