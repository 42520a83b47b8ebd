"""Plotly charts of the dashboard, drawn from stored figures (KPI snapshots), as HTML
fragments; plotly.js itself is served from the installed package (serving/pages.py)."""

from __future__ import annotations

from typing import Any

from tasks.core.dashboard import churn_rate

RISK_COLOURS = {"low": "#12b76a", "medium": "#f79009", "high": "#d92d20"}
CONFIG = {"displaylogo": False, "responsive": True}


def _html(figure: Any) -> str:
    figure.update_layout(margin={"l": 50, "r": 20, "t": 50, "b": 40}, height=320,
                         paper_bgcolor="white", plot_bgcolor="white")  # fmt: skip
    return figure.to_html(full_html=False, include_plotlyjs=False, config=CONFIG)


def segment_chart(kpis: dict[str, Any]) -> str:
    import plotly.graph_objects as go

    segments = kpis.get("segments") or {}
    names = [s for s in ("low", "medium", "high") if s in segments]
    figure = go.Figure(go.Bar(
        x=names, y=[segments[s]["count"] for s in names],
        marker_color=[RISK_COLOURS[s] for s in names],
        text=[f"{100 * (segments[s]['share'] or 0):.1f}%" for s in names],
    ))  # fmt: skip
    figure.update_layout(title="Customers by risk segment", yaxis_title="customers")
    return _html(figure)


def revenue_chart(kpis: dict[str, Any]) -> str | None:
    """Revenue at risk per month by value of the segment column (None without both roles)."""
    import plotly.graph_objects as go

    groups = kpis.get("by_segment")
    if not groups or "revenue_at_risk_monthly" not in kpis:
        return None
    values = groups["values"]
    names = list(values)
    figure = go.Figure(go.Bar(
        x=names, y=[values[n].get("revenue_at_risk_monthly") or 0 for n in names],
        marker_color="#2457c5",
    ))  # fmt: skip
    figure.update_layout(title=f"Revenue at risk per month by {groups['column']}",
                         yaxis_title="revenue at risk / month")  # fmt: skip
    return _html(figure)


def history_chart(history: list[dict[str, Any]]) -> str | None:
    """Churn rate and the at-risk share over the as_of dates (None with fewer than two)."""
    import plotly.graph_objects as go

    if len(history) < 2:
        return None
    dates = [str(row["as_of"]) for row in history]
    rates = [churn_rate(row["kpis"]) for row in history]
    high = [((row["kpis"].get("segments") or {}).get("high") or {}).get("share")
            for row in history]  # fmt: skip
    figure = go.Figure()
    figure.add_scatter(x=dates, y=rates, name="churn rate", mode="lines+markers")
    figure.add_scatter(x=dates, y=high, name="high-risk share", mode="lines+markers")
    figure.update_layout(title="KPI history", yaxis_tickformat=".0%", xaxis_type="category")
    return _html(figure)


def score_history_chart(history: list[dict[str, Any]]) -> str | None:
    """One customer's churn probability over the scoring dates (None with fewer than two)."""
    import plotly.graph_objects as go

    if len(history) < 2:
        return None
    rows = sorted(history, key=lambda row: str(row["as_of"]))
    figure = go.Figure(go.Scatter(x=[str(r["as_of"]) for r in rows],
                                  y=[r["churn_probability"] for r in rows],
                                  mode="lines+markers", name="churn probability"))  # fmt: skip
    figure.update_layout(title="Churn probability over time", yaxis_range=[0, 1],
                         yaxis_tickformat=".0%", xaxis_type="category")  # fmt: skip
    return _html(figure)


def reasons_chart(reasons: list[dict[str, Any]]) -> str | None:
    """The top reasons as a signed bar chart: to the right raises the churn risk."""
    import plotly.graph_objects as go

    if not reasons:
        return None
    rows = list(reversed(reasons))  # the strongest at the top
    labels = [f"{r['feature']} = {r['value']}" for r in rows]
    values = [float(r["contribution"]) for r in rows]
    colours = ["#d92d20" if v > 0 else "#12b76a" for v in values]
    figure = go.Figure(go.Bar(x=values, y=labels, orientation="h", marker_color=colours))
    figure.update_layout(title="Why: contributions to the churn score (log-odds)",
                         xaxis_zeroline=True)  # fmt: skip
    return _html(figure)


def profit_chart(sizes: Any, profit: Any, best: int, chosen: int) -> str:
    """Cumulative expected profit over audience size: the best size and the chosen one."""
    import plotly.graph_objects as go

    figure = go.Figure(go.Scatter(x=list(sizes), y=list(profit), mode="lines",
                                  name="expected profit"))  # fmt: skip
    figure.add_vline(x=best, line_dash="dash", line_color="grey",
                     annotation_text=f"best {best:,}")  # fmt: skip
    if chosen != best:
        figure.add_vline(x=chosen, line_color="#2457c5", annotation_text=f"chosen {chosen:,}")
    figure.update_layout(title="Expected profit by audience size", xaxis_title="customers",
                         yaxis_title="expected profit")  # fmt: skip
    return _html(figure)


def realised_chart(rows: list[dict[str, Any]]) -> str | None:
    """Realised ROC-AUC and Brier score over the dates whose outcomes are known."""
    import plotly.graph_objects as go

    if not rows:
        return None
    dates = [f"{r['as_of']} (v{r['model_version']})" for r in rows]
    figure = go.Figure()
    figure.add_scatter(x=dates, y=[r["roc_auc"] for r in rows], name="ROC-AUC",
                       mode="lines+markers")  # fmt: skip
    figure.add_scatter(x=dates, y=[r["brier"] for r in rows], name="Brier", mode="lines+markers")
    figure.update_layout(title="Realised performance (outcomes known later)",
                         xaxis_type="category")  # fmt: skip
    return _html(figure)


def survival_chart(rows: list[dict[str, Any]], by: str) -> str:
    """Kaplan-Meier curves of one grouping, each with its 95% band."""
    import plotly.graph_objects as go

    figure = go.Figure()
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row["group"]), []).append(row)
    for group, points in groups.items():
        months = [p["timeline"] for p in points]
        band = dict(mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        figure.add_scatter(x=months, y=[p["ci_upper"] for p in points], **band)
        figure.add_scatter(x=months, y=[p["ci_lower"] for p in points], fill="tonexty",
                           fillcolor="rgba(36, 87, 197, 0.12)", **band)  # fmt: skip
        figure.add_scatter(x=months, y=[p["survival"] for p in points], mode="lines",
                           line_shape="hv", name=group)  # fmt: skip
    figure.update_layout(title=f"Kaplan-Meier survival by {by} (95% bands)",
                         xaxis_title="months", yaxis_range=[0, 1.02])  # fmt: skip
    return _html(figure)


def heatmap_chart(name: str, table: dict[str, Any], figure_of: str) -> str:
    """One stored heatmap: `figure_of` is churn_rate or mean_score; customers on hover."""
    import plotly.graph_objects as go

    values = table[figure_of]
    text = [[("" if v is None else f"{100 * v:.0f}%") for v in line] for line in values]
    figure = go.Figure(go.Heatmap(
        z=values, x=table["columns"], y=table["rows"], text=text, texttemplate="%{text}",
        customdata=table["customers"], colorscale="Reds", zmin=0,
        hovertemplate="%{y} / %{x}: %{z:.1%} of %{customdata:,} customers<extra></extra>",
    ))  # fmt: skip
    what = "churn rate (observed)" if figure_of == "churn_rate" else "mean churn score"
    figure.update_layout(title=f"{what}: {name}", xaxis_type="category", yaxis_type="category")
    return _html(figure)
