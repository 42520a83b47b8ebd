"""The application database schema (SQLAlchemy Core). Alembic migrations create it.

Every scoring and monitoring row belongs to one churn table (`dataset`, the config's
`dataset.name`), so two tables' scores, KPIs and model versions never meet."""

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

scoring_runs = sa.Table(
    "scoring_runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("dataset", sa.String(64), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("model_name", sa.String(200), nullable=False),
    sa.Column("model_version", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | completed | failed
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("rows_in", sa.Integer),
    sa.Column("rows_scored", sa.Integer),
    sa.Column("rows_quarantined", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Index("ix_scoring_runs_dataset_as_of", "dataset", "as_of"),
)

customer_scores = sa.Table(
    "customer_scores",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
    sa.Column("customer_id", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("model_version", sa.String(20), primary_key=True),
    sa.Column("churn_probability", sa.Float, nullable=False),
    sa.Column("risk_segment", sa.String(10), nullable=False),
    sa.Column("top_reasons", sa.JSON, nullable=False),
    sa.Column("monthly_value", sa.Float),  # the value role's figure; NULL without one
    sa.Column("segment_value", sa.String(100)),  # NULL without a segment role
    sa.Column("expected_remaining_months", sa.Float),
    sa.Column("lifetime_value", sa.Float),
    sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
)


def score_band(probability: sa.ColumnElement) -> sa.ColumnElement:
    """A churn probability's band of width 1/1000, as the database computes it (monotone in
    the probability, so ordering by band then probability is ordering by probability)."""
    return sa.cast(probability * sa.literal_column("1000"), sa.Integer)


# Lists by churn score read one period's segment value in band order: a band is a few hundred
# rows to sort, and inserts land on a few thousand hot pages instead of a million random ones.
sa.Index(
    "ix_customer_scores_dataset_as_of_value_band",
    customer_scores.c.dataset,
    customer_scores.c.as_of,
    customer_scores.c.segment_value,
    score_band(customer_scores.c.churn_probability),
)

# The `current_scores` view (migrations 0002, 0005): each customer's latest score per table.
current_scores_view = sa.table(
    "current_scores", *[sa.column(c.name, c.type) for c in customer_scores.columns]
)

# Rows of an unfinished scoring run; merged into customer_scores in one transaction.
customer_scores_staging = sa.Table(
    "customer_scores_staging",
    metadata,
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("chunk", sa.Integer, nullable=False),
    *[
        sa.Column(c.name, c.type, nullable=c.nullable)
        for c in customer_scores.columns
        if c.name not in ("run_id", "dataset", "as_of", "model_version", "scored_at")  # per run
    ],
)

kpi_snapshots = sa.Table(
    "kpi_snapshots",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
    sa.Column("as_of", sa.Date, primary_key=True),
    sa.Column("model_version", sa.String(20), primary_key=True),
    sa.Column("kpis", sa.JSON, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

drift_reports = sa.Table(
    "drift_reports",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
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

realised_performance = sa.Table(
    "realised_performance",
    metadata,
    sa.Column("dataset", sa.String(64), primary_key=True),
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

# API tokens of the serving API: only a SHA-256 of each token is kept; `prefix` finds the row.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),  # app | viewer | analyst | admin
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("expires_at", sa.DateTime(timezone=True)),  # a login's token; None: never
    sa.Column(  # a login's token: its user (role and active state checked on every use)
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_api_tokens_user_id"),
        index=True,
    ),
)

# Retention campaigns (their audiences, messages and events: campaign_tables.py).
campaigns = sa.Table(
    "campaigns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("segment_filter", sa.JSON, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # requested | draft | approved | sent
    sa.Column("holdout_share", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(320), nullable=False),  # the user's email, or token's name
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("dataset", sa.String(64)),  # NULL for requests recorded before campaigns ran
    sa.Column("offer", sa.String(100)),
    sa.Column("channels", sa.JSON),
    sa.Column("scheduled_at", sa.DateTime(timezone=True)),
    sa.Column("scores_as_of", sa.Date),
    sa.Column("totals", sa.JSON),  # audience, messages, tokens, cost
    sa.Column("approved_by", sa.String(320)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Index("ix_campaigns_created_at", "created_at"),
)
