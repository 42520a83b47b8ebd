"""What the model page shows, read from the registry and the application database: champion
and challenger with their holdout figures and plots, the promotion log, the latest drift check
and realised performance over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from configs.schema import RunConfig
from tasks.adapters import db, registry
from tasks.adapters.artifact_cache import cached_artifact
from tasks.core.errors import RegistryError
from tasks.core.model_card import CardFacts
from tasks.services.context import Context
from tasks.services.monitoring.summaries import latest_drift, realised_history

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
        "card": CardFacts.from_tags(found.tags),  # None: registered without its facts
    }


def model_overview(ctx: Context, config: RunConfig) -> dict[str, Any]:
    """name, champion, challenger, promotions (newest first, 20), drift, realised."""
    registry.configure(ctx.settings)
    name = ctx.settings.model_name(config)
    found = registry.versions(name)
    champion = next((v for v in found if registry.CHAMPION in v.aliases), None)
    challenger = next((v for v in found if "challenger" in v.aliases and v is not champion), None)
    return {
        "name": name,
        "champion": _version(champion),
        "challenger": _version(challenger),
        "promotions": list(reversed(db.promotion_history(ctx.engine, name)))[:20],
        "drift": latest_drift(ctx, config),
        "realised": realised_history(ctx, config),
    }


def evaluation_plot(ctx: Context, config: RunConfig, version: str, plot: str) -> Path | None:
    """One holdout plot of a registered version (downloaded once from its run), or None."""
    if plot not in PLOTS:
        return None
    registry.configure(ctx.settings)
    name = ctx.settings.model_name(config)
    try:
        found = registry.get_version(name, version)
    except RegistryError:
        return None
    key = f"{name}/{found.version}"
    return cached_artifact(ctx.settings, key, found.run_id, f"evaluation/{plot}")
