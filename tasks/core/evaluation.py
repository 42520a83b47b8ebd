"""Holdout metrics. Every figure is computed for a named split at a named threshold."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)


def lift_at(target: np.ndarray, probabilities: np.ndarray, share: float = 0.10) -> float:
    """Churn rate among the top `share` highest-scored customers over the overall churn rate."""
    target = np.asarray(target)
    base_rate = target.mean()
    if base_rate == 0:
        return float("nan")
    count = max(1, int(np.ceil(share * len(target))))
    top = np.argsort(-np.asarray(probabilities), kind="stable")[:count]
    return float(target[top].mean() / base_rate)


def precision_at(target: np.ndarray, probabilities: np.ndarray, share: float = 0.10) -> float:
    """Share of churners among the top `share` highest-scored customers."""
    count = max(1, int(np.ceil(share * len(target))))
    top = np.argsort(-np.asarray(probabilities), kind="stable")[:count]
    return float(np.asarray(target)[top].mean())


@dataclass(frozen=True)
class Evaluation:
    split: str
    rows: int
    churn_rate: float
    threshold: float
    roc_auc: float
    pr_auc: float
    brier: float
    lift_at_10: float
    precision_churn: float
    recall_churn: float
    f1_churn: float
    true_negative: int
    false_positive: int
    false_negative: int
    true_positive: int

    def metrics(self, prefix: str = "") -> dict[str, float]:
        """Numeric figures for MLflow, keys prefixed with the split (e.g. `holdout_roc_auc`)."""
        return {f"{prefix}{k}": float(v) for k, v in asdict(self).items() if k not in ("split",)}


def evaluate(
    target: np.ndarray, probabilities: np.ndarray, threshold: float, split: str
) -> Evaluation:
    """All holdout figures for one split at one threshold."""
    target = np.asarray(target).astype(int)
    probabilities = np.asarray(probabilities, dtype=float)
    if len(np.unique(target)) < 2:
        raise ValueError(f"split {split!r} holds only one class; metrics need both")
    predicted = (probabilities >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(target, predicted, labels=[0, 1]).ravel()
    return Evaluation(
        split=split,
        rows=len(target),
        churn_rate=float(target.mean()),
        threshold=float(threshold),
        roc_auc=float(roc_auc_score(target, probabilities)),
        pr_auc=float(average_precision_score(target, probabilities)),
        brier=float(brier_score_loss(target, probabilities)),
        lift_at_10=lift_at(target, probabilities, 0.10),
        precision_churn=float(precision_score(target, predicted, zero_division=0)),
        recall_churn=float(recall_score(target, predicted, zero_division=0)),
        f1_churn=float(f1_score(target, predicted, zero_division=0)),
        true_negative=int(tn),
        false_positive=int(fp),
        false_negative=int(fn),
        true_positive=int(tp),
    )
