"""Scoring stages: load the champion, score chunks into staging, merge atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db, registry, scores
from tasks.adapters.score_runs import RunKey
from tasks.core import promotion
from tasks.core.scoring import score_customers
from tasks.core.survival import SurvivalModel
from tasks.lifetimes import load_survival_model
from tasks.monitor import load_reference

STAGE_PART_ROWS = 25_000  # rows scored and sent to staging at a time within a chunk
# Chunks scored side by side by the flow's default (thread) runner, one per core (at least
# two): the tree walk, numpy, Arrow and the COPY into staging release the GIL, and each thread
# holds one chunk part's intermediates (bounded memory).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
CHUNK_WORKERS = max(2, CORES or 1)
KPI_COLUMNS = [
    "customer_id",
    "churn_probability",
    "risk_segment",
    "monthly_value",
    "segment_value",
    "expected_remaining_months",
    "lifetime_value",
]


@dataclass(frozen=True)
class Champion:
    loaded: registry.LoadedModel
    survival: SurvivalModel | None
    reference: pd.DataFrame | None

    @property
    def version(self) -> str:
        return self.loaded.version.version


@task(name="load-champion", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_champion(config: RunConfig, folder: Path, with_reference: bool = True) -> Champion:
    """The champion, compiled, with the survival model and drift reference of its training run."""
    settings = Settings()
    registry.configure(settings)
    loaded = registry.load_champion(settings.model_name(config), registry.CHAMPION)
    what = f"champion v{loaded.version.version} of {loaded.name}"
    promotion.require_inputs(list(loaded.compiled.inputs), config.dataset.feature_columns, what)
    run_id = loaded.version.run_id
    reference = load_reference(run_id, folder) if with_reference else None
    return Champion(loaded, load_survival_model(run_id, folder), reference)


@task(name="score-chunk", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def score_chunk(
    chunk: pd.DataFrame,
    index: int,
    champion: Champion,
    config: RunConfig,
    run: RunKey,
) -> pd.DataFrame:
    """Score one chunk and stage its rows; returns the columns the KPIs need.

    The chunk is scored in parts of STAGE_PART_ROWS handed to `stage_chunk` as they are done,
    so the database stores one part while the next is computed."""
    kept: list[pd.DataFrame] = []

    def parts():
        for start in range(0, len(chunk), STAGE_PART_ROWS):
            rows = score_customers(
                champion.loaded.compiled,
                champion.survival,
                chunk.iloc[start : start + STAGE_PART_ROWS],
                config,
                run.as_of,
                champion.version,
                run.scored_at,
            )
            kept.append(rows[KPI_COLUMNS])
            yield rows

    engine = db.make_engine(Settings().resolved_database_url)
    try:
        scores.stage_chunk(engine, run.run_id, index, parts())
    finally:
        engine.dispose()
    if not kept:
        return pd.DataFrame({c: [] for c in KPI_COLUMNS})
    return pd.concat(kept, ignore_index=True)


@task(name="merge-scores", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def merge_scores(run: RunKey, kpis: dict, counts: dict, chunks: int | None = None) -> int:
    """One transaction: staged rows into customer_scores, the KPI snapshot, the run completed.

    Completes the run's open merge transaction (`scores.open_merge`) when there is one; a
    retry, or a run without one, merges everything from staging in a new transaction."""
    engine = db.make_engine(Settings().resolved_database_url)
    try:
        return scores.merge_run(engine, run, kpis, counts, chunks)
    finally:
        engine.dispose()


def resolve_as_of(value: str | date | None) -> date:
    """The scoring period: given, else the flow run's scheduled date, else today (UTC)."""
    if isinstance(value, date):
        return value
    if value:
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"as_of {value!r} is not a date (YYYY-MM-DD)") from exc
    from prefect.runtime import flow_run

    scheduled = flow_run.scheduled_start_time
    return scheduled.date() if scheduled else datetime.now(UTC).date()
