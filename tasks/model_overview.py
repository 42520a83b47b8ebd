"""What the model page shows, read from the registry and the application database: champion
and challenger with their holdout figures and plots, the promotion log, the latest drift check
and realised performance over time. Plain functions (no Prefect) for the web app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db, registry, report_store
from tasks.adapters.artifact_cache import cached_artifact
from tasks.adapters.db import row_dict
from tasks.adapters.tables import drift_reports, realised_performance
from tasks.core.errors import RegistryError

PLOTS = ("roc.png", "pr.png", "calibration.png", "confusion_matrix.png", "feature_importance.png")


def _version(found: registry.ModelVersion | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {
        "version": found.version,
        "aliases": found.aliases,
        "run_id": found.run_id,
        "family": found.tags.get("model_family", ""),
        "threshold": found.tags.get("threshold"),
        "reason": found.tags.get("model_choice_reason", ""),
        "metrics": found.metrics,
    }


def model_overview(settings: Settings, config: RunConfig, engine: Engine) -> dict[str, Any]:
    registry.configure(settings)
    name, dataset = settings.model_name(config), config.dataset.name
    found = registry.versions(name)
    champion = next((v for v in found if registry.CHAMPION in v.aliases), None)
    challenger = next((v for v in found if "challenger" in v.aliases and v is not champion), None)
    with engine.connect() as connection:
        drift = connection.execute(
            sa.select(drift_reports)
            .where(drift_reports.c.dataset == dataset)
            .order_by(drift_reports.c.as_of.desc(), drift_reports.c.created_at.desc())
            .limit(1)
        ).first()
        realised = connection.execute(
            sa.select(realised_performance)
            .where(realised_performance.c.dataset == dataset)
            .order_by(realised_performance.c.as_of)
        ).fetchall()
    return {
        "name": name,
        "champion": _version(champion),
        "challenger": _version(challenger),
        "promotions": list(reversed(db.promotion_history(engine, name)))[:20],
        "drift": row_dict(drift) if drift is not None else None,
        "realised": [row_dict(row) for row in realised],
    }


def evaluation_plot(settings: Settings, config: RunConfig, version: str, plot: str) -> Path | None:
    """One holdout plot of a registered version (downloaded once from its run), or None."""
    if plot not in PLOTS:
        return None
    registry.configure(settings)
    name = settings.model_name(config)
    try:
        found = registry.get_version(name, version)
    except RegistryError:
        return None
    return cached_artifact(settings, f"{name}/{found.version}", found.run_id, f"evaluation/{plot}")


def drift_report_file(settings: Settings, uri: str) -> Path | None:
    """The Evidently report of a drift check, read through the report store (local folder or
    S3); checks recorded before reports were stored name their MLflow run artifact
    (`runs:/<run>/<path>.html`), downloaded once. None when it cannot be found; a location
    that leads outside its folder is refused (InvalidInputError)."""
    if not uri.endswith(".html"):
        return None
    if not uri.startswith("runs:/"):
        return report_store.fetch(settings, uri)
    run_id, _, path = uri.removeprefix("runs:/").partition("/")
    registry.configure(settings)
    return cached_artifact(settings, f"drift/{run_id}", run_id, path)
