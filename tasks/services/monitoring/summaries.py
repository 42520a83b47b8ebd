"""What monitoring found, for people: the latest drift check of a table, realised performance
over time, and the stored Evidently report of a drift check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from configs.schema import RunConfig
from tasks.adapters import registry, report_store
from tasks.adapters.artifact_cache import cached_artifact
from tasks.adapters.db import row_dict
from tasks.adapters.tables import drift_reports, realised_performance
from tasks.services.context import Context


def latest_drift(ctx: Context, config: RunConfig) -> dict[str, Any] | None:
    """The table's most recent drift check, or None before the first one."""
    with ctx.engine.connect() as connection:
        found = connection.execute(
            sa.select(drift_reports)
            .where(drift_reports.c.dataset == config.dataset.name)
            .order_by(drift_reports.c.as_of.desc(), drift_reports.c.created_at.desc())
            .limit(1)
        ).first()
    return row_dict(found) if found is not None else None


def realised_history(ctx: Context, config: RunConfig) -> list[dict[str, Any]]:
    """Realised performance per model version and as_of, oldest first."""
    with ctx.engine.connect() as connection:
        rows = connection.execute(
            sa.select(realised_performance)
            .where(realised_performance.c.dataset == config.dataset.name)
            .order_by(realised_performance.c.as_of)
        ).fetchall()
    return [row_dict(row) for row in rows]


def drift_report_file(ctx: Context, uri: str) -> Path | None:
    """The Evidently report of a drift check, read through the report store (local folder or
    S3); checks recorded before reports were stored name their MLflow run artifact
    (`runs:/<run>/<path>.html`), downloaded once. None when it cannot be found; a location
    that leads outside its folder is refused (InvalidInputError)."""
    if not uri.endswith(".html"):
        return None
    if not uri.startswith("runs:/"):
        return report_store.fetch(ctx.settings, uri)
    run_id, _, path = uri.removeprefix("runs:/").partition("/")
    registry.configure(ctx.settings)
    return cached_artifact(ctx.settings, f"drift/{run_id}", run_id, path)
