"""Training a churn model, Prefect-free: tune and fit every enabled family, evaluate the
chosen one on the holdout, register it, and gate it against the champion."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from sklearn.pipeline import Pipeline

from configs.schema import RunConfig
from tasks.adapters import db, registry
from tasks.core import modeling, plots, promotion
from tasks.core.card_text import markdown
from tasks.core.errors import RetainAIError
from tasks.core.evaluation import Evaluation, evaluate
from tasks.core.inference import CompiledModel, compile_model
from tasks.core.model_card import CardFacts
from tasks.services.context import Context
from tasks.services.models import cards

step = logging.getLogger("retainai").info  # progress lines: the console and the Prefect UI


@dataclass(frozen=True)
class TrainedModel:
    family: str
    pipeline: Pipeline
    compiled: CompiledModel  # compiled from `pipeline`: the holdout and later scores use it
    threshold: float
    cv_roc_auc_mean: float
    fit_seconds: float
    candidates: dict[str, dict]
    choice: modeling.Choice | None = None  # why `family` was kept (one-standard-error rule)


def fit_model(config: RunConfig, split: modeling.Split, run_id: str | None) -> TrainedModel:
    """Grid-search every enabled family (one child run each), keep the simplest family within
    one standard error of the best CV ROC-AUC, and choose the decision threshold on its
    out-of-fold training predictions."""
    found: dict[str, modeling.SearchResult] = {}
    for family in modeling.enabled_families(config):
        step(f"searching {family} ({config.model.cv_folds}-fold CV)")
        result = modeling.search_family(
            config, family, split.train_features, split.train_target, found
        )
        found[family] = result
        step(f"{family}: CV ROC-AUC {result.cv_roc_auc_mean:.4f} in {result.fit_seconds:.1f}s")
        if run_id:
            registry.log_child_run(
                run_id,
                family,
                {k.removeprefix("model__"): v for k, v in result.best_params.items()},
                {
                    "cv_roc_auc_mean": result.cv_roc_auc_mean,
                    "cv_roc_auc_std": result.cv_roc_auc_std,
                    "candidates": result.candidates,
                    "fit_seconds": result.fit_seconds,
                },
            )
    choice = modeling.choose_family(
        {f: found[f].cv_fold_scores for f in config.model.families if f in found},
        config.model.simplicity_order,
    )
    step(f"model choice: {choice.reason}")
    if run_id:
        registry.log_run(
            run_id,
            params={
                "model_choice_reason": choice.reason,
                "model_choice_best_family": choice.best_family,
                "model_choice_threshold": round(choice.threshold, 6),
            },
        )
    chosen = found[choice.family]
    step(f"choosing the threshold of {chosen.family} on out-of-fold scores")
    oof = modeling.out_of_fold_probabilities(
        config, chosen.estimator, split.train_features, split.train_target
    )
    threshold = modeling.choose_threshold(split.train_target, oof)
    pipeline = chosen.estimator
    pipeline.explain_center_ = modeling.encoded_center(pipeline, split.train_features)
    return TrainedModel(
        family=chosen.family,
        pipeline=pipeline,
        compiled=compile_model(pipeline),
        threshold=threshold,
        cv_roc_auc_mean=chosen.cv_roc_auc_mean,
        fit_seconds=sum(r.fit_seconds for r in found.values()),
        candidates={
            family: {
                "cv_roc_auc_mean": r.cv_roc_auc_mean,
                "cv_roc_auc_std": r.cv_roc_auc_std,
                "cv_roc_auc_folds": list(r.cv_fold_scores),
                "best_params": {k.removeprefix("model__"): v for k, v in r.best_params.items()},
            }
            for family, r in found.items()
        },
        choice=choice,
    )


def evaluate_holdout(
    model: TrainedModel, split: modeling.Split, report_dir: Path, run_id: str | None
) -> Evaluation:
    """Holdout figures at the CV-chosen threshold, plots and feature importance, from the
    compiled model that batch scoring and serving use."""
    probabilities = model.compiled.predict(split.holdout_features)
    result = evaluate(split.holdout_target, probabilities, model.threshold, "holdout")
    found = model.compiled.contributions(split.holdout_features)
    importance = found.values.abs().mean().sort_values(ascending=False)
    figures = {
        "roc.png": plots.roc_figure(split.holdout_target, probabilities, result),
        "pr.png": plots.pr_figure(split.holdout_target, probabilities, result),
        "calibration.png": plots.calibration_figure(split.holdout_target, probabilities, result),
        "confusion_matrix.png": plots.confusion_figure(result),
        "feature_importance.png": plots.importance_figure(importance, found.units),
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, figure in figures.items():
        figure.savefig(report_dir / name)
        paths.append(report_dir / name)
    summary = {
        "family": model.family,
        "threshold": model.threshold,
        "cv_roc_auc_mean": model.cv_roc_auc_mean,
        "holdout": asdict(result),
        "candidates": model.candidates,
        "feature_importance": {k: float(v) for k, v in importance.items()},
        "importance_units": found.units,
    }
    (report_dir / "evaluation.json").write_text(json.dumps(summary, indent=2, default=str))
    paths.append(report_dir / "evaluation.json")
    if run_id:
        registry.log_run(
            run_id,
            params={"model_family": model.family, "threshold": round(model.threshold, 6)},
            metrics={
                **result.metrics("holdout_"),
                "cv_roc_auc_mean": model.cv_roc_auc_mean,
                "fit_seconds": model.fit_seconds,
            },
            artifacts=paths,
            folder="evaluation",
        )
    return result


def register_version(
    ctx: Context,
    config: RunConfig,
    model: TrainedModel,
    result: Evaluation,
    example: pd.DataFrame,
    run_id: str,
    facts: CardFacts,
) -> str:
    """Log the pipeline to the run and register it as a new `challenger` version, its card
    as the version's description and each of its facts (every holdout figure) as a tag."""
    step("logging and registering the model")
    model_uri = registry.log_model(run_id, model.pipeline, example)
    tags = {
        "model_family": model.family,
        "threshold": f"{model.threshold:.6f}",
        "config_digest": config.digest(),
        "dataset": config.dataset.name,
        "holdout_metrics": json.dumps(
            {k: round(v, 6) for k, v in result.metrics().items()}, sort_keys=True
        ),
        "cv_roc_auc_mean": f"{model.cv_roc_auc_mean:.6f}",
    }
    if model.choice is not None:
        tags["model_choice_reason"] = model.choice.reason
    name = ctx.settings.model_name(config)
    return registry.register(model_uri, name, facts.to_tags() | tags, markdown(facts))


