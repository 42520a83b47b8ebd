"""The compiled model reproduces the logged pipeline's churn probabilities, for frames (text or
Categorical columns), lists of records and single records, on edge inputs and on the trees'
own split thresholds, with each library's decision rule."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from tasks.core import modeling
from tasks.core.inference import compile_model
from tests.unit.conftest import CONFIG, FEATURES, customers

TOLERANCE = 1e-12
# the reference pipeline warns on the extreme rows (exp overflow in LogitBlend, float32 casts)
pytestmark = pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning",
    "ignore:invalid value:RuntimeWarning",
    "ignore:.*feature names.*:UserWarning",
)
ROWS = 2000
RAW_NUMERIC = list(CONFIG.dataset.numeric)
ADDONS = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV"]
NO_ADDONS = {c: "No internet service" for c in [*ADDONS, "StreamingMovies"]}
FAMILIES = ["logistic_regression", "random_forest", "lightgbm", "lightgbm_deep", "blend"]


def _proba(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        return pipeline.predict_proba(frame)[:, 1]


def _tree_model(pipeline: Pipeline):
    model = pipeline.named_steps["model"]
    return model.boosted_ if isinstance(model, modeling.LogitBlend) else model


def split_thresholds(model) -> dict[int, np.ndarray]:
    """Split thresholds per model input column, read from the fitted trees themselves."""
    found: dict[int, list[float]] = {}
    if isinstance(model, RandomForestClassifier):
        for tree in model.estimators_:
            inner = tree.tree_.children_left >= 0
            for f, t in zip(tree.tree_.feature[inner], tree.tree_.threshold[inner], strict=True):
                found.setdefault(int(f), []).append(float(t))
    else:
        stack = [info["tree_structure"] for info in model.booster_.dump_model()["tree_info"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                found.setdefault(node["split_feature"], []).append(node["threshold"])
                stack += [node["left_child"], node["right_child"]]
    return {f: np.unique(t) for f, t in found.items()}


def _raw_hitting(scaled: float, mean: float, scale: float) -> float | None:
    """A raw value whose standard-scaled value is exactly `scaled` (None if none nearby)."""
    raw = scaled * scale + mean
    for _ in range(16):
        got = (raw - mean) / scale
        if got == scaled:
            return raw
        raw = np.nextafter(raw, np.inf if got < scaled else -np.inf)
    return None


def _edge_rows(base: pd.DataFrame, pipeline: Pipeline) -> pd.DataFrame:
    """Hand-made edge cases, then raw values landing exactly on (and next to) tree splits."""
    row = base.iloc[0]
    rows = []

    def add(**changes):
        rows.append({**row.to_dict(), **changes})

    for total in (0.0, 25.0, 1e4):  # tenure 0: the average-spend ratio falls back
        add(tenure=0.0, TotalCharges=total)
    add(tenure=-0.0, TotalCharges=0.0)
    add(PhoneService="No", MultipleLines="No phone service", InternetService="No", **NO_ADDONS)
    for column, unknown in [
        ("Contract", "Three year"),
        ("PaymentMethod", "Bitcoin"),
        ("gender", "Other"),
        ("SeniorCitizen", "2"),
        ("InternetService", ""),
        ("StreamingTV", "yes"),
    ]:
        add(**{column: unknown})
    for tenure in (0.0, 6.0, 12.0, 24.0, 48.0, 1000.0, 999.9999999, 1e6, 5.999999999, -3.0):
        add(tenure=tenure)  # tenure_band edges and clipping, log1p of negatives
    for monthly, total in [(0.0, 0.0), (-10.0, -1.0), (1e7, 1e12), (1e-300, 5e-324), (118.75, 1.0)]:
        add(MonthlyCharges=monthly, TotalCharges=total)
    model = _tree_model(pipeline)
    if not isinstance(model, LogisticRegression):
        encode = pipeline.named_steps["encode"]
        scaler = encode.named_transformers_["num"]
        position = encode.output_indices_["num"].start
        thresholds = split_thresholds(model)
        for i, column in enumerate(scaler.feature_names_in_):
            if column not in RAW_NUMERIC:
                continue
            splits = thresholds.get(position + i, np.empty(0))
            for t in splits[:: max(1, len(splits) // 60)]:
                raw = _raw_hitting(float(t), scaler.mean_[i], scaler.scale_[i])
                if raw is not None:
                    for value in (raw, np.nextafter(raw, np.inf), np.nextafter(raw, -np.inf)):
                        add(**{column: float(value)})
    return pd.DataFrame(rows, columns=base.columns)


@pytest.fixture(scope="module")
def base_rows() -> pd.DataFrame:
    return customers(ROWS, 11)[FEATURES].reset_index(drop=True).astype(object)


def _test_frame(base: pd.DataFrame, pipeline: Pipeline) -> pd.DataFrame:
    edges = _edge_rows(base, pipeline)
    assert len(edges) < ROWS
    if not isinstance(_tree_model(pipeline), LogisticRegression):  # splits were hit
        assert len(edges) > 150, len(edges)
    frame = pd.concat([edges, base.iloc[: ROWS - len(edges)]], ignore_index=True)
    return frame.astype({c: float for c in RAW_NUMERIC})


@pytest.mark.parametrize("family", FAMILIES)
def test_frames_and_records_match_the_pipeline(fitted, compiled, base_rows, family):
    pipeline, model = fitted[family], compiled[family]
    frame = _test_frame(base_rows, pipeline)
    expected = _proba(pipeline, frame)
    assert np.max(np.abs(model.predict(frame) - expected)) <= TOLERANCE
    categories = [c for c in FEATURES if c not in RAW_NUMERIC]
    compact = frame.astype({c: "category" for c in categories})
    assert np.max(np.abs(model.predict(compact) - expected)) <= TOLERANCE
    records = frame.to_dict("records")
    assert np.max(np.abs(model.predict(records) - expected)) <= TOLERANCE
    single = np.concatenate([model.predict([r]) for r in records[:300]])
    assert np.max(np.abs(single - expected[:300])) <= TOLERANCE
    for batch in (frame, compact, records[:300]):  # the same numbers, added up
        scores = model.contributions(batch).scores()
        assert np.max(np.abs(scores - expected[: len(scores)])) <= 1e-9


@pytest.mark.parametrize("family", ["random_forest", "lightgbm", "lightgbm_deep", "blend"])
def test_inputs_on_every_split_threshold(fitted, compiled, base_rows, family):
    """Model inputs exactly on, and one ulp / one float32 step around, the trees' splits: the
    same probabilities, and every row reaches the very leaf the library's own walk reaches."""
    pipeline, model = fitted[family], compiled[family]
    estimator = pipeline.named_steps["model"]
    encoded = pipeline[:-1].transform(base_rows.iloc[:50])
    rows = []
    rng = np.random.default_rng(0)
    for feature, values in split_thresholds(_tree_model(pipeline)).items():
        for t in rng.choice(values, size=min(len(values), 12), replace=False):
            f32 = np.float32(t)
            for value in (
                t,
                np.nextafter(t, np.inf),
                np.nextafter(t, -np.inf),
                float(f32),
                float(np.nextafter(f32, np.float32(np.inf))),
                float(np.nextafter(f32, np.float32(-np.inf))),
            ):
                row = encoded[len(rows) % len(encoded)].copy()
                row[feature] = value
                rows.append(row)
    matrix = np.array(rows)
    expected = estimator.predict_proba(matrix)[:, 1]
    assert np.max(np.abs(model.predict_encoded(matrix) - expected)) <= TOLERANCE
    single = np.concatenate([model.predict_encoded(row[None, :]) for row in matrix[:200]])
    assert np.max(np.abs(single - expected[:200])) <= TOLERANCE
    values, bias = model.contributions_encoded(matrix)
    total = values.sum(axis=1) + bias
    scores = total if family == "random_forest" else 1 / (1 + np.exp(-total))
    assert np.max(np.abs(scores - expected)) <= 1e-9
    trees = getattr(model.scorer, "boosted", model.scorer).paths.trees
    if family == "random_forest":  # the float32 cast matters on these rows
        assert np.max(np.abs(trees.total(matrix) / len(trees.roots) - expected)) > 1e-3
        as_float32 = matrix.astype(np.float32)
        np.testing.assert_array_equal(
            trees.leaves(as_float32) - trees.roots, estimator.apply(as_float32)
        )
    else:
        booster = _tree_model(pipeline).booster_
        reached = trees.slot[trees.leaves(matrix, small_as_zero=True)]
        np.testing.assert_array_equal(reached, booster.predict(matrix, pred_leaf=True))


