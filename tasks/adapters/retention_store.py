"""The retention store: KPIs and current scores, as the API reads them (campaigns:
`campaign_store`).

SQLAlchemy Core, bound parameters, whitelisted sort keys."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict
from tasks.adapters.tables import customer_scores, kpi_snapshots, score_band

SORT_KEYS = {
    "churn_score": "churn_probability",
    "lifetime_value": "lifetime_value",
    "monthly_value": "monthly_value",
    "customer_id": "customer_id",
}
HISTORY_ROWS = 100
_LIST_COLUMNS = (
    "customer_id",
    "as_of",
    "model_version",
    "churn_probability",
    "risk_segment",
    "monthly_value",
    "segment_value",
    "expected_remaining_months",
    "lifetime_value",
)


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


def latest_period(engine: Engine, dataset: str) -> tuple[date, str] | None:
    """(as_of, model_version) of the latest KPI snapshot: the period the lists show."""
    query = (
        sa.select(kpi_snapshots.c.as_of, kpi_snapshots.c.model_version)
        .where(kpi_snapshots.c.dataset == dataset)
        .order_by(kpi_snapshots.c.as_of.desc(), kpi_snapshots.c.created_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else (row.as_of, str(row.model_version))


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
    after: tuple[float, str] | None = None,
) -> list[dict[str, Any]]:
    """The scores of the latest scoring period (see `latest_period`), filtered by risk
    segment, segment role value, probability range and id prefix, sorted by a whitelisted
    column (missing values last). By churn score, `after` (the last row's probability and
    id) starts a page after it without counting the rows before (keyset); ties go by id.

    By churn score, each segment role value's rows are read in score-band order from the
    index and the pages merged: a filter on one value reads only that value's rows."""
    period = latest_period(engine, dataset)
    if period is None:
        return []
    table = customer_scores
    names = [*_LIST_COLUMNS, "top_reasons"] if with_reasons else _LIST_COLUMNS
    query = sa.select(*[table.c[c] for c in names]).where(
        table.c.dataset == dataset,
        table.c.as_of == period[0],
        table.c.model_version == period[1],
    )
    query = _filtered(query, segment, min_probability, max_probability, id_prefix)
    with engine.connect() as connection:
        if sort == "churn_score":
            values = (
                [segment_value]
                if segment_value is not None
                else (_segment_values(connection, dataset, period[0]))
            )
            if not values:
                return []
            wanted = limit if after is not None else limit + offset
            query = _by_score(query, values, order == "desc", wanted, after)
        else:
            if segment_value is not None:
                query = query.where(table.c.segment_value == segment_value)
            column = table.c[SORT_KEYS[sort]]
            ordered = column.desc() if order == "desc" else column.asc()
            query = query.order_by(ordered.nulls_last(), table.c.customer_id.asc())
        query = query.limit(limit) if after is not None else query.limit(limit).offset(offset)
        rows = [row_dict(row) for row in connection.execute(query)]
    for row in rows if with_reasons else ():
        row["top_reasons"] = _reasons(row["top_reasons"])
    return rows


def _filtered(
    query: sa.Select,
    segment: str | None,
    min_probability: float | None,
    max_probability: float | None,
    id_prefix: str | None,
) -> sa.Select:
    """`query` narrowed to a risk segment, a probability range and an id prefix."""
    table = customer_scores
    if segment is not None:
        query = query.where(table.c.risk_segment == segment)
    band = score_band(table.c.churn_probability)
    if min_probability is not None:  # the band bounds let the index skip the rest
        floor = sa.literal(min_probability, sa.Float)
        query = query.where(band >= score_band(floor), table.c.churn_probability >= floor)
    if max_probability is not None:
        ceiling = sa.literal(max_probability, sa.Float)
        query = query.where(band <= score_band(ceiling), table.c.churn_probability <= ceiling)
    if id_prefix:
        escaped = id_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(table.c.customer_id.like(f"{escaped}%", escape="\\"))
    return query


