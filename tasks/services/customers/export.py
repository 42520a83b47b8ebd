"""The customers list as the page filters it: how many customers pass, and all of them as a
CSV file safe to open in a spreadsheet (tasks/core/csv_cells.py)."""

from __future__ import annotations

import pandas as pd

from tasks.adapters import retention_store as store
from tasks.core.csv_cells import safe_frame
from tasks.services.context import Context
from tasks.services.customers.commands import CustomerQuery
from tasks.services.customers.listing import list_customers, probability_range

EXPORT_PAGE = 500  # rows read per query
EXPORT_MAX_ROWS = 1_000_000  # the most rows one export holds
CSV_COLUMNS = {  # column -> its heading, in business words
    "customer_id": "Customer",
    "churn_probability": "Churn probability",
    "risk_segment": "Risk",
    "segment_value": "Segment",
    "monthly_value": "Monthly value",
    "expected_remaining_months": "Expected remaining months",
    "lifetime_value": "Lifetime value",
    "as_of": "Scored on",
    "model_version": "Model version",
}


def count_customers(ctx: Context, query: CustomerQuery) -> int:
    """How many customers of the latest scoring period pass the query's filter."""
    wanted = query.filter
    lowest, highest = probability_range(wanted, query.config.segments)
    return store.count_customers(
        ctx.engine,
        query.config.dataset.name,
        wanted.segment,
        segment_value=wanted.segment_value or None,
        min_probability=lowest,
        max_probability=highest,
        id_prefix=(wanted.search or "").strip() or None,
    )


def export_customers(ctx: Context, query: CustomerQuery, segment_name: str | None = None) -> str:
    """Every customer the query's filter passes, in its order, as CSV text (page and offset of
    the query are ignored: the whole filtered list)."""
    wanted = query.filter.model_copy(update={"limit": EXPORT_PAGE, "offset": 0})
    rows: list[dict] = []
    cursor: str | None = None
    while len(rows) < EXPORT_MAX_ROWS:
        page = CustomerQuery(query.config, wanted, after=cursor)
        found = list_customers(ctx, page)
        rows += found.items
        if not found.more:
            break
        cursor = found.next_cursor
        if cursor is None:  # sorted by another column: by offset
            wanted = wanted.model_copy(update={"offset": found.next_offset})
    names = {**CSV_COLUMNS, "segment_value": segment_name or CSV_COLUMNS["segment_value"]}
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS)).rename(columns=names)
    return safe_frame(frame).to_csv(index=False)
