"""The campaign store: campaigns, their audiences, messages and events, contacts, suppressions.

Every write is idempotent: an audience is stored once per campaign (a rerun finds it), one
message per (campaign, customer, channel) whatever the retries, one event per (campaign,
event key); each write is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import (
    campaign_events,
    campaign_members,
    campaign_messages,
    campaigns,
    contacts,
    suppressions,
)
from tasks.adapters.db import row_dict, storable_id
from tasks.adapters.tables import current_scores_view


def _insert(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _now() -> datetime:
    return datetime.now(UTC)


def create_campaign(
    engine: Engine, members_of: Callable[[int], pd.DataFrame] | None = None, **row: Any
) -> dict[str, Any]:
    """A new campaign in `draft` and, with `members_of` (campaign id -> audience with arms),
    its audience, in one transaction: nothing is stored if either fails."""
    row = {"status": "draft", "created_at": _now(), **row}
    with engine.begin() as connection:
        key = connection.execute(campaigns.insert().values(**row)).inserted_primary_key[0]
        if members_of is not None:
            members = members_of(key)
            connection.execute(campaign_members.insert(), _member_rows(key, members))
            held = int((members["arm"] == "holdout").sum())
            row["totals"] = {
                "audience": len(members),
                "holdout": held,
                "treated": len(members) - held,
            }
            connection.execute(
                campaigns.update().where(campaigns.c.id == key).values(totals=row["totals"])
            )
    return {"id": key, **row}


def _member_rows(campaign_id: int, members: pd.DataFrame) -> list[dict[str, Any]]:
    columns = [c.name for c in campaign_members.columns]
    records = members.assign(campaign_id=campaign_id)[columns].to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and value != value:
                record[key] = None
    return records


def get_campaign(engine: Engine, campaign_id: int) -> dict[str, Any] | None:
    if not storable_id(campaign_id):
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(campaigns).where(campaigns.c.id == campaign_id)).first()
    return None if row is None else row_dict(row)


def list_campaigns(engine: Engine, dataset: str) -> list[dict[str, Any]]:
    query = sa.select(campaigns).where(campaigns.c.dataset == dataset)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(campaigns.c.created_at.desc(), campaigns.c.id))
        return [row_dict(row) for row in rows]


def update_campaign(engine: Engine, campaign_id: int, **values: Any) -> None:
    with engine.begin() as connection:
        connection.execute(campaigns.update().where(campaigns.c.id == campaign_id).values(**values))


def candidates(engine: Engine, dataset: str, as_of_latest: bool = True) -> pd.DataFrame:
    """The table's current scores a campaign chooses from (one row per customer)."""
    view = current_scores_view
    columns = [
        "customer_id",
        "as_of",
        "churn_probability",
        "risk_segment",
        "segment_value",
        "monthly_value",
        "lifetime_value",
        "top_reasons",
    ]
    query = sa.select(*[view.c[c] for c in columns]).where(view.c.dataset == dataset)
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query).fetchall(), columns=columns)


def store_audience(engine: Engine, campaign_id: int, members: pd.DataFrame) -> int:
    """The audience with its arms, once: a campaign that has one keeps it (returns its size)."""
    with engine.begin() as connection:
        found = connection.execute(
            sa.select(sa.func.count()).where(campaign_members.c.campaign_id == campaign_id)
        ).scalar()
        if found:
            return int(found)
        records = _member_rows(campaign_id, members)
        connection.execute(campaign_members.insert(), records)
    return len(records)


def audience(engine: Engine, campaign_id: int) -> pd.DataFrame:
    query = sa.select(campaign_members).where(campaign_members.c.campaign_id == campaign_id)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(campaign_members.c.rank)).fetchall()
    return pd.DataFrame(rows, columns=[str(c.name) for c in campaign_members.columns])


def save_messages(engine: Engine, rows: Iterable[dict[str, Any]]) -> int:
    """Insert messages; one that exists (same campaign, customer, channel) is left as it is."""
    rows = [{"created_at": _now(), **row} for row in rows]
    if not rows:
        return 0
    statement = (
        _insert(engine)(campaign_messages)
        .on_conflict_do_nothing(index_elements=["campaign_id", "customer_id", "channel"])
        .execution_options(preserve_rowcount=True)
    )
    with engine.begin() as connection:
        return connection.execute(statement, rows).rowcount


def messages(engine: Engine, campaign_id: int, status: str | None = None) -> pd.DataFrame:
    query = sa.select(campaign_messages).where(campaign_messages.c.campaign_id == campaign_id)
    if status is not None:
        query = query.where(campaign_messages.c.status == status)
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(campaign_messages.c.customer_id)).fetchall()
    columns = [str(c.name) for c in campaign_messages.columns]
    return pd.DataFrame([row_dict(row) for row in rows], columns=columns)  # UTC on SQLite too


def move_messages(
    engine: Engine, campaign_id: int, keys: list[tuple[str, str]], old: str, new: str, **values
) -> int:
    """Move the given (customer, channel) messages from status `old` to `new`, atomically;
    returns how many moved (a message in another status is left alone)."""
    return len(claim_messages(engine, campaign_id, keys, old, new, **values))