def count_customers(
    engine: Engine,
    dataset: str,
    segment: str | None,
    *,
    segment_value: str | None = None,
    min_probability: float | None = None,
    max_probability: float | None = None,
    id_prefix: str | None = None,
) -> int:
    """How many scores of the latest scoring period pass the filters of `list_customers`."""
    period = latest_period(engine, dataset)
    if period is None:
        return 0
    table = customer_scores
    query = sa.select(sa.func.count()).where(
        table.c.dataset == dataset,
        table.c.as_of == period[0],
        table.c.model_version == period[1],
    )
    query = _filtered(query, segment, min_probability, max_probability, id_prefix)
    if segment_value is not None:
        query = query.where(table.c.segment_value == segment_value)
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _by_score(
    query: sa.Select, values: list[str | None], descending: bool, rows: int, after
) -> sa.Select:
    """Per segment value, the first `rows` rows in (band, probability, id) order after the
    keyset `after`; merged in that order (the caller cuts the page)."""
    table = customer_scores
    key = (score_band(table.c.churn_probability), table.c.churn_probability, table.c.customer_id)
    if after is not None:
        score = sa.literal(after[0], sa.Float)
        cursor = sa.tuple_(*key)
        start = sa.tuple_(score_band(score), score, sa.literal(after[1], sa.String))
        query = query.where(cursor < start if descending else cursor > start)
    query = query.order_by(*[c.desc() if descending else c.asc() for c in key]).limit(rows)
    parts = [
        query.where(
            table.c.segment_value.is_(None) if value is None else table.c.segment_value == value
        ).subquery()
        for value in values
    ]
    merged = sa.union_all(*[sa.select(part) for part in parts]).subquery()
    merged_key = (merged.c.churn_probability, merged.c.customer_id)
    return sa.select(merged).order_by(*[c.desc() if descending else c.asc() for c in merged_key])


def _segment_values(connection: sa.Connection, dataset: str, as_of: date) -> list[str | None]:
    """The period's segment role values (None for rows without one), each found by one probe
    of the (dataset, as_of, segment_value, band) index."""
    found = connection.execute(_DISTINCT_VALUES, {"dataset": dataset, "as_of": as_of}).scalars()
    values: list[str | None] = [v for v in found if v is not None]
    missing = (
        sa.select(customer_scores.c.customer_id)
        .where(
            customer_scores.c.dataset == dataset,
            customer_scores.c.as_of == as_of,
            customer_scores.c.segment_value.is_(None),
        )
        .limit(1)
    )
    if connection.execute(missing).first() is not None:
        values.append(None)
    return values


_DISTINCT_VALUES = sa.text(
    """
    WITH RECURSIVE found(value) AS (
        SELECT MIN(segment_value) FROM customer_scores WHERE dataset = :dataset AND as_of = :as_of
        UNION ALL
        SELECT (SELECT MIN(segment_value) FROM customer_scores
                WHERE dataset = :dataset AND as_of = :as_of AND segment_value > found.value)
        FROM found WHERE found.value IS NOT NULL
    )
    SELECT value FROM found WHERE value IS NOT NULL
    """
)


def customer_detail(engine: Engine, dataset: str, customer_id: str) -> dict[str, Any] | None:
    """A customer's score of the latest period (else their newest) with reasons and lifetime
    value, and the score history; every read goes by the key's own index."""
    table = customer_scores
    mine = (table.c.dataset == dataset) & (table.c.customer_id == customer_id)
    by_key = (table.c.as_of.desc(), table.c.model_version.desc())  # the key's order
    period = latest_period(engine, dataset)
    latest = sa.select(table).where(mine).order_by(*by_key).limit(1)
    if period is not None:
        exact = sa.select(table).where(
            mine, table.c.as_of == period[0], table.c.model_version == period[1]
        )
    names = ("as_of", "model_version", "churn_probability", "risk_segment", "scored_at")
    history = sa.select(*[table.c[c] for c in names]).where(mine).order_by(*by_key)
    with engine.connect() as connection:
        row = connection.execute(exact).first() if period is not None else None
        row = row if row is not None else connection.execute(latest).first()
        if row is None:
            return None
        found = row_dict(row)
        found["top_reasons"] = _reasons(found["top_reasons"])
        found["history"] = [row_dict(r) for r in connection.execute(history.limit(HISTORY_ROWS))]
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
