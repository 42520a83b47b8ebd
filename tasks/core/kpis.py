"""Business KPIs of a scored customer base: risk segments, revenue at risk, lifetime value."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from configs.schema import RunConfig, Segments
from configs.vocabulary import RISK_SEGMENTS

SCORE_COLUMNS = [
    "churn_probability",
    "risk_segment",
    "monthly_value",
    "segment_value",
    "expected_remaining_months",
    "lifetime_value",
]
DECIMALS = 6


def assign_risk_segments(probabilities: Any, segments_cfg: Segments) -> np.ndarray:
    """ "high" where p >= high, "medium" where p >= medium, else "low" (object array).

    A missing probability raises ValueError rather than being called low risk."""
    p = np.asarray(probabilities, dtype=float)
    if np.isnan(p).any():
        raise ValueError(f"{int(np.isnan(p).sum())} churn probabilities are missing")
    labels = np.array(RISK_SEGMENTS, dtype=object)
    return labels[np.where(p >= segments_cfg.high, 0, np.where(p >= segments_cfg.medium, 1, 2))]


def segment_range(segments_cfg: Segments, segment: str) -> tuple[float | None, float | None]:
    """The probabilities a risk segment covers, as (lowest, highest) bounds (None: open); the
    upper bound is inclusive, so a query keeps its equality on the segment as well."""
    bounds = {
        "high": (segments_cfg.high, None),
        "medium": (segments_cfg.medium, segments_cfg.high),
        "low": (None, segments_cfg.medium),
    }
    return bounds[segment]


def horizon_factor(annual_discount_rate: float, horizon_months: int) -> float:
    """sum over m = 1..horizon of 1 / (1 + r)**m with r = (1 + annual_rate)**(1/12) - 1."""
    rate = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    return float(np.sum((1.0 + rate) ** -np.arange(1.0, horizon_months + 1)))


def revenue_at_risk(kpis: dict[str, Any]) -> float | None:
    """Revenue at risk, the one definition every answer reads: the monthly revenue expected
    to be lost if the scored customers leave now, sum(monthly value x churn probability) over
    the customers (the snapshot's `revenue_at_risk_monthly`, in the value role's currency per
    month); None without a value role. Its discounted sum over the lifetime horizon is
    `revenue_at_risk_horizon` (see `compute_kpis`)."""
    value = kpis.get("revenue_at_risk_monthly")
    return None if value is None else float(value)


def compute_kpis(
    scores: pd.DataFrame, config: RunConfig, labels: pd.Series | None = None
) -> dict[str, Any]:
    """KPIs of scored customers, overall and per value of the segment role.

    Figures whose role the table lacks are absent, never computed from another column:
    revenue at risk and lifetime value need the value role, remaining lifetime the survival
    model (duration role), the breakdown the segment role.
    revenue_at_risk_monthly = sum(monthly_value * churn_probability); revenue_at_risk_horizon
    = sum over m = 1..H of revenue_at_risk_monthly / (1 + r)**m, H = lifetime.horizon_months,
    r = (1 + annual_discount_rate)**(1/12) - 1: the expected monthly revenue lost if at-risk
    customers leave now, over the horizon, month 1 discounted once. `labels` (churn labels,
    same row order; text compared with target.positive, or 0/1/bool) give
    observed_churn_rate, else None. Averages of no rows are None; floats have 6 decimals."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lack columns: {missing}")
    churned = None if labels is None else _churned(labels, config.dataset.target.positive)
    if churned is not None and len(churned) != len(scores):
        raise ValueError(f"{len(churned)} labels for {len(scores)} scored customers")
    factor = horizon_factor(config.lifetime.annual_discount_rate, config.lifetime.horizon_months)
    shown = _shown_figures(config)
    result = _figures(scores, churned, factor, shown)
    segment = config.dataset.roles.segment
    if segment is None:
        return result
    codes, uniques = pd.factorize(scores["segment_value"])  # each row's value as a number
    position = {str(v): k for k, v in enumerate(uniques)}
    known = [str(v) for v in config.dataset.categorical[segment]]
    extra = sorted(set(position) - set(known))
    by_value = {}
    for value in [*known, *extra]:
        rows = np.flatnonzero(codes == position.get(value, -2))
        part = None if churned is None else churned[rows]
        by_value[value] = _figures(scores.iloc[rows], part, factor, shown)
    result["by_segment"] = {"column": segment, "values": by_value}
    return result


def _shown_figures(config: RunConfig) -> set[str]:
    """The role-dependent figures this table has."""
    roles, shown = config.dataset.roles, set()
    if roles.value is not None:
        shown |= {"revenue_at_risk_monthly", "revenue_at_risk_horizon"}
    if config.survival is not None:
        shown.add("average_expected_remaining_months")
        if roles.value is not None:
            shown.add("average_lifetime_value")
    return shown


def _figures(
    scores: pd.DataFrame, churned: np.ndarray | None, factor: float, shown: set[str]
) -> dict[str, Any]:
    """The KPI figures of one group of scored customers (role figures only when `shown`)."""
    n = len(scores)
    probability = scores["churn_probability"].to_numpy(dtype=float)
    found = scores["risk_segment"].value_counts()
    counts = {s: int(found.get(s, 0)) for s in RISK_SEGMENTS}
    figures: dict[str, Any] = {
        "customers_scored": n,
        "observed_churn_rate": None if churned is None else _mean(churned),
        "average_score": _mean(probability),
        "segments": {
            s: {"count": c, "share": _round(c / n if n else 0.0)} for s, c in counts.items()
        },
    }
    if "revenue_at_risk_monthly" in shown:
        values = scores["monthly_value"].to_numpy(dtype=float)
        at_risk = float(np.nansum(values * probability))
        figures["revenue_at_risk_monthly"] = _round(at_risk)
        figures["revenue_at_risk_horizon"] = _round(at_risk * factor)
    if "average_lifetime_value" in shown:
        figures["average_lifetime_value"] = _mean(scores["lifetime_value"].to_numpy(dtype=float))
    if "average_expected_remaining_months" in shown:
        months = scores["expected_remaining_months"].to_numpy(dtype=float)
        figures["average_expected_remaining_months"] = _mean(months)
    return figures


def _churned(labels: pd.Series, positive: str) -> np.ndarray:
    """1.0 churned, 0.0 stayed, NaN unknown, from text labels or 0/1/bool."""
    if ptypes.is_bool_dtype(labels) or ptypes.is_numeric_dtype(labels):
        return labels.to_numpy(dtype=float)
    if isinstance(labels.dtype, pd.CategoricalDtype):  # each distinct label read once
        churned = np.append(_churned(pd.Series(labels.cat.categories), positive), np.nan)
        return churned[labels.cat.codes.to_numpy()]  # code -1 (missing): the NaN at the end
    text = labels.astype(object)
    return np.where(text.isna(), np.nan, (text.astype(str).str.strip() == positive).astype(float))


def _mean(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return _round(float(known.mean())) if len(known) else None


def _round(value: float) -> float | None:
    return round(value, DECIMALS) if math.isfinite(value) else None
