"""The served model: loaded from an alias, polled, and swapped as one reference when it moves."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import anyio
import numpy as np
import pandas as pd

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import registry
from tasks.core import explain
from tasks.core.errors import RegistryError
from tasks.core.fastpath import FastModel, compile_pipeline

log = logging.getLogger("retainai.serving")


def records_frame(records: list[dict[str, Any]], config: RunConfig) -> pd.DataFrame:
    """Validated records as the pipeline's typed input frame (numbers float64, texts object)."""
    data = config.dataset
    frame = pd.DataFrame.from_records(records, columns=data.feature_columns)
    types = {c: "float64" for c in data.numeric} | {c: object for c in data.categorical}
    return frame.astype(types)


class PipelinePredictor:
    """The pipeline's own predict_proba, for models the fast path cannot compile."""

    def __init__(self, pipeline: Any, config: RunConfig):
        self.pipeline = pipeline
        self.config = config

    def predict_records(self, records: list[dict[str, Any]]) -> np.ndarray:
        return self.pipeline.predict_proba(records_frame(records, self.config))[:, 1]


@dataclass(frozen=True)
class LoadedModel:
    """Everything a request needs, built before the swap: pipeline, predictor, metadata."""

    name: str
    alias: str
    version: str
    pipeline: Any
    predictor: Any  # FastModel, or PipelinePredictor as a fallback
    info: registry.ModelVersion
    loaded_at: datetime
    ref: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        ref = {"name": self.name, "version": self.version, "alias": self.alias}
        object.__setattr__(self, "ref", ref)

    def describe(self) -> dict[str, Any]:
        tags = self.info.tags
        fallback = isinstance(self.predictor, PipelinePredictor)
        cv_roc_auc = tags.get("cv_roc_auc_mean")
        return {
            **self.ref,
            "family": tags.get("model_family"),
            "predictor": "pipeline" if fallback else "fastpath",
            "threshold": float(tags["threshold"]) if "threshold" in tags else None,
            "holdout_metrics": self.info.metrics,
            "cv_roc_auc_mean": float(cv_roc_auc) if cv_roc_auc else None,
            "config_digest": tags.get("config_digest"),
            "run_id": self.info.run_id,
            "trained_at": datetime.fromtimestamp(self.info.created_at / 1000, UTC).isoformat(),
            "loaded_at": self.loaded_at.isoformat(),
        }


def build_model(name: str, alias: str, info: registry.ModelVersion, pipeline: Any, config):
    """Compile the fast predictor and check the model's inputs against the serving config."""
    try:
        predictor = compile_pipeline(pipeline)
        inputs = predictor.inputs
    except TypeError as exc:
        log.warning("model v%s: fast path unavailable (%s); using predict_proba", info.version, exc)
        predictor = PipelinePredictor(pipeline, config)
        inputs = tuple(getattr(pipeline, "feature_names_in_", config.dataset.feature_columns))
    unknown = sorted(set(inputs) - set(config.dataset.feature_columns))
    if unknown:
        raise RegistryError(f"model v{info.version} needs columns the config lacks: {unknown}")
    if isinstance(predictor, FastModel):
        predictor.warm_up()
    explain.prepare(pipeline)  # explain=true requests use it
    return LoadedModel(name, alias, info.version, pipeline, predictor, info, datetime.now(UTC))


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
        found = registry.version_by_alias(self.name, self.alias)
        if found is None:
            raise RegistryError(f"model {self.name!r} has no {self.alias!r} version yet")
        if found.version == known:
            return None
        pipeline = registry.load_pipeline(self.name, found.version)
        return build_model(self.name, self.alias, found, pipeline, self.config)

    async def refresh(self) -> tuple[str | None, str | None]:
        """Check the alias now and swap if it moved; returns (previous, current) versions."""
        async with self._lock:
            previous = self.current
            known = previous.version if previous else None
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
                log.info("serving %s v%s (was %s)", self.name, loaded.version, known or "none")
            return known, self.current.version if self.current else None

    async def poll(self, seconds: float) -> None:
        """Check the alias every `seconds` until cancelled; failures keep the current model."""
        while True:
            await anyio.sleep(seconds)
            try:
                await self.refresh()
            except Exception as exc:  # logged; the service keeps serving
                log.warning("model refresh failed: %s", exc)
