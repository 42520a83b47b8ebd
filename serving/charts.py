"""Plotly charts of the dashboard, drawn from stored figures (KPI snapshots), as HTML
elements holding their spec that serving/web/static/charts.js draws; plotly.js itself is served
from the installed package (serving/pages.py).

Figures are plain plotly.js specs (traces and layout as dicts) rendered without plotly.py's
figure objects: building and validating those took 25 to 40 ms a chart, the spec 0.1 ms."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from tasks.core.dashboard import churn_rate
from tasks.core.message_facts import readable

RISK_COLOURS = {"low": "#12b76a", "medium": "#f79009", "high": "#d92d20"}
# no mode bar: its buttons covered the titles, and the pages need none of them
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False}
Day = Callable[[Any], str]  # a date as the page writes dates (the `day` filter)
BLUE = "#2457c5"


def _html(data: list[dict[str, Any]], title: str, **layout: Any) -> str:
    """A chart's title (a heading of the page: it wraps on a narrow screen, where plotly's own
    title is cut) and an element whose `data-chart` holds the spec; serving/web/static/charts.js
    draws it (no inline script: the pages' Content-Security-Policy runs none)."""
    from plotly.io.json import to_json_plotly

    frame = {
        "height": 300,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
        "autosize": True,
    }
    spec = {"data": data, "layout": {**frame, **layout}, "config": CONFIG}
    return (
        f'<h2 class="chart-title">{escape(title)}</h2>'
        f'<div class="plotly-graph-div" data-chart="{escape(to_json_plotly(spec))}"></div>'
    )


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
    bars["x"] = [f"{s} risk" for s in names]
    bars["hovertemplate"] = "%{x}: %{y:,} customers<extra></extra>"
    return _html([bars], "Customers by risk segment", yaxis=_axis("customers", tickformat=","))


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
        "hovertemplate": "%{x}: %{y:,.0f}<extra></extra>",
    }
    return _html(
        [bars],
        f"Revenue at risk per month by {readable(str(groups['column']))}",
        yaxis=_axis("revenue at risk / month", tickformat=",.0f"),
    )


def history_chart(history: list[dict[str, Any]], day: Day = str) -> str | None:
    """Churn rate and the at-risk share over the as_of dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    dates = [day(row["as_of"]) for row in history]
    rates = [churn_rate(row["kpis"]) for row in history]
    high = [((row["kpis"].get("segments") or {}).get("high") or {}).get("share") for row in history]
    return _html(
        [_lines(dates, rates, "churn rate"), _lines(dates, high, "high-risk share")],
        "KPI history",
        yaxis=_axis(tickformat=".0%"),
        xaxis=_axis(type="category"),
    )


def score_history_chart(history: list[dict[str, Any]], day: Day = str) -> str | None:
    """One customer's churn probability over the scoring dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    rows = sorted(history, key=lambda row: str(row["as_of"]))
    line = _lines(
        [day(r["as_of"]) for r in rows], [r["churn_probability"] for r in rows], "churn probability"
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


def realised_chart(rows: list[dict[str, Any]], day: Day = str) -> str | None:
    """Realised ROC-AUC and Brier score over the dates whose outcomes are known."""
    if not rows:
        return None
    dates = [f"{day(r['as_of'])} (v{r['model_version']})" for r in rows]
    lines = [
        _lines(dates, [r["roc_auc"] for r in rows], "ROC-AUC", hovertemplate="%{y:.3f}"),
        _lines(dates, [r["brier"] for r in rows], "Brier score", hovertemplate="%{y:.3f}"),
    ]
    return _html(lines, "Realised performance (outcomes known later)", xaxis=_axis(type="category"))


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


STAYING = "%{x} months: %{y:.0%} still customers<extra>%{fullData.name}</extra>"
PALETTE = ("#2457c5", "#7a5af8", "#0e9384", "#c11574", "#667085", "#b54708")


def survival_chart(rows: list[dict[str, Any]], by: str) -> str:
    """Kaplan-Meier curves of one grouping, each with its 95% band; by risk segment, the
    curves take the risk badges' colours (high red, medium orange, low green)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row["group"]), []).append(row)
    by_risk = by == "risk_segment"
    if by_risk:  # the riskiest first, as the badges and the legend read
        order = [s for s in ("high", "medium", "low") if s in groups]
        groups = {s: groups[s] for s in order + [g for g in groups if g not in order]}
    traces = []
    for number, (group, points) in enumerate(groups.items()):
        colour = RISK_COLOURS.get(group) if by_risk else None
        colour = colour or PALETTE[number % len(PALETTE)]
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
                "fillcolor": _rgba(colour, 0.12),
            },
            {
                "type": "scatter",
                "x": months,
                "y": [p["survival"] for p in points],
                "mode": "lines",
                "line": {"shape": "hv", "color": colour},
                "name": f"{group} risk" if by_risk else group,
                "hovertemplate": STAYING,
            },
        ]
    return _html(
        traces,
        f"Customers still staying by {readable(by)} (95% bands)",
        xaxis=_axis("months as a customer"),
        yaxis=_axis("share still customers", range=[0, 1.02], tickformat=".0%"),
    )


_LEADING_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)")


def label_order(labels: list[str]) -> list[int]:
    """Positions of `labels` in reading order: labels starting with a number ('6-12 months',
    '72+ months') by that number, before the others in text order."""

    def key(position: int) -> tuple[int, float, str]:
        found = _LEADING_NUMBER.match(labels[position])
        return (0, float(found.group(1)), "") if found else (1, 0.0, labels[position])

    return sorted(range(len(labels)), key=key)


def heatmap_chart(name: str, table: dict[str, Any], figure_of: str) -> str:
    """One stored heatmap: `figure_of` is churn_rate or mean_score; customers on hover. Bands
    read in numeric order; cells and the colour bar both in percent; labels never cut."""
    rows, columns = label_order(table["rows"]), label_order(table["columns"])

    def ordered(matrix: list[list[Any]]) -> list[list[Any]]:
        return [[matrix[r][c] for c in columns] for r in rows]

    values = ordered(table[figure_of])
    text = [[("" if v is None else f"{100 * v:.0f}%") for v in line] for line in values]
    cells = {
        "type": "heatmap",
        "z": values,
        "x": [table["columns"][c] for c in columns],
        "y": [table["rows"][r] for r in rows],
        "text": text,
        "texttemplate": "%{text}",
        "customdata": ordered(table["customers"]),
        "colorscale": [[0, "#fff5f0"], [0.5, "#fb6a4a"], [1, "#a50f15"]],
        "zmin": 0,
        "colorbar": {"tickformat": ".0%", "thickness": 12},
        "hovertemplate": "%{y} / %{x}: %{z:.1%} of %{customdata:,} customers<extra></extra>",
    }
    what = "Churn rate (observed)" if figure_of == "churn_rate" else "Average churn score"
    first, _, second = name.partition(" x ")
    pair = f"{readable(first)} and {readable(second)}" if second else readable(name)
    return _html(
        [cells],
        f"{what} by {pair}",
        xaxis=_axis(type="category", automargin=True, tickangle=-30),
        yaxis=_axis(type="category", automargin=True),
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    )
