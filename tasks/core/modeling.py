"""Model pipelines and the cross-validated search that picks one.

Every candidate is one sklearn Pipeline: engineered features, encoding, estimator. All choices
(hyperparameters, blend weight, decision threshold) are made by cross-validation on the
training part only; the holdout is never seen here.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from configs.families import FAMILY_NAMES
from configs.schema import RunConfig
from tasks.core.errors import ConfigError
from tasks.core.families import FAMILIES
from tasks.core.families.blend import LogitBlend  # noqa: F401  (models pickled before it moved)
from tasks.core.features import CATEGORICAL_KINDS, FeatureBuilder

FAMILY_ORDER = FAMILY_NAMES  # the search order: a family may start from those before it


def feature_layout(config: RunConfig) -> tuple[list[str], list[str]]:
    """Numeric and categorical model inputs after feature engineering."""
    numeric = list(config.dataset.numeric)
    categorical = list(config.dataset.categorical)
    for spec in config.features:
        (categorical if spec.kind in CATEGORICAL_KINDS else numeric).append(spec.name)
    return numeric, categorical


def build_pipeline(config: RunConfig, estimator: BaseEstimator) -> Pipeline:
    """The full model: raw typed customer columns in, churn probability out."""
    numeric, categorical = feature_layout(config)
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ],
        verbose_feature_names_out=True,
    )
    specs = [spec.model_dump() for spec in config.features]
    return Pipeline([("features", FeatureBuilder(specs)), ("encode", encode), ("model", estimator)])


def base_estimator(family: str, seed: int) -> BaseEstimator:
    if family not in FAMILIES:
        raise ConfigError(f"unknown model family {family!r}")
    return FAMILIES[family].estimator(seed)


@dataclass(frozen=True)
class SearchResult:
    family: str
    best_params: dict[str, Any]
    cv_roc_auc_mean: float
    cv_roc_auc_std: float
    candidates: int
    fit_seconds: float
    estimator: Pipeline
    cv_fold_scores: tuple[float, ...] = ()  # the best candidate's ROC-AUC on each CV fold


def cv_splitter(config: RunConfig) -> StratifiedKFold:
    return StratifiedKFold(
        n_splits=config.model.cv_folds, shuffle=True, random_state=config.model.seed
    )


def family_grid(config: RunConfig, family: str, found: dict[str, SearchResult]) -> dict[str, list]:
    """The search grid for one family, in Pipeline parameter names."""
    grid = {f"model__{k}": list(v) for k, v in config.model.families[family].grid.items()}
    best = {name: _model_params(result) for name, result in found.items()}
    return {**grid, **FAMILIES[family].grid(best)}


def _model_params(result: SearchResult) -> dict[str, Any]:
    return {k.removeprefix("model__"): v for k, v in result.best_params.items()}


def search_family(
    config: RunConfig,
    family: str,
    features: pd.DataFrame,
    target: np.ndarray,
    found: dict[str, SearchResult],
) -> SearchResult:
    """Grid-search one family with stratified K-fold ROC-AUC; the best candidate is refit."""
    started = time.perf_counter()
    pipeline = build_pipeline(config, base_estimator(family, config.model.seed))
    search = GridSearchCV(
        pipeline,
        family_grid(config, family, found),
        scoring="roc_auc",
        cv=cv_splitter(config),
        n_jobs=config.model.n_jobs,
        refit=True,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        search.fit(features, target)
    best = search.best_index_
    return SearchResult(
        family=family,
        best_params=dict(search.best_params_),
        cv_roc_auc_mean=float(search.cv_results_["mean_test_score"][best]),
        cv_roc_auc_std=float(search.cv_results_["std_test_score"][best]),
        candidates=len(search.cv_results_["params"]),
        fit_seconds=time.perf_counter() - started,
        estimator=search.best_estimator_,
        cv_fold_scores=tuple(
            float(search.cv_results_[f"split{i}_test_score"][best]) for i in range(search.n_splits_)
        ),
    )


def enabled_families(config: RunConfig) -> list[str]:
    return [
        f for f in FAMILY_ORDER if f in config.model.families and config.model.families[f].enabled
    ]


@dataclass(frozen=True)
class Choice:
    """The family kept, the best family by mean CV ROC-AUC, and why."""

    family: str
    best_family: str
    threshold: float  # best mean - one standard error; families at or above it qualify
    standard_error: float
    reason: str


def choose_family(
    fold_scores: Mapping[str, Sequence[float]], simplicity_order: Sequence[str]
) -> Choice:
    """The simplest family whose mean CV ROC-AUC is within one standard error of the best.

    `fold_scores` maps each searched family to its best candidate's per-fold CV ROC-AUC, in
    config order. The standard error is the best family's fold std (ddof=1) / sqrt(folds).
    Families missing from `simplicity_order` rank after it, in the mapping's order.
    """
    if not fold_scores:
        raise ValueError("no family was searched")
    ranked = [f for f in simplicity_order if f in fold_scores]
    ranked += [f for f in fold_scores if f not in ranked]
    means = {f: float(np.mean(fold_scores[f])) for f in ranked}
    best = max(ranked, key=lambda f: means[f])  # the first (simplest) of equal means
    scores = np.asarray(fold_scores[best], dtype=float)
    se = float(scores.std(ddof=1) / np.sqrt(scores.size)) if scores.size > 1 else 0.0
    threshold = means[best] - se
    chosen = next(f for f in ranked if means[f] >= threshold - 1e-12)
    if len(ranked) == 1:
        reason = f"{best}: the only family searched (CV ROC-AUC {means[best]:.4f})"
    elif chosen == best:
        reason = (
            f"{best}: best CV ROC-AUC {means[best]:.4f}; no simpler family within one "
            f"standard error ({se:.4f}) of it, i.e. at or above {threshold:.4f}"
        )
    else:
        reason = (
            f"{chosen}: CV ROC-AUC {means[chosen]:.4f} is within one standard error "
            f"({se:.4f}) of the best, {best} {means[best]:.4f} (at or above "
            f"{threshold:.4f}); the simpler family is kept"
        )
    return Choice(chosen, best, threshold, se, reason)


def out_of_fold_probabilities(
    config: RunConfig, estimator: Pipeline, features: pd.DataFrame, target: np.ndarray
) -> np.ndarray:
    """Churn probabilities for the training rows, each predicted by a model that never saw it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*feature names.*")
        return cross_val_predict(
            clone(estimator),
            features,
            target,
            cv=cv_splitter(config),
            method="predict_proba",
            n_jobs=config.model.n_jobs,
        )[:, 1]


