"""Customer lists read one scoring period in churn-probability order: the (dataset, as_of,
risk_segment) index becomes (dataset, as_of, churn_probability, customer_id), which serves
the same period lookups, keyset pages by score and probability ranges (risk segments).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_customer_scores_dataset_as_of_segment", table_name="customer_scores")
    op.create_index(
        "ix_customer_scores_dataset_as_of_probability",
        "customer_scores",
        ["dataset", "as_of", "churn_probability", "customer_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_customer_scores_dataset_as_of_probability", table_name="customer_scores")
    op.create_index(
        "ix_customer_scores_dataset_as_of_segment",
        "customer_scores",
        ["dataset", "as_of", "risk_segment"],
    )
