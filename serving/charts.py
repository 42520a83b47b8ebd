"""Plotly charts of the dashboard, drawn from stored figures (KPI snapshots), as HTML
elements holding their spec that serving/web/static/charts.js draws; plotly.js itself is served
from the installed package (serving/pages.py).

Figures are plain plotly.js specs (traces and layout as dicts) rendered without plotly.py's
figure objects: building and validating those took 25 to 40 ms a chart, the spec 0.1 ms."""

from __future__ import annotations

from html import escape
from typing import Any

from tasks.core.dashboard import churn_rate

RISK_COLOURS = {"low": "#12b76a", "medium": "#f79009", "high": "#d92d20"}
CONFIG = {"displaylogo": False, "responsive": True}
BLUE = "#2457c5"


def _html(data: list[dict[str, Any]], title: str, **layout: Any) -> str:
    """A chart as an element whose `data-chart` holds the spec; serving/web/static/charts.js
    draws it (no inline script: the pages' Content-Security-Policy runs none)."""
    from plotly.io.json import to_json_plotly

    frame = {
        "title": {"text": title},
        "height": 320,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 20, "t": 50, "b": 40},
    }
    spec = {"data": data, "layout": {**frame, **layout}, "config": CONFIG}
    return f'<div class="plotly-graph-div" data-chart="{escape(to_json_plotly(spec))}"></div>'


def _axis(title: str | None = None, **options: Any) -> dict[str, Any]:
    axis = {"gridcolor": "#eaecf0", "zerolinecolor": "#d0d5dd", **options}
    return {**axis, "title": {"text": title}} if title else axis


def _lines(x: list, y: list, name: str, **options: Any) -> dict[str, Any]:
    return {"type": "scatter", "x": x, "y": y, "name": name, "mode": "lines+markers", **options}


def segment_chart(kpis: dict[str, Any]) -> str:
    segments = kpis.get("segments") or {}
    names = [s for s in ("low", "medium", "high") if s in segments]
    bars = {
        "type": "bar",
        "x": names,
        "y": [segments[s]["count"] for s in names],
        "marker": {"color": [RISK_COLOURS[s] for s in names]},
        "text": [f"{100 * (segments[s]['share'] or 0):.1f}%" for s in names],
    }
    return _html([bars], "Customers by risk segment", yaxis=_axis("customers"))


def revenue_chart(kpis: dict[str, Any]) -> str | None:
    """Revenue at risk per month by value of the segment column (None without both roles)."""
    groups = kpis.get("by_segment")
    if not groups or "revenue_at_risk_monthly" not in kpis:
        return None
    values = groups["values"]
    names = list(values)
    bars = {
        "type": "bar",
        "x": names,
        "marker": {"color": BLUE},
        "y": [values[n].get("revenue_at_risk_monthly") or 0 for n in names],
    }
    return _html(
        [bars],
        f"Revenue at risk per month by {groups['column']}",
        yaxis=_axis("revenue at risk / month"),
    )


def history_chart(history: list[dict[str, Any]]) -> str | None:
    """Churn rate and the at-risk share over the as_of dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    dates = [str(row["as_of"]) for row in history]
    rates = [churn_rate(row["kpis"]) for row in history]
    high = [((row["kpis"].get("segments") or {}).get("high") or {}).get("share") for row in history]
    return _html(
        [_lines(dates, rates, "churn rate"), _lines(dates, high, "high-risk share")],
        "KPI history",
        yaxis=_axis(tickformat=".0%"),
        xaxis=_axis(type="category"),
    )


def score_history_chart(history: list[dict[str, Any]]) -> str | None:
    """One customer's churn probability over the scoring dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    rows = sorted(history, key=lambda row: str(row["as_of"]))
    line = _lines(
        [str(r["as_of"]) for r in rows], [r["churn_probability"] for r in rows], "churn probability"
    )
    return _html(
        [line],
        "Churn probability over time",
        yaxis=_axis(range=[0, 1], tickformat=".0%"),
        xaxis=_axis(type="category"),
    )


