"""Customer lists by churn score: the scores of a period indexed by segment role value and
score band (the probability in thousandths) instead of by risk segment; risk segments are
probability ranges.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BAND = sa.text("CAST(churn_probability * 1000 AS INTEGER)")


def upgrade() -> None:
    op.drop_index("ix_customer_scores_dataset_as_of_segment", table_name="customer_scores")
    op.create_index(
        "ix_customer_scores_dataset_as_of_value_band",
        "customer_scores",
        ["dataset", "as_of", "segment_value", BAND],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_scores_dataset_as_of_value_band", table_name="customer_scores")
    op.create_index(
        "ix_customer_scores_dataset_as_of_segment",
        "customer_scores",
        ["dataset", "as_of", "risk_segment"],
    )
