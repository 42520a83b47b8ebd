"""The scores a campaign chooses from: the latest scoring period's rows (as the dashboard's
lists), filtered in the database by the audience filter through the (dataset, as_of,
segment value, score band) index, so a preview on a million customers reads only the
customers it may contact; the reasons only where messages need them."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import campaign_members
from tasks.adapters.retention_store import latest_period
from tasks.adapters.tables import customer_scores, score_band
from tasks.core.audience import AudienceFilter

COLUMNS = (
    "customer_id",
    "as_of",
    "churn_probability",
    "risk_segment",
    "segment_value",
    "monthly_value",
    "lifetime_value",
)


def candidates(
    engine: Engine, dataset: str, wanted: AudienceFilter | None = None
) -> pd.DataFrame | None:
    """The latest period's scores that pass `wanted` (all of them without one); one row per
    customer, without reasons. None when the table has no scoring period yet."""
    period = latest_period(engine, dataset)
    if period is None:
        return None
    query = _latest(dataset, period, COLUMNS)
    if wanted is not None:
        query = query.where(*_conditions(wanted))
    with engine.connect() as connection:
        result = connection.execute(query)
        typed = engine.dialect.name == "postgresql"  # psycopg types values: no row objects
        rows = result.cursor.fetchall() if typed else result.fetchall()
    return pd.DataFrame.from_records(rows, columns=list(COLUMNS))


def member_scores(engine: Engine, dataset: str, campaign_id: int) -> pd.DataFrame:
    """Each audience member's latest score, with reasons (what its messages are written
    from), read by the scores' key for the campaign's members only."""
    table, names = customer_scores, (*COLUMNS, "top_reasons", "scored_at")
    query = (
        sa.select(*[table.c[name] for name in names])
        .join(campaign_members, campaign_members.c.customer_id == table.c.customer_id)
        .where(table.c.dataset == dataset, campaign_members.c.campaign_id == campaign_id)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(query).fetchall(), columns=list(names))
    latest = frame.sort_values(["as_of", "scored_at"]).drop_duplicates("customer_id", keep="last")
    latest = latest.drop(columns="scored_at").reset_index(drop=True)
    latest["top_reasons"] = [_decoded(value) for value in latest["top_reasons"]]
    return latest


def _latest(dataset: str, period, names) -> sa.Select:
    table = customer_scores
    return sa.select(*[table.c[name] for name in names]).where(
        table.c.dataset == dataset,
        table.c.as_of == period[0],
        table.c.model_version == period[1],
    )


def _conditions(wanted: AudienceFilter) -> list[sa.ColumnElement]:
    """The filter in SQL (select_candidates stays the definition; this only narrows the read:
    the band bounds let the index skip what the probability bounds exclude)."""
    table = customer_scores
    found = [table.c.risk_segment.in_(list(wanted.risk_segments))]
    if wanted.min_probability is not None:
        floor = sa.literal(wanted.min_probability, sa.Float)
        found += [
            score_band(table.c.churn_probability) >= score_band(floor),
            table.c.churn_probability >= floor,
        ]
    if wanted.max_probability is not None:
        ceiling = sa.literal(wanted.max_probability, sa.Float)
        found += [
            score_band(table.c.churn_probability) <= score_band(ceiling),
            table.c.churn_probability <= ceiling,
        ]
    if wanted.segment_values is not None:
        found.append(table.c.segment_value.in_(list(wanted.segment_values)))
    if wanted.min_lifetime_value is not None:
        found.append(table.c.lifetime_value >= wanted.min_lifetime_value)
    return found


def _decoded(value):
    return json.loads(value) if isinstance(value, str) else value
