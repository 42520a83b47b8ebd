"""One application database, several churn tables; business columns optional.

Every scoring and monitoring key gains the table (`dataset`, the config's dataset.name), so
two tables' "version 1" never meet. Rows written before belong to the Telco table, the only
one there was. `monthly_charges` becomes `monthly_value` (the value role) and, like
`segment_value`, is NULL for a table without that role. Tables are rebuilt and their rows
copied (nothing is lost); staging holds only rows of runs in progress and is recreated.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EXISTING = "telco"  # the table every row so far was scored from


def _score_values() -> list[sa.Column]:
    return [
        sa.Column("churn_probability", sa.Float, nullable=False),
        sa.Column("risk_segment", sa.String(10), nullable=False),
        sa.Column("top_reasons", sa.JSON, nullable=False),
    ]


def _lifetime() -> list[sa.Column]:
    return [sa.Column("expected_remaining_months", sa.Float), sa.Column("lifetime_value", sa.Float)]


def _view(with_dataset: bool) -> str:
    names = ", ".join(c.name for c in _tables(with_dataset)["customer_scores"])
    partition = "dataset, customer_id" if with_dataset else "customer_id"
    return f"""
CREATE VIEW current_scores AS
SELECT {names} FROM (
    SELECT s.*, ROW_NUMBER() OVER (
        PARTITION BY {partition} ORDER BY as_of DESC, scored_at DESC
    ) AS position
    FROM customer_scores AS s
) AS ranked
WHERE position = 1
"""


def _tables(with_dataset: bool) -> dict[str, list[sa.Column]]:
    """Column lists of the rebuilt tables (with the new keys, or as revision 0004 had them)."""

    def key() -> list[sa.Column]:
        return [sa.Column("dataset", sa.String(64), nullable=False)] if with_dataset else []

    value = "monthly_value" if with_dataset else "monthly_charges"
    return {
        "customer_scores": [
            *key(),
            sa.Column("customer_id", sa.String(64), nullable=False),
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("model_version", sa.String(20), nullable=False),
            *_score_values(),
            sa.Column(value, sa.Float, nullable=with_dataset),
            sa.Column("segment_value", sa.String(100), nullable=with_dataset),
            *_lifetime(),
            sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("run_id", sa.String(64), nullable=False),
        ],
        "kpi_snapshots": [
            *key(),
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("model_version", sa.String(20), nullable=False),
            sa.Column("kpis", sa.JSON, nullable=False),
            sa.Column("run_id", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ],
        "drift_reports": [
            *key(),
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("model_version", sa.String(20), nullable=False),
            sa.Column("dataset_drift", sa.Boolean, nullable=False),
            sa.Column("drifted_share", sa.Float, nullable=False),
            sa.Column("summary", sa.JSON, nullable=False),
            sa.Column("action", sa.String(20), nullable=False),
            sa.Column("report_uri", sa.Text, nullable=False),
            sa.Column("run_id", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        ],
        "realised_performance": [
            *key(),
            sa.Column("model_version", sa.String(20), nullable=False),
            sa.Column("as_of", sa.Date, nullable=False),
            sa.Column("rows", sa.Integer, nullable=False),
            sa.Column("roc_auc", sa.Float),
            sa.Column("precision_at_10", sa.Float),
            sa.Column("brier", sa.Float),
            sa.Column("details", sa.JSON, nullable=False),
            sa.Column("alert", sa.Text),
            sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        ],
        "scoring_runs": [
            sa.Column("run_id", sa.String(64), nullable=False),
            *key(),
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
        ],
    }


KEYS = {
    "customer_scores": ["customer_id", "as_of", "model_version"],
    "kpi_snapshots": ["as_of", "model_version"],
    "drift_reports": ["as_of", "model_version"],
    "realised_performance": ["model_version", "as_of"],
    "scoring_runs": ["run_id"],
}
OLD_INDEXES = {
    "customer_scores": ("ix_customer_scores_as_of_segment", ["as_of", "risk_segment"]),
    "scoring_runs": ("ix_scoring_runs_as_of", ["as_of"]),
}
NEW_INDEXES = {
    "customer_scores": ("ix_customer_scores_dataset_as_of_segment", ["as_of", "risk_segment"]),
    "scoring_runs": ("ix_scoring_runs_dataset_as_of", ["as_of"]),
}


def _rebuild(with_dataset: bool) -> None:
    """Recreate each table in the target shape and copy its rows across."""
    old_indexes, new_indexes = (OLD_INDEXES, NEW_INDEXES) if with_dataset else (
        NEW_INDEXES, OLD_INDEXES)
    for table, columns in _tables(with_dataset).items():
        old = f"{table}_old"
        index = old_indexes.get(table)
        if index is not None:
            op.drop_index(index[0], table_name=table)
        op.rename_table(table, old)
        keys = (["dataset"] if with_dataset and table != "scoring_runs" else []) + KEYS[table]
        suffix = "_v5" if with_dataset else ""
        op.create_table(table, *columns, sa.PrimaryKeyConstraint(*keys, name=f"pk_{table}{suffix}"))
        names = [c.name for c in columns]
        if with_dataset:
            source = [f"'{EXISTING}'" if n == "dataset" else n for n in names]
            source = ["monthly_charges" if n == "monthly_value" else n for n in source]
            where = ""
        else:
            source = ["monthly_value" if n == "monthly_charges" else n for n in names]
            where = f" WHERE dataset = '{EXISTING}'"
        op.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(source)} "
                   f"FROM {old}{where}")
        op.drop_table(old)
        index = new_indexes.get(table)
        if index is not None:
            prefix = ["dataset"] if with_dataset else []
            op.create_index(index[0], table, [*prefix, *index[1]])


def _staging(with_dataset: bool) -> None:
    value = "monthly_value" if with_dataset else "monthly_charges"
    op.drop_table("customer_scores_staging")  # rows of runs in progress only
    op.create_table(
        "customer_scores_staging",
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("chunk", sa.Integer, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        *_score_values(),
        sa.Column(value, sa.Float, nullable=with_dataset),
        sa.Column("segment_value", sa.String(100), nullable=with_dataset),
        *_lifetime(),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_scores_staging SET UNLOGGED")


def upgrade() -> None:
    op.execute("DROP VIEW current_scores")
    _rebuild(with_dataset=True)
    _staging(with_dataset=True)
    op.execute(_view(with_dataset=True))


def downgrade() -> None:
    op.execute("DROP VIEW current_scores")
    _rebuild(with_dataset=False)
    _staging(with_dataset=False)
    op.execute(_view(with_dataset=False))
