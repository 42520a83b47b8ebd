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
    """The top reasons of every row as compact JSON text, built column-wise for speed."""
    values = found.values.to_numpy()
    columns = np.asarray(found.values.columns)
    order = np.argsort(-np.abs(values), axis=1, kind="stable")[:, :top]
    rows = np.arange(len(values))[:, None]
    picked = values[rows, order]
    names = columns[order]
    parts = []
    for k in range(order.shape[1]):
        shown = _shown_values(features, names[:, k])
        parts.append(
            [
                f'{{"feature":{json.dumps(n)},"value":{v},"contribution":{c:.6f}}}'
                for n, v, c in zip(names[:, k], shown, picked[:, k], strict=True)
            ]
        )
    return ["[" + ",".join(items) + "]" for items in zip(*parts, strict=True)]


def _shown_values(features: pd.DataFrame, names: np.ndarray) -> list[str]:
    """Each row's own value of the named column, as JSON text."""
    shown = np.empty(len(names), dtype=object)
    for name in np.unique(names):
        mask = names == name
        column = features[name].to_numpy()[mask]
        if column.dtype.kind in "fi":
            shown[mask] = [json.dumps(round(float(v), 6)) for v in column]
        else:
            shown[mask] = [json.dumps(str(v)) for v in column]
    return shown.tolist()


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
    features = pipeline.named_steps["features"].transform(inputs)
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
