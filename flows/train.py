"""The training flow: raw customer file in, registered and gated churn model out."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import flow

from configs.schema import load_config
from tasks.ingest import describe, ingest, source_of
from tasks.monitor import save_reference
from tasks.report_links import publish_reports
from tasks.run_setup import run_settings
from tasks.survival import analyse_survival
from tasks.train import card_facts, evaluate_model, promote, register_model, tune_and_fit
from tasks.training_run import (
    log_training_data,
    same_inputs,
    score_training_rows,
    split_data,
    training_run,
)
from tasks.validate import validate


@flow(name="train-churn-model")
def train_churn_model(
    config_path: str, data: str | None = None, table: str | None = None, query: str | None = None
) -> dict[str, Any]:
    """Ingest, validate, build features, tune and fit, evaluate, publish the reports (kept in
    the configured store, linked from Prefect and MLflow), register with the version's card,
    promote last. Data, config and code those of the champion or the latest version: nothing
    is fitted or registered, and the result says which version it is.

    Without `data`, RETAINAI_TRAINING_SOURCE of the environment the run executes in."""
    config = load_config(config_path)
    settings = run_settings()
    data, table, query = source_of(settings, "training", data, table, query)
    source = describe(data, table, query)
    with training_run(settings, config, config_path, source) as run_id:
        report_dir = settings.reports_dir / "training" / run_id
        raw = ingest(data, table, query, settings)
        validated = validate(raw, config, "training", report_dir, run_id)
        digest = log_training_data(run_id, validated.clean, source, config)
        inputs, unchanged = same_inputs(settings, config, digest, run_id)
        description = f"Training reports of MLflow run {run_id}"
        if unchanged is not None:  # the same data, config and code: the same model
            reports = publish_reports(
                settings, [report_dir], "training-reports", description, run_id
            )
            return _result(run_id, unchanged, validated, report_dir, reports)
        split = split_data(validated.clean, config)
        model = tune_and_fit(config, split, run_id)
        result = evaluate_model(model, split, report_dir, run_id)
        if config.survival is not None:
            probabilities = score_training_rows(model.compiled, validated.clean, config)
            analyse_survival(
                config, validated.clean, probabilities, report_dir / "survival", run_id
            )
        save_reference(config, validated.clean, report_dir, run_id)
        # everything the run publishes first: a run that fails to publish moves no alias
        reports = publish_reports(settings, [report_dir], "training-reports", description, run_id)
        data_facts = {"source": source, "digest": digest, "inputs": inputs}
        quarantined = len(validated.quarantined)
        facts = card_facts(config, model, result, validated.clean, quarantined, data_facts, reports)
        example = split.holdout_features.head(5)
        version = register_model(config, model, result, example, run_id, settings, facts)
        decision = promote(config, version, result, split, run_id, settings)
    outcome = {
        "version": version,
        "registered": True,
        "promoted": decision.promote,
        "reason": decision.reason,
        "family": model.family,
        "threshold": model.threshold,
        "cv_roc_auc_mean": model.cv_roc_auc_mean,
        "holdout": asdict(result),
    }
    return _result(run_id, outcome, validated, report_dir, reports)


def _result(run_id: str, outcome: dict, validated, report_dir, reports: str) -> dict[str, Any]:
    return {
        "run_id": run_id,
        **outcome,
        "quarantined": len(validated.quarantined),
        "report_dir": str(report_dir),
        "reports_uri": reports,
    }
