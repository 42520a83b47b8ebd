"""Batch scoring of validated customers: probability, segment, reasons, lifetime value."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from configs.schema import RunConfig
from tasks.core import explain
from tasks.core.kpis import assign_risk_segments
from tasks.core.survival import SurvivalModel, expected_lifetime


def split_chunks(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    """Consecutive slices of at most `rows` rows (views, not copies)."""
    return [frame.iloc[start : start + rows] for start in range(0, len(frame), rows)]


def reasons_json(found: explain.Contributions, features: pd.DataFrame, top: int) -> list[str]:
    """The top reasons of every row as compact JSON text, built column-wise for speed.

    Per row: the `top` contributions largest in absolute value (ties: the earlier column), as
    `[{"feature":name,"value":the row's value,"contribution":c with 6 decimals},...]`."""
    values = found.values.to_numpy()
    columns = list(found.values.columns)
    top = min(top, values.shape[1])
    if len(values) == 0 or top == 0:
        return ["[]"] * len(values)
    order = _top_order(values, top)
    picked = np.take_along_axis(values, order, axis=1).ravel().tolist()
    heads = np.array(
        [f'{{"feature":{json.dumps(name)},"value":' for name in columns], dtype=object
    )[order].ravel()
    shown = np.empty(order.shape, dtype=object)
    for j in np.unique(order):
        where = order == j
        shown[where] = _shown_values(features[columns[j]], np.flatnonzero(where.any(axis=1)))
    items = [
        f'{head}{value},"contribution":{contribution:.6f}}}'
        for head, value, contribution in zip(
            heads.tolist(), shown.ravel().tolist(), picked, strict=True
        )
    ]
    if top == 3:
        it = iter(items)
        return [f"[{a},{b},{c}]" for a, b, c in zip(it, it, it, strict=True)]
    return ["[" + ",".join(items[i : i + top]) + "]" for i in range(0, len(items), top)]


def _top_order(values: np.ndarray, top: int) -> np.ndarray:
    """Column order of the `top` largest |values| per row, as a stable descending argsort."""
    size = np.abs(values)
    if np.isnan(size).any():
        return np.argsort(-size, axis=1, kind="stable")[:, :top]
    rows = np.arange(len(size))
    order = np.empty((len(size), top), dtype=np.intp)
    for k in range(top):  # argmax takes the first of equal maxima, as the stable sort does
        order[:, k] = pick = size.argmax(axis=1)
        size[rows, pick] = -1.0
    return order


def _shown_values(column: pd.Series, rows: np.ndarray) -> list[str]:
    """The column's value on each of `rows` as JSON text (numbers rounded to 6 decimals)."""
    values = column.to_numpy()[rows]
    if values.dtype.kind in "fi":
        numbers = values.astype(float)
        if np.isfinite(numbers).all():  # json.dumps of a finite float is its repr
            return [repr(round(v, 6)) for v in numbers.tolist()]
        return [_json_number(round(v, 6)) for v in numbers.tolist()]
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        text = {v: json.dumps(v) for v in pd.unique(values)}
        return [text[v] for v in values.tolist()]
    return [json.dumps(str(v)) for v in values.tolist()]


def _json_number(value: float) -> str:
    """json.dumps of a float: repr, with NaN and infinities spelled as JSON does."""
    if value != value or value in (np.inf, -np.inf):
        return json.dumps(value)
    return repr(value)


def score_customers(
    pipeline: Pipeline,
    survival: SurvivalModel | None,
    clean: pd.DataFrame,
    config: RunConfig,
    as_of,
    model_version: str,
    scored_at,
) -> pd.DataFrame:
    """One output row per customer, in the shape of the `customer_scores` table."""
    data = config.dataset
    inputs = clean[data.feature_columns]
    found = explain.contributions(pipeline, inputs)
    logits = found.values.to_numpy().sum(axis=1) + found.bias
    probability = (
        1.0 / (1.0 + np.exp(-logits)) if found.units == "log-odds" else np.clip(logits, 0, 1)
    )
    features = found.features
    out = pd.DataFrame(
        {
            "customer_id": clean[data.id_column].astype(str).to_numpy(),
            "as_of": as_of,
            "model_version": model_version,
            "churn_probability": probability,
            "risk_segment": assign_risk_segments(probability, config.segments),
            "top_reasons": reasons_json(found, features, config.model.top_reasons),
            "monthly_charges": clean[data.monthly_charges_column].to_numpy(dtype=float),
            "segment_value": clean[data.segment_column].astype(str).to_numpy(),
            "scored_at": scored_at,
        }
    )
    if survival is not None:
        lifetime = expected_lifetime(survival, clean, config.lifetime)
        out["expected_remaining_months"] = lifetime["expected_remaining_months"].to_numpy()
        out["lifetime_value"] = lifetime["lifetime_value"].to_numpy()
    else:
        out["expected_remaining_months"] = np.nan
        out["lifetime_value"] = np.nan
    return out