def choose_threshold(target: np.ndarray, probabilities: np.ndarray) -> float:
    """The probability cut-off that maximises churn-class F1 (used on out-of-fold scores)."""
    precision, recall, thresholds = precision_recall_curve(target, probabilities)
    precision, recall = precision[:-1], recall[:-1]
    denominator = np.where(precision + recall > 0, precision + recall, 1.0)
    f1 = 2 * precision * recall / denominator
    return float(thresholds[int(np.argmax(f1))])


@dataclass(frozen=True)
class Split:
    """Stratified training part and holdout, features and 0/1 churn labels."""

    train_features: pd.DataFrame
    train_target: np.ndarray
    holdout_features: pd.DataFrame
    holdout_target: np.ndarray


def churn_labels(frame: pd.DataFrame, config: RunConfig) -> np.ndarray:
    target = config.dataset.target
    labels = frame[target.column]
    if isinstance(labels.dtype, pd.CategoricalDtype):  # each distinct label compared once
        positive = np.append(labels.cat.categories.astype(str) == target.positive, False)
        return positive[labels.cat.codes.to_numpy()].astype(int)  # code -1 (missing): False
    return (labels.astype(str) == target.positive).to_numpy().astype(int)


def split_holdout(frame: pd.DataFrame, config: RunConfig) -> Split:
    """Stratified train/holdout split with the config's seed and test size."""
    from sklearn.model_selection import train_test_split

    target = churn_labels(frame, config)
    counts = np.bincount(target, minlength=2)
    if counts.min() < config.model.cv_folds:
        raise ValueError(
            f"need at least {config.model.cv_folds} customers of each class to train, "
            f"got {counts[1]} churned and {counts[0]} stayed"
        )
    features = frame[config.dataset.feature_columns]
    train_x, holdout_x, train_y, holdout_y = train_test_split(
        features,
        target,
        test_size=config.model.test_size,
        stratify=target,
        random_state=config.model.seed,
    )
    return Split(train_x, train_y, holdout_x, holdout_y)


def encoded_center(pipeline: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """Mean encoded training row: the baseline customer for linear explanations."""
    built = pipeline.named_steps["features"].transform(features)
    return np.asarray(pipeline.named_steps["encode"].transform(built), dtype=float).mean(axis=0)
