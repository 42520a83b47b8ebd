"""Figures of the dashboard's pages from stored KPI snapshots (never recomputed from scores):
the overview's cards with their change since the previous as_of, and the original product's
`/dashboard/kpis` shape."""

from __future__ import annotations

from typing import Any

from tasks.core.kpis import revenue_at_risk

CARDS = (  # (label, how to read it from a snapshot, format)
    ("Customers", lambda k: k.get("customers_scored"), "count"),
    ("Churn rate", lambda k: churn_rate(k), "percent"),
    ("At risk", lambda k: (k.get("segments") or {}).get("high", {}).get("count"), "count"),
    ("Average score", lambda k: k.get("average_score"), "score"),
    ("Revenue at risk / month", lambda k: k.get("revenue_at_risk_monthly"), "money"),
    ("Average lifetime value", lambda k: k.get("average_lifetime_value"), "money"),
)


def churn_rate(kpis: dict[str, Any]) -> float | None:
    """Observed where labels exist, else the mean predicted probability (0 to 1)."""
    observed = kpis.get("observed_churn_rate")
    return observed if observed is not None else kpis.get("average_score")


def kpi_cards(latest: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One card per figure the table has: label, value, format, change since `previous`."""
    cards = []
    for label, read, kind in CARDS:
        value = read(latest)
        if value is None:
            continue  # a figure whose role the table lacks
        before = read(previous) if previous is not None else None
        change = None if before is None else value - before
        note = None
        if label == "Churn rate":
            note = "observed" if latest.get("observed_churn_rate") is not None else "predicted"
        cards.append({"label": label, "value": value, "kind": kind, "change": change, "note": note})
    return cards


def card_trends(history: list[dict[str, Any]]) -> dict[str, list[tuple[Any, float]]]:
    """Each card's figure over every stored scoring date (oldest first, missing ones left
    out), by the card's label."""
    trends: dict[str, list[tuple[Any, float]]] = {}
    for label, read, _ in CARDS:
        points = [(row["as_of"], read(row["kpis"])) for row in history]
        trends[label] = [(day, float(value)) for day, value in points if value is not None]
    return trends


def sparkline(values: list[float], width: int = 120, height: int = 28) -> str:
    """The `points` of an SVG polyline drawing `values` left to right in a width x height box
    (a flat line for equal values; empty with fewer than two)."""
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    pad = 2
    return " ".join(
        f"{i * step:.1f},{pad + (height - 2 * pad) * (1 - (v - low) / span):.1f}"
        if high != low
        else f"{i * step:.1f},{height / 2:.1f}"
        for i, v in enumerate(values)
    )


def legacy_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    """The original product's KPI object: churn_rate in percent, revenue at risk per month
    (`tasks.core.kpis.revenue_at_risk`), absent roles as null."""
    rate = churn_rate(kpis)
    return {
        "total_clients": kpis.get("customers_scored", 0),
        "churn_rate": None if rate is None else round(100 * rate, 2),
        "at_risk_count": (kpis.get("segments") or {}).get("high", {}).get("count", 0),
        "avg_churn_score": kpis.get("average_score"),
        "lifetime_value": kpis.get("average_lifetime_value"),
        "revenue_at_risk": revenue_at_risk(kpis),
    }


def format_figure(value: float | int | None, kind: str) -> str:
    """A card's value as people read it."""
    if value is None:
        return "—"
    if kind == "count":
        return f"{int(value):,}"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "score":
        return f"{value:.3f}"
    return f"{value:,.0f}"


def format_change(change: float | None, kind: str) -> str:
    if change is None:
        return ""
    if kind == "percent":
        return f"{100 * change:+.1f} pts"
    if kind == "count":
        return f"{int(change):+,}"
    if kind == "score":
        return f"{change:+.3f}"
    return f"{change:+,.0f}"
