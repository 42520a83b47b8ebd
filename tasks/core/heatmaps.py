"""Churn rate and mean score by two columns at once, for the dashboard's heatmaps: the segment
column by tenure band (where the table has both roles), and the pairs of categorical columns
the config lists (`dashboard.heatmaps`). Each scored chunk is counted (`heatmap_counts`: a
few hundred rows), the counts of a run are added up, and `heatmap_tables` gives what the KPI
snapshot keeps per as_of, so the page only reads stored figures."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from configs.schema import RunConfig
from tasks.core.message_facts import band_labels, duration_edges
from tasks.core.modeling import churn_labels

KEYS = ["pair", "row", "column"]


def heatmap_pairs(config: RunConfig) -> list[tuple[str, str]]:
    """(rows, columns) of every heatmap; "tenure band" stands for the binned duration role."""
    roles = config.dataset.roles
    pairs = [(roles.segment, "tenure band")] if roles.segment and roles.duration else []
    return pairs + [tuple(pair) for pair in config.dashboard.heatmaps]


def _values(clean: pd.DataFrame, column: str, config: RunConfig) -> pd.Categorical:
    if column != "tenure band":
        values = clean[column]
        return (
            values.array
            if isinstance(values.dtype, pd.CategoricalDtype)
            else (pd.Categorical(values.astype(str)))
        )
    edges = duration_edges(config)
    months = clean[config.dataset.roles.duration].to_numpy(dtype=float)
    labels = [f"{label} months" for label in band_labels(edges[:-1])]
    labels.append(f"{edges[-2]:g}+ months")  # as message_facts.tenure_band names them
    index = np.clip(np.searchsorted(edges[1:-1], months, side="right"), 0, len(labels) - 1)
    return pd.Categorical.from_codes(index, labels)


def heatmap_counts(
    clean: pd.DataFrame, probabilities: np.ndarray, config: RunConfig
) -> pd.DataFrame | None:
    """Per heatmap and pair of values: customers, the sum of their scores and (with labels)
    how many churned. None when the config has no heatmap."""
    pairs = heatmap_pairs(config)
    if not pairs or not len(clean):
        return None
    labelled = config.dataset.target.column in clean
    churned = churn_labels(clean, config).astype(float) if labelled else None
    parts = []
    for rows, columns in pairs:
        frame = pd.DataFrame(
            {
                "row": _values(clean, rows, config),
                "column": _values(clean, columns, config),
                "score": probabilities,
                "customers": 1,
            }
        )
        if churned is not None:
            frame["churned"] = churned
        grouped = frame.groupby(["row", "column"], observed=True, sort=False).sum()
        grouped = grouped.reset_index().astype({"row": str, "column": str})
        parts.append(grouped.assign(pair=f"{rows} x {columns}"))
    found = pd.concat(parts, ignore_index=True)
    return found if labelled else found.assign(churned=np.nan)


def joined_heatmaps(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    if not parts:
        return None
    frame = pd.concat(parts, ignore_index=True)
    return frame.groupby(KEYS, sort=False).sum(min_count=1).reset_index()


def heatmap_tables(counts: pd.DataFrame | None) -> dict[str, Any]:
    """{pair: {rows, columns, customers, mean_score, churn_rate}}: matrices as lists of rows
    (None where no customer falls, churn_rate None without labels)."""
    if counts is None:
        return {}
    tables = {}
    for pair, part in counts.groupby("pair", sort=False):
        rows, columns = sorted(part["row"].unique()), sorted(part["column"].unique())
        grid = part.set_index(["row", "column"]).reindex(
            pd.MultiIndex.from_product([rows, columns], names=["row", "column"])
        )
        customers = grid["customers"].to_numpy(dtype=float)
        mean = grid["score"].to_numpy(dtype=float) / customers
        rate = grid["churned"].to_numpy(dtype=float) / customers
        shape = (len(rows), len(columns))
        tables[str(pair)] = {
            "rows": [str(r) for r in rows],
            "columns": [str(c) for c in columns],
            "customers": _matrix(customers, shape, 0),
            "mean_score": _matrix(mean, shape),
            "churn_rate": _matrix(rate, shape) if not np.all(np.isnan(rate)) else None,
        }
    return tables


def _matrix(values: np.ndarray, shape: tuple[int, int], digits: int = 6):
    """Rows of a matrix for JSON: None where there is no customer."""
    return [
        [None if np.isnan(v) else round(float(v), digits) for v in line]
        for line in values.reshape(shape)
    ]
