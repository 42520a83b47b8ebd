"""Scoring stages: load the champion, score chunks into staging, merge them atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from prefect import task, unmapped
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from threadpoolctl import threadpool_limits

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import memory, registry, score_merge
from tasks.adapters.score_runs import RunKey
from tasks.chunk_model import ChunkModel
from tasks.core import batches, promotion
from tasks.core.contract_chunks import ChunkCheck, check_chunk
from tasks.core.heatmaps import heatmap_counts, heatmap_tables, joined_heatmaps
from tasks.core.kpis import compute_kpis
from tasks.core.progress import step
from tasks.core.scoring import (
    KPI_COLUMNS,
    curve_counts,
    joined_counts,
    kpi_columns,
    score_customers,
)
from tasks.core.survival import SurvivalModel
from tasks.monitor import load_reference
from tasks.services.context import Context
from tasks.survival import draw_curves, load_survival_model
from tasks.validate import validation_report

STAGE_PART_ROWS = 25_000  # rows scored and sent to staging at a time within a chunk
# Chunks scored side by side by the flow's default (thread) runner, one per core (at least
# two): the tree walk, numpy, Arrow and the COPY into staging release the GIL, and each thread
# holds one chunk part's intermediates (bounded memory).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
CHUNK_WORKERS = max(2, CORES or 1)
# The flow's runner threads, one per chunk worker: what runs beside the chunks (the champion's
# load, the suite report, the survival curves) takes a chunk's slot while it runs. A thread more
# would run one chunk more at once, with its memory, on the same cores.
RUNNER_THREADS = CHUNK_WORKERS


@dataclass(frozen=True)
class Champion:
    loaded: registry.LoadedModel
    survival: SurvivalModel | None
    reference: pd.DataFrame | None

    @property
    def version(self) -> str:
        return self.loaded.version.version

    def for_chunks(self, settings: Settings) -> ChunkModel:
        """What the chunk tasks score with (a registry reference when pickled)."""
        return ChunkModel(
            self.loaded.name, self.version, settings, self.loaded.compiled, self.survival
        )


@task(name="load-champion", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def load_champion(
    config: RunConfig, folder: Path, settings: Settings, with_reference: bool | None = None
) -> Champion:
    """The champion, compiled, with the survival model and drift reference of its training
    run (the reference by default only when drift blocks scoring)."""
    if with_reference is None:
        with_reference = config.monitoring.action == "block"
    registry.configure(settings)
    loaded = registry.load_champion(settings.model_name(config), registry.CHAMPION)
    what = f"champion v{loaded.version.version} of {loaded.name}"
    promotion.require_inputs(list(loaded.compiled.inputs), config.dataset.feature_columns, what)
    run_id = loaded.version.run_id
    reference = load_reference(run_id, folder) if with_reference else None
    champion = Champion(loaded, load_survival_model(run_id, folder), reference)
    champion.for_chunks(settings).kept()
    return champion


@dataclass(frozen=True)
class ChunkScores:
    """What one scored chunk leaves behind: its KPI columns, labels and curve counts (of the
    scored rows), and its row check without the clean rows."""

    kpis: pd.DataFrame
    labels: pd.Series | None
    curves: pd.DataFrame | None
    heatmaps: pd.DataFrame | None
    check: ChunkCheck


@dataclass(frozen=True)
class ScoredRun:
    """A committed run: its KPIs, counts, validation report and quarantined rows."""

    kpis: dict
    counts: dict
    validation: dict
    quarantined: pd.DataFrame
    written: int


@task(name="score-chunk", retries=1, retry_delay_seconds=1, cache_policy=NO_CACHE)
def score_chunk(
    part: batches.Slice,
    index: int,
    model: ChunkModel,
    config: RunConfig,
    run: RunKey,
    merge: score_merge.RunMerge | None,
    settings: Settings,
) -> ChunkScores:
    """Check one chunk's rows, score the clean ones and write them into the run (once,
    or replacing an earlier try), in parts of STAGE_PART_ROWS."""
    memory.give_back()  # pages freed by the chunks before this one go back to the system
    model = model.ready()
    check = check_chunk(batches.to_frame(part.table), config)
    clean = check.result.clean
    kept: list[pd.DataFrame] = []

    def parts():
        for start in range(0, len(clean), STAGE_PART_ROWS):
            rows = score_customers(
                model.compiled,
                model.survival,
                clean.iloc[start : start + STAGE_PART_ROWS],
                config,
                run.as_of,
                model.version,
                run.scored_at,
            )
            kept.append(kpi_columns(rows))
            yield rows

    score_merge.write_chunk(Context(settings).engine, merge, run, index, parts())
    target = config.dataset.target.column
    labels = clean[target].astype("category").reset_index(drop=True) if target in clean else None
    scored = pd.concat(kept, ignore_index=True) if kept else kpi_columns(_no_scores())
    light = replace(check, result=replace(check.result, clean=clean.iloc[:0].copy()))  # no view
    counts = curve_counts(clean, scored["risk_segment"].to_numpy(), config) if kept else None
    heat = heatmap_counts(clean, scored["churn_probability"].to_numpy(), config) if kept else None
    return ChunkScores(scored, labels, counts, heat, light)


def _no_scores() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=float) for c in KPI_COLUMNS})


def score_and_merge(
    customers: pa.Table,
    champion: Champion,
    config: RunConfig,
    run: RunKey,
    settings: Settings,
    folder: Path,
    suite: Any,
) -> ScoredRun:
    """Score the chunks (mapped on the flow's task runner) and merge them in one transaction.

    A plain function called by the flow, not a task: a task's parameters (here the whole
    table and the champion) travel with every task submitted inside it, so on Dask each chunk
    would carry them through the scheduler.

    Each staged chunk is upserted into the run's open merge transaction while later chunks
    are scored. Once every chunk is in, the row-rule shares are checked, the validation report
    (with the outcomes of the suite: `suite` is its future, awaited only then) and the
    survival curves are written to the run's folder, and the KPI snapshot is stored and the
    run completed in the same commit. Nothing is visible before it; any failure rolls it all
    back."""
    pieces = list(batches.slices(customers, config.scoring.chunk_rows))
    step(f"scoring {customers.num_rows:,} customers in {len(pieces)} chunks (v{run.model_version})")
    engine = Context(settings).engine
    with (
        score_merge.open_merge(engine, run) as merge,
        threadpool_limits(limits=1, user_api="blas"),  # the chunk threads are the parallelism
    ):
        model = champion.for_chunks(settings)
        futures = score_chunk.map(
            pieces,
            range(len(pieces)),
            unmapped(model),
            unmapped(config),
            unmapped(run),
            unmapped(merge),
            unmapped(settings),
        )
        try:
            done = []
            for index, future in enumerate(futures):
                done.append(future.result())
                if merge is not None:
                    merge.add(index)  # a staged chunk i is merged while i + 1 is scored
        except BaseException:
            wait(futures)  # no chunk still running may stage rows after the cleanup
            raise
        del futures  # the chunks' results are joined below, then let go
        checks = [d.check for d in done]
        scored = _joined([d.kpis for d in done])
        labels = _joined([d.labels for d in done])
        curves = [d.curves for d in done if d.curves is not None]
        heat = heatmap_tables(joined_heatmaps([d.heatmaps for d in done if d.heatmaps is not None]))
        del done
        counts = {
            "rows_in": customers.num_rows,
            "rows_scored": len(scored),
            "rows_quarantined": sum(len(c.result.quarantined) for c in checks),
        }
        drawing = None
        if curves:  # drawn while the report, KPIs and commit run
            drawing = draw_curves.submit(config, joined_counts(curves), folder / "survival")
        try:
            report = validation_report(checks, suite, config, folder, counts)
            kpis = compute_kpis(scored, config, labels) | ({"heatmaps": heat} if heat else {})
            written = score_merge.finish_merge(engine, merge, run, kpis, counts, len(pieces))
        finally:
            if drawing is not None:
                wait([drawing])  # nothing of this run is still being written after it
        if drawing is not None:
            drawing.result()
    quarantined = pd.concat([c.result.quarantined for c in checks], ignore_index=True)
    return ScoredRun(kpis, counts, report, quarantined, written)


def _joined(parts: list) -> Any:
    present = [p for p in parts if p is not None]
    return pd.concat(present, ignore_index=True) if present else None
