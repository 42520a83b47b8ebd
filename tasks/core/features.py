"""Feature engineering: the one pure step every model pipeline starts with.

The engineered features are declared in the run config. Each kind is defined once here, as
numpy on the columns of a batch (`tasks.core.encoding.Columns`), with pandas' semantics on the
frame the pipeline sees (`astype(float)` numbers, `astype(str)` text comparisons); the sklearn
step `FeatureBuilder` (inside every logged Pipeline) and the compiled model
(`tasks.core.inference`) both call `engineer`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from tasks.core.columns import Columns

#: Engineered feature kinds whose output is a category label rather than a number.
CATEGORICAL_KINDS = frozenset({"bins"})


def ratio(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    """numerator / denominator; where the denominator is 0, the fallback column (or 0)."""
    numerator = cols.number(spec["numerator"])
    denominator = cols.number(spec["denominator"])
    if spec.get("fallback"):
        out = np.array(cols.number(spec["fallback"]), dtype=np.float64)
    else:
        out = np.zeros(cols.rows)
    return np.divide(numerator, denominator, out=out, where=denominator != 0)


def count_equal(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    """How many of the columns read `value` as text."""
    hits = [cols.equals(name, spec["value"]) for name in spec["columns"]]
    if not hits:
        return np.zeros(cols.rows)
    return np.count_nonzero(hits, axis=0).astype(np.float64)


def bin_labels(edges: Sequence[float]) -> list[str]:
    return [f"{lo:g}-{hi:g}" for lo, hi in pairwise(edges)]


@functools.lru_cache(maxsize=256)
def _bin_layout(edges: tuple[float, ...]) -> tuple[np.ndarray, pd.Index]:
    inner = np.asarray(edges[1:-1], dtype=np.float64)
    return inner, pd.Index(bin_labels(edges), dtype=object)


def bins(cols: Columns, spec: dict[str, Any]) -> tuple[np.ndarray, pd.Index]:
    """Label codes of right-open bins after clipping to the edges: pd.cut(right=False) on the
    clipped values, where the top edge, values above it and missing values take the last
    label. That is the number of inner edges at or below the value (NaN sorts last)."""
    inner, labels = _bin_layout(tuple(spec["edges"]))
    codes = np.searchsorted(inner, cols.number(spec["column"]), side="right")
    return codes.astype(np.intp, copy=False), labels


def log1p(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    values = cols.number(spec["column"])
    return np.log1p(np.where(values < 0, 0.0, values))  # clip(lower=0): NaN and -0.0 kept


def flag(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    return cols.equals(spec["column"], spec["value"]).astype(np.float64)


def difference(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    return cols.number(spec["left"]) - cols.number(spec["right"])


def product(cols: Columns, spec: dict[str, Any]) -> np.ndarray:
    return cols.number(spec["left"]) * cols.number(spec["right"])


KINDS = {
    "ratio": ratio,
    "count_equal": count_equal,
    "bins": bins,
    "log1p": log1p,
    "flag": flag,
    "difference": difference,
    "product": product,
}


def engineer(cols: Columns, specs: Sequence[dict[str, Any]]) -> None:
    """Add each engineered feature to `cols` in declaration order (later ones may read
    earlier ones)."""
    with np.errstate(all="ignore"):  # pandas arithmetic is silent on NaN and inf
        for spec in specs:
            found = KINDS[spec["kind"]](cols, spec)
            if spec["kind"] in CATEGORICAL_KINDS:
                cols.set_categories(spec["name"], *found)
            else:
                cols.set_number(spec["name"], found)


def add_features(frame: pd.DataFrame, specs: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Return a copy of `frame` with each engineered feature appended, in declaration order
    (label features as text)."""
    cols = Columns.of_frame(frame)
    engineer(cols, specs)
    out = frame.copy()
    for spec in specs:
        out[spec["name"]] = cols.values(spec["name"], categorical=False)
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