def claim_messages(
    engine: Engine, campaign_id: int, keys: list[tuple[str, str]], old: str, new: str, **values
) -> list[tuple[str, str]]:
    """`move_messages` that returns the keys it moved: those another process moved first
    are not among them. One transaction, a statement per 5,000 keys."""
    table, moved = campaign_messages, []
    with engine.begin() as connection:
        for start in range(0, len(keys), 5000):
            statement = (
                table.update()
                .where(
                    table.c.campaign_id == campaign_id,
                    table.c.status == old,
                    sa.tuple_(table.c.customer_id, table.c.channel).in_(keys[start : start + 5000]),
                )
                .values(status=new, **values)
                .returning(table.c.customer_id, table.c.channel)
            )
            moved += [(row[0], row[1]) for row in connection.execute(statement)]
    return moved


def settle_messages(engine: Engine, campaign_id: int, outcomes: list[dict[str, Any]]) -> None:
    """The outcomes of messages handed over (status `sending`), in one transaction: dicts of
    customer_id, channel, status, error and sent_at (None where it does not apply)."""
    if not outcomes:
        return
    table = campaign_messages
    statement = (
        table.update()
        .where(
            table.c.campaign_id == campaign_id,
            table.c.status == "sending",
            table.c.customer_id == sa.bindparam("key_customer"),
            table.c.channel == sa.bindparam("key_channel"),
        )
        .values(
            status=sa.bindparam("new_status"),
            error=sa.bindparam("new_error"),
            sent_at=sa.bindparam("new_sent_at"),
        )
    )
    rows = [
        {
            "key_customer": o["customer_id"],
            "key_channel": o["channel"],
            "new_status": o["status"],
            "new_error": o.get("error"),
            "new_sent_at": o.get("sent_at"),
        }
        for o in outcomes
    ]
    with engine.begin() as connection:
        connection.execute(statement, rows)


def record_events(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Store outcome events; an event key seen before is not stored twice."""
    if not rows:
        return 0
    statement = (
        _insert(engine)(campaign_events)
        .on_conflict_do_nothing(index_elements=["campaign_id", "event_key"])
        .execution_options(preserve_rowcount=True)
    )
    with engine.begin() as connection:
        return connection.execute(statement, rows).rowcount


def events(engine: Engine, campaign_id: int) -> pd.DataFrame:
    query = sa.select(campaign_events).where(campaign_events.c.campaign_id == campaign_id)
    with engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    return pd.DataFrame(rows, columns=[str(c.name) for c in campaign_events.columns])


def upsert_contacts(engine: Engine, rows: list[dict[str, Any]]) -> int:
    """Insert or replace contacts by (dataset, customer id), in one transaction."""
    if not rows:
        return 0
    rows = [{"updated_at": _now(), **row} for row in rows]
    statement = _insert(engine)(contacts)
    statement = statement.on_conflict_do_update(
        index_elements=["dataset", "customer_id"],
        set_={c.name: statement.excluded[c.name] for c in contacts.columns if not c.primary_key},
    )
    with engine.begin() as connection:
        connection.execute(statement, rows)
    return len(rows)


def contacts_of(engine: Engine, dataset: str) -> pd.DataFrame:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(contacts).where(contacts.c.dataset == dataset))
        return pd.DataFrame(rows.fetchall(), columns=[str(c.name) for c in contacts.columns])


def suppress(engine: Engine, dataset: str, customer_id: str, channel: str, reason: str) -> None:
    """Never contact this customer again on `channel` ("all": on any)."""
    statement = (
        _insert(engine)(suppressions)
        .values(
            dataset=dataset,
            customer_id=customer_id,
            channel=channel,
            reason=reason,
            created_at=_now(),
        )
        .on_conflict_do_nothing(index_elements=["dataset", "customer_id", "channel"])
    )
    with engine.begin() as connection:
        connection.execute(statement)


def suppressed(engine: Engine, dataset: str) -> pd.DataFrame:
    query = sa.select(suppressions).where(suppressions.c.dataset == dataset)
    with engine.connect() as connection:
        return pd.DataFrame(
            connection.execute(query).fetchall(),
            columns=[str(c.name) for c in suppressions.columns],
        )


def customer_campaigns(engine: Engine, dataset: str, customer_id: str) -> list[dict[str, Any]]:
    """The campaigns a customer was in: id, name, status, arm, and their latest outcome."""
    members = campaign_members
    query = (
        sa.select(
            campaigns.c.id,
            campaigns.c.name,
            campaigns.c.status,
            campaigns.c.created_at,
            members.c.arm,
        )
        .join(members, members.c.campaign_id == campaigns.c.id)
        .where(campaigns.c.dataset == dataset, members.c.customer_id == customer_id)
        .order_by(campaigns.c.created_at.desc())
    )
    outcomes = (
        sa.select(
            campaign_events.c.campaign_id, campaign_events.c.event, campaign_events.c.occurred_at
        )
        .where(campaign_events.c.customer_id == customer_id)
        .order_by(campaign_events.c.occurred_at)
    )
    with engine.connect() as connection:
        found = [row_dict(row) for row in connection.execute(query)]
        latest = {row.campaign_id: row.event for row in connection.execute(outcomes)}
    return [{**row, "outcome": latest.get(row["id"])} for row in found]


def move_campaign(engine: Engine, campaign_id: int, old: tuple[str, ...], new: str) -> bool:
    """Set the campaign's status to `new` if it is one of `old` (atomically); whether it was."""
    with engine.begin() as connection:
        statement = (
            campaigns.update()
            .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(old))
            .values(status=new)
        )
        return bool(connection.execute(statement).rowcount)
