"""The retention store: KPIs and current scores, as the API reads them (campaigns:
`campaign_store`).

SQLAlchemy Core, bound parameters, whitelisted sort keys."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict
from tasks.adapters.tables import (
    current_scores_view,
    customer_scores,
    kpi_snapshots,
)

current_scores = current_scores_view
SORT_KEYS = {
    "churn_score": "churn_probability",
    "lifetime_value": "lifetime_value",
    "monthly_value": "monthly_value",
    "customer_id": "customer_id",
}
HISTORY_ROWS = 100
_LIST_COLUMNS = (
    "customer_id", "as_of", "model_version", "churn_probability", "risk_segment",
    "monthly_value", "segment_value", "expected_remaining_months", "lifetime_value",
)  # fmt: skip


def _reasons(value: Any) -> Any:
    """Stored reasons are JSON; some stores hand back the JSON text itself."""
    return json.loads(value) if isinstance(value, str) else value


def latest_kpis(engine: Engine, dataset: str) -> dict[str, Any] | None:
    query = (
        sa.select(kpi_snapshots)
        .where(kpi_snapshots.c.dataset == dataset)
        .order_by(kpi_snapshots.c.as_of.desc(), kpi_snapshots.c.created_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else row_dict(row)


def list_customers(
    engine: Engine,
    dataset: str,
    sort: str,
    order: str,
    limit: int,
    offset: int,
    segment: str | None,
    *,
    segment_value: str | None = None,
    min_probability: float | None = None,
    max_probability: float | None = None,
    id_prefix: str | None = None,
    with_reasons: bool = False,
) -> list[dict[str, Any]]:
    """One table's current scores, sorted by a whitelisted column (missing values last),
    filtered by risk segment, segment role value, probability range and id prefix."""
    column = current_scores.c[SORT_KEYS[sort]]
    ordered = column.desc() if order == "desc" else column.asc()
    names = [*_LIST_COLUMNS, "top_reasons"] if with_reasons else _LIST_COLUMNS
    query = sa.select(*[current_scores.c[c] for c in names])
    query = query.where(current_scores.c.dataset == dataset)
    if segment is not None:
        query = query.where(current_scores.c.risk_segment == segment)
    if segment_value is not None:
        query = query.where(current_scores.c.segment_value == segment_value)
    if min_probability is not None:
        query = query.where(current_scores.c.churn_probability >= min_probability)
    if max_probability is not None:
        query = query.where(current_scores.c.churn_probability <= max_probability)
    if id_prefix:
        escaped = id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(current_scores.c.customer_id.like(f"{escaped}%", escape="\\"))
    query = query.order_by(ordered.nulls_last(), current_scores.c.customer_id.asc())
    with engine.connect() as connection:
        rows = [row_dict(row) for row in connection.execute(query.limit(limit).offset(offset))]
    for row in rows if with_reasons else ():
        row["top_reasons"] = _reasons(row["top_reasons"])
    return rows


def customer_detail(engine: Engine, dataset: str, customer_id: str) -> dict[str, Any] | None:
    """A customer's latest score with reasons and lifetime value, and the score history."""
    latest = sa.select(current_scores).where(
        current_scores.c.dataset == dataset, current_scores.c.customer_id == customer_id
    )
    history = (
        sa.select(
            *[
                customer_scores.c[c]
                for c in ("as_of", "model_version", "churn_probability", "risk_segment")
            ],
            customer_scores.c.scored_at,
        )
        .where(customer_scores.c.dataset == dataset, customer_scores.c.customer_id == customer_id)
        .order_by(customer_scores.c.as_of.desc(), customer_scores.c.scored_at.desc())
        .limit(HISTORY_ROWS)
    )
    with engine.connect() as connection:
        row = connection.execute(latest).first()
        if row is None:
            return None
        found = row_dict(row)
        found["top_reasons"] = _reasons(found["top_reasons"])
        found["history"] = [row_dict(r) for r in connection.execute(history)]
    return found


def kpi_history(engine: Engine, dataset: str, limit: int = 120) -> list[dict[str, Any]]:
    """The latest KPI snapshot of each as_of, oldest first (at most `limit` dates)."""
    latest = (
        sa.select(kpi_snapshots.c.as_of, sa.func.max(kpi_snapshots.c.created_at).label("at"))
        .where(kpi_snapshots.c.dataset == dataset)
        .group_by(kpi_snapshots.c.as_of)
        .subquery()
    )
    same_snapshot = (latest.c.as_of == kpi_snapshots.c.as_of) & (
        latest.c.at == kpi_snapshots.c.created_at
    )
    query = (
        sa.select(kpi_snapshots.c.as_of, kpi_snapshots.c.model_version, kpi_snapshots.c.kpis)
        .join(latest, same_snapshot)
        .where(kpi_snapshots.c.dataset == dataset)
        .order_by(kpi_snapshots.c.as_of.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = [row_dict(row) for row in connection.execute(query)]
    return [{**r, "kpis": _reasons(r["kpis"])} for r in reversed(rows)]
