"""The compiled fast path reproduces the logged pipeline's churn probabilities exactly."""

from __future__ import annotations

import io
import pickle
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core import modeling
from tasks.core.contract import validate_frame
from tasks.core.fastpath import LIGHTGBM_ZERO, Columns, FastModel, compile_pipeline, engineer
from tasks.core.features import FeatureBuilder, add_features

CONFIG = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
FEATURES = CONFIG.dataset.feature_columns
RAW_NUMERIC = list(CONFIG.dataset.numeric)
TOLERANCE = 1e-12
# the reference pipeline warns on the extreme rows (exp overflow in LogitBlend, float32 casts)
pytestmark = pytest.mark.filterwarnings(
    "ignore:overflow encountered:RuntimeWarning", "ignore:invalid value:RuntimeWarning"
)
ROWS = 2000
ADDONS = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV"]
NO_ADDONS = {c: "No internet service" for c in [*ADDONS, "StreamingMovies"]}

FAMILIES = {
    "logistic_regression": lambda: LogisticRegression(max_iter=2000),
    "random_forest": lambda: RandomForestClassifier(
        n_estimators=50, max_depth=8, random_state=0, n_jobs=1
    ),
    "lightgbm": lambda: modeling._lightgbm(0, n_estimators=300, learning_rate=0.05, num_leaves=16),
    "blend": lambda: modeling.LogitBlend(
        weight=0.4, boosted_params={"n_estimators": 150, "num_leaves": 16}, seed=0
    ),
}


def _customers(rows: int, seed: int) -> pd.DataFrame:
    return validate_frame(generate_customers(rows, seed), CONFIG, "training").clean


@pytest.fixture(scope="module")
def fitted() -> dict[str, tuple[Pipeline, FastModel]]:
    train = _customers(3000, 7)
    target = (train[CONFIG.dataset.target.column] == "Yes").to_numpy()
    out = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        for family, make in FAMILIES.items():
            pipeline = modeling.build_pipeline(CONFIG, make()).fit(train[FEATURES], target)
            out[family] = (pipeline, compile_pipeline(pipeline))
    return out


