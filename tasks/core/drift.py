"""Drift and realised-performance logic: parse a drift report, sample a reference, score outcomes.

Pure: no Evidently here; `summarize_snapshot` reads the JSON that Evidently 0.7 writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from configs.schema import RunConfig
from tasks.core.coercion import as_text, parse_numbers
from tasks.core.evaluation import precision_at

ColumnKind = Literal["numeric", "categorical"]
_COUNT_METRIC = "evidently:metric_v2:DriftedColumnsCount"
_COLUMN_METRIC = "evidently:metric_v2:ValueDrift"
_FAILED = "FAIL"  # a ValueDrift test fails exactly when Evidently detects drift in the column


@dataclass(frozen=True)
class ColumnDrift:
    """One column's verdict; score is a p-value or a distance, as the method defines."""

    column: str
    kind: ColumnKind
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftSummary:
    """Dataset drift: the share of drifted columns reached `drift_share_threshold`."""

    dataset_drift: bool
    drifted_share: float
    drifted_columns: list[str]
    drift_share_threshold: float
    columns: list[ColumnDrift] = field(default_factory=list)
    reference_rows: int = 0
    current_rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def drift_columns(config: RunConfig) -> tuple[list[str], list[str]]:
    """The monitored (numeric, categorical) columns: every feature, never the id or target."""
    data = config.dataset
    excluded = {data.id_column, data.target.column}
    numeric = [c for c in data.numeric if c not in excluded]
    categorical = [c for c in data.categorical if c not in excluded]
    return numeric, categorical


def monitored_frame(frame: pd.DataFrame, config: RunConfig, name: str) -> pd.DataFrame:
    """The monitored columns only, numbers float64 and categories str; ValueError if any lack."""
    numeric, categorical = drift_columns(config)
    missing = [c for c in (*numeric, *categorical) if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} data lacks monitored columns: {missing}")
    if frame.empty:
        raise ValueError(f"{name} data has no rows")
    columns = {c: parse_numbers(frame[c])[0] for c in numeric}
    columns |= {c: as_text(frame[c]) for c in categorical}
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def summarize_snapshot(
    snapshot_json: dict[str, Any],
    numeric: Sequence[str],
    categorical: Sequence[str],
    reference_rows: int,
    current_rows: int,
) -> DriftSummary:
    """Parse `json.loads(snapshot.json())` of a DataDriftPreset run with tests: share from
    DriftedColumnsCount; per column method, threshold, score from its ValueDrift metric and the
    verdict from that metric's test (FAIL = drifted, whichever way the method's score points)."""
    metrics = snapshot_json.get("metrics", [])
    counts = [m for m in metrics if m.get("config", {}).get("type") == _COUNT_METRIC]
    if len(counts) != 1:
        raise ValueError(f"expected one DriftedColumnsCount metric, found {len(counts)}")
    count = counts[0]
    status = {t["metric_config"]["metric_id"]: t["status"] for t in snapshot_json.get("tests", [])}
    kinds: dict[str, ColumnKind] = {c: "numeric" for c in numeric}
    kinds |= {c: "categorical" for c in categorical}
    columns = []
    for metric in metrics:
        config = metric.get("config", {})
        if config.get("type") != _COLUMN_METRIC:
            continue
        column = config["column"]
        if column not in kinds:
            raise ValueError(f"drift report covers column {column!r}, which is not monitored")
        if metric["id"] not in status:
            raise ValueError(f"no drift test for column {column!r}: run the report with tests")
        columns.append(
            ColumnDrift(
                column=column,
                kind=kinds[column],
                method=config["method"],
                score=float(metric["value"]),
                threshold=float(config["threshold"]),
                drifted=status[metric["id"]] == _FAILED,
            )
        )
    missing = sorted(set(kinds) - {c.column for c in columns})
    if missing:
        raise ValueError(f"drift report has no verdict for columns {missing}")
    drifted_columns = [c.column for c in columns if c.drifted]
    if int(count["value"]["count"]) != len(drifted_columns):
        raise ValueError(
            f"drift report is inconsistent: DriftedColumnsCount says {count['value']['count']}, "
            f"column tests fail for {len(drifted_columns)}"
        )
    share, threshold = float(count["value"]["share"]), float(count["config"]["drift_share"])
    return DriftSummary(
        dataset_drift=share >= threshold,
        drifted_share=share,
        drifted_columns=drifted_columns,
        drift_share_threshold=threshold,
        columns=columns,
        reference_rows=int(reference_rows),
        current_rows=int(current_rows),
    )


