"""Contributions are exact for every model family; the batch fast paths change nothing.

- contributions + bias reproduce the model's raw score (LightGBM: `raw_score`; blend and
  logistic regression: `decision_function`; random forest: the probability);
- the LightGBM path decomposition (Saabas) equals a plain walk of the dumped trees;
- the numpy replay of the encoder is bit for bit `ColumnTransformer.transform`;
- the column-wise reasons JSON is the text the straightforward per-row formatting gives.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core import explain, modeling
from tasks.core.contract import validate_frame
from tasks.core.fastpath import LIGHTGBM_ZERO
from tasks.core.scoring import reasons_json

CONFIG = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
FEATURES = CONFIG.dataset.feature_columns
pytestmark = pytest.mark.filterwarnings("ignore:.*feature names.*:UserWarning")

FAMILIES = {
    "logistic_regression": lambda: LogisticRegression(max_iter=2000),
    "random_forest": lambda: RandomForestClassifier(
        n_estimators=20, max_depth=6, random_state=0, n_jobs=1
    ),
    # 301 trees: not a multiple of any tree group size, so the last group is padded
    "lightgbm": lambda: modeling._lightgbm(0, n_estimators=301, learning_rate=0.05, num_leaves=4),
    "lightgbm_deep": lambda: modeling._lightgbm(
        0, n_estimators=37, learning_rate=0.1, num_leaves=23, min_child_samples=5
    ),
    "blend": lambda: modeling.LogitBlend(
        weight=0.4, boosted_params={"n_estimators": 120, "num_leaves": 8}, seed=0
    ),
}


def _customers(rows: int, seed: int) -> pd.DataFrame:
    return validate_frame(generate_customers(rows, seed), CONFIG, "training").clean


@pytest.fixture(scope="module")
def fitted():
    train = _customers(2000, 7)
    target = (train[CONFIG.dataset.target.column] == "Yes").to_numpy()
    out = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        for family, make in FAMILIES.items():
            pipeline = modeling.build_pipeline(CONFIG, make()).fit(train[FEATURES], target)
            pipeline.explain_center_ = modeling.encoded_center(pipeline, train[FEATURES])
            out[family] = pipeline
    return out


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    frame = _customers(1500, 11)[FEATURES].copy()
    frame.loc[frame.index[:5], "TotalCharges"] = np.nan  # missing values follow LightGBM
    return frame


def _raw_score(pipeline, frame: pd.DataFrame) -> np.ndarray:
    model = pipeline.named_steps["model"]
    encoded = pipeline[:-1].transform(frame)
    if isinstance(model, RandomForestClassifier):
        return model.predict_proba(np.asarray(encoded, dtype=float))[:, 1]
    if hasattr(model, "booster_"):
        return model.booster_.predict(np.asarray(encoded, dtype=float), raw_score=True)
    return model.decision_function(np.asarray(encoded, dtype=float))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_contributions_plus_bias_reproduce_the_raw_score(fitted, batch, family):
    pipeline = fitted[family]
    linear = family in ("logistic_regression", "blend")  # sklearn refuses NaN there
    frame = batch.fillna({"TotalCharges": 0.0}) if linear else batch
    found = explain.contributions(pipeline, frame)
    total = found.values.to_numpy().sum(axis=1) + found.bias
    assert np.max(np.abs(total - _raw_score(pipeline, frame))) < 1e-9
    assert list(found.values.columns) == explain._source_matrix(pipeline["encode"])[1]
    assert found.features is not None and len(found.features) == len(frame)


def test_blend_probabilities_equal_predict_proba(fitted, batch):
    pipeline = fitted["blend"]
    batch = batch.fillna({"TotalCharges": 0.0})
    found = explain.contributions(pipeline, batch)
    logits = found.values.to_numpy().sum(axis=1) + found.bias
    probability = 1.0 / (1.0 + np.exp(-logits))
    assert np.max(np.abs(probability - pipeline.predict_proba(batch)[:, 1])) < 1e-12


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
            if missing == "Zero" and abs(value) <= LIGHTGBM_ZERO:
                left = node["default_left"]
            else:
                left = value <= node["threshold"]
        child = node["left_child"] if left else node["right_child"]
        after = child.get("leaf_value", child.get("internal_value"))
        contributions[node["split_feature"]] += after - node.get("internal_value")
        node = child
    return contributions, root


@pytest.mark.parametrize("family", ["lightgbm", "lightgbm_deep"])
def test_lightgbm_path_decomposition_equals_a_plain_tree_walk(fitted, batch, family):
    pipeline = fitted[family]
    model = pipeline.named_steps["model"]
    encoded = explain._encode(pipeline["encode"], pipeline["features"].transform(batch))
    to_source, _ = explain._source_matrix(pipeline["encode"])
    found, bias = explain._lightgbm(model, encoded, to_source)
    dump = model.booster_.dump_model()
    width = encoded.shape[1]
    for row in range(0, len(encoded), 97):
        expected, root = np.zeros(width), 0.0
        for info in dump["tree_info"]:
            values, start = _walk(info["tree_structure"], encoded[row], width)
            expected += values
            root += start
        assert np.max(np.abs(found[row] - expected @ to_source)) < 1e-12
        assert abs(bias[row] - root) < 1e-12


def test_single_leaf_trees_are_part_of_the_bias(batch):
    train = _customers(600, 3)
    target = (train[CONFIG.dataset.target.column] == "Yes").to_numpy()
    model = modeling._lightgbm(0, n_estimators=5, min_child_samples=10_000)  # no split possible
    pipeline = modeling.build_pipeline(CONFIG, model).fit(train[FEATURES], target)
    found = explain.contributions(pipeline, batch)
    assert np.all(found.values.to_numpy() == 0.0)
    assert np.max(np.abs(found.bias - _raw_score(pipeline, batch))) < 1e-12


def test_models_that_cannot_be_decomposed_fall_back_to_treeshap():
    dump = {"objective": "multiclass num_class:3", "num_class": 3, "tree_info": []}
    assert explain._build_path_table({**dump, "max_feature_idx": 1}, 2) is None
    binary = {"objective": "binary sigmoid:1", "max_feature_idx": 1, "tree_info": []}
    assert explain._build_path_table({**binary, "average_output": True}, 2) is None
    linear = {
        **binary,
        "tree_info": [{"num_leaves": 1, "tree_structure": {"leaf_value": 0.1, "leaf_coeff": [1]}}],
    }
    assert explain._build_path_table(linear, 2) is None


def test_encoder_replay_is_bit_for_bit_the_column_transformer(fitted, batch):
    pipeline = fitted["blend"]
    frame = batch.astype({"SeniorCitizen": object}).copy()
    frame.loc[frame.index[0], "PaymentMethod"] = "Bitcoin"  # unknown: all zeros
    frame.loc[frame.index[1], "Contract"] = None  # missing: all zeros
    frame.loc[frame.index[2], "SeniorCitizen"] = 1  # an int where the categories are text
    frame.loc[frame.index[3], "MonthlyCharges"] = np.nan
    features = pipeline["features"].transform(frame)
    encode = pipeline["encode"]
    assert explain._replayable(encode)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(encode.transform(features), dtype=float)
    replayed = explain._encode(encode, features)
    assert replayed.dtype == np.float64
    np.testing.assert_array_equal(replayed, expected)


def test_encoder_settings_it_cannot_replay_use_sklearn(fitted, batch):
    encode = fitted["logistic_regression"]["encode"]
    features = fitted["logistic_regression"]["features"].transform(batch.fillna(0.0))
    strict = OneHotEncoder(handle_unknown="error", sparse_output=False)
    name, _, columns = encode.transformers_[1]
    strict.fit(features[columns])
    changed = encode.__class__(encode.transformers)  # a copy we may alter
    changed.__dict__.update(encode.__dict__)
    changed.transformers_ = [encode.transformers_[0], (name, strict, columns)]
    assert not explain._replayable(changed)
    np.testing.assert_array_equal(
        explain._encode(changed, features), np.asarray(changed.transform(features), dtype=float)
    )


def _reference_reasons(found: explain.Contributions, features: pd.DataFrame, top: int):
    """The per-row formatting the column-wise builder must reproduce."""
    values = found.values.to_numpy()
    columns = list(found.values.columns)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    rows = []
    for i, picks in enumerate(order):
        items = []
        for j in picks:
            value = features[columns[j]].to_numpy()[i]
            if features[columns[j]].to_numpy().dtype.kind in "fi":
                shown = json.dumps(round(float(value), 6))
            else:
                shown = json.dumps(str(value))
            items.append(
                f'{{"feature":{json.dumps(columns[j])},"value":{shown},'
                f'"contribution":{values[i, j]:.6f}}}'
            )
        rows.append("[" + ",".join(items) + "]")
    return rows


@pytest.mark.parametrize("top", [1, 3, 5, 40])
def test_reasons_json_matches_the_per_row_formatting(fitted, batch, top):
    found = explain.contributions(fitted["blend"], batch)
    values = found.values.copy()
    values.iloc[:50] = 0.0  # ties everywhere: the earlier column first
    values.iloc[50:100, 4:] = -0.0
    values.iloc[100:150] = np.round(values.iloc[100:150].to_numpy(), 2)  # more ties
    values.iloc[150:200] = values.iloc[150:200] * 1e-7  # rounds to (-)0.000000
    values.iloc[200, 0] = np.nan
    features = found.features.copy()
    features.loc[features.index[:20], "charge_drift"] = [
        np.nan, np.inf, -np.inf, -0.0, 1e-7, -1e-7, 5e-5, 1e17, 123456.0000004, 0.1,
        2.5e-7, 1.0000005, -3.4999995, 7.0, 1e-4, 99999999.9999999, 0.30000000000000004,
        -1e-300, 42, 1.5,
    ]  # fmt: skip
    features["tenure"] = features["tenure"].astype(int)
    changed = explain.Contributions(values, found.bias, found.units, found.features)
    assert reasons_json(changed, features, top) == _reference_reasons(changed, features, top)


def test_reasons_json_of_no_rows_and_no_reasons(fitted, batch):
    found = explain.contributions(fitted["blend"], batch.iloc[:0])
    assert reasons_json(found, found.features, 3) == []
    found = explain.contributions(fitted["blend"], batch.iloc[:2])
    assert reasons_json(found, found.features, 0) == ["[]", "[]"]


def test_numbers_are_written_as_python_writes_them():
    from tasks.core.scoring import _fixed6, _json_numbers

    rng = np.random.default_rng(0)
    values = np.concatenate(
        [
            rng.normal(size=50_000) * 10.0 ** rng.integers(-9, 12, 50_000),
            rng.integers(-(10**7), 10**7, 5_000) / 1e6,  # 6-decimal values
            rng.integers(-(10**8), 10**8, 5_000) / 2e6,  # ties half-way at the 7th decimal
            [0.0, -0.0, 1e-7, -1e-7, 5e-7, 5e-5, 1e-4, 0.0078125, -0.0078125, 1e17, 2.0**32,
             2.0**32 - 0.5, np.nan, np.inf, -np.inf, 123456.0000005, 2.5e-7, 1.0000005,
             0.30000000000000004, 1e-300, 4.35, 99999999.9999999],
        ]
    )  # fmt: skip
    assert _fixed6(values).to_pylist() == [f"{v:.6f}" for v in values.tolist()]
    assert _json_numbers(values).to_pylist() == [json.dumps(round(v, 6)) for v in values.tolist()]
