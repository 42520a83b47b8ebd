"""Churn tables of other shapes than Telco, with their configs, for tests.

- `tv`: a TV subscription provider: anonymised columns, numeric ids, a 0.0/1.0 target, no
  duration and no value column; its package is the segment.
- `saas`: a software company: months active (the duration), no value column, no id column,
  a true/false target, a plan segment.
- `flat`: no segment column; ids are text with leading zeros, a 1/0 target, a duration and a
  monthly fee (the value).
Each generator returns (labelled frame, config dict); the label carries a real signal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SMALL_MODEL = {
    "cv_folds": 3,
    "families": {
        "logistic_regression": {"grid": {"C": [0.3, 1.0]}},
        "lightgbm": {"grid": {"n_estimators": [60], "num_leaves": [8], "learning_rate": [0.05]}},
    },
}
LOW_GATES = {"min_roc_auc": 0.6, "max_brier": 0.25, "min_lift_at_10": 1.2}


def _churn(rng: np.random.Generator, logit: np.ndarray) -> np.ndarray:
    return rng.random(len(logit)) < 1 / (1 + np.exp(-logit))


def tv(rows: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    package = rng.choice(["basic", "family", "premium"], rows, p=[0.5, 0.3, 0.2])
    f1 = rng.normal(0, 1, rows)  # anonymised usage figures
    f2 = rng.gamma(2.0, 3.0, rows)
    f3 = rng.integers(0, 30, rows).astype(float)
    c1 = rng.choice(["a", "b", "c", "d"], rows)
    logit = -1.0 + 1.1 * f1 - 0.15 * f2 + 0.6 * (package == "basic") + 0.5 * (c1 == "d")
    frame = pd.DataFrame(
        {
            "subscriber": rng.choice(1_000_000, rows, replace=False) + 1000,
            "f1": f1.round(4),
            "f2": f2.round(3),
            "f3": f3,
            "c1": c1,
            "package": package,
            "left": _churn(rng, logit).astype(float),  # 0.0 / 1.0
        }
    )
    config = {
        "dataset": {
            "name": "tv",
            "id_column": "subscriber",
            "target": {"column": "left", "positive": 1, "negative": 0},
            "numeric": {"f1": {}, "f2": {"min": 0}, "f3": {"min": 0, "integer": True}},
            "categorical": {"c1": ["a", "b", "c", "d"], "package": ["basic", "family", "premium"]},
            "roles": {"segment": "package"},
        },
        "model": SMALL_MODEL,
        "quality_gates": LOW_GATES,
    }
    return frame, config


def saas(rows: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    plan = rng.choice(["free", "team", "business"], rows, p=[0.5, 0.35, 0.15])
    months = rng.integers(1, 48, rows)
    seats = rng.integers(1, 200, rows)
    tickets = rng.poisson(2.0, rows)
    logit = 0.4 - 0.05 * months + 0.35 * tickets
    logit += -0.8 * (plan == "business") + 0.5 * (plan == "free")
    churned = _churn(rng, logit)
    frame = pd.DataFrame(
        {
            "months_active": months,
            "seats": seats,
            "support_tickets": tickets,
            "plan": plan,
            "churned": np.where(churned, "true", "false"),
        }
    )
    config = {
        "dataset": {
            "name": "saas",
            "target": {"column": "churned", "positive": "true", "negative": "false"},
            "numeric": {
                "months_active": {"min": 0, "integer": True},
                "seats": {"min": 1, "integer": True},
                "support_tickets": {"min": 0, "integer": True},
            },
            "categorical": {"plan": ["free", "team", "business"]},
            "roles": {"duration": "months_active", "segment": "plan"},
        },
        "model": SMALL_MODEL,
        "quality_gates": LOW_GATES,
        "survival": {"covariates": ["plan", "support_tickets"]},
    }
    return frame, config


def flat(rows: int = 1500, seed: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 60, rows)
    fee = rng.choice([9.99, 19.99, 29.99], rows)
    logins = rng.poisson(8.0, rows)
    channel = rng.choice(["web", "app", "store"], rows)
    logit = 0.3 - 0.04 * tenure - 0.15 * logins + 0.03 * fee + 0.4 * (channel == "store")
    frame = pd.DataFrame(
        {
            "account": [f"{i:07d}" for i in rng.choice(10_000_000, rows, replace=False)],
            "tenure_months": tenure,
            "monthly_fee": fee,
            "logins": logins,
            "channel": channel,
            "cancelled": _churn(rng, logit).astype(int),  # 1 / 0
        }
    )
    config = {
        "dataset": {
            "name": "flat",
            "id_column": "account",
            "target": {"column": "cancelled", "positive": 1, "negative": 0},
            "numeric": {
                "tenure_months": {"min": 0, "integer": True},
                "monthly_fee": {"min": 0},
                "logins": {"min": 0, "integer": True},
            },
            "categorical": {"channel": ["web", "app", "store"]},
            "roles": {"duration": "tenure_months", "value": "monthly_fee"},
        },
        "model": SMALL_MODEL,
        "quality_gates": LOW_GATES,
        "survival": {"covariates": ["channel", "logins"]},
    }
    return frame, config


SHAPES = {"tv": tv, "saas": saas, "flat": flat}