def reference_sample(frame: pd.DataFrame, config: RunConfig, seed: int) -> pd.DataFrame:
    """Up to `monitoring.reference_rows` rows of the feature columns, in their original order:
    stratified by the target when present with both classes, else random; same seed, same rows."""
    numeric, categorical = drift_columns(config)
    features = [*numeric, *categorical]
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks feature columns: {missing}")
    size = config.monitoring.reference_rows
    if len(frame) <= size:
        return frame[features].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    target = config.dataset.target.column
    labels = frame[target].to_numpy() if target in frame.columns else None
    if labels is None or pd.Series(labels).nunique(dropna=False) < 2:
        chosen = rng.choice(len(frame), size=size, replace=False)
    else:
        chosen = _stratified(pd.Series(labels).astype(str).to_numpy(), size, rng)
    return frame[features].iloc[np.sort(chosen)].reset_index(drop=True)


def _stratified(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row positions, `size` in all, each class in proportion (largest remainders round up)."""
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    exact = counts * size / len(labels)
    quota = np.floor(exact).astype(int)
    quota[np.argsort(-(exact - quota), kind="stable")[: size - quota.sum()]] += 1
    picks = [
        rng.choice(np.flatnonzero(inverse == k), size=quota[k], replace=False)
        for k in range(len(classes))
    ]
    return np.concatenate(picks)


def realised_performance(
    labels: Sequence[int] | np.ndarray, probabilities: Sequence[float] | np.ndarray, bins: int = 10
) -> dict[str, Any]:
    """How past scores fared against real outcomes: ROC-AUC (None with one class), precision in
    the top 10%, Brier score and calibration over quantile bins of the scores."""
    y = np.asarray(labels)
    p = np.asarray(probabilities, dtype=float)
    if y.ndim != 1 or y.shape != p.shape:
        raise ValueError(f"labels {y.shape} and probabilities {p.shape} must be equal 1-D arrays")
    if len(y) == 0:
        raise ValueError("no outcomes to assess")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0/1")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("probabilities must be finite and within [0, 1]")
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    y = y.astype(int)
    calibration = _calibration(y, p, bins)
    ece = sum(b["count"] * abs(b["mean_predicted"] - b["observed_rate"]) for b in calibration)
    return {
        "rows": len(y),
        "churn_rate": float(y.mean()),
        "roc_auc": float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None,
        "precision_at_10": precision_at(y, p, 0.10),
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
        "calibration": calibration,
        "expected_calibration_error": float(ece / len(y)),
    }


def _calibration(y: np.ndarray, p: np.ndarray, bins: int) -> list[dict[str, Any]]:
    """Mean score vs observed churn per quantile bin of the scores (tied edges merge bins)."""
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    index = np.searchsorted(edges[1:-1], p, side="right")
    rows = []
    for position, k in enumerate(np.unique(index)):
        inside = index == k
        rows.append(
            {
                "bin": position,
                "mean_predicted": float(p[inside].mean()),
                "observed_rate": float(y[inside].mean()),
                "count": int(inside.sum()),
            }
        )
    return rows


def performance_alert(perf: dict[str, Any], floor: float) -> str | None:
    """A message when realised ROC-AUC is below `floor`; None when fine or not measurable."""
    auc = perf.get("roc_auc")
    if auc is None or auc >= floor:
        return None
    return f"realised ROC-AUC {auc:.4f} on {perf.get('rows')} customers is below the floor {floor}"


def match_outcomes(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    id_column: str = "customer_id",
    label_column: str = "churned",
) -> dict[tuple[Any, Any], tuple[np.ndarray, np.ndarray]]:
    """Per (model_version, as_of): (0/1 labels, probabilities) of scores with a known outcome.
    `scores`: id, as_of, model_version, churn_probability; `outcomes`: id, 0/1 or bool label and
    optionally as_of (joined on it too; without it one outcome labels all the customer's scores)."""
    _require(scores, [id_column, "as_of", "model_version", "churn_probability"], "scores")
    _require(outcomes, [id_column, label_column], "outcomes")
    keys = [id_column, "as_of"] if "as_of" in outcomes.columns else [id_column]
    known = outcomes[[*keys, label_column]].dropna(subset=[label_column])
    repeated = known.duplicated(subset=keys, keep=False)
    if repeated.any():
        shown = known.loc[repeated, id_column].astype(str).unique()[:5].tolist()
        raise ValueError(f"outcomes give more than one label for the same key, e.g. {shown}")
    labels = known[label_column]
    if labels.dtype == bool:
        labels = labels.astype(int)
    if not labels.isin([0, 1]).all():
        raise ValueError(f"outcome column {label_column!r} must hold 0/1 or booleans")
    left = scores.assign(**{id_column: scores[id_column].astype(str)})
    right = known.assign(**{id_column: known[id_column].astype(str), label_column: labels})
    joined = left.merge(right, on=keys, how="inner", validate="many_to_one")
    groups = {}
    for (version, as_of), group in joined.groupby(["model_version", "as_of"], sort=True):
        groups[(version, as_of)] = (
            group[label_column].to_numpy(dtype=int),
            group["churn_probability"].to_numpy(dtype=float),
        )
    return groups


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lack columns {missing}")
