"""Monitoring stages: the drift reference, drift reports and their actions, realised outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import registry, report_store
from tasks.adapters.drift_report import run_drift_report
from tasks.alerts import announce_drift
from tasks.core import batches, drift
from tasks.core.contract_chunks import check_chunk
from tasks.core.drift import DriftSummary
from tasks.core.errors import DriftBlockedError
from tasks.core.progress import step
from tasks.services import monitoring
from tasks.services.context import Context

REFERENCE_FILE = "reference.parquet"
GATE_SAMPLE_ROWS = 50_000  # batch rows the drift gate compares (distances settle well before)


@task(name="save-reference", cache_policy=NO_CACHE)
def save_reference(config: RunConfig, clean: pd.DataFrame, folder: Path, run_id: str) -> Path:
    """The sample of training customers that later batches are compared with."""
    sample = drift.reference_sample(clean, config, config.model.seed)
    path = folder / REFERENCE_FILE
    folder.mkdir(parents=True, exist_ok=True)
    sample.to_parquet(path, index=False)
    registry.log_run(run_id, artifacts=[path], folder="reference")
    return path


def load_reference(run_id: str, folder: Path) -> pd.DataFrame:
    path = registry.download_artifact(run_id, f"reference/{REFERENCE_FILE}", folder)
    if path is None:
        raise FileNotFoundError(f"training run {run_id} saved no drift reference sample")
    return pd.read_parquet(path)


@task(name="drift-report", cache_policy=NO_CACHE)
def report_drift(
    config: RunConfig,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    folder: Path,
    as_of: date,
    model_version: str,
    run_id: str,
    settings: Settings,
) -> DriftSummary:
    """Evidently report of the batch against the champion's reference, stored and linked."""
    return _drift_report(config, reference, current, folder, as_of, model_version, run_id, settings)


def _drift_report(
    config: RunConfig,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    folder: Path,
    as_of: date,
    model_version: str,
    run_id: str,
    settings: Settings,
) -> DriftSummary:
    step(f"drift report: {len(current):,} customers against {len(reference):,} reference rows")
    summary, html = run_drift_report(reference, current, config, folder / "drift_report.html")
    report_uri = report_store.publish(settings, html)
    registry.record_run(
        settings,
        f"monitor-{as_of.isoformat()}",
        {
            "kind": "monitoring",
            "dataset": config.dataset.name,
            "as_of": as_of.isoformat(),
            "model_version": model_version,
            "report_uri": report_uri,
        },
        {"dataset_drift": float(summary.dataset_drift), "drifted_share": summary.drifted_share},
        [html],
        "drift",
    )
    stored = {
        "dataset_drift": summary.dataset_drift,
        "drifted_share": summary.drifted_share,
        "summary": summary.to_dict(),
        "action": config.monitoring.action if summary.dataset_drift else "none",
        "report_uri": report_uri,
        "run_id": run_id,
        "created_at": datetime.now(UTC),
    }
    key = {"dataset": config.dataset.name, "as_of": as_of, "model_version": model_version}
    monitoring.store_drift_check(Context(settings), key, stored)
    create_link_artifact(
        key="drift-report",
        link=report_uri,
        description=(
            f"Dataset drift: {summary.dataset_drift} "
            f"({summary.drifted_share:.0%} of columns; drifted: "
            f"{', '.join(summary.drifted_columns) or 'none'})"
        ),
    )
    create_table_artifact(
        key="drift-columns",
        table=[
            {
                "column": c.column,
                "method": c.method,
                "score": round(c.score, 6),
                "threshold": c.threshold,
                "drifted": c.drifted,
            }
            for c in summary.columns
        ],
    )
    return summary


@task(name="drift-gate", cache_policy=NO_CACHE)
def gate_drift(
    config: RunConfig, champion, customers: pa.Table, folder: Path, run, settings: Settings
) -> None:
    """With `monitoring.action: block`, a drift report of a sample of the batch against the
    champion's reference; DriftBlockedError before any score is written when it drifts."""
    if config.monitoring.action != "block":
        return
    rows = max(config.monitoring.reference_rows, GATE_SAMPLE_ROWS)
    sample = batches.to_frame(batches.sample_rows(customers, rows, config.model.seed))
    current = check_chunk(sample, config).result.clean
    summary = _drift_report(
        config,
        champion.reference,
        current,
        folder,
        run.as_of,
        run.model_version,
        run.run_id,
        settings,
    )
    if summary.dataset_drift:
        dataset, as_of = config.dataset.name, run.as_of.isoformat()
        announce_drift(settings, dataset, as_of, run.model_version, summary)
        raise DriftBlockedError(
            f"data drift in {summary.drifted_share:.0%} of columns "
            f"({', '.join(summary.drifted_columns)}): scores not written"
        )


@task(name="realised-performance", cache_policy=NO_CACHE)
def record_outcomes(config: RunConfig, raw: pd.DataFrame, settings: Settings) -> list[dict]:
    """Join delayed labels with past scores; realised figures per model version and as_of."""
    return monitoring.record_outcomes(Context(settings), config, raw)
