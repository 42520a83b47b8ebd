"""Evaluation plots as matplotlib figures (the caller saves them)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import precision_recall_curve, roc_curve

from tasks.core.evaluation import Evaluation


def _figure(title: str) -> tuple[Figure, object]:
    figure = Figure(figsize=(5.5, 4.5), dpi=100)
    axes = figure.add_subplot()
    axes.set_title(title)
    return figure, axes


def roc_figure(target: np.ndarray, probabilities: np.ndarray, result: Evaluation) -> Figure:
    figure, axes = _figure(f"ROC curve ({result.split}, AUC {result.roc_auc:.3f})")
    fpr, tpr, _ = roc_curve(target, probabilities)
    axes.plot(fpr, tpr, label="model")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.legend(loc="lower right")
    return figure


def pr_figure(target: np.ndarray, probabilities: np.ndarray, result: Evaluation) -> Figure:
    figure, axes = _figure(f"Precision-recall ({result.split}, AP {result.pr_auc:.3f})")
    precision, recall, _ = precision_recall_curve(target, probabilities)
    axes.plot(recall, precision)
    axes.axhline(result.churn_rate, linestyle="--", color="grey", label="churn rate")
    axes.set_xlabel("recall (churn)")
    axes.set_ylabel("precision (churn)")
    axes.legend(loc="upper right")
    return figure


def calibration_figure(target: np.ndarray, probabilities: np.ndarray, result: Evaluation) -> Figure:
    figure, axes = _figure(f"Calibration ({result.split}, Brier {result.brier:.3f})")
    observed, predicted = calibration_curve(target, probabilities, n_bins=10, strategy="quantile")
    axes.plot(predicted, observed, marker="o", label="model")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    axes.set_xlabel("mean predicted churn probability")
    axes.set_ylabel("observed churn rate")
    axes.legend(loc="upper left")
    return figure


def confusion_figure(result: Evaluation) -> Figure:
    figure, axes = _figure(f"Confusion matrix ({result.split}, threshold {result.threshold:.3f})")
    cells = np.array(
        [
            [result.true_negative, result.false_positive],
            [result.false_negative, result.true_positive],
        ]
    )
    axes.imshow(cells, cmap="Blues")
    for (row, column), count in np.ndenumerate(cells):
        axes.text(column, row, str(count), ha="center", va="center")
    axes.set_xticks([0, 1], ["predicted stay", "predicted churn"])
    axes.set_yticks([0, 1], ["stayed", "churned"])
    return figure


def importance_figure(importance: pd.Series, units: str) -> Figure:
    """Mean absolute contribution per input column, largest on top."""
    figure = Figure(figsize=(6.5, 0.3 * len(importance) + 1.5), dpi=100)
    axes = figure.add_subplot()
    ordered = importance.sort_values()
    axes.barh(ordered.index, ordered.to_numpy())
    axes.set_title("Feature importance (mean |contribution|, holdout)")
    axes.set_xlabel(f"mean absolute contribution ({units})")
    figure.tight_layout()
    return figure


def profit_curve_figure(sizes: np.ndarray, profit: np.ndarray, best: int, title: str) -> Figure:
    """Cumulative expected profit over audience size, the profit-maximising size marked."""
    figure, axes = _figure(title)
    axes.plot(sizes, profit, label="expected profit")
    axes.axvline(best, linestyle="--", color="grey", label=f"best size {best:,}")
    axes.axhline(0, color="black", linewidth=0.5)
    axes.set_xlabel("customers contacted (best expected profit first)")
    axes.set_ylabel("expected profit")
    axes.legend(loc="lower right")
    return figure


def qini_figure(share: np.ndarray, qini: np.ndarray, coefficient: float, title: str) -> Figure:
    """The Qini curve against random targeting (the straight line to the same end)."""
    figure, axes = _figure(title)
    axes.plot(share, qini, label=f"model (Qini coefficient {coefficient:.4f})")
    axes.plot([0, 1], [0, qini[-1]], linestyle="--", color="grey", label="random targeting")
    axes.set_xlabel("share of customers contacted, by predicted uplift")
    axes.set_ylabel("incremental retained customers per customer")
    axes.legend(loc="best")
    return figure
