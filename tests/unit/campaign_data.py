"""Scored synthetic Telco customers shared by the campaign tests (one small model fit)."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core.coercion import coerce_frame
from tasks.core.kpis import assign_risk_segments
from tasks.core.modeling import build_pipeline

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"


@functools.cache
def config():
    return load_config(CONFIG)


@functools.cache
def scored_customers(rows: int, seed: int) -> pd.DataFrame:
    """Typed customers with churn_probability and risk_segment from a logistic regression fit on
    other customers of the same generator."""
    cfg = config()
    dataset = cfg.dataset
    train = coerce_frame(generate_customers(3000, seed + 1), dataset).frame
    typed = coerce_frame(generate_customers(rows, seed), dataset).frame
    inputs = [*dataset.numeric, *dataset.categorical]
    model = build_pipeline(cfg, LogisticRegression(max_iter=2000))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        model.fit(train[inputs], train[dataset.target.column].eq("Yes").astype(int))
        probability = model.predict_proba(typed[inputs])[:, 1]
    scored = typed.drop(columns=[dataset.target.column]).rename(
        columns={"customerID": "customer_id"}
    )
    scored["churn_probability"] = probability
    scored["risk_segment"] = assign_risk_segments(probability, cfg.segments)
    return scored
