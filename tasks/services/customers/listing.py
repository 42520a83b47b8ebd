"""Customers' current scores: the list (sorted, filtered, paginated), one customer, and the
original product's `clients` shape."""

from __future__ import annotations

from typing import Any

from configs.schema import Segments
from tasks.adapters import campaign_store
from tasks.adapters import retention_store as store
from tasks.core.errors import NotFoundError
from tasks.core.kpis import segment_range
from tasks.i18n import N_
from tasks.services.context import Context
from tasks.services.customers.commands import (
    CustomerFilter,
    CustomerList,
    CustomerQuery,
    CustomerRef,
    CustomerView,
)


def probability_range(
    wanted: CustomerFilter, segments: Segments
) -> tuple[float | None, float | None]:
    """The churn scores to read: the typed range, narrowed to the risk segment's own (the
    index is ordered by probability, so a segment is read as its range too)."""
    lowest, highest = wanted.min_probability, wanted.max_probability
    if wanted.segment is None:
        return lowest, highest
    floor, ceiling = segment_range(segments, wanted.segment)
    if floor is not None and (lowest is None or floor > lowest):
        lowest = floor
    if ceiling is not None and (highest is None or ceiling < highest):
        highest = ceiling
    return lowest, highest


def read_cursor(text: str | None) -> tuple[float, str] | None:
    """A keyset cursor '<probability>:<customer id>' (anything else: none)."""
    score, _, customer = (text or "").partition(":")
    try:
        return (float(score), customer) if customer else None
    except ValueError:
        return None


def list_customers(ctx: Context, query: CustomerQuery) -> CustomerList:
    """The current scores of the latest scoring period, as the filter asks."""
    wanted = query.filter
    lowest, highest = probability_range(wanted, query.config.segments)
    keyset = wanted.sort == "churn_score"
    rows = store.list_customers(
        ctx.engine,
        query.config.dataset.name,
        wanted.sort,
        wanted.order,
        wanted.limit + 1,  # one more tells whether another page follows
        wanted.offset,
        wanted.segment,
        segment_value=wanted.segment_value or None,
        min_probability=lowest,
        max_probability=highest,
        id_prefix=(wanted.search or "").strip() or None,
        with_reasons=query.with_reasons,
        after=read_cursor(query.after) if keyset else None,
    )
    more = len(rows) > wanted.limit
    rows = rows[: wanted.limit]
    cursor = None
    if keyset and more:
        cursor = f"{rows[-1]['churn_probability']!r}:{rows[-1]['customer_id']}"
    return CustomerList(rows, more, wanted.offset + wanted.limit if more else None, cursor)


def legacy_clients(ctx: Context, query: CustomerQuery) -> dict[str, Any]:
    """Current scores in the original product's shape: `clients` (churn_score 0 to 1) and
    `total` (the customers of the latest KPI snapshot)."""
    found = list_customers(ctx, query)
    snapshot = store.latest_kpis(ctx.engine, query.config.dataset.name)
    total = snapshot["kpis"].get("customers_scored", 0) if snapshot else 0
    clients = [
        {
            **{k: v for k, v in item.items() if k != "churn_probability"},
            "churn_score": item["churn_probability"],
        }
        for item in found.items
    ]
    return {"clients": clients, "total": total}


def customer_detail(ctx: Context, ref: CustomerRef) -> dict[str, Any]:
    """A customer's latest score with reasons and lifetime value, and the score history."""
    found = store.customer_detail(ctx.engine, ref.dataset, ref.customer_id)
    if found is None:
        raise NotFoundError(N_("no score for customer %(id)r"), id=ref.customer_id)
    return found


def customer_view(ctx: Context, ref: CustomerRef) -> CustomerView:
    """The customer page's figures: the detail and the campaigns the customer was in."""
    detail = customer_detail(ctx, ref)
    campaigns = campaign_store.customer_campaigns(ctx.engine, ref.dataset, ref.customer_id)
    return CustomerView(detail, campaigns)
