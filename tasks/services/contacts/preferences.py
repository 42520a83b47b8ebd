"""Customers' contacts and their wishes: importing contacts with their consents, honouring
an unsubscribe link, and which (customer, channel) pairs a campaign may write to."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import campaign_store as store
from tasks.adapters import db
from tasks.adapters.deliverers import CHANNEL_ADAPTERS
from tasks.core.contacts import contact_rows, reachable
from tasks.core.errors import ConfigError, NotFoundError
from tasks.core.unsubscribe import read_token
from tasks.i18n import N_
from tasks.services.context import Context

UNSUBSCRIBE_MAX_AGE_DAYS = 365  # a link in an old email still works for a year


@dataclass(frozen=True)
class Unsubscribed:
    campaign_id: int
    customer_id: str


def import_contacts(ctx: Context, config: RunConfig, raw: pd.DataFrame) -> int:
    """Contacts (customer_id, first_name, email, phone, consent_email, consent_sms) into
    their table, replacing earlier rows of the same customers, in one transaction."""
    rows = contact_rows(raw, config.dataset.name)
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)
    return store.upsert_contacts(ctx.engine, rows)


def check_unsubscribe(ctx: Context, config: RunConfig, token: str) -> Unsubscribed:
    """Whose unsubscribe link this is, changing nothing: UnsubscribeTokenError for a forged,
    malformed or expired link, NotFoundError for one naming no campaign of the table."""
    if ctx.settings.secret_key is None:
        raise ConfigError("unsubscribe links need RETAINAI_SECRET_KEY")
    secret = ctx.settings.secret_key.get_secret_value()
    campaign_id, customer_id = read_token(secret, token, max_age=UNSUBSCRIBE_MAX_AGE_DAYS * 86400)
    found = store.get_campaign(ctx.engine, int(campaign_id))
    if found is None or found.get("dataset") != config.dataset.name:
        raise NotFoundError(
            N_("no campaign %(id)s of %(dataset)s"), id=campaign_id, dataset=config.dataset.name
        )
    return Unsubscribed(int(campaign_id), str(customer_id))


def unsubscribe(ctx: Context, config: RunConfig, token: str) -> Unsubscribed:
    """Honour an unsubscribe link: the customer of the signed token is never contacted again
    on any channel (idempotent). Errors as `check_unsubscribe`."""
    link = check_unsubscribe(ctx, config, token)
    store.suppress(ctx.engine, config.dataset.name, link.customer_id, "all", "unsubscribed")
    return link


def reachable_pairs(
    ctx: Context, config: RunConfig, customers: pd.Series, channels: list[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The (customer_id, channel) pairs that may get a message (a contact with an address
    and consent on the channel, not suppressed), and how many were left out, by reason."""
    people = store.contacts_of(ctx.engine, config.dataset.name).set_index("customer_id")
    blocked = store.suppressed(ctx.engine, config.dataset.name)
    columns = {c: (CHANNEL_ADAPTERS[c].address, CHANNEL_ADAPTERS[c].consent) for c in channels}
    return reachable(customers, channels, people, blocked, columns)
