"""Feature engineering: the one pure step every model pipeline starts with.

The engineered features are declared in the run config; `FeatureBuilder` computes them inside
the logged sklearn Pipeline, so training, batch scoring and serving share one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

#: Engineered feature kinds whose output is a category label rather than a number.
CATEGORICAL_KINDS = frozenset({"bins"})


def _ratio(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    numerator = frame[spec["numerator"]].astype(float)
    denominator = frame[spec["denominator"]].astype(float)
    fallback = frame[spec["fallback"]].astype(float) if spec.get("fallback") else 0.0
    safe = denominator.where(denominator != 0)
    return (numerator / safe).where(denominator != 0, fallback).astype(float)


def _count_equal(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    hits = frame[list(spec["columns"])].astype(str).eq(spec["value"])
    return hits.sum(axis=1).astype(float)


def _bins(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    edges = list(spec["edges"])
    values = frame[spec["column"]].astype(float).clip(edges[0], edges[-1])
    labels = [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]
    binned = pd.cut(values, bins=edges, labels=labels, right=False, include_lowest=True)
    return binned.astype(str).where(values < edges[-1], labels[-1])


def _log1p(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    return np.log1p(frame[spec["column"]].astype(float).clip(lower=0))


def _flag(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    return frame[spec["column"]].astype(str).eq(spec["value"]).astype(float)


def _difference(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    return frame[spec["left"]].astype(float) - frame[spec["right"]].astype(float)


def _product(frame: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    return frame[spec["left"]].astype(float) * frame[spec["right"]].astype(float)


_BUILDERS = {
    "ratio": _ratio,
    "count_equal": _count_equal,
    "bins": _bins,
    "log1p": _log1p,
    "flag": _flag,
    "difference": _difference,
    "product": _product,
}


def add_features(frame: pd.DataFrame, specs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Return a copy of `frame` with each engineered feature appended, in declaration order."""
    out = frame.copy()
    for spec in specs:
        out[spec["name"]] = _BUILDERS[spec["kind"]](out, spec).to_numpy()
    return out


def feature_sources(specs: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Map each engineered feature to the input columns it is computed from."""
    sources: dict[str, list[str]] = {}
    for spec in specs:
        direct = [
            spec[key]
            for key in ("numerator", "denominator", "fallback", "column", "left", "right")
            if spec.get(key)
        ] + list(spec.get("columns", []))
        resolved: list[str] = []
        for name in direct:
            for source in sources.get(name, [name]):
                if source not in resolved:
                    resolved.append(source)
        sources[spec["name"]] = resolved
    return sources


class FeatureBuilder(TransformerMixin, BaseEstimator):
    """Stateless sklearn step computing the configured engineered features."""

    def __init__(self, specs: Sequence[dict[str, Any]] = ()):
        self.specs = specs

    def fit(self, frame: pd.DataFrame, y: Any = None) -> FeatureBuilder:
        self.feature_names_in_ = np.asarray(list(frame.columns), dtype=object)
        self.n_features_in_ = len(frame.columns)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return add_features(frame, self.specs)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        names = list(self.feature_names_in_) + [spec["name"] for spec in self.specs]
        return np.asarray(names, dtype=object)
