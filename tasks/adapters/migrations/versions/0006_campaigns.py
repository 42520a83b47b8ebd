"""Retention campaigns: contacts, suppressions, audiences with their holdout, messages, events.

The campaigns table keeps its requests and gains what a run campaign records.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CAMPAIGN_COLUMNS = [
    ("dataset", sa.String(64)),
    ("offer", sa.String(100)),
    ("channels", sa.JSON),
    ("scheduled_at", sa.DateTime(timezone=True)),
    ("scores_as_of", sa.Date),
    ("totals", sa.JSON),
    ("approved_by", sa.String(100)),
    ("approved_at", sa.DateTime(timezone=True)),
]


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for name, kind in CAMPAIGN_COLUMNS:
            batch.add_column(sa.Column(name, kind))
    op.create_table(
        "contacts",
        sa.Column("dataset", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("first_name", sa.String(100)),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(32)),
        sa.Column("consent_email", sa.Boolean, nullable=False),
        sa.Column("consent_sms", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "suppressions",
        sa.Column("dataset", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("arm", sa.String(10), nullable=False),
        sa.Column("risk_segment", sa.String(10), nullable=False),
        sa.Column("churn_probability", sa.Float, nullable=False),
        sa.Column("lifetime_value", sa.Float),
        sa.Column("expected_profit", sa.Float),
        sa.Column("rank", sa.Integer, nullable=False),
    )
    op.create_table(
        "campaign_messages",
        sa.Column("campaign_id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(10), primary_key=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("subject", sa.Text),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("call_to_action", sa.Text),
        sa.Column("path", sa.String(40), nullable=False),
        sa.Column("prompt_version", sa.String(60), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
    )
    op.create_index(
        "ix_campaign_messages_status", "campaign_messages", ["campaign_id", "status"]
    )
    op.create_table(
        "campaign_events",
        sa.Column("campaign_id", sa.Integer, primary_key=True),
        sa.Column("event_key", sa.String(200), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_campaign_events_customer", "campaign_events", ["campaign_id", "customer_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_events_customer", table_name="campaign_events")
    op.drop_table("campaign_events")
    op.drop_index("ix_campaign_messages_status", table_name="campaign_messages")
    for table in ("campaign_messages", "campaign_members", "suppressions", "contacts"):
        op.drop_table(table)
    with op.batch_alter_table("campaigns") as batch:
        for name, _ in reversed(CAMPAIGN_COLUMNS):
            batch.drop_column(name)
