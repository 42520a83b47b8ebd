"""Stored campaign reports, and the figures the campaign list reads for many campaigns at
once (messages counted by status) without reading each campaign's tables."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import campaign_messages, campaign_reports


def save_report(engine: Engine, campaign_id: int, report: dict[str, Any], events: int) -> None:
    """The campaign's report, replacing the one stored before (one statement: two
    processes storing at once leave one of their reports, never an error)."""
    row = {
        "campaign_id": campaign_id,
        "report": report,
        "events": events,
        "computed_at": datetime.now(UTC),
    }
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(campaign_reports).values(**row)
    statement = statement.on_conflict_do_update(
        index_elements=["campaign_id"],
        set_={name: statement.excluded[name] for name in ("report", "events", "computed_at")},
    )
    with engine.begin() as connection:
        connection.execute(statement)


def reports_of(engine: Engine, campaign_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The stored reports of these campaigns (a campaign without one is absent)."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    table = campaign_reports
    query = sa.select(table.c.campaign_id, table.c.report).where(table.c.campaign_id.in_(ids))
    with engine.connect() as connection:
        return {int(row[0]): dict(row[1]) for row in connection.execute(query)}


def message_counts(engine: Engine, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Messages by status of each campaign, counted by the database."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    table = campaign_messages
    query = (
        sa.select(table.c.campaign_id, table.c.status, sa.func.count())
        .where(table.c.campaign_id.in_(ids))
        .group_by(table.c.campaign_id, table.c.status)
        .order_by(table.c.campaign_id, table.c.status)
    )
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    with engine.connect() as connection:
        for campaign_id, status, count in connection.execute(query):
            found[int(campaign_id)][str(status)] = int(count)
    return found