def gate_challenger(
    ctx: Context,
    config: RunConfig,
    version: str,
    result: Evaluation,
    split: modeling.Split,
    run_id: str | None,
) -> promotion.Decision:
    """Gate the challenger: absolute quality gates, then not worse than the champion.

    Every outcome, refusal included, is appended to the promotion log."""
    name = ctx.settings.model_name(config)
    log = {
        "model_name": name,
        "version": version,
        "metrics": {k: round(v, 6) for k, v in result.metrics().items()},
        "run_id": run_id,
    }
    champion = registry.version_by_alias(name, registry.CHAMPION)
    try:
        promotion.check_quality_gates(result, config.quality_gates)
        champion_result = None
        if champion is not None and champion.version != version:
            step(f"re-scoring champion v{champion.version} on the same holdout")
            champion_result = _rescore(name, champion, split)
        decision = promotion.compare_with_champion(
            result,
            champion_result,
            config.quality_gates.champion_tolerance,
            champion.version if champion else None,
        )
        promotion.enforce(decision)
    except RetainAIError as exc:
        db.record_promotion(ctx.engine, action="refuse", reason=str(exc), **log)
        cards.record_gate_outcome(ctx, config, version, f"refused: {exc}")
        raise
    cards.record_gate_outcome(ctx, config, version, f"passed: {decision.reason}")
    cards.describe_model(ctx, config)  # what the champion predicts, from which table
    registry.set_alias(name, registry.CHAMPION, version)
    previous = champion.version if champion else None
    db.record_promotion(
        ctx.engine, action="promote", reason=decision.reason, previous_version=previous, **log
    )
    step(f"v{version} is now champion: {decision.reason}")
    return decision


def _rescore(name: str, champion: registry.ModelVersion, split: modeling.Split) -> Evaluation:
    loaded = registry.load_version(name, champion)
    what = f"champion v{champion.version} of {name}"
    promotion.require_inputs(
        list(loaded.compiled.inputs), list(split.holdout_features.columns), what
    )
    probabilities = loaded.compiled.predict(split.holdout_features)
    threshold = float(champion.tags.get("threshold", 0.5))
    return evaluate(split.holdout_target, probabilities, threshold, "holdout")
