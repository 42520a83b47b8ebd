"""The scoring flow: every customer scored by the champion, written atomically per as_of."""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, unmapped
from prefect.artifacts import create_table_artifact
from prefect.futures import wait
from prefect.task_runners import ThreadPoolTaskRunner
from threadpoolctl import threadpool_limits

from configs.schema import load_config
from configs.settings import Settings
from tasks.adapters import db, score_runs, scores
from tasks.adapters.sources import describe_source
from tasks.adapters.storage import write_json_atomic
from tasks.core.errors import ConfigError, DriftBlockedError
from tasks.core.kpis import compute_kpis
from tasks.core.scoring import split_chunks
from tasks.ingest import ingest
from tasks.lifetimes import write_curves
from tasks.monitor import report_drift
from tasks.preload import preload
from tasks.progress import step
from tasks.score import (
    CHUNK_WORKERS,
    load_champion,
    merge_scores,
    resolve_as_of,
    score_chunk,
)
from tasks.validate import finish_validation, validate


@flow(name="score-customers", task_runner=ThreadPoolTaskRunner(max_workers=CHUNK_WORKERS))
def score_customers_flow(
    config_path: str,
    data: str,
    table: str | None = None,
    query: str | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Load champion, ingest, validate, (drift gate), score chunks, merge, KPIs."""
    config = load_config(config_path)
    settings = Settings()
    period = resolve_as_of(as_of)
    run_id = uuid.uuid4().hex
    folder = settings.reports_dir / "scoring" / period.isoformat()
    engine = db.make_engine(settings.resolved_database_url)
    db.ensure_schema(engine, embedded=settings.database_url is None)
    if config.dataset.id_column is None:
        raise ConfigError(
            f"{config_path}: scoring needs dataset.id_column (scores are stored per customer)"
        )
    dataset = config.dataset.name
    with score_runs.period_lock(engine, score_runs.JOB, dataset, period):
        # the libraries of later steps import, and the data is read, while the model loads
        preload("great_expectations", "lifelines", "matplotlib.figure")
        reading = _in_background(ingest, data, table, query)
        try:
            champion = load_champion(
                config, folder / "champion", config.monitoring.action == "block"
            )
        except BaseException:
            futures_wait([reading])
            raise
        score_runs.start_run(
            engine,
            run_id=run_id,
            dataset=dataset,
            as_of=period,
            model_name=settings.model_name(config),
            model_version=champion.version,
            source=describe_source(data, table, query),
        )
        futures = None
        drafts = folder / f".survival-{run_id}"  # curves of this run until its scores are in
        try:
            raw = reading.result()
            del reading  # the future would keep the raw frame alive
            rows_in = len(raw)
            validated = validate(raw, config, "scoring", folder, background_suite=True)
            del raw  # the typed clean rows are all that is needed from here on
            if config.monitoring.action == "block":
                summary = report_drift(
                    config,
                    champion.reference,
                    validated.clean,
                    folder,
                    period,
                    champion.version,
                    run_id,
                )
                if summary.dataset_drift:
                    raise DriftBlockedError(
                        f"data drift in {summary.drifted_share:.0%} of columns "
                        f"({', '.join(summary.drifted_columns)}): scores not written"
                    )
            chunks = split_chunks(validated.clean, config.scoring.chunk_rows)
            step(
                f"scoring {len(validated.clean):,} customers in {len(chunks)} chunks "
                f"with champion v{champion.version}"
            )
            run = score_runs.RunKey(run_id, dataset, period, champion.version, datetime.now(UTC))
            with (
                scores.open_merge(engine, run) as merge,
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="merge") as merger,
                threadpool_limits(limits=1, user_api="blas"),  # the chunk threads use the cores
            ):
                futures = score_chunk.map(
                    chunks,
                    range(len(chunks)),
                    unmapped(champion),
                    unmapped(config),
                    unmapped(run),
                )
                upserts = []  # each staged chunk is upserted (in order, one connection) while
                parts = []  # later chunks are scored
                try:
                    for index, future in enumerate(futures):
                        parts.append(future.result())
                        if merge is not None:
                            upserts.append(merger.submit(merge.add, index))
                    scored = pd.concat(parts, ignore_index=True)
                    del parts
                    target = config.dataset.target.column
                    labels = validated.clean.get(target)
                    kpis = compute_kpis(scored, config, labels)
                    curves_error = None
                    curves = labels is not None and config.dataset.roles.duration is not None
                    if curves:  # drawn now, put in place once the scores are in
                        probabilities = scored["churn_probability"].to_numpy()
                        try:
                            write_curves(config, validated.clean, probabilities, drafts)
                        except Exception as exc:  # raised after the commit, as it always was
                            curves_error = exc
                    for upsert in upserts:
                        upsert.result()
                except BaseException:
                    merger.shutdown(cancel_futures=True)
                    raise
                counts = {
                    "rows_in": rows_in,
                    "rows_scored": len(scored),
                    "rows_quarantined": len(validated.quarantined),
                }
                finish_validation(folder)  # the GX suite's report, before anything is written
                written = merge_scores(run, kpis, counts, chunks=len(chunks))
        except BaseException as exc:
            shutil.rmtree(drafts, ignore_errors=True)
            if futures is not None:
                wait(futures)  # no chunk still running may stage rows after the cleanup
            with contextlib.suppress(Exception):  # the report of a suite still running
                finish_validation(folder)
            score_runs.fail_run(engine, run_id, str(exc))
            raise
        finally:
            engine.dispose()
    write_json_atomic(folder / "kpis.json", kpis)
    if curves:
        if curves_error is not None:
            shutil.rmtree(drafts, ignore_errors=True)
            raise curves_error
        _put_in_place(drafts, folder / "survival")
    create_table_artifact(
        key="scoring-kpis",
        table=[{"kpi": k, "value": v} for k, v in kpis.items() if not isinstance(v, dict)],
        description=f"KPIs for as_of {period} (champion v{champion.version})",
    )
    step(f"wrote {written:,} scores for as_of {period}")
    return {
        "run_id": run_id,
        "as_of": period.isoformat(),
        "model_version": champion.version,
        "rows_scored": len(scored),
        "rows_quarantined": len(validated.quarantined),
        "kpis": kpis,
        "report_dir": str(folder),
    }


def _in_background(task, *args) -> Future:
    """Call a task in a thread of its own inside this flow run, whatever the task runner (a
    Dask worker would have to ship the result back); the caller waits on the future."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=task.name)
    try:
        return executor.submit(contextvars.copy_context().run, task, *args)
    finally:
        executor.shutdown(wait=False)


def _put_in_place(drafts: Path, target: Path) -> None:
    """Move the files drawn in `drafts` into `target` (replacing those of earlier runs)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in drafts.iterdir():
        os.replace(path, target / path.name)
    drafts.rmdir()
