"""Per-customer reasons: signed contributions of each model input, exact for the model family.

- logistic regression: coefficient x (value - training mean) per encoded column, in log-odds;
- LightGBM: TreeSHAP values from the booster itself (`pred_contrib`), in log-odds;
- the log-odds blend: the same weighted sum of the two, so still exact;
- random forest: path decomposition of every tree (prediction = bias + contributions), in
  probability.
One-hot columns are folded back into the customer column they came from; engineered features
keep their own name. Contributions plus the bias reproduce the model's score exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from tasks.core.modeling import LogitBlend


@dataclass(frozen=True)
class Contributions:
    values: pd.DataFrame  # rows x input columns, signed
    bias: np.ndarray  # per row: the score with no feature information
    units: str  # "log-odds" or "probability"


def _source_matrix(encode: ColumnTransformer) -> tuple[np.ndarray, list[str]]:
    """Encoded column -> source column indicator matrix (encoded x sources)."""
    sources: list[str] = []
    owners: list[int] = []
    for name, transformer, columns in encode.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        if hasattr(transformer, "categories_"):
            for column, categories in zip(columns, transformer.categories_, strict=True):
                sources.append(column)
                owners.extend([len(sources) - 1] * len(categories))
        else:
            for column in columns:
                sources.append(column)
                owners.append(len(sources) - 1)
    matrix = np.zeros((len(owners), len(sources)))
    matrix[np.arange(len(owners)), owners] = 1.0
    return matrix, sources


def _linear(model: LogisticRegression, encoded: np.ndarray, center: np.ndarray):
    coef = model.coef_[0]
    per_column = (encoded - center) * coef
    bias = np.full(len(encoded), model.intercept_[0] + center @ coef)
    return per_column, bias


def _lightgbm(model, encoded: np.ndarray):
    raw = model.booster_.predict(encoded, pred_contrib=True)
    return raw[:, :-1], raw[:, -1]


def _forest(model: RandomForestClassifier, encoded: np.ndarray):
    per_column = np.zeros(encoded.shape)
    bias = np.zeros(len(encoded))
    for tree in model.estimators_:
        structure = tree.tree_
        value = structure.value[:, 0, :]
        churn = value[:, 1] / value.sum(axis=1)
        parent = np.full(structure.node_count, -1)
        for side in (structure.children_left, structure.children_right):
            inner = side >= 0
            parent[side[inner]] = np.flatnonzero(inner)
        child = np.flatnonzero(parent >= 0)
        delta = sparse.csr_matrix(
            (churn[child] - churn[parent[child]], (child, structure.feature[parent[child]])),
            shape=(structure.node_count, encoded.shape[1]),
        )
        path = tree.decision_path(encoded.astype(np.float32))
        per_column += (path @ delta).toarray()
        bias += churn[0]
    count = len(model.estimators_)
    return per_column / count, bias / count


def contributions(pipeline: Pipeline, frame: pd.DataFrame, center: np.ndarray | None = None):
    """Signed per-input contributions for each row of `frame` (the raw typed customer columns).

    `center` is the mean encoded training row used as the linear baseline; it is stored on the
    pipeline at training time (`explain_center_`) and passed explicitly only in tests.
    """
    features = pipeline.named_steps["features"].transform(frame)
    encode = pipeline.named_steps["encode"]
    encoded = np.asarray(encode.transform(features), dtype=float)
    model = pipeline.named_steps["model"]
    if center is None:
        center = getattr(pipeline, "explain_center_", np.zeros(encoded.shape[1]))
    if isinstance(model, LogisticRegression):
        per_column, bias = _linear(model, encoded, center)
        units = "log-odds"
    elif isinstance(model, LogitBlend):
        linear, linear_bias = _linear(model.linear_, encoded, center)
        boosted, boosted_bias = _lightgbm(model.boosted_, encoded)
        per_column = model.weight * linear + (1 - model.weight) * boosted
        bias = model.weight * linear_bias + (1 - model.weight) * boosted_bias
        units = "log-odds"
    elif isinstance(model, RandomForestClassifier):
        per_column, bias = _forest(model, encoded)
        units = "probability"
    elif hasattr(model, "booster_"):
        per_column, bias = _lightgbm(model, encoded)
        units = "log-odds"
    else:
        raise TypeError(f"no exact explanation for model type {type(model).__name__}")
    to_source, sources = _source_matrix(encode)
    values = pd.DataFrame(per_column @ to_source, columns=sources, index=frame.index)
    return Contributions(values=values, bias=np.asarray(bias, dtype=float), units=units)


def top_reasons(found: Contributions, frame: pd.DataFrame, top: int) -> list[list[dict]]:
    """The `top` largest contributions per row, signed, with the customer's own value."""
    values = found.values.to_numpy()
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    columns = found.values.columns
    reasons = []
    for row, picks in enumerate(order):
        customer = frame.iloc[row]
        reasons.append(
            [
                {
                    "feature": columns[j],
                    "value": _plain(customer[columns[j]]) if columns[j] in customer else None,
                    "contribution": round(float(values[row, j]), 6),
                    "direction": "raises churn risk" if values[row, j] > 0 else "lowers churn risk",
                }
                for j in picks
            ]
        )
    return reasons


def explain(pipeline: Pipeline, frame: pd.DataFrame, top: int) -> list[list[dict]]:
    """Top reasons per customer; the one explanation function for batch scoring and serving."""
    found = contributions(pipeline, frame)
    return top_reasons(found, pipeline.named_steps["features"].transform(frame), top)


def _plain(value):
    return value.item() if hasattr(value, "item") else value
