"""A training run's record in MLflow: the run itself, its config, data and scored rows."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import registry
from tasks.core import modeling
from tasks.services.context import Context
from tasks.services.models import cards
from tasks.stores import prepare_stores


@contextlib.contextmanager
def training_run(
    settings: Settings, config: RunConfig, config_path: str, source: str
) -> Iterator[str]:
    """An MLflow training run with its config logged; ends FAILED if the body raises."""
    experiment_id = prepare_stores(settings)
    tags = {
        "git_sha": registry.git_sha(),
        "config_digest": config.digest(),
        "config_path": str(config_path),
        "data_source": source,
        "dataset": config.dataset.name,
    }
    with registry.training_run(experiment_id, f"train-{config.dataset.name}", tags) as run_id:
        registry.log_run(run_id, artifacts=[Path(config_path)], folder="config")
        yield run_id


@task(name="log-training-data", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def log_training_data(run_id: str, clean: pd.DataFrame, source: str, config: RunConfig) -> str:
    """The training data's digest and schema as the run's input."""
    data = config.dataset
    return registry.log_dataset(run_id, clean, source, data.name, data.target.column)


@task(name="same-inputs", cache_policy=NO_CACHE)
def same_inputs(
    settings: Settings, config: RunConfig, data_digest: str, run_id: str
) -> tuple[str, dict | None]:
    """The digest of the run's inputs (data, config, code) and, when the champion or the
    latest version was trained on exactly these, the run's result: nothing to register."""
    ctx = Context(settings)
    inputs = cards.inputs_digest(config, data_digest)
    version = cards.same_inputs_version(ctx, config, inputs)
    if version is None:
        return inputs, None
    unchanged = cards.unchanged_result(ctx, config, version, run_id)
    create_markdown_artifact(
        key="promotion", markdown=f"**Nothing to train.** {unchanged['reason']}"
    )
    return inputs, unchanged


@task(name="split-holdout", cache_policy=NO_CACHE)
def split_data(clean: pd.DataFrame, config: RunConfig) -> modeling.Split:
    """The stratified training part and holdout (the holdout is seen once, by evaluation)."""
    return modeling.split_holdout(clean, config)


@task(name="score-training-rows", cache_policy=NO_CACHE)
def score_training_rows(compiled, clean: pd.DataFrame, config: RunConfig) -> np.ndarray:
    """Churn probabilities of every labelled customer (risk-segment survival curves), from the
    compiled model (the one predict path)."""
    return compiled.predict(clean[config.dataset.feature_columns])
