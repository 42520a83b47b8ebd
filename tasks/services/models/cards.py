"""A registered version's card and the inputs it was trained on, Prefect-free: the facts of a
training run, a retraining on the same inputs recognised before anything is fitted, and the
champion gate's outcome written into the card once decided."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import registry
from tasks.core.card_text import markdown, model_description
from tasks.core.evaluation import Evaluation
from tasks.core.model_card import CardFacts, training_inputs
from tasks.services.context import Context

step = logging.getLogger("retainai").info  # progress lines: the console and the Prefect UI


def inputs_digest(config: RunConfig, data_digest: str) -> str:
    """The digest of the data, the config and the code (commit and library versions)."""
    code = {"git_sha": registry.git_sha()}
    code |= dict(r.split("==", 1) for r in registry.pip_requirements())
    return training_inputs(data_digest, config.digest(), code)


def same_inputs_version(ctx: Context, config: RunConfig, inputs: str) -> str | None:
    """The champion or the latest version when it was trained on exactly these inputs: a new
    run would only register the same model again."""
    name = ctx.settings.model_name(config)
    champion = registry.version_by_alias(name, registry.CHAMPION)
    latest = next(iter(registry.versions(name)), None)
    for found in (champion, latest):
        if found is not None and found.tags.get("training_inputs") == inputs:
            return found.version
    return None


def unchanged_result(ctx: Context, config: RunConfig, version: str, run_id: str) -> dict:
    """What a run on the same inputs as `version` reports: nothing registered, no alias
    moved, the version's own figures; the MLflow run is tagged with it."""
    name = ctx.settings.model_name(config)
    found = registry.get_version(name, version)
    reason = f"the data and configuration are those of version {version}: nothing registered"
    step(reason)
    registry.set_tags(run_id, {"unchanged_from_version": version})
    holdout: dict[str, Any] = {"split": found.tags.get("holdout_split", "holdout")}
    holdout |= found.metrics
    return {
        "version": version,
        "registered": False,
        "promoted": False,
        "reason": reason,
        "family": found.tags.get("model_family", ""),
        "threshold": float(found.tags.get("threshold", holdout.get("threshold", 0.5))),
        "cv_roc_auc_mean": float(found.tags.get("cv_roc_auc_mean", "nan")),
        "holdout": holdout,
    }


def card_facts(
    config: RunConfig,
    model,  # tasks.services.models.training.TrainedModel
    result: Evaluation,
    clean: pd.DataFrame,
    quarantined: int,
    data: dict[str, str],  # source, digest, inputs (the training inputs digest)
    reports_uri: str,
) -> CardFacts:
    """Everything the version's card says, from the run's data, model and holdout figures."""
    dataset = config.dataset
    tenure = ""
    duration = dataset.roles.duration
    if duration and duration in clean and clean[duration].notna().any():
        tenure = f"{clean[duration].min():.0f}-{clean[duration].max():.0f}"
    return CardFacts(
        dataset=dataset.name,
        target=dataset.target.column,
        positive=dataset.target.positive,
        data_source=data["source"],
        data_digest=data["digest"],
        data_rows=len(clean),
        data_quarantined=quarantined,
        data_read_on=datetime.now(UTC).date().isoformat(),
        data_tenure=tenure,
        model_family=model.family,
        model_choice_reason=model.choice.reason if model.choice else "",
        cv_roc_auc_mean=model.cv_roc_auc_mean,
        cv_folds=config.model.cv_folds,
        holdout_share=config.model.test_size,
        evaluation=result,
        gates=config.quality_gates,
        config_digest=config.digest(),
        training_inputs=data["inputs"],
        reports_uri=reports_uri,
    )


def describe_model(ctx: Context, config: RunConfig) -> None:
    """The registered model's description: what it predicts, from which table."""
    dataset = config.dataset
    text = model_description(
        ctx.settings.model_name(config),
        dataset.name,
        dataset.target.column,
        dataset.target.positive,
        list(dataset.feature_columns),
    )
    registry.describe_model(ctx.settings.model_name(config), text)


def record_gate_outcome(ctx: Context, config: RunConfig, version: str, outcome: str) -> None:
    """The champion gate's outcome in the version's card and its `champion_gate` tag."""
    name = ctx.settings.model_name(config)
    facts = CardFacts.from_tags(registry.get_version(name, version).tags)
    if facts is None:  # registered without a card
        return
    decided = facts.decided(outcome)
    registry.describe_version(name, version, markdown(decided), {"champion_gate": outcome})
