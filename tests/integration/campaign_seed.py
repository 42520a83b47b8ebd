"""Scored customers written straight into `customer_scores`, for campaign tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import sqlalchemy as sa

from tasks.adapters.tables import customer_scores, kpi_snapshots

REASONS = [{"feature": "Contract", "value": "Month-to-month", "contribution": 0.8}]


def seed_scores(
    engine,
    ids: list[str],
    dataset: str = "telco",
    seed: int = 0,
    low: float = 0.0,
    high: float = 1.0,
) -> None:
    """One current score per customer: probabilities uniform in [low, high), segments by the
    default cut-offs, lifetime values between 200 and 2,000; the period's KPI snapshot marks
    it as scored (as a committed scoring run does)."""
    rng = np.random.default_rng(seed)
    probability = rng.uniform(low, high, len(ids))
    value = rng.uniform(200, 2000, len(ids))
    now = datetime.now(UTC)
    records = [
        {
            "dataset": dataset,
            "customer_id": customer,
            "as_of": date(2026, 11, 1),
            "model_version": "1",
            "churn_probability": float(p),
            "risk_segment": "high" if p >= 0.6 else "medium" if p >= 0.3 else "low",
            "top_reasons": REASONS,
            "monthly_value": 70.0,
            "segment_value": "Month-to-month",
            "expected_remaining_months": 12.0,
            "lifetime_value": float(v),
            "scored_at": now,
            "run_id": "r",
        }
        for customer, p, v in zip(ids, probability, value, strict=True)
    ]
    snapshot = sa.select(kpi_snapshots.c.dataset).where(
        kpi_snapshots.c.dataset == dataset, kpi_snapshots.c.as_of == date(2026, 11, 1)
    )
    with engine.begin() as connection:
        connection.execute(customer_scores.insert(), records)
        if connection.execute(snapshot).first() is None:
            connection.execute(
                kpi_snapshots.insert().values(
                    dataset=dataset,
                    as_of=date(2026, 11, 1),
                    model_version="1",
                    kpis={},
                    run_id="r",
                    created_at=now,
                )
            )
