"""Fitted pipelines shared by the unit tests: each model family fitted once per session, on
generated Telco customers and on the generated tables of other shapes (tests/tables.py)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core import modeling
from tasks.core.contract import validate_frame
from tasks.core.inference import CompiledModel, compile_model
from tests.tables import SHAPES

CONFIG = load_config(Path(__file__).resolve().parents[2] / "configs" / "telco.yaml")
FEATURES = CONFIG.dataset.feature_columns
FAMILIES = ("logistic_regression", "random_forest", "lightgbm", "blend")


def lightgbm(**params) -> object:
    return modeling.base_estimator("lightgbm", 0).set_params(**params)


def estimators() -> dict[str, object]:
    """Every family, plus a deep LightGBM (its path tables are per leaf, not grouped)."""
    return {
        "logistic_regression": LogisticRegression(max_iter=2000),
        "random_forest": RandomForestClassifier(
            n_estimators=50, max_depth=8, random_state=0, n_jobs=1
        ),
        # 301 trees: not a multiple of any tree group size, so the last group is padded
        "lightgbm": lightgbm(n_estimators=301, learning_rate=0.05, num_leaves=16),
        "lightgbm_deep": lightgbm(
            n_estimators=37, learning_rate=0.1, num_leaves=23, min_child_samples=5
        ),
        "blend": modeling.LogitBlend(
            weight=0.4, boosted_params={"n_estimators": 150, "num_leaves": 8}, seed=0
        ),
    }


def customers(rows: int, seed: int) -> pd.DataFrame:
    """Validated generated Telco customers (categorical columns as pandas Categoricals)."""
    return validate_frame(generate_customers(rows, seed), CONFIG, "training").clean


def fit(config, estimator, frame: pd.DataFrame) -> Pipeline:
    features = frame[config.dataset.feature_columns]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        pipeline = modeling.build_pipeline(config, estimator)
        pipeline.fit(features, modeling.churn_labels(frame, config))
    pipeline.explain_center_ = modeling.encoded_center(pipeline, features)
    return pipeline


@pytest.fixture(scope="session")
def fitted() -> dict[str, Pipeline]:
    train = customers(3000, 7)
    return {family: fit(CONFIG, estimator, train) for family, estimator in estimators().items()}


@pytest.fixture(scope="session")
def compiled(fitted) -> dict[str, CompiledModel]:
    return {family: compile_model(pipeline) for family, pipeline in fitted.items()}


@pytest.fixture(scope="session")
def tables(tmp_path_factory) -> dict[tuple[str, str], tuple[object, Pipeline, pd.DataFrame]]:
    """(shape, family) -> (config, fitted pipeline, validated rows it did not see)."""
    folder = tmp_path_factory.mktemp("tables")
    out = {}
    for shape, make in SHAPES.items():
        frame, raw = make(1200, seed=0)
        batch, _ = make(800, seed=1)
        path = folder / f"{shape}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        config = load_config(path)
        train = validate_frame(frame, config, "training").clean
        scored = validate_frame(batch, config, "training").clean
        for family, estimator in estimators().items():
            if family in FAMILIES:
                out[shape, family] = (config, fit(config, estimator, train), scored)
    return out
