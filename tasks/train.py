"""Training stages as Prefect tasks: tune and fit, evaluate on the holdout, register, promote
(the work is the training service's, tasks/services/models/training.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.alerts import announce_refusal
from tasks.core import modeling, promotion
from tasks.core.errors import ChampionGateError, QualityGateError
from tasks.core.evaluation import Evaluation
from tasks.core.model_card import CardFacts
from tasks.services.context import Context
from tasks.services.models import cards, training
from tasks.services.models.training import TrainedModel

__all__ = [
    "TrainedModel",
    "card_facts",
    "evaluate_model",
    "promote",
    "register_model",
    "tune_and_fit",
]


@task(name="tune-and-fit", cache_policy=NO_CACHE)
def tune_and_fit(config: RunConfig, split: modeling.Split, run_id: str | None) -> TrainedModel:
    """Grid-search every enabled family, keep the simplest within one standard error of the
    best, choose its threshold on out-of-fold predictions."""
    return training.fit_model(config, split, run_id)


@task(name="evaluate", cache_policy=NO_CACHE)
def evaluate_model(
    model: TrainedModel, split: modeling.Split, report_dir: Path, run_id: str | None
) -> Evaluation:
    """Holdout figures, plots and feature importance; the figures as a Prefect table."""
    result = training.evaluate_holdout(model, split, report_dir, run_id)
    create_table_artifact(
        key="holdout-metrics",
        table=[
            {"metric": k, "value": round(v, 4)}
            for k, v in result.metrics().items()
            if k not in ("rows",)
        ],
        description=f"Holdout metrics of {model.family} at threshold {model.threshold:.3f}",
    )
    return result


@task(name="register", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def register_model(
    config: RunConfig,
    model: TrainedModel,
    result: Evaluation,
    example: pd.DataFrame,
    run_id: str,
    settings: Settings,
    facts: CardFacts,
) -> str:
    """Log the pipeline to the run and register it as a new `challenger` version, with its
    card as description and every holdout figure as its own tag."""
    ctx = Context(settings)
    return training.register_version(ctx, config, model, result, example, run_id, facts)


def card_facts(
    config: RunConfig,
    model: TrainedModel,
    result: Evaluation,
    clean: pd.DataFrame,
    quarantined: int,
    data: dict[str, str],
    reports_uri: str,
) -> CardFacts:
    """What the version's card says (data, choice, holdout figures, gates, limits)."""
    return cards.card_facts(config, model, result, clean, quarantined, data, reports_uri)


@task(name="promote", cache_policy=NO_CACHE)
def promote(
    config: RunConfig,
    version: str,
    result: Evaluation,
    split: modeling.Split,
    run_id: str | None,
    settings: Settings,
) -> promotion.Decision:
    """Gate the challenger (quality gates, then not worse than the champion); every outcome,
    refusal included, is appended to the promotion log."""
    ctx = Context(settings)
    try:
        decision = training.gate_challenger(ctx, config, version, result, split, run_id)
    except (QualityGateError, ChampionGateError) as refused:
        model = settings.model_name(config)
        announce_refusal(settings, model, version, str(refused), result.metrics())
        raise
    create_markdown_artifact(
        key="promotion", markdown=f"**v{version} promoted to champion.** {decision.reason}"
    )
    return decision
