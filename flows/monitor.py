"""The monitoring flow: data drift against the champion's reference, and realised outcomes."""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow

from configs.schema import load_config
from tasks.alerts import announce_drift, announce_realised
from tasks.core.errors import ConfigError, DriftBlockedError, PerformanceAlertError
from tasks.core.progress import step
from tasks.ingest import check_parameter, ingest, source_of
from tasks.monitor import record_outcomes, report_drift
from tasks.run_period import resolve_as_of
from tasks.run_setup import run_settings
from tasks.score import load_champion
from tasks.stores import ensure_database
from tasks.validate import validate


@flow(name="monitor-churn-model")
def monitor_churn_model(
    config_path: str,
    data: str | None = None,
    table: str | None = None,
    query: str | None = None,
    as_of: str | None = None,
    outcomes: str | None = None,
    outcomes_table: str | None = None,
    retrain_data: str | None = None,
) -> dict[str, Any]:
    """Drift report and its configured action; realised performance from delayed labels.

    Given neither `data` nor `outcomes`, the drift of RETAINAI_SCORING_SOURCE."""
    config = load_config(config_path)
    settings = run_settings()
    period = resolve_as_of(as_of)
    folder = settings.reports_dir / "monitoring" / period.isoformat()
    check_parameter(outcomes, "--outcomes")
    check_parameter(retrain_data, "--retrain-data")
    if data is None and outcomes is None and settings.scoring_source is None:
        raise ConfigError(
            "nothing to monitor: give a customer batch (--data) and/or --outcomes, "
            "or set RETAINAI_SCORING_SOURCE"
        )
    if data is not None or outcomes is None:
        data, table, query = source_of(settings, "scoring", data, table, query)
    ensure_database(settings)
    result: dict[str, Any] = {"as_of": period.isoformat(), "report_dir": str(folder)}
    if data is not None:
        result["drift"] = _check_drift(
            config_path, config, settings, data, table, query, period, folder, retrain_data
        )
    if outcomes is not None:
        realised = _check_outcomes(config, settings, outcomes, outcomes_table)
        result["realised"] = realised
        alerts = [r["alert"] for r in realised if r["alert"]]
        if alerts:
            floor = config.monitoring.min_realised_roc_auc
            announce_realised(settings, config.dataset.name, realised, floor)
            raise PerformanceAlertError("; ".join(alerts))
    return result


def _check_drift(
    config_path, config, settings, data, table, query, period, folder, retrain_data
) -> dict:
    champion = load_champion(config, folder / "champion", settings, with_reference=True)
    batch = validate(ingest(data, table, query, settings), config, "scoring", folder)
    summary = report_drift(
        config,
        champion.reference,
        batch.clean,
        folder,
        period,
        champion.version,
        uuid.uuid4().hex,
        settings,
    )
    outcome = summary.to_dict()
    if not summary.dataset_drift:
        step(f"no dataset drift ({summary.drifted_share:.0%} of columns drifted)")
        return outcome
    message = (
        f"data drift in {summary.drifted_share:.0%} of columns "
        f"({', '.join(summary.drifted_columns)})"
    )
    action = config.monitoring.action
    step(f"{message}: action {action}")
    announce_drift(settings, config.dataset.name, period.isoformat(), champion.version, summary)
    if action == "block":
        raise DriftBlockedError(f"{message}: scoring is blocked")
    if action == "retrain":
        if retrain_data is None and settings.training_source is None:
            raise ConfigError(
                f"{message}: action is retrain but neither --retrain-data nor "
                "RETAINAI_TRAINING_SOURCE is set"
            )
        from flows.train import train_churn_model

        outcome["retrain"] = train_churn_model(config_path, retrain_data)
    return outcome


def _check_outcomes(config, settings, outcomes: str, outcomes_table: str | None) -> list[dict]:
    return record_outcomes(config, ingest(outcomes, outcomes_table, None, settings), settings)
