"""Campaign messages in the customer's language: `contacts.language` (the language a customer
reads, from the contacts import; null: the table's default) and `campaign_messages.language`
(the language a message was written in, so the sender's greeting, button and footer match
it). `campaign_messages.path` keeps the whole reason the fallback template wrote a message
(it was cut at 40 characters).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
    with op.batch_alter_table("campaign_messages") as batch:
        batch.add_column(sa.Column("language", sa.String(8), nullable=True))
        batch.alter_column(
            "path", type_=sa.Text, existing_type=sa.String(40), existing_nullable=False
        )


def downgrade() -> None:
    messages = sa.table("campaign_messages", sa.column("path", sa.Text))
    op.execute(messages.update().values(path=sa.func.substr(messages.c.path, 1, 40)))
    with op.batch_alter_table("campaign_messages") as batch:
        batch.alter_column(
            "path", type_=sa.String(40), existing_type=sa.Text, existing_nullable=False
        )
        batch.drop_column("language")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("language")
