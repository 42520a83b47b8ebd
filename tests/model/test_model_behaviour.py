"""Model behaviour: exact explanations for every family, sane directions, robust inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from configs.schema import load_config
from data.generate import generate_customers
from tasks.core import modeling
from tasks.core.contract import validate_frame
from tasks.core.inference import compile_model
from tasks.core.scoring import reason_records

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "telco.yaml"
FAMILIES = {
    "logistic_regression": {"C": 1.0},
    "random_forest": {"n_estimators": 40, "max_depth": 6},
    "lightgbm": {"n_estimators": 80, "num_leaves": 8, "learning_rate": 0.05},
}


@pytest.fixture(scope="module")
def data():
    config = load_config(CONFIG)
    clean = validate_frame(generate_customers(3000, seed=21), config, "training").clean
    return config, clean[config.dataset.feature_columns], modeling.churn_labels(clean, config)


def _fit(config, family, features, target):
    if family == "blend":
        estimator = modeling.LogitBlend(
            weight=0.4,
            linear_params=FAMILIES["logistic_regression"],
            boosted_params=FAMILIES["lightgbm"],
        )
    else:
        estimator = modeling.base_estimator(family, 0).set_params(**FAMILIES[family])
    pipeline = modeling.build_pipeline(config, estimator).fit(features, target)
    pipeline.explain_center_ = modeling.encoded_center(pipeline, features)
    return pipeline


@pytest.mark.parametrize("family", [*FAMILIES, "blend"])
def test_contributions_reproduce_the_score_exactly(data, family):
    config, features, target = data
    pipeline = _fit(config, family, features, target)
    model = compile_model(pipeline)
    found = model.contributions(features.head(300))
    total = found.values.sum(axis=1).to_numpy() + found.bias
    if found.units == "log-odds":
        total = 1.0 / (1.0 + np.exp(-total))
    expected = pipeline.predict_proba(features.head(300))[:, 1]
    assert np.abs(total - expected).max() < 1e-9
    assert np.abs(model.predict(features.head(300)) - expected).max() < 1e-9
    assert list(found.values.columns) == [
        *config.dataset.numeric,
        *[f.name for f in config.features if f.kind != "bins"],
        *config.dataset.categorical,
        *[f.name for f in config.features if f.kind == "bins"],
    ]
    reasons = reason_records(model.contributions(features.head(5)), top=3)
    assert all(len(r) == 3 for r in reasons)
    assert all(
        abs(r[0]["contribution"]) >= abs(r[1]["contribution"]) >= abs(r[2]["contribution"])
        for r in reasons
    )


def test_longer_contracts_lower_churn_risk(data):
    config, features, target = data
    pipeline = _fit(config, "blend", features, target)
    customers = features.head(200).copy()
    monthly = pipeline.predict_proba(customers.assign(Contract="Month-to-month"))[:, 1]
    two_year = pipeline.predict_proba(customers.assign(Contract="Two year"))[:, 1]
    assert (two_year < monthly).mean() > 0.95


def test_unknown_category_is_scored_not_crashed(data):
    config, features, target = data
    pipeline = _fit(config, "blend", features, target)
    odd = features.head(3).assign(PaymentMethod="Bitcoin")
    probabilities = pipeline.predict_proba(odd)[:, 1]
    assert np.isfinite(probabilities).all()
    model = compile_model(pipeline)
    assert np.abs(model.predict(odd) - probabilities).max() < 1e-12
    assert reason_records(model.contributions(odd), top=2)[0][0]["feature"]


def test_search_picks_by_cv_and_threshold_from_out_of_fold(data):
    config, features, target = data
    small = config.model_copy(
        update={
            "model": config.model.model_copy(
                update={
                    "cv_folds": 3,
                    "families": {
                        "logistic_regression": config.model.families[
                            "logistic_regression"
                        ].model_copy(update={"grid": {"C": [0.01, 1.0]}})
                    },
                }
            )
        }
    )
    result = modeling.search_family(small, "logistic_regression", features, target, {})
    assert result.candidates == 2 and 0.7 < result.cv_roc_auc_mean < 0.95
    oof = modeling.out_of_fold_probabilities(small, result.estimator, features, target)
    threshold = modeling.choose_threshold(target, oof)
    assert 0.05 < threshold < 0.95
