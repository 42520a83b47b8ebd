"""Plotly charts of the dashboard, drawn from stored figures (KPI snapshots), as HTML
elements holding their spec that serving/web/static/charts.js draws; plotly.js itself is served
from the installed package (serving/pages.py). Each takes the page's translator as `_`
(serving/web/render.py `translator`), so its titles, axes, trace names and hover texts are in
the page's language.

Figures are plain plotly.js specs (traces and layout as dicts) rendered without plotly.py's
figure objects: building and validating those took 25 to 40 ms a chart, the spec 0.1 ms."""

from __future__ import annotations

from typing import Any

from serving.chart_frame import (
    BLUE,
    RISK_COLOURS,
    Day,
    Labels,
    Translate,
    english,
    language_of,
)
from serving.chart_frame import axis as _axis
from serving.chart_frame import column as _column
from serving.chart_frame import html as _html
from serving.chart_frame import lines as _lines
from serving.chart_frame import word as _word
from tasks.core.dashboard import churn_rate
from tasks.i18n.formatting import format_number, format_percent


def segment_chart(kpis: dict[str, Any], *, _: Translate = english) -> str:
    segments = kpis.get("segments") or {}
    names = [s for s in ("low", "medium", "high") if s in segments]
    bars = {
        "type": "bar",
        "x": names,
        "y": [segments[s]["count"] for s in names],
        "marker": {"color": [RISK_COLOURS[s] for s in names]},
        "text": [format_percent(segments[s]["share"] or 0, language_of(_)) for s in names],
    }
    bars["x"] = [_("%(segment)s risk", segment=_word(_, s)) for s in names]
    hover = _("%(segment)s: %(count)s customers", segment="%{x}", count="%{y:,}")
    bars["hovertemplate"] = hover + "<extra></extra>"
    customers = _axis(_("customers"), tickformat=",")
    return _html([bars], _("Customers by risk segment"), _, yaxis=customers)


def revenue_chart(
    kpis: dict[str, Any], *, _: Translate = english, labels: Labels | None = None
) -> str | None:
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
        _(
            "Revenue at risk per month by %(column)s",
            column=_column(_, str(groups["column"]), labels),
        ),
        _,
        yaxis=_axis(_("revenue at risk / month"), tickformat=",.0f"),
    )


def history_chart(
    history: list[dict[str, Any]], day: Day = str, *, _: Translate = english
) -> str | None:
    """Churn rate and the at-risk share over the as_of dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    dates = [day(row["as_of"]) for row in history]
    rates = [churn_rate(row["kpis"]) for row in history]
    high = [((row["kpis"].get("segments") or {}).get("high") or {}).get("share") for row in history]
    return _html(
        [_lines(dates, rates, _("churn rate")), _lines(dates, high, _("high-risk share"))],
        _("KPI history"),
        _,
        yaxis=_axis(tickformat=".0%"),
        xaxis=_axis(type="category"),
    )


def score_history_chart(
    history: list[dict[str, Any]], day: Day = str, *, _: Translate = english
) -> str | None:
    """One customer's churn probability over the scoring dates (None with fewer than two)."""
    if len(history) < 2:
        return None
    rows = sorted(history, key=lambda row: str(row["as_of"]))
    dates, scores = [day(r["as_of"]) for r in rows], [r["churn_probability"] for r in rows]
    line = _lines(dates, scores, _("churn probability"))
    return _html(
        [line],
        _("Churn probability over time"),
        _,
        yaxis=_axis(range=[0, 1], tickformat=".0%"),
        xaxis=_axis(type="category"),
    )


def reasons_chart(reasons: list[dict[str, Any]], *, _: Translate = english) -> str | None:
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
        "hovertext": [_(r["direction"]) for r in rows],  # raises risk, lowers risk
        "marker": {"color": ["#d92d20" if v > 0 else "#12b76a" for v in values]},
    }
    return _html(
        [bars],
        _("Why: contributions to the churn score (log-odds)"),
        _,
        xaxis=_axis(zeroline=True),
        yaxis=_axis(automargin=True),
    )


def profit_chart(sizes: Any, profit: Any, best: int, chosen: int, *, _: Translate = english) -> str:
    """Cumulative expected profit over audience size: the best size and the chosen one."""
    curve = {
        "type": "scatter",
        "x": list(sizes),
        "y": list(profit),
        "mode": "lines",
        "name": _("expected profit"),
    }
    language = language_of(_)
    best_size, chosen_size = format_number(best, language), format_number(chosen, language)
    marks = [(best, _("best %(size)s", size=best_size), {"dash": "dash", "color": "grey"})]
    if chosen != best:
        marks.append((chosen, _("chosen %(size)s", size=chosen_size), {"color": BLUE}))
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
        for x, _text, line in marks
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
        for x, text, _line in marks
    ]
    return _html(
        [curve],
        _("Expected profit by audience size"),
        _,
        xaxis=_axis(_("customers")),
        yaxis=_axis(_("expected profit")),
        shapes=shapes,
        annotations=notes,
    )


def realised_chart(
    rows: list[dict[str, Any]], day: Day = str, *, _: Translate = english
) -> str | None:
    """Realised ROC-AUC and Brier score over the dates whose outcomes are known."""
    if not rows:
        return None
    dates = [f"{day(r['as_of'])} (v{r['model_version']})" for r in rows]
    lines = [
        _lines(dates, [r["roc_auc"] for r in rows], _("ROC-AUC"), hovertemplate="%{y:.3f}"),
        _lines(dates, [r["brier"] for r in rows], _("Brier score"), hovertemplate="%{y:.3f}"),
    ]
    title = _("Realised performance (outcomes known later)")
    return _html(lines, title, _, xaxis=_axis(type="category"))
