"""Figures of stored KPI snapshots (never recomputed from scores): the latest snapshot, the
original product's KPI shape, the overview's cards and history, the heatmaps."""

from __future__ import annotations

from typing import Any

from tasks.adapters import retention_store as store
from tasks.core.dashboard import (
    card_trends,
    format_change,
    format_figure,
    kpi_cards,
    legacy_kpis,
    sparkline,
)
from tasks.core.errors import NotFoundError
from tasks.i18n import N_
from tasks.services.context import Context
from tasks.services.customers.commands import Heatmaps, Overview

NO_SNAPSHOT = N_("no KPI snapshot yet: run `retainai score`")


def latest_kpis(ctx: Context, dataset: str) -> dict[str, Any]:
    """The latest KPI snapshot of a scoring run (NotFoundError before the first)."""
    found = store.latest_kpis(ctx.engine, dataset)
    if found is None:
        raise NotFoundError(NO_SNAPSHOT)
    return found


def legacy_kpi_figures(ctx: Context, dataset: str) -> dict[str, Any]:
    """The latest KPIs in the original product's shape (see tasks/core/dashboard.py)."""
    return legacy_kpis(latest_kpis(ctx, dataset)["kpis"])


def overview(ctx: Context, dataset: str) -> Overview:
    """The cards of the latest snapshot with their change since the previous as_of and their
    trend over every stored scoring date."""
    history = store.kpi_history(ctx.engine, dataset)
    if not history:
        return Overview([], None, [], None)
    latest, previous = history[-1], (history[-2] if len(history) > 1 else None)
    cards = kpi_cards(latest["kpis"], previous["kpis"] if previous else None)
    trends = card_trends(history)
    for card in cards:
        card["shown"] = format_figure(card["value"], card["kind"])
        card["change_shown"] = format_change(card["change"], card["kind"])
        card["trend"] = trends[card["label"]]  # (as_of, value) of every scoring date
        card["sparkline"] = sparkline([value for _, value in card["trend"]])
    return Overview(cards, latest, history, previous["as_of"] if previous else None)


def heatmaps(ctx: Context, dataset: str) -> Heatmaps:
    """Churn rate (observed, else mean score) by pairs of columns, as the scoring run stored
    them in its KPI snapshot."""
    found = store.latest_kpis(ctx.engine, dataset)
    tables = (found["kpis"].get("heatmaps") or {}) if found else {}
    return Heatmaps(tables, found["as_of"] if found else None)
