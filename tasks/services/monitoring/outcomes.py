"""Recording what monitoring finds: a drift check's result, and realised performance from
delayed outcomes joined with the scores given before."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import db, score_runs
from tasks.adapters.tables import drift_reports, realised_performance
from tasks.core import drift
from tasks.core.outcomes import read_outcomes
from tasks.services.context import Context

log = logging.getLogger("retainai")


def store_drift_check(ctx: Context, key: dict[str, Any], values: dict[str, Any]) -> None:
    """The drift check of (dataset, as_of, model_version), replacing an earlier one."""
    db.upsert(ctx.engine, drift_reports, key, values)


def record_outcomes(ctx: Context, config: RunConfig, raw: pd.DataFrame) -> list[dict]:
    """Join delayed labels with past scores; realised figures per model version and as_of,
    stored and returned (each with its alert, if below the configured floor)."""
    outcomes = read_outcomes(raw, config.dataset)
    ids = outcomes["customer_id"].unique().tolist()
    past = score_runs.past_scores(ctx.engine, config.dataset.name, ids)
    log.info(f"matching {len(outcomes):,} outcomes with {len(past):,} stored scores")
    results = []
    for (version, as_of), (labels, probabilities) in drift.match_outcomes(past, outcomes).items():
        perf = drift.realised_performance(labels, probabilities)
        alert = drift.performance_alert(perf, config.monitoring.min_realised_roc_auc)
        db.upsert(
            ctx.engine,
            realised_performance,
            {"dataset": config.dataset.name, "model_version": str(version), "as_of": as_of},
            {
                "rows": perf["rows"],
                "roc_auc": perf["roc_auc"],
                "precision_at_10": perf["precision_at_10"],
                "brier": perf["brier"],
                "details": perf,
                "alert": alert,
                "computed_at": datetime.now(UTC),
            },
        )
        results.append({"model_version": str(version), "as_of": str(as_of), "alert": alert, **perf})
    return results
