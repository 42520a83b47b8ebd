"""Charts of customer groups, drawn from stored figures as serving/charts.py draws its own:
the Kaplan-Meier curves of a grouping with their bands (the survival page) and the heatmaps of
churn by two columns (the heatmaps page), in the page's language (`_`)."""

from __future__ import annotations

from typing import Any

from serving.chart_frame import (
    PALETTE,
    RISK_COLOURS,
    Labels,
    Translate,
    english,
    label_order,
    language_of,
)
from serving.chart_frame import axis as _axis
from serving.chart_frame import band as _band
from serving.chart_frame import column as _column
from serving.chart_frame import html as _html
from serving.chart_frame import rgba as _rgba
from serving.chart_frame import word as _word
from tasks.i18n.formatting import format_percent


def survival_chart(
    rows: list[dict[str, Any]], by: str, *, _: Translate = english, labels: Labels | None = None
) -> str:
    """Kaplan-Meier curves of one grouping, each with its 95% band; by risk segment, the
    curves take the risk badges' colours (high red, medium orange, low green)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(str(row["group"]), []).append(row)
    by_risk = by == "risk_segment"
    if by_risk:  # the riskiest first, as the badges and the legend read
        order = [s for s in ("high", "medium", "low") if s in groups]
        groups = {s: groups[s] for s in order + [g for g in groups if g not in order]}
    staying = _("%(months)s months: %(share)s still customers", months="%{x}", share="%{y:.0%}")
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
                "name": _("%(segment)s risk", segment=_word(_, group)) if by_risk else group,
                "hovertemplate": staying + "<extra>%{fullData.name}</extra>",
            },
        ]
    return _html(
        traces,
        _("Customers still staying by %(grouping)s (95%% bands)", grouping=_column(_, by, labels)),
        _,
        xaxis=_axis(_("months as a customer")),
        yaxis=_axis(_("share still customers"), range=[0, 1.02], tickformat=".0%"),
    )


def heatmap_chart(
    name: str,
    table: dict[str, Any],
    figure_of: str,
    *,
    _: Translate = english,
    labels: Labels | None = None,
) -> str:
    """One stored heatmap: `figure_of` is churn_rate or mean_score; customers on hover. Bands
    read in numeric order; cells and the colour bar both in percent; labels never cut."""
    rows, columns = label_order(table["rows"]), label_order(table["columns"])

    def ordered(matrix: list[list[Any]]) -> list[list[Any]]:
        return [[matrix[r][c] for c in columns] for r in rows]

    values = ordered(table[figure_of])
    language = language_of(_)
    text = [
        [("" if v is None else format_percent(v, language, 0)) for v in line] for line in values
    ]
    cells = {
        "type": "heatmap",
        "z": values,
        "x": [_band(_, table["columns"][c]) for c in columns],
        "y": [_band(_, table["rows"][r]) for r in rows],
        "text": text,
        "texttemplate": "%{text}",
        "customdata": ordered(table["customers"]),
        "colorscale": [[0, "#fff5f0"], [0.5, "#fb6a4a"], [1, "#a50f15"]],
        "zmin": 0,
        "colorbar": {"tickformat": ".0%", "thickness": 12},
        "hovertemplate": _(
            "%(row)s / %(column)s: %(rate)s of %(count)s customers",
            row="%{y}",
            column="%{x}",
            rate="%{z:.1%}",
            count="%{customdata:,}",
        )
        + "<extra></extra>",
    }
    first, _and, second = name.partition(" x ")
    first, second = _column(_, first, labels), _column(_, second, labels) if second else ""
    if figure_of == "churn_rate":
        title = (
            _("Churn rate (observed) by %(first)s and %(second)s", first=first, second=second)
            if second
            else _("Churn rate (observed) by %(column)s", column=_column(_, name, labels))
        )
    elif second:
        title = _("Average churn score by %(first)s and %(second)s", first=first, second=second)
    else:
        title = _("Average churn score by %(column)s", column=_column(_, name, labels))
    return _html(
        [cells],
        title,
        _,
        xaxis=_axis(type="category", automargin=True, tickangle=-30),
        yaxis=_axis(type="category", automargin=True),
        margin={"l": 10, "r": 10, "t": 20, "b": 10},
    )
