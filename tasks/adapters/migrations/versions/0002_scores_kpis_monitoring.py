"""Scores, scoring runs, KPI snapshots, drift reports, realised performance, current scores.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SCORE_COLUMNS = [
    ("churn_probability", sa.Float, False),
    ("risk_segment", sa.String(10), False),
    ("top_reasons", sa.JSON, False),
    ("monthly_charges", sa.Float, False),
    ("segment_value", sa.String(100), False),
    ("expected_remaining_months", sa.Float, True),
    ("lifetime_value", sa.Float, True),
    ("scored_at", sa.DateTime(timezone=True), False),
]

CURRENT_SCORES_VIEW = """
CREATE VIEW current_scores AS
SELECT customer_id, as_of, model_version, churn_probability, risk_segment, top_reasons,
       monthly_charges, segment_value, expected_remaining_months, lifetime_value, scored_at,
       run_id
FROM (
    SELECT s.*, ROW_NUMBER() OVER (
        PARTITION BY customer_id ORDER BY as_of DESC, scored_at DESC
    ) AS position
    FROM customer_scores AS s
) AS ranked
WHERE position = 1
"""


def _score_columns():
    return [sa.Column(name, kind, nullable=nullable) for name, kind, nullable in SCORE_COLUMNS]


def upgrade() -> None:
    op.create_table(
        "scoring_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("rows_in", sa.Integer),
        sa.Column("rows_scored", sa.Integer),
        sa.Column("rows_quarantined", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_scoring_runs_as_of", "scoring_runs", ["as_of"])
    op.create_table(
        "customer_scores",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(20), primary_key=True),
        *_score_columns(),
        sa.Column("run_id", sa.String(64), nullable=False),
    )
    op.create_index(
        "ix_customer_scores_as_of_segment", "customer_scores", ["as_of", "risk_segment"]
    )
    op.create_table(
        "customer_scores_staging",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("model_version", sa.String(20), nullable=False),
        *_score_columns(),
    )
    op.create_index(
        "ix_customer_scores_staging_run", "customer_scores_staging", ["run_id", "chunk"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_scores_staging SET UNLOGGED")  # scratch rows only
    op.create_table(
        "kpi_snapshots",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(20), primary_key=True),
        sa.Column("kpis", sa.JSON, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drift_reports",
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("model_version", sa.String(20), primary_key=True),
        sa.Column("dataset_drift", sa.Boolean, nullable=False),
        sa.Column("drifted_share", sa.Float, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("report_uri", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "realised_performance",
        sa.Column("model_version", sa.String(20), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("roc_auc", sa.Float),
        sa.Column("precision_at_10", sa.Float),
        sa.Column("brier", sa.Float),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("alert", sa.Text),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(CURRENT_SCORES_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW current_scores")
    for table in (
        "realised_performance",
        "drift_reports",
        "kpi_snapshots",
        "customer_scores_staging",
        "customer_scores",
        "scoring_runs",
    ):
        op.drop_table(table)
