"""Who a customer is and when they were last contacted, as the customers list and the
campaign audiences read it: contacts' names and e-mail addresses, whether a table has any
contacts, and the customers contacted since a moment (across the table's campaigns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import campaign_messages, contacts
from tasks.adapters.tables import campaigns

# messages that reached the customer or are on their way (a crash's `unknown` may have)
_UNDER_WAY = ("approved", "sending", "unknown")


def contacted_since(engine: Engine, dataset: str, since: datetime) -> set[str]:
    """Customers of the table's campaigns contacted since `since`: a message sent then, or
    an approved one on its way (approved, sending or unknown) written since then."""
    sent = campaign_messages.c.sent_at >= since
    coming = campaign_messages.c.status.in_(_UNDER_WAY) & (campaign_messages.c.created_at >= since)
    query = (
        sa.select(campaign_messages.c.customer_id)
        .distinct()
        .join(campaigns, campaigns.c.id == campaign_messages.c.campaign_id)
        .where(campaigns.c.dataset == dataset, sent | coming)
    )
    with engine.connect() as connection:
        return {str(row[0]) for row in connection.execute(query)}


def has_contacts(engine: Engine, dataset: str) -> bool:
    """Whether any contact of the table was imported."""
    query = sa.select(contacts.c.customer_id).where(contacts.c.dataset == dataset).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def contact_names(engine: Engine, dataset: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The name and e-mail address of these customers' contacts (those that have one)."""
    if not ids:
        return {}
    query = sa.select(contacts.c.customer_id, contacts.c.first_name, contacts.c.email).where(
        contacts.c.dataset == dataset, contacts.c.customer_id.in_(ids)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).fetchall()
    return {r.customer_id: {"name": r.first_name, "email": r.email} for r in rows}
