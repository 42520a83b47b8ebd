"""Which version is champion, for people: list versions, promote one by hand, roll back."""

from __future__ import annotations

from typing import Any

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db, registry
from tasks.core import promotion


def _stores(settings: Settings):
    registry.configure(settings)
    engine = db.make_engine(settings.resolved_database_url)
    db.ensure_schema(engine, embedded=settings.database_url is None)
    return engine


def list_versions(settings: Settings, config: RunConfig) -> list[dict[str, Any]]:
    registry.configure(settings)
    return [
        {
            "version": v.version,
            "aliases": ",".join(v.aliases),
            "family": v.tags.get("model_family", ""),
            "roc_auc": v.metrics.get("roc_auc"),
            "brier": v.metrics.get("brier"),
            "threshold": v.tags.get("threshold", ""),
            "run_id": v.run_id,
        }
        for v in registry.versions(settings.model_name(config))
    ]


def promote_version(settings: Settings, config: RunConfig, version: str, reason: str) -> str | None:
    """Move `champion` to `version` by hand (no gates); returns the previous champion."""
    engine = _stores(settings)
    name = settings.model_name(config)
    try:
        target = registry.get_version(name, version)
        current = registry.version_by_alias(name, registry.CHAMPION)
        registry.set_alias(name, registry.CHAMPION, target.version)
        db.record_promotion(
            engine,
            model_name=name,
            action="manual",
            version=target.version,
            previous_version=current.version if current else None,
            reason=reason,
            metrics=target.metrics,
            run_id=target.run_id,
        )
    finally:
        engine.dispose()
    return current.version if current else None


def rollback(
    settings: Settings, config: RunConfig, reason: str = "rollback requested"
) -> tuple[str, str]:
    """Move `champion` back to the version that held it before; returns (from, to)."""
    engine = _stores(settings)
    name = settings.model_name(config)
    try:
        current = registry.version_by_alias(name, registry.CHAMPION)
        history = db.promotion_history(engine, name)
        target = promotion.rollback_target(history, current.version if current else None)
        restored = registry.get_version(name, target)
        registry.set_alias(name, registry.CHAMPION, target)
        db.record_promotion(
            engine,
            model_name=name,
            action="rollback",
            version=target,
            previous_version=current.version,
            reason=reason,
            metrics=restored.metrics,
            run_id=restored.run_id,
        )
    finally:
        engine.dispose()
    return current.version, target
