"""One customer's contact data as the customer page shows it (the campaigns read contacts in
bulk through campaign_store)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.campaign_tables import contacts


def contact_of(engine: Engine, dataset: str, customer_id: str) -> dict[str, Any] | None:
    """The customer's name, email, phone and consents, or None without contact data."""
    query = sa.select(contacts).where(
        contacts.c.dataset == dataset, contacts.c.customer_id == customer_id
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else dict(row._mapping)
