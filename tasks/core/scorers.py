"""The numbers of each model family, on encoded rows: probabilities and contributions.

Every scorer gives `explain(encoded) -> (contributions per source column, bias)`; the
probability is computed from the same packed parameters (see `tasks.core.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tasks.core.encoding import Encoder, unsupported
from tasks.core.trees import PathTable, lightgbm_trees, path_table


def _finite(encoded: np.ndarray) -> None:
    if not np.isfinite(encoded).all():  # sklearn's input check refuses NaN and inf
        raise ValueError("Input X contains NaN or infinity (LogisticRegression)")


@dataclass(frozen=True, eq=False)
class Linear:
    coef: np.ndarray  # (width, 1): coef_.T
    intercept: np.ndarray  # (1,)
    center: np.ndarray  # mean encoded training row: the baseline customer
    folded: np.ndarray  # (width, sources): coef x to_source
    offset: np.ndarray  # (sources,): (center x coef) @ to_source

    def decision(self, encoded: np.ndarray) -> np.ndarray:
        _finite(encoded)
        return (encoded @ self.coef + self.intercept).reshape(-1)

    def explain(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _finite(encoded)
        bias = float(self.intercept[0] + self.center @ self.coef[:, 0])
        return encoded @ self.folded - self.offset, np.full(len(encoded), bias)


@dataclass(frozen=True, eq=False)
class Boosted:
    paths: PathTable
    sigmoid: float
    average_over: int  # > 0: averaged output (boosting_type="rf")

    def raw(self, encoded: np.ndarray) -> np.ndarray:
        total = self.paths.trees.total(encoded, small_as_zero=True)  # LightGBM's dense reader
        return total / self.average_over if self.average_over else total

    def raw_explain(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = self.paths.sums(encoded, small_as_zero=True)
        bias = np.full(len(encoded), self.paths.bias)
        if self.average_over:
            return values / self.average_over, bias / self.average_over
        return values, bias

    def decision(self, encoded: np.ndarray) -> np.ndarray:
        raw = self.raw(encoded)
        return raw if self.sigmoid == 1.0 else self.sigmoid * raw

    def explain(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values, bias = self.raw_explain(encoded)
        if self.sigmoid == 1.0:
            return values, bias
        return self.sigmoid * values, self.sigmoid * bias


@dataclass(frozen=True, eq=False)
class Forest:
    paths: PathTable

    def _float32(self, encoded: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            x = encoded.astype(np.float32)  # sklearn's trees read float32
        if np.isinf(x).any():  # ... and refuse inf (NaN is allowed: missing_go_to_left)
            raise ValueError("Input X contains infinity or a value too large for float32")
        return x

    def proba(self, encoded: np.ndarray) -> np.ndarray:
        trees = self.paths.trees
        return trees.total(self._float32(encoded)) / len(trees.roots)

    def explain(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        count = len(self.paths.trees.roots)
        values = self.paths.sums(self._float32(encoded), small_as_zero=False)
        return values / count, np.full(len(encoded), self.paths.bias / count)


@dataclass(frozen=True, eq=False)
class Blend:
    weight: float
    linear: Linear
    boosted: Boosted

    def decision(self, encoded: np.ndarray) -> np.ndarray:
        linear = self.linear.decision(encoded)
        return self.weight * linear + (1.0 - self.weight) * self.boosted.raw(encoded)

    def explain(self, encoded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        linear, linear_bias = self.linear.explain(encoded)
        boosted, boosted_bias = self.boosted.raw_explain(encoded)
        rest = 1.0 - self.weight
        return (
            self.weight * linear + rest * boosted,
            self.weight * linear_bias + rest * boosted_bias,
        )


def linear(model: Any, encoder: Encoder, center: np.ndarray) -> Linear:
    if not hasattr(model, "coef_"):
        raise unsupported("LogisticRegression is not fitted")
    if len(model.classes_) != 2 or model.coef_.shape != (1, encoder.width):
        raise unsupported(f"LogisticRegression must be binary on {encoder.width} inputs")
    coef = np.array(model.coef_, dtype=np.float64).T
    intercept = np.array(model.intercept_, dtype=np.float64).reshape(1)
    folded = np.ascontiguousarray(coef[:, 0][:, None] * encoder.to_source)
    offset = (center * coef[:, 0]) @ encoder.to_source
    return Linear(coef, intercept, center, folded, offset)


def boosted(model: Any, encoder: Encoder) -> Boosted:
    if len(model.classes_) != 2:
        raise unsupported("LGBMClassifier must be binary")
    dump = model.booster_.dump_model()  # best_iteration trees, as predict uses by default
    objective = str(dump.get("objective", "")).split()
    if not objective or objective[0] != "binary":
        raise unsupported(f"LightGBM objective {' '.join(objective)!r} is not 'binary'")
    sigmoid = 1.0
    for part in objective[1:]:
        if part.startswith("sigmoid:"):
            sigmoid = float(part.split(":", 1)[1])
    if dump.get("num_class", 1) != 1 or dump.get("num_tree_per_iteration", 1) != 1:
        raise unsupported("LightGBM multiclass models are not compiled")
    if dump["max_feature_idx"] + 1 != encoder.width:
        raise unsupported(f"LightGBM reads {dump['max_feature_idx'] + 1} inputs")
    average_over = len(dump["tree_info"]) if dump.get("average_output") else 0
    paths = path_table(lightgbm_trees(dump), encoder.to_source)
    return Boosted(paths, sigmoid, average_over)