def test_missing_values_follow_the_model(fitted, compiled, base_rows):
    """NaN reaches the trees (RF: missing_go_to_left; LightGBM: NaN -> 0 on 'None' nodes);
    the linear model refuses it like sklearn's input check does."""
    frame = base_rows.iloc[:200].astype({c: float for c in RAW_NUMERIC})
    frame.loc[frame.index[::3], "TotalCharges"] = np.nan
    frame.loc[frame.index[1::5], "tenure"] = np.nan
    records = frame.to_dict("records")
    records[2]["MonthlyCharges"] = None
    frame.loc[frame.index[2], "MonthlyCharges"] = np.nan
    for family in ("random_forest", "lightgbm"):
        expected = _proba(fitted[family], frame)
        model = compiled[family]
        assert np.max(np.abs(model.predict(records) - expected)) <= TOLERANCE
        single = np.concatenate([model.predict([r]) for r in records[:30]])
        assert np.max(np.abs(single - expected[:30])) <= TOLERANCE
        assert np.max(np.abs(model.contributions(records).scores() - expected)) <= 1e-9
    for family in ("logistic_regression", "blend"):
        with pytest.raises(ValueError):
            _proba(fitted[family], frame)
        with pytest.raises(ValueError, match="NaN or infinity"):
            compiled[family].predict(records)
        with pytest.raises(ValueError, match="NaN or infinity"):
            compiled[family].contributions(frame)


