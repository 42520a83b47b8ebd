"""LightGBM: gradient-boosted trees, explained in log-odds from their paths."""

from __future__ import annotations

from typing import Any

from tasks.core import scorers
from tasks.core.encoding import unsupported
from tasks.core.families import ModelFamily


def lightgbm(seed: int, **params: Any):
    from lightgbm import LGBMClassifier

    return LGBMClassifier(random_state=seed, n_jobs=1, verbose=-1, **params)


def _compile(model, encoder, center):
    if not hasattr(model, "booster_"):
        raise unsupported("LGBMClassifier is not fitted")
    return scorers.boosted(model, encoder)


FAMILY = ModelFamily(
    name="lightgbm",
    estimator=lightgbm,
    reads=lambda model: type(model).__name__ == "LGBMClassifier",
    compile=_compile,
)
