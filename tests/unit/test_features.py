import numpy as np
import pandas as pd
import pytest

from tasks.core.features import FeatureBuilder, add_features, feature_sources

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
