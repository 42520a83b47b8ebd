"""Logistic regression: the linear baseline, explained exactly in log-odds."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression

from tasks.core import scorers
from tasks.core.families import ModelFamily

FAMILY = ModelFamily(
    name="logistic_regression",
    estimator=lambda seed: LogisticRegression(max_iter=2000),
    reads=lambda model: type(model) is LogisticRegression,
    compile=scorers.linear,
)