def _proba(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        return pipeline.predict_proba(frame)[:, 1]


def _tree_model(pipeline: Pipeline):
    model = pipeline.named_steps["model"]
    return model.boosted_ if isinstance(model, modeling.LogitBlend) else model


def _split_thresholds(model) -> dict[int, np.ndarray]:
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
        thresholds = _split_thresholds(model)
        for i, column in enumerate(scaler.feature_names_in_):
            if column not in RAW_NUMERIC:
                continue
            splits = thresholds.get(position + i, np.empty(0))
            for t in splits[:: max(1, len(splits) // 60)]:
                raw = _raw_hitting(float(t), scaler.mean_[i], scaler.scale_[i])
                if raw is None:
                    continue
                for value in (raw, np.nextafter(raw, np.inf), np.nextafter(raw, -np.inf)):
                    add(**{column: float(value)})
    return pd.DataFrame(rows, columns=base.columns)


@pytest.fixture(scope="module")
def base_rows() -> pd.DataFrame:
    return _customers(ROWS, 11)[FEATURES].reset_index(drop=True)


def _test_frame(base: pd.DataFrame, pipeline: Pipeline) -> pd.DataFrame:
    edges = _edge_rows(base, pipeline)
    assert len(edges) < ROWS
    if not isinstance(_tree_model(pipeline), LogisticRegression):  # splits were hit
        assert len(edges) > 150, len(edges)
    frame = pd.concat([edges, base.iloc[: ROWS - len(edges)]], ignore_index=True)
    return frame.astype({c: float for c in RAW_NUMERIC})


@pytest.mark.parametrize("family", list(FAMILIES))
def test_records_match_pipeline(fitted, base_rows, family):
    pipeline, fast = fitted[family]
    frame = _test_frame(base_rows, pipeline)
    assert len(frame) == ROWS
    expected = _proba(pipeline, frame)
    records = frame.to_dict("records")
    got = fast.predict_records(records)
    assert got.shape == (ROWS,)
    assert np.max(np.abs(got - expected)) <= TOLERANCE
    # one record at a time (the serving call) and the batch helper agree as well
    single = np.concatenate([fast.predict_records([r]) for r in records[:300]])
    assert np.max(np.abs(single - expected[:300])) <= TOLERANCE
    assert np.max(np.abs(fast.predict_frame(frame) - expected)) <= TOLERANCE


@pytest.mark.parametrize("family", ["random_forest", "lightgbm", "blend"])
def test_inputs_on_every_split_threshold(fitted, base_rows, family):
    """Model inputs exactly on, and one ulp / one float32 step around, the trees' splits: the
    same probabilities, and every row reaches the very leaf the library's own walk reaches."""
    pipeline, fast = fitted[family]
    model = pipeline.named_steps["model"]
    encoded = pipeline[:-1].transform(base_rows.iloc[:50])
    rows = []
    rng = np.random.default_rng(0)
    for feature, values in _split_thresholds(_tree_model(pipeline)).items():
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
    expected = model.predict_proba(matrix)[:, 1]
    assert np.max(np.abs(fast.predict_encoded(matrix) - expected)) <= TOLERANCE
    single = np.concatenate([fast.predict_encoded(row[None, :]) for row in matrix[:200]])
    assert np.max(np.abs(single - expected[:200])) <= TOLERANCE
    if family == "random_forest":  # the float32 cast matters on these rows
        trees = fast.scorer.trees
        float64_walk = trees.total(matrix) / len(trees.roots)
        assert np.max(np.abs(float64_walk - expected)) > 1e-3
        as_float32 = matrix.astype(np.float32)
        reached = trees.leaves(as_float32) - trees.roots  # node ids within each tree
        np.testing.assert_array_equal(reached, model.apply(as_float32))
    else:
        trees = (fast.scorer.boosted if family == "blend" else fast.scorer).trees
        booster = (model.boosted_ if family == "blend" else model).booster_
        reached = trees.slot[trees.leaves(matrix, small_as_zero=True)]
        np.testing.assert_array_equal(reached, booster.predict(matrix, pred_leaf=True))


def test_missing_values_follow_the_model(fitted, base_rows):
    """NaN reaches the trees (RF: missing_go_to_left; LightGBM: NaN -> 0 on 'None' nodes);
    the linear model refuses it like sklearn's input check does."""
    frame = base_rows.iloc[:200].copy()
    frame.loc[frame.index[::3], "TotalCharges"] = np.nan
    frame.loc[frame.index[1::5], "tenure"] = np.nan
    records = frame.to_dict("records")
    records[2]["MonthlyCharges"] = None
    frame.loc[frame.index[2], "MonthlyCharges"] = np.nan
    for family in ("random_forest", "lightgbm"):
        pipeline, fast = fitted[family]
        expected = _proba(pipeline, frame)
        assert np.max(np.abs(fast.predict_records(records) - expected)) <= TOLERANCE
        single = np.concatenate([fast.predict_records([r]) for r in records[:30]])
        assert np.max(np.abs(single - expected[:30])) <= TOLERANCE
    for family in ("logistic_regression", "blend"):
        pipeline, fast = fitted[family]
        with pytest.raises(ValueError):
            _proba(pipeline, frame)
        with pytest.raises(ValueError, match="NaN or infinity"):
            fast.predict_records(records)


def test_forest_refuses_values_beyond_float32(fitted, base_rows):
    pipeline, fast = fitted["random_forest"]
    frame = base_rows.iloc[:3].copy()
    frame["TotalCharges"] = 1e300
    with pytest.raises(ValueError):
        _proba(pipeline, frame)
    with pytest.raises(ValueError, match="float32"):
        fast.predict_records(frame.to_dict("records"))


def _identity_pipeline(model, columns: list[str]) -> Pipeline:
    """Raw numbers straight into the model (scaling with mean 0 and scale 1)."""
    encode = ColumnTransformer([("num", StandardScaler(with_mean=False, with_std=False), columns)])
    return Pipeline([("features", FeatureBuilder([])), ("encode", encode), ("model", model)])


@pytest.mark.parametrize("params", [{}, {"zero_as_missing": True}])
def test_lightgbm_missing_types_and_zero_threshold(params):
    """Splits at +-kZeroThreshold, 'Zero' and 'NaN' missing types, inf, and LightGBM's dense
    reader turning |x| <= 1e-35f into 0."""
    rng = np.random.default_rng(1)
    n = 3000
    columns = ["a", "b", "c"]
    values = rng.choice([-1.0, 0.0, 1.0, 2.5], size=(n, 3))
    values[rng.random((n, 3)) < 0.1] = np.nan
    target = ((np.nan_to_num(values[:, 0], nan=3) < 0) ^ (rng.random(n) < 0.1)).astype(int)
    train = pd.DataFrame(values, columns=columns)
    model = modeling._lightgbm(0, n_estimators=30, num_leaves=6, min_child_samples=5, **params)
    pipeline = _identity_pipeline(model, columns).fit(train, target)
    fast = compile_pipeline(pipeline)
    assert ("Zero" if params else "NaN") in _missing_types(model)
    probes = [
        -LIGHTGBM_ZERO,
        LIGHTGBM_ZERO,
        -1e-36,
        1e-36,
        -0.0,
        0.0,
        np.nan,
        np.inf,
        -np.inf,
        -0.5,
        1.0,
        1.75,
    ]
    grid = np.array(np.meshgrid(probes, probes, [0.0, np.nan])).reshape(3, -1).T
    frame = pd.DataFrame(grid, columns=columns)
    expected = model.predict_proba(grid)[:, 1]
    assert np.max(np.abs(fast.predict_frame(frame) - expected)) <= TOLERANCE
    records = frame.to_dict("records")
    assert np.max(np.abs(fast.predict_records(records) - expected)) <= TOLERANCE
    trees = fast.scorer.trees
    reached = trees.slot[trees.leaves(grid, small_as_zero=True)]
    np.testing.assert_array_equal(reached, model.booster_.predict(grid, pred_leaf=True))
    if not params:  # without the reader's zeroing, x = -1e-35f would go left at t = -1e-35f
        raw = model.predict(grid, raw_score=True)
        assert np.max(np.abs(trees.total(grid) - raw)) > 1e-6


def _missing_types(model) -> set[str]:
    types, stack = set(), [i["tree_structure"] for i in model.booster_.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "missing_type" in node:
            types.add(node["missing_type"])
            stack += [node["left_child"], node["right_child"]]
    return types


def test_lightgbm_random_forest_mode_averages_trees():
    rng = np.random.default_rng(2)
    train = pd.DataFrame(rng.normal(size=(1000, 4)), columns=list("abcd"))
    target = (train["a"] + rng.normal(size=1000) > 0).astype(int)
    model = modeling._lightgbm(
        0, boosting_type="rf", n_estimators=20, bagging_freq=1, bagging_fraction=0.7
    )
    pipeline = _identity_pipeline(model, list("abcd")).fit(train, target)
    fast = compile_pipeline(pipeline)
    expected = model.predict_proba(train.to_numpy())[:, 1]
    assert np.max(np.abs(fast.predict_frame(train) - expected)) <= TOLERANCE


KIND_SPECS = [
    {"kind": "ratio", "name": "r", "numerator": "x", "denominator": "y", "fallback": "z"},
    {"kind": "ratio", "name": "r0", "numerator": "x", "denominator": "y"},
    {"kind": "count_equal", "name": "c", "columns": ["s", "t", "x"], "value": "Yes"},
    {"kind": "count_equal", "name": "c1", "columns": ["x", "y"], "value": "1.0"},
    {"kind": "bins", "name": "b", "column": "x", "edges": [0, 6, 12.5, 1000]},
    {"kind": "log1p", "name": "l", "column": "x"},
    {"kind": "flag", "name": "f", "column": "s", "value": "Yes"},
    {"kind": "flag", "name": "f0", "column": "y", "value": "0.0"},
    {"kind": "difference", "name": "d", "left": "x", "right": "r"},
    {"kind": "product", "name": "p", "left": "x", "right": "y"},
    {"kind": "ratio", "name": "rc", "numerator": "p", "denominator": "c", "fallback": "d"},
    {"kind": "flag", "name": "fb", "column": "b", "value": "0-6"},
]


@pytest.mark.parametrize("spec", KIND_SPECS, ids=[s["name"] for s in KIND_SPECS])
def test_each_feature_kind_matches_features_py(spec):
    """Division by zero (+-0.0, NaN, inf), bins edges and clipping, text comparisons."""
    x = [0.0, -0.0, 1.0, -2.0, 5.999999, 6.0, 12.5, 999.0, 1000.0, 1e9, np.nan, np.inf, -np.inf]
    y = [0.0, -0.0, 1.0, np.nan, 3.0, 0.0, np.inf, -1e-300, 2.0, 0.0, 1.0, 0.0, 4.0]
    z = [7.0, 8.0, np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, -6.0, 7.5, 8.5, 9.0, 10.0]
    s = ["Yes", "No", "Yes", "yes", "", "Yes", "No", "Yes", "No", "Yes", "No", "Yes", "No"]
    t = ["Yes", "Yes", "No", "Yes", "No", "No", "Yes", "Yes", "No", "Yes", "No", "No", "No"]
    frame = pd.DataFrame({"x": x, "y": y, "z": z, "s": s, "t": t})
    specs = KIND_SPECS[: KIND_SPECS.index(spec) + 1]  # later kinds build on earlier ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = add_features(frame, specs)[spec["name"]]
        records = frame.to_dict("records")
        cols = Columns(lambda name: [r[name] for r in records], frozenset({"x", "y", "z"}))
        engineer(cols, specs)
    if spec["kind"] == "bins":
        assert cols.texts[spec["name"]] == expected.tolist()
    else:
        np.testing.assert_array_equal(cols.numbers[spec["name"]], expected.to_numpy(float))
        assert np.array_equal(
            np.signbit(cols.numbers[spec["name"]]), np.signbit(expected.to_numpy(float))
        )


def test_fast_model_is_plain_data_and_compiles_quickly(fitted):
    pipeline, _ = fitted["lightgbm"]
    started = time.perf_counter()
    fast = compile_pipeline(pipeline)
    assert time.perf_counter() - started < 1.0
    assert fast.stats["trees"] == 300
    modules: set[str] = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            modules.add(module.split(".")[0] if module.startswith("numpy") else module)
            return super().find_class(module, name)

    restored = Recording(io.BytesIO(pickle.dumps(fast))).load()
    assert modules <= {"numpy", "builtins", "copyreg", "tasks.core.fastpath"}, modules
    record = _customers(60, 3)[FEATURES].iloc[0].to_dict()
    assert restored.predict_records([record]) == fast.predict_records([record])
    with pytest.raises(KeyError, match="tenure"):
        fast.predict_records([{k: v for k, v in record.items() if k != "tenure"}])


def test_unsupported_pipelines_raise_type_error(fitted, base_rows):
    train = base_rows.iloc[:300]
    target = np.arange(len(train)) % 2
    with pytest.raises(TypeError, match="Pipeline"):
        compile_pipeline(LogisticRegression())
    with pytest.raises(TypeError, match="DecisionTreeClassifier"):
        compile_pipeline(
            modeling.build_pipeline(CONFIG, DecisionTreeClassifier()).fit(train, target)
        )
    with pytest.raises(TypeError, match="not fitted"):
        compile_pipeline(modeling.build_pipeline(CONFIG, LogisticRegression()))
    dropping = modeling.build_pipeline(CONFIG, LogisticRegression(max_iter=500))
    dropping.set_params(
        encode__cat=OneHotEncoder(drop="first", handle_unknown="ignore", sparse_output=False)
    )
    with pytest.raises(TypeError, match="drop"):
        compile_pipeline(dropping.fit(train, target))
