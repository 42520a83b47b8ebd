"""Engineered features: each kind with pandas' semantics, on frames and records."""

import warnings
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from tasks.core.columns import Columns
from tasks.core.features import FeatureBuilder, add_features, engineer, feature_sources

SPECS = [
    {
        "kind": "ratio",
        "name": "avg",
        "numerator": "total",
        "denominator": "tenure",
        "fallback": "monthly",
    },
    {"kind": "difference", "name": "drift", "left": "monthly", "right": "avg"},
    {"kind": "count_equal", "name": "services", "columns": ["a", "b"], "value": "Yes"},
    {"kind": "bins", "name": "band", "column": "tenure", "edges": [0, 6, 12, 1000]},
    {"kind": "log1p", "name": "log_tenure", "column": "tenure"},
    {"kind": "flag", "name": "is_a", "column": "a", "value": "Yes"},
    {"kind": "product", "name": "prod", "left": "tenure", "right": "monthly"},
]


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "tenure": [0.0, 5.0, 12.0, 2000.0],
            "monthly": [20.0, 30.0, 40.0, 50.0],
            "total": [0.0, 150.0, 600.0, 1000.0],
            "a": ["Yes", "No", "Yes", "No"],
            "b": ["Yes", "Yes", "No", "No"],
        }
    )


def test_engineered_values(frame):
    out = add_features(frame, SPECS)
    assert out["avg"].tolist() == [20.0, 30.0, 50.0, 0.5]  # tenure 0 falls back to monthly
    assert out["drift"].tolist() == [0.0, 0.0, -10.0, 49.5]
    assert out["services"].tolist() == [2.0, 1.0, 1.0, 0.0]
    assert out["band"].tolist() == ["0-6", "0-6", "12-1000", "12-1000"]
    np.testing.assert_allclose(out["log_tenure"], np.log1p(frame["tenure"]))
    assert out["is_a"].tolist() == [1.0, 0.0, 1.0, 0.0]
    assert out["prod"].tolist() == [0.0, 150.0, 480.0, 100000.0]


def test_input_is_not_mutated(frame):
    before = frame.copy()
    add_features(frame, SPECS)
    pd.testing.assert_frame_equal(frame, before)


def test_ratio_without_fallback_is_zero_where_denominator_is_zero(frame):
    out = add_features(
        frame, [{"kind": "ratio", "name": "r", "numerator": "total", "denominator": "tenure"}]
    )
    assert out["r"].iloc[0] == 0.0


def test_sources_resolve_through_engineered_features():
    sources = feature_sources(SPECS)
    assert sources["avg"] == ["total", "tenure", "monthly"]
    assert sources["drift"] == ["monthly", "total", "tenure"]


def test_builder_is_a_stateless_sklearn_step(frame):
    builder = FeatureBuilder(SPECS).fit(frame)
    names = builder.get_feature_names_out()
    assert list(names[-len(SPECS) :]) == [s["name"] for s in SPECS]
    pd.testing.assert_frame_equal(builder.transform(frame), add_features(frame, SPECS))


# pandas' own semantics, written the plain way: the reference every kind is checked against
def _reference(frame: pd.DataFrame, spec: dict) -> pd.Series:
    kind = spec["kind"]
    if kind == "ratio":
        denominator = frame[spec["denominator"]].astype(float)
        fallback = frame[spec["fallback"]].astype(float) if spec.get("fallback") else 0.0
        safe = denominator.where(denominator != 0)
        ratio = frame[spec["numerator"]].astype(float) / safe
        return ratio.where(denominator != 0, fallback).astype(float)
    if kind == "count_equal":
        hits = frame[list(spec["columns"])].astype(str).eq(spec["value"])
        return hits.sum(axis=1).astype(float)
    if kind == "bins":
        edges = list(spec["edges"])
        values = frame[spec["column"]].astype(float).clip(edges[0], edges[-1])
        labels = [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]
        binned = pd.cut(values, bins=edges, labels=labels, right=False, include_lowest=True)
        return binned.astype(str).where(values < edges[-1], labels[-1])
    if kind == "log1p":
        return np.log1p(frame[spec["column"]].astype(float).clip(lower=0))
    if kind == "flag":
        return frame[spec["column"]].astype(str).eq(spec["value"]).astype(float)
    left, right = frame[spec["left"]].astype(float), frame[spec["right"]].astype(float)
    return left - right if kind == "difference" else left * right


