"""Kaplan-Meier survival curves: tables with confidence intervals, medians and plots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KM_COLUMNS = ["group", "timeline", "survival", "ci_lower", "ci_upper", "at_risk"]


def kaplan_meier_table(
    durations: Any, events: Any, groups: Any = None, weights: Any = None
) -> pd.DataFrame:
    """KM survival with 95% CIs (lifelines' exponential Greenwood) and numbers at risk at each
    time lifelines reports (0 and every observed duration), per group in sorted order.
    `weights`: how many customers each row stands for (whole numbers: the same estimate as
    one row per customer)."""
    from lifelines import KaplanMeierFitter

    durations = np.asarray(durations, dtype=float)
    events = np.asarray(events).astype(bool)
    labels = np.full(len(durations), "all", dtype=object) if groups is None else np.asarray(groups)
    counts = None if weights is None else np.asarray(weights, dtype=float)
    parts = []
    for group in sorted(pd.unique(labels), key=str):
        rows = labels == group
        weight = None if counts is None else counts[rows]
        km = KaplanMeierFitter().fit(durations[rows], events[rows], weights=weight)
        ci = km.confidence_interval_survival_function_
        parts.append(
            pd.DataFrame(
                {
                    "group": group,
                    "timeline": km.survival_function_.index.to_numpy(dtype=float),
                    "survival": km.survival_function_.iloc[:, 0].to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                    "at_risk": km.event_table["at_risk"].loc[km.timeline].to_numpy(dtype=int),
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=KM_COLUMNS)


def median_survival(table: pd.DataFrame) -> dict[Any, float | None]:
    """Per group of a KM table, the first time survival is <= 0.5 (lifelines' definition).

    None when the curve never falls to 0.5 (lifelines says inf): the median is not observed."""
    medians: dict[Any, float | None] = {}
    for group, rows in table.groupby("group", sort=False):
        below = rows["timeline"][rows["survival"] <= 0.5]
        medians[group] = float(below.iloc[0]) if len(below) else None
    return medians


def kaplan_meier_figure(table: pd.DataFrame, title: str) -> Figure:
    """Step survival curves with shaded 95% CI bands, one per group of a KM table."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5, 4.5), dpi=100)
    axes = figure.add_subplot()
    for group, rows in table.groupby("group", sort=False):
        line = axes.step(rows["timeline"], rows["survival"], where="post", label=str(group))[0]
        axes.fill_between(
            rows["timeline"],
            rows["ci_lower"],
            rows["ci_upper"],
            step="post",
            alpha=0.2,
            color=line.get_color(),
            linewidth=0,
        )
    axes.set_title(title)
    axes.set_xlabel("months")
    axes.set_ylabel("share still a customer")
    axes.set_ylim(0, 1.02)
    axes.legend(loc="lower left")
    return figure
