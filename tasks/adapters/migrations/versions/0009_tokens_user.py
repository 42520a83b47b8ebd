"""A login's API token belongs to its user: `api_tokens.user_id` (null for the tokens admins
create for machines). Login tokens issued before this revision have no user to check, so
they are revoked: their users log in again. A campaign records who created and approved it
by the user's email, so those columns take an email's length.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer, nullable=True))
        batch.create_foreign_key(
            "fk_api_tokens_user_id", "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_api_tokens_user_id", ["user_id"])
    with op.batch_alter_table("campaigns") as batch:
        for column, nullable in (("created_by", False), ("approved_by", True)):
            batch.alter_column(
                column,
                type_=sa.String(320),
                existing_type=sa.String(100),
                existing_nullable=nullable,
            )
    tokens = sa.table(
        "api_tokens",
        sa.column("name", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        tokens.update()
        .where(
            tokens.c.name.like("login-%"),
            tokens.c.expires_at.is_not(None),
            tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=datetime.now(UTC))
    )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        for column, nullable in (("created_by", False), ("approved_by", True)):
            batch.alter_column(
                column,
                type_=sa.String(100),
                existing_type=sa.String(320),
                existing_nullable=nullable,
            )
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_user_id")
        batch.drop_constraint("fk_api_tokens_user_id", type_="foreignkey")
        batch.drop_column("user_id")
