"""The application database schema (SQLAlchemy Core). Alembic migrations create it."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

model_promotions = sa.Table(
    "model_promotions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),  # promote | refuse | rollback | manual
    sa.Column("version", sa.String(20), nullable=False),
    sa.Column("previous_version", sa.String(20)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("run_id", sa.String(64)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_model_promotions_model_created", "model_name", "created_at"),
)
