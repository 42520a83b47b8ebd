"""Evidently data-drift report: the only module that imports Evidently (inside functions: slow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters.storage import _atomic
from tasks.core.drift import DriftSummary, drift_columns, monitored_frame, summarize_snapshot


def run_drift_report(
    reference: pd.DataFrame, current: pd.DataFrame, config: RunConfig, html_path: str | Path
) -> tuple[DriftSummary, Path]:
    """Compare current with reference on the monitored columns, write self-contained HTML
    atomically and summarise; ValueError names monitored columns either frame lacks."""
    numeric, categorical = drift_columns(config)
    problems = []
    for name, frame in (("reference", reference), ("current", current)):
        missing = [c for c in (*numeric, *categorical) if c not in frame.columns]
        if missing:
            problems.append(f"{name} data lacks monitored columns: {missing}")
    if problems:
        raise ValueError("; ".join(problems))
    ref = monitored_frame(reference, config, "reference")
    cur = monitored_frame(current, config, "current")
    snapshot = _run(ref, cur, numeric, categorical, config)
    path = _atomic(Path(html_path), lambda p: snapshot.save_html(str(p)))  # str: Path is ignored
    summary = summarize_snapshot(
        json.loads(snapshot.json()), numeric, categorical, len(ref), len(cur)
    )
    return summary, path


def _run(
    ref: pd.DataFrame,
    cur: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    config: RunConfig,
) -> Any:
    """Run DataDriftPreset with the config's methods and drift share, tests included."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    monitoring = config.monitoring
    preset = DataDriftPreset(
        drift_share=monitoring.drift_share,
        num_method=monitoring.numeric_method,
        cat_method=monitoring.categorical_method,
    )
    report = Report([preset], include_tests=True)
    return report.run(
        current_data=Dataset.from_pandas(cur, data_definition=definition),
        reference_data=Dataset.from_pandas(ref, data_definition=definition),
    )
