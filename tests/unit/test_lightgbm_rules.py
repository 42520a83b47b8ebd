"""LightGBM's own decision rule, on models made to exercise it: splits at +-kZeroThreshold,
'Zero' and 'NaN' missing types, inf, the dense reader turning |x| <= 1e-35f into 0, averaged
output (boosting_type="rf") and trees that never split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from tasks.core.features import FeatureBuilder
from tasks.core.inference import compile_model
from tasks.core.treewalk import ZERO
from tests.unit.conftest import CONFIG, FEATURES, customers, fit, lightgbm

TOLERANCE = 1e-12


def _identity_pipeline(model, columns: list[str]) -> Pipeline:
    """Raw numbers straight into the model (no centring, no scaling)."""
    encode = ColumnTransformer([("num", StandardScaler(with_mean=False, with_std=False), columns)])
    return Pipeline([("features", FeatureBuilder([])), ("encode", encode), ("model", model)])


def _missing_types(model) -> set[str]:
    types, stack = set(), [i["tree_structure"] for i in model.booster_.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "missing_type" in node:
            types.add(node["missing_type"])
            stack += [node["left_child"], node["right_child"]]
    return types


@pytest.mark.parametrize("params", [{}, {"zero_as_missing": True}])
def test_missing_types_and_the_zero_threshold(params):
    rng = np.random.default_rng(1)
    n = 3000
    columns = ["a", "b", "c"]
    values = rng.choice([-1.0, 0.0, 1.0, 2.5], size=(n, 3))
    values[rng.random((n, 3)) < 0.1] = np.nan
    target = ((np.nan_to_num(values[:, 0], nan=3) < 0) ^ (rng.random(n) < 0.1)).astype(int)
    model = lightgbm(n_estimators=30, num_leaves=6, min_child_samples=5, **params)
    pipeline = _identity_pipeline(model, columns).fit(pd.DataFrame(values, columns=columns), target)
    compiled = compile_model(pipeline)
    assert ("Zero" if params else "NaN") in _missing_types(model)
    probes = [-ZERO, ZERO, -1e-36, 1e-36, -0.0, 0.0, np.nan, np.inf, -np.inf, -0.5, 1.0, 1.75]
    grid = np.array(np.meshgrid(probes, probes, [0.0, np.nan])).reshape(3, -1).T
    expected = model.predict_proba(grid)[:, 1]
    assert np.max(np.abs(compiled.predict_encoded(grid) - expected)) <= TOLERANCE
    values, bias = compiled.contributions_encoded(grid)
    assert np.max(np.abs(1 / (1 + np.exp(-(values.sum(axis=1) + bias))) - expected)) <= 1e-9
    finite = ~np.isinf(grid).any(axis=1)  # the pipeline's scaler refuses inf, as sklearn's does
    frame = pd.DataFrame(grid[finite], columns=columns)
    assert np.max(np.abs(compiled.predict(frame) - expected[finite])) <= TOLERANCE
    records = frame.to_dict("records")
    assert np.max(np.abs(compiled.predict(records) - expected[finite])) <= TOLERANCE
    with pytest.raises(ValueError, match="infinity"):
        pipeline.predict_proba(pd.DataFrame(grid, columns=columns))
    with pytest.raises(ValueError, match="infinity"):
        compiled.predict(pd.DataFrame(grid, columns=columns))
    trees = compiled.scorer.paths.trees
    reached = trees.slot[trees.leaves(grid, small_as_zero=True)]
    np.testing.assert_array_equal(reached, model.booster_.predict(grid, pred_leaf=True))
    if not params:  # without the reader's zeroing, x = -1e-35f would go left at t = -1e-35f
        raw = model.predict(grid, raw_score=True)
        assert np.max(np.abs(trees.total(grid) - raw)) > 1e-6


def test_random_forest_mode_averages_trees():
    rng = np.random.default_rng(2)
    train = pd.DataFrame(rng.normal(size=(1000, 4)), columns=list("abcd"))
    target = (train["a"] + rng.normal(size=1000) > 0).astype(int)
    model = lightgbm(boosting_type="rf", n_estimators=20, bagging_freq=1, bagging_fraction=0.7)
    compiled = compile_model(_identity_pipeline(model, list("abcd")).fit(train, target))
    expected = model.predict_proba(train.to_numpy())[:, 1]
    assert np.max(np.abs(compiled.predict(train) - expected)) <= TOLERANCE
    assert np.max(np.abs(compiled.contributions(train).scores() - expected)) <= 1e-9


def test_a_sigmoid_objective_scales_both_paths():
    rng = np.random.default_rng(3)
    train = pd.DataFrame(rng.normal(size=(800, 3)), columns=list("abc"))
    target = (train["a"] - train["b"] + rng.normal(size=800) > 0).astype(int)
    model = lightgbm(n_estimators=25, num_leaves=5, sigmoid=2.0)
    compiled = compile_model(_identity_pipeline(model, list("abc")).fit(train, target))
    expected = model.predict_proba(train.to_numpy())[:, 1]
    assert np.max(np.abs(compiled.predict(train) - expected)) <= TOLERANCE
    assert np.max(np.abs(compiled.contributions(train).scores() - expected)) <= 1e-9


def test_single_leaf_trees_are_part_of_the_bias():
    train = customers(600, 3)
    pipeline = fit(CONFIG, lightgbm(n_estimators=5, min_child_samples=10_000), train)
    batch = customers(300, 4)[FEATURES]
    found = compile_model(pipeline).contributions(batch)
    raw = pipeline.named_steps["model"].predict(pipeline[:-1].transform(batch), raw_score=True)
    assert np.all(found.values.to_numpy() == 0.0)
    assert np.max(np.abs(found.bias - raw)) < 1e-12


def test_models_it_cannot_reproduce_are_refused():
    rng = np.random.default_rng(4)
    train = pd.DataFrame(rng.normal(size=(600, 2)), columns=["a", "b"])
    three = rng.integers(0, 3, 600)
    with pytest.raises(TypeError, match="binary"):
        compile_model(_identity_pipeline(lightgbm(n_estimators=3), ["a", "b"]).fit(train, three))
    linear = lightgbm(n_estimators=3, linear_tree=True)
    target = (train["a"] > 0).astype(int)
    with pytest.raises(TypeError, match="linear trees"):
        compile_model(_identity_pipeline(linear, ["a", "b"]).fit(train, target))
