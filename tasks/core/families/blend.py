"""The blend: a logistic regression and LightGBM averaged in log-odds, each starting from
its own family's best parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from tasks.core import scorers
from tasks.core.encoding import unsupported
from tasks.core.errors import ConfigError
from tasks.core.families import ModelFamily
from tasks.core.families.lightgbm import lightgbm


class LogitBlend(ClassifierMixin, BaseEstimator):
    """Weighted average of a logistic regression and LightGBM in log-odds space.

    Averaging log-odds (not probabilities) keeps per-feature explanations exact and additive.
    """

    def __init__(self, weight: float = 0.5, linear_params=None, boosted_params=None, seed=0):
        self.weight = weight
        self.linear_params = linear_params
        self.boosted_params = boosted_params
        self.seed = seed

    def fit(self, features: np.ndarray, y: np.ndarray) -> LogitBlend:
        self.linear_ = LogisticRegression(max_iter=2000, **(self.linear_params or {}))
        self.boosted_ = lightgbm(self.seed, **(self.boosted_params or {}))
        self.linear_.fit(features, y)
        self.boosted_.fit(features, y)
        self.classes_ = self.linear_.classes_
        return self

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        linear = self.linear_.decision_function(features)
        boosted = self.boosted_.predict(features, raw_score=True)
        return self.weight * linear + (1.0 - self.weight) * boosted

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-self.decision_function(features)))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, features: np.ndarray) -> np.ndarray:
        return self.classes_[(self.predict_proba(features)[:, 1] >= 0.5).astype(int)]


def _compile(model: LogitBlend, encoder, center) -> scorers.Blend:
    if not hasattr(model, "linear_"):
        raise unsupported("LogitBlend is not fitted")
    if type(model.linear_) is not LogisticRegression:
        raise unsupported(f"LogitBlend.linear_ is {type(model.linear_).__name__}")
    linear = scorers.linear(model.linear_, encoder, center)
    return scorers.Blend(float(model.weight), linear, scorers.boosted(model.boosted_, encoder))


def _grid(found: Mapping[str, dict[str, Any]]) -> dict[str, list]:
    missing = [f for f in ("logistic_regression", "lightgbm") if f not in found]
    if missing:
        raise ConfigError(f"model.families.blend needs enabled families {missing}")
    return {
        "model__linear_params": [found["logistic_regression"]],
        "model__boosted_params": [found["lightgbm"]],
    }


FAMILY = ModelFamily(
    name="blend",
    estimator=lambda seed: LogitBlend(seed=seed),
    reads=lambda model: type(model) is LogitBlend,
    compile=_compile,
    grid=_grid,
)
