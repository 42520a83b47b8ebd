"""The served model: loaded from an alias, polled, and swapped as one reference when it moves."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import anyio

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import registry
from tasks.adapters.registry import LoadedModel
from tasks.core.errors import RegistryError
from tasks.i18n import N_

log = logging.getLogger("retainai.serving")


def describe(model: LoadedModel) -> dict[str, Any]:
    """The served version, its training figures and when it was loaded."""
    tags = model.version.tags
    cv_roc_auc = tags.get("cv_roc_auc_mean")
    created = datetime.fromtimestamp(model.version.created_at / 1000, UTC)
    return {
        **model.ref,
        "family": tags.get("model_family"),
        "predictor": "compiled",
        "threshold": float(tags["threshold"]) if "threshold" in tags else None,
        "holdout_metrics": model.version.metrics,
        "cv_roc_auc_mean": float(cv_roc_auc) if cv_roc_auc else None,
        "config_digest": tags.get("config_digest"),
        "run_id": model.version.run_id,
        "trained_at": created.isoformat(),
        "loaded_at": model.loaded_at.isoformat(),
    }


class ModelHolder:
    """Holds the current model; `refresh` builds a new one fully, then swaps one reference."""

    def __init__(self, settings: Settings, alias: str, config: RunConfig, metrics: Any):
        self.settings = settings
        self.name = settings.model_name(config)
        self.alias = alias
        self.config = config
        self.metrics = metrics
        self.current: LoadedModel | None = None
        self.last_error: str | None = None
        self._lock = asyncio.Lock()

    def _load(self, known: str | None) -> LoadedModel | None:
        """Resolve the alias; load and build its version unless it is `known` (thread)."""
        registry.configure(self.settings)  # MLflow's store is process-wide: point it every time
        loaded = registry.load_champion(self.name, self.alias, unless_version=known)
        if loaded is None:
            return None
        unknown = sorted(set(loaded.compiled.inputs) - set(self.config.dataset.feature_columns))
        if unknown:
            raise RegistryError(
                N_("model v%(version)s needs columns the config lacks: %(unknown)s"),
                version=loaded.version.version,
                unknown=unknown,
            )
        return loaded

    async def refresh(self) -> tuple[str | None, str | None]:
        """Check the alias now and swap if it moved; returns (previous, current) versions."""
        async with self._lock:
            previous = self.current
            known = previous.version.version if previous else None
            try:
                loaded = await anyio.to_thread.run_sync(self._load, known)
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.metrics.reloads["failed"] += 1
                raise
            self.last_error = None
            if loaded is not None:
                self.current = loaded  # the swap: requests in flight keep the model they took
                self.metrics.reloads["loaded"] += 1
                log.info("serving %s v%s", self.name, loaded.version.version)
            return known, self.current.version.version if self.current else None

    async def poll(self, seconds: float) -> None:
        """Check the alias every `seconds` until cancelled; failures keep the current model."""
        while True:
            await anyio.sleep(seconds)
            try:
                await self.refresh()
            except Exception as exc:  # logged; the service keeps serving
                log.warning("model refresh failed: %s", exc)
