"""The training flow: raw customer file in, registered and gated churn model out."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow

from configs.schema import load_config
from configs.settings import Settings
from tasks.adapters import db, registry
from tasks.adapters.sources import describe_source
from tasks.core import modeling
from tasks.ingest import ingest
from tasks.lifetimes import analyse_survival
from tasks.monitor import save_reference
from tasks.train import evaluate_model, promote, register_model, tune_and_fit
from tasks.validate import validate


def prepare_stores(settings: Settings) -> str:
    """MLflow experiment and application database schema; returns the experiment id."""
    engine = db.make_engine(settings.resolved_database_url)
    try:
        db.ensure_schema(engine, embedded=settings.database_url is None)
    finally:
        engine.dispose()
    return registry.configure(settings)


@flow(name="train-churn-model")
def train_churn_model(
    config_path: str, data: str, table: str | None = None, query: str | None = None
) -> dict[str, Any]:
    """Ingest, validate, build features, tune and fit, evaluate, register, promote."""
    config = load_config(config_path)
    settings = Settings()
    experiment_id = prepare_stores(settings)
    tags = {
        "git_sha": registry.git_sha(),
        "config_digest": config.digest(),
        "config_path": str(config_path),
        "data_source": describe_source(data, table, query),
    }
    with registry.training_run(experiment_id, f"train-{config.dataset.name}", tags) as run_id:
        report_dir = settings.reports_dir / "training" / run_id
        registry.log_run(run_id, artifacts=[Path(config_path)], folder="config")
        try:
            raw = ingest(data, table, query)
            validated = validate(raw, config, "training", report_dir)
        finally:
            if (report_dir / "validation.json").exists():
                registry.log_run(
                    run_id, artifacts=[report_dir / "validation.json"], folder="validation"
                )
        registry.log_dataset(
            run_id,
            validated.clean,
            describe_source(data, table, query),
            config.dataset.name,
            config.dataset.target.column,
        )
        split = modeling.split_holdout(validated.clean, config)
        model = tune_and_fit(config, split, run_id)
        result = evaluate_model(model, split, report_dir, run_id)
        probabilities = model.compiled.predict(validated.clean[config.dataset.feature_columns])
        if config.survival is not None:
            analyse_survival(
                config, validated.clean, probabilities, report_dir / "survival", run_id
            )
        save_reference(config, validated.clean, report_dir, run_id)
        version = register_model(config, model, result, split.holdout_features.head(5), run_id)
        decision = promote(config, version, result, split, run_id)
    return {
        "run_id": run_id,
        "version": version,
        "promoted": decision.promote,
        "reason": decision.reason,
        "family": model.family,
        "threshold": model.threshold,
        "cv_roc_auc_mean": model.cv_roc_auc_mean,
        "holdout": asdict(result),
        "quarantined": len(validated.quarantined),
        "report_dir": str(report_dir),
    }
