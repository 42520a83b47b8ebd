"""The Cox design matrix: covariate encoding, and columns that duplicate others dropped.

One-hot indicators of related categoricals can be exact linear combinations of each other
(a "no service" level of one column present exactly where another column says "no service").
A penalised fit then splits one effect between the copies, so such columns are found in the
data and left out of the design before fitting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from configs.schema import RunConfig
from tasks.core.coercion import as_text

COLLINEAR_TOLERANCE = 1e-8  # residual norm / centred norm below which a column is redundant
_TERM_TOLERANCE = 1e-9  # least-squares weights smaller than this are left out of the text


def encoding(
    frame: pd.DataFrame, config: RunConfig
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[float, float]]]:
    """Categories (config order) per categorical covariate; training mean and std per numeric."""
    categories: dict[str, tuple[str, ...]] = {}
    scaling: dict[str, tuple[float, float]] = {}
    for name in config.survival.covariates:
        if name in config.dataset.categorical:
            categories[name] = tuple(str(c) for c in config.dataset.categorical[name])
        else:
            values = frame[name].to_numpy(dtype=float)
            std = float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else 0.0
            scaling[name] = (float(np.nanmean(values)), std if std > 0 else 1.0)
    return categories, scaling


def encode(
    frame: pd.DataFrame,
    categories: dict[str, tuple[str, ...]],
    scaling: dict[str, tuple[float, float]],
) -> pd.DataFrame:
    """The one-hot (first category dropped) and standardised design matrix as a frame."""
    columns: dict[str, np.ndarray] = {}
    for name, cats in categories.items():
        values = as_categories(frame[name]).to_numpy()
        for cat in cats[1:]:
            columns[f"{name}={cat}"] = (values == cat).astype(float)
    for name, (mean, std) in scaling.items():
        columns[name] = (frame[name].to_numpy(dtype=float) - mean) / std
    return pd.DataFrame(columns, index=frame.index)


def as_categories(series: pd.Series) -> pd.Series:
    """Text values to match category names; already-text columns pass through untouched."""
    if ptypes.is_object_dtype(series) or ptypes.is_string_dtype(series):
        return series
    return as_text(series)


def collinear_columns(
    design: pd.DataFrame, tolerance: float = COLLINEAR_TOLERANCE
) -> dict[str, str]:
    """Columns that are (numerically) exact linear combinations of an intercept and earlier
    kept columns, in design order, each with the combination it duplicates as text.

    Columns are taken left to right against an orthonormal basis of the intercept and the
    columns kept so far (Gram-Schmidt, orthogonalised twice): a column whose residual norm is
    below `tolerance` times its centred norm adds nothing and is reported. A constant column
    (e.g. a category absent from the data) duplicates the intercept. Missing values read as 0."""
    values = np.nan_to_num(design.to_numpy(dtype=float), nan=0.0)
    n = len(values)
    basis = [np.full(n, 1.0 / np.sqrt(n))] if n else []
    kept: list[int] = []
    dropped: dict[str, str] = {}
    for j, name in enumerate(design.columns):
        column = values[:, j]
        centred = float(np.linalg.norm(column - column.mean())) if n else 0.0
        residual = column.copy()
        if basis:
            q = np.column_stack(basis)
            for _ in range(2):
                residual -= q @ (q.T @ residual)
        norm = float(np.linalg.norm(residual))
        if centred == 0.0 or norm <= tolerance * centred:
            dropped[str(name)] = _combination(values, design.columns, kept, column)
        else:
            basis.append(residual / norm)
            kept.append(j)
    return dropped


def _combination(values: np.ndarray, names: pd.Index, kept: list[int], column: np.ndarray) -> str:
    """`column` as intercept + weights x kept columns (least squares): "InternetService=No",
    "1 - A - B", "0.5 * A"; "0" for a column of zeros."""
    regressors = np.column_stack([np.ones(len(values)), values[:, kept]])
    weights = np.linalg.lstsq(regressors, column, rcond=None)[0] if len(values) else [0.0]
    labels = ["", *(str(names[k]) for k in kept)]
    terms = []
    for weight, label in zip(weights, labels, strict=True):
        size = abs(float(weight))
        if size <= _TERM_TOLERANCE:
            continue
        if not label:
            term = f"{size:.6g}"
        else:
            term = label if np.isclose(size, 1.0) else f"{size:.6g} * {label}"
        terms.append((weight < 0, term))
    if not terms:
        return "0"
    first_negative, first = terms[0]
    text = f"-{first}" if first_negative else first
    return text + "".join(f" {'-' if neg else '+'} {term}" for neg, term in terms[1:])
