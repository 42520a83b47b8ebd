"""Customers' current scores: the list (sorted, filtered, paginated), one customer, and the
original product's `clients` shape."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from configs.schema import RunConfig, Segments
from tasks.adapters import campaign_store, contact_history, contact_store
from tasks.adapters import retention_store as store
from tasks.core.errors import NotFoundError
from tasks.core.kpis import segment_range
from tasks.core.reasons import business_reasons
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
    if query.with_reasons:
        for row in rows:
            row["reasons"] = worded_reasons(row.get("top_reasons"), query.config)
    cursor = None
    if keyset and more:
        cursor = f"{rows[-1]['churn_probability']!r}:{rows[-1]['customer_id']}"
    return CustomerList(rows, more, wanted.offset + wanted.limit if more else None, cursor)


def legacy_clients(ctx: Context, query: CustomerQuery) -> dict[str, Any]:
    """Current scores in the original product's shape: `clients` (churn_score 0 to 1, name
    and e-mail where a contact exists, the top reasons in business words) and `total` (the
    customers of the latest KPI snapshot)."""
    dataset = query.config.dataset.name
    found = list_customers(ctx, replace(query, with_reasons=True))
    snapshot = store.latest_kpis(ctx.engine, dataset)
    total = snapshot["kpis"].get("customers_scored", 0) if snapshot else 0
    ids = [str(item["customer_id"]) for item in found.items]
    people = contact_history.contact_names(ctx.engine, dataset, ids)
    clients = [
        {
            **{k: v for k, v in item.items() if k not in ("churn_probability", "top_reasons")},
            "churn_score": item["churn_probability"],
            "name": people.get(str(item["customer_id"]), {}).get("name"),
            "email": people.get(str(item["customer_id"]), {}).get("email"),
        }
        for item in found.items
    ]
    return {"clients": clients, "total": total}


def worded_reasons(raw: Any, config: RunConfig) -> list[dict[str, Any]]:
    """The stored reasons in business words (`tasks.core.reasons`), the strongest first:
    column, label, value, contribution (log-odds), direction and text."""
    return [r.as_dict() for r in business_reasons(raw, config, limit=config.model.top_reasons)]


def customer_detail(
    ctx: Context, ref: CustomerRef, config: RunConfig | None = None
) -> dict[str, Any]:
    """A customer's latest score with reasons (in business words too, given the config)
    and lifetime value, and the score history."""
    found = store.customer_detail(ctx.engine, ref.dataset, ref.customer_id)
    if found is None:
        raise NotFoundError(N_("no score for customer %(id)r"), id=ref.customer_id)
    if config is not None:
        found["reasons"] = worded_reasons(found.get("top_reasons"), config)
    return found


def customer_view(ctx: Context, ref: CustomerRef, config: RunConfig) -> CustomerView:
    """The customer page's figures: the detail (reasons in business words), the campaigns
    the customer was in and the contact data."""
    detail = customer_detail(ctx, ref, config)
    campaigns = campaign_store.customer_campaigns(ctx.engine, ref.dataset, ref.customer_id)
    contact = contact_store.contact_of(ctx.engine, ref.dataset, ref.customer_id)
    return CustomerView(detail, campaigns, contact)