KIND_SPECS = [
    {"kind": "ratio", "name": "r", "numerator": "x", "denominator": "y", "fallback": "z"},
    {"kind": "ratio", "name": "r0", "numerator": "x", "denominator": "y"},
    {"kind": "count_equal", "name": "c", "columns": ["s", "t", "x", "u"], "value": "Yes"},
    {"kind": "count_equal", "name": "c1", "columns": ["x", "y"], "value": "1.0"},
    {"kind": "count_equal", "name": "cn", "columns": ["s", "u", "y"], "value": "nan"},
    {"kind": "bins", "name": "b", "column": "x", "edges": [0, 6, 12.5, 1000]},
    {"kind": "log1p", "name": "l", "column": "x"},
    {"kind": "flag", "name": "f", "column": "s", "value": "Yes"},
    {"kind": "flag", "name": "f0", "column": "y", "value": "0.0"},
    {"kind": "flag", "name": "fm", "column": "y", "value": "-0.0"},
    {"kind": "flag", "name": "fn", "column": "u", "value": "None"},
    {"kind": "difference", "name": "d", "left": "x", "right": "r"},
    {"kind": "product", "name": "p", "left": "x", "right": "y"},
    {"kind": "ratio", "name": "rc", "numerator": "p", "denominator": "c", "fallback": "d"},
    {"kind": "flag", "name": "fb", "column": "b", "value": "0-6"},
    {"kind": "count_equal", "name": "cb", "columns": ["b", "f"], "value": "1.0"},
]


def _kinds_frame() -> pd.DataFrame:
    x = [0.0, -0.0, 1.0, -2.0, 5.999999, 6.0, 12.5, 999.0, 1000.0, 1e9, np.nan, np.inf, -np.inf]
    y = [0.0, -0.0, 1.0, np.nan, 3.0, 0.0, np.inf, -1e-300, 2.0, 0.0, 1.0, 0.0, 4.0]
    z = [7.0, 8.0, np.nan, 1.0, 2.0, 3.0, 4.0, 5.0, -6.0, 7.5, 8.5, 9.0, 10.0]
    s = ["Yes", "No", "Yes", "yes", "", "Yes", "No", "Yes", "No", "Yes", "No", "Yes", "No"]
    t = ["Yes", "Yes", "No", "Yes", "No", "No", "Yes", "Yes", "No", "Yes", "No", "No", "No"]
    u = ["Yes", None, np.nan, 1, "No", "Yes", 2.5, "nan", "None", "Yes", "No", "Yes", "No"]
    return pd.DataFrame({"x": x, "y": y, "z": z, "s": s, "t": t, "u": u})


@pytest.mark.parametrize("spec", KIND_SPECS, ids=[s["name"] for s in KIND_SPECS])
@pytest.mark.parametrize("layout", ["text", "categorical", "records"])
def test_each_kind_has_pandas_semantics(spec, layout):
    """Division by zero (+-0.0, NaN, inf), bin edges and clipping, text comparisons of numbers,
    missing values and mixed objects; on text, Categorical and record columns alike."""
    frame = _kinds_frame()
    if layout == "categorical":
        frame = frame.astype({"s": "category", "t": "category", "u": "category"})
    specs = KIND_SPECS[: KIND_SPECS.index(spec) + 1]  # later kinds build on earlier ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = frame.copy()
        for earlier in specs:
            reference[earlier["name"]] = _reference(reference, earlier).to_numpy()
        expected = reference[spec["name"]]
        if layout == "records":
            cols = Columns.of_records(frame.to_dict("records"), frozenset({"x", "y", "z"}))
        else:
            cols = Columns.of_frame(frame)
        engineer(cols, specs)
    got = cols.values(spec["name"], categorical=False)
    if spec["kind"] == "bins":
        assert list(got) == expected.tolist()
    else:
        np.testing.assert_array_equal(got, expected.to_numpy(float))
        assert np.array_equal(np.signbit(got), np.signbit(expected.to_numpy(float)))