def test_forest_refuses_values_beyond_float32(fitted, compiled, base_rows):
    frame = base_rows.iloc[:3].astype({c: float for c in RAW_NUMERIC})
    frame["TotalCharges"] = 1e300
    with pytest.raises(ValueError):
        _proba(fitted["random_forest"], frame)
    with pytest.raises(ValueError, match="float32"):
        compiled["random_forest"].predict(frame.to_dict("records"))


def test_compiles_quickly_and_needs_every_input(fitted, base_rows):
    started = time.perf_counter()
    model = compile_model(fitted["lightgbm"])
    assert time.perf_counter() - started < 2.0
    assert model.stats["trees"] == 301 and model.family == "lightgbm"
    assert model.inputs == tuple(FEATURES)
    record = base_rows.iloc[0].to_dict()
    with pytest.raises(KeyError, match="tenure"):
        model.predict([{k: v for k, v in record.items() if k != "tenure"}])
    with pytest.raises(KeyError, match="tenure"):
        model.predict(base_rows.drop(columns=["tenure"]))
    assert model.predict([]).shape == (0,)


def test_unsupported_pipelines_are_refused(base_rows):
    train = base_rows.iloc[:300].astype({c: float for c in RAW_NUMERIC})
    target = np.arange(len(train)) % 2
    with pytest.raises(TypeError, match="Pipeline"):
        compile_model(LogisticRegression())
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        compile_model(modeling.build_pipeline(CONFIG, DecisionTreeClassifier()).fit(train, target))
    with pytest.raises(TypeError, match="not fitted"):
        compile_model(modeling.build_pipeline(CONFIG, LogisticRegression()))
    dropping = modeling.build_pipeline(CONFIG, LogisticRegression(max_iter=500))
    dropping.set_params(
        encode__cat=OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False)
    )
    with pytest.raises(TypeError, match="drop"):
        compile_model(dropping.fit(train, target))