def reasons_chart(reasons: list[dict[str, Any]]) -> str | None:
    """The top reasons (`tasks.core.reasons` dicts) as a signed bar chart: to the right
    raises the churn risk."""
    if not reasons:
        return None
    rows = list(reversed(reasons))  # the strongest at the top
    values = [float(r["contribution"]) for r in rows]
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "y": [r["text"] for r in rows],  # business words: 'Tenure: 1 month'
        "hovertext": [r["direction"] for r in rows],
        "marker": {"color": ["#d92d20" if v > 0 else "#12b76a" for v in values]},
    }
    return _html(
        [bars],
        "Why: contributions to the churn score (log-odds)",
        xaxis=_axis(zeroline=True),
        yaxis=_axis(automargin=True),
    )


def profit_chart(sizes: Any, profit: Any, best: int, chosen: int) -> str:
    """Cumulative expected profit over audience size: the best size and the chosen one."""
    curve = {
        "type": "scatter",
        "x": list(sizes),
        "y": list(profit),
        "mode": "lines",
        "name": "expected profit",
    }
    marks = [(best, f"best {best:,}", {"dash": "dash", "color": "grey"})]
    if chosen != best:
        marks.append((chosen, f"chosen {chosen:,}", {"color": BLUE}))
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 1,
            "line": line,
        }
        for x, _, line in marks
    ]
    notes = [
        {
            "xref": "x",
            "yref": "paper",
            "x": x,
            "y": 1,
            "text": text,
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "bottom",
        }
        for x, text, _ in marks
    ]
    return _html(
        [curve],
        "Expected profit by audience size",
        xaxis=_axis("customers"),
        yaxis=_axis("expected profit"),
        shapes=shapes,
        annotations=notes,
    )


def realised_chart(rows: list[dict[str, Any]]) -> str | None:
    """Realised ROC-AUC and Brier score over the dates whose outcomes are known."""
    if not rows:
        return None
    dates = [f"{r['as_of']} (v{r['model_version']})" for r in rows]
    lines = [
        _lines(dates, [r["roc_auc"] for r in rows], "ROC-AUC"),
        _lines(dates, [r["brier"] for r in rows], "Brier"),
    ]
    return _html(lines, "Realised performance (outcomes known later)", xaxis=_axis(type="category"))


def survival_chart(rows: list[dict[str, Any]], by: str) -> str:
    """Kaplan-Meier curves of one grouping, each with its 95% band."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row["group"]), []).append(row)
    traces = []
    for group, points in groups.items():
        months = [p["timeline"] for p in points]
        band = {
            "type": "scatter",
            "x": months,
            "mode": "lines",
            "line": {"width": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        }
        traces += [
            {**band, "y": [p["ci_upper"] for p in points]},
            {
                **band,
                "y": [p["ci_lower"] for p in points],
                "fill": "tonexty",
                "fillcolor": "rgba(36, 87, 197, 0.12)",
            },
            {
                "type": "scatter",
                "x": months,
                "y": [p["survival"] for p in points],
                "mode": "lines",
                "line": {"shape": "hv"},
                "name": group,
            },
        ]
    return _html(
        traces,
        f"Kaplan-Meier survival by {by} (95% bands)",
        xaxis=_axis("months"),
        yaxis=_axis(range=[0, 1.02]),
    )


def heatmap_chart(name: str, table: dict[str, Any], figure_of: str) -> str:
    """One stored heatmap: `figure_of` is churn_rate or mean_score; customers on hover."""
    values = table[figure_of]
    text = [[("" if v is None else f"{100 * v:.0f}%") for v in line] for line in values]
    cells = {
        "type": "heatmap",
        "z": values,
        "x": table["columns"],
        "y": table["rows"],
        "text": text,
        "texttemplate": "%{text}",
        "customdata": table["customers"],
        "colorscale": [[0, "#fff5f0"], [0.5, "#fb6a4a"], [1, "#a50f15"]],
        "zmin": 0,
        "hovertemplate": "%{y} / %{x}: %{z:.1%} of %{customdata:,} customers<extra></extra>",
    }
    what = "churn rate (observed)" if figure_of == "churn_rate" else "mean churn score"
    return _html(
        [cells], f"{what}: {name}", xaxis=_axis(type="category"), yaxis=_axis(type="category")
    )
