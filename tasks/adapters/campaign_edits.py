"""Changes a person makes to a campaign before it is sent: one message read, its text
replaced (edited or written again), a customer's messages excluded, the campaign cancelled.
Each is one transaction that only moves a message from the status it was read in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import campaign_messages, campaigns
from tasks.adapters.db import row_dict

_messages = campaign_messages


def _one(campaign_id: int, customer_id: str, channel: str):
    return (
        _messages.c.campaign_id == campaign_id,
        _messages.c.customer_id == customer_id,
        _messages.c.channel == channel,
    )


def get_message(
    engine: Engine, campaign_id: int, customer_id: str, channel: str
) -> dict[str, Any] | None:
    query = sa.select(_messages).where(*_one(campaign_id, customer_id, channel))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else row_dict(row)


def replace_text(
    engine: Engine,
    campaign_id: int,
    customer_id: str,
    channel: str,
    values: dict[str, Any],
    status: str = "draft",
) -> bool:
    """Replace a message's text (and how it was written) while it is in `status`; whether
    it was (False: it moved on meanwhile, or does not exist)."""
    statement = (
        _messages.update()
        .where(*_one(campaign_id, customer_id, channel), _messages.c.status == status)
        .values(**values)
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount == 1


def exclude_customer(
    engine: Engine, campaign_id: int, customer_id: str, unsent: tuple[str, ...], by: str
) -> int:
    """The customer's messages still in `unsent` statuses become `excluded`; how many."""
    statement = (
        _messages.update()
        .where(
            _messages.c.campaign_id == campaign_id,
            _messages.c.customer_id == customer_id,
            _messages.c.status.in_(unsent),
        )
        .values(status="excluded", error=f"excluded by {by}"[:300])
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def cancel_campaign(
    engine: Engine, campaign_id: int, from_statuses: tuple[str, ...], unsent: tuple[str, ...]
) -> int | None:
    """The campaign `cancelled` and its unsent messages with it, in one transaction, only
    while its status is one of `from_statuses`; how many messages (None: it had moved on)."""
    with engine.begin() as connection:
        moved = connection.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(from_statuses))
            .values(status="cancelled")
        ).rowcount
        if moved != 1:
            return None
        return connection.execute(
            _messages.update()
            .where(_messages.c.campaign_id == campaign_id, _messages.c.status.in_(unsent))
            .values(status="cancelled", error="campaign cancelled")
        ).rowcount


def now() -> datetime:
    return datetime.now(UTC)
