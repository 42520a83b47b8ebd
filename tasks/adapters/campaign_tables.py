"""The retention campaigns' tables: contacts, suppressions, audiences, messages and events.

A campaign's audience is stored with its holdout before any message exists; a message is
one row per (campaign, customer, channel), so retries and reruns never write two; events
are idempotent per (campaign, event key)."""

from __future__ import annotations

import sqlalchemy as sa

from tasks.adapters.tables import campaigns, metadata

__all__ = [
    "campaign_events",
    "campaign_members",
    "campaign_messages",
    "campaign_reports",
    "campaigns",
    "contacts",
    "suppressions",
]

contacts = sa.Table(
    "contacts",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("first_name", sa.String(100)),
    sa.Column("email", sa.String(320)),
    sa.Column("phone", sa.String(32)),
    sa.Column("language", sa.String(8)),  # en | fr; none: the table's default language
    sa.Column("consent_email", sa.Boolean, nullable=False),
    sa.Column("consent_sms", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Never contacted again on that channel ("all": on any): unsubscribed, bounced or imported.
suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(10), primary_key=True),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

campaign_members = sa.Table(
    "campaign_members",
    metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("arm", sa.String(10), nullable=False),  # treated | holdout
    sa.Column("risk_segment", sa.String(10), nullable=False),
    sa.Column("churn_probability", sa.Float, nullable=False),
    sa.Column("lifetime_value", sa.Float),
    sa.Column("expected_profit", sa.Float),
    sa.Column("rank", sa.Integer, nullable=False),
)

campaign_messages = sa.Table(
    "campaign_messages",
    metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(10), primary_key=True),
    # draft -> approved -> sending -> sent; failed, unknown (a crash while sending)
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("subject", sa.Text),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("call_to_action", sa.Text),
    sa.Column("language", sa.String(8)),  # the language it is written in (en, fr)
    sa.Column("path", sa.Text, nullable=False),  # llm | llm-retry | template: why (whole)
    sa.Column("prompt_version", sa.String(60), nullable=False),
    sa.Column("prompt_tokens", sa.Integer, nullable=False),
    sa.Column("completion_tokens", sa.Integer, nullable=False),
    sa.Column("cost", sa.Float, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("edited_by", sa.String(320)),  # a person changed the text: who, and when
    sa.Column("edited_at", sa.DateTime(timezone=True)),
    sa.Index("ix_campaign_messages_status", "campaign_id", "status"),
)

campaign_events = sa.Table(
    "campaign_events",
    metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True),
    sa.Column("event_key", sa.String(200), primary_key=True),
    sa.Column("customer_id", sa.String(64), nullable=False),
    # delivered | opened | clicked | accepted | retained | churned
    sa.Column("event", sa.String(20), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_campaign_events_customer", "campaign_id", "customer_id"),
)

# A campaign's report (counts, lift, revenue with their intervals), computed when its outcomes
# or messages change and read as stored by every view: never recomputed on a read.
campaign_reports = sa.Table(
    "campaign_reports",
    metadata,
    sa.Column("campaign_id", sa.Integer, primary_key=True),
    sa.Column("report", sa.JSON, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),  # outcome events it was computed from
    sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
)
