"""The customers list as the page filters it: how many customers pass, and all of them as a
CSV file safe to open in a spreadsheet (tasks/core/csv_cells.py)."""

from __future__ import annotations

import pandas as pd

from tasks.adapters import retention_store as store
from tasks.core.csv_cells import safe_frame
from tasks.i18n import DEFAULT_LANGUAGE, N_, gettext
from tasks.i18n.words import word_in
from tasks.services.context import Context
from tasks.services.customers.commands import CustomerQuery
from tasks.services.customers.listing import list_customers, probability_range

EXPORT_PAGE = 500  # rows read per query
EXPORT_MAX_ROWS = 1_000_000  # the most rows one export holds
CSV_COLUMNS = {  # column -> its heading, in business words (translated)
    "customer_id": N_("Customer"),
    "churn_probability": N_("Churn probability"),
    "risk_segment": N_("Risk"),
    "segment_value": N_("Segment"),
    "monthly_value": N_("Monthly value"),
    "expected_remaining_months": N_("Expected remaining months"),
    "lifetime_value": N_("Lifetime value"),
    "as_of": N_("Scored on"),
    "model_version": N_("Model version"),
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


def export_customers(
    ctx: Context,
    query: CustomerQuery,
    segment_name: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> str:
    """Every customer the query's filter passes, in its order, as CSV text (page and offset of
    the query are ignored: the whole filtered list). Its headings and risk segments are in
    `language`; its numbers and dates as a program reads them, in every language."""
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
    names = {column: gettext(language, heading) for column, heading in CSV_COLUMNS.items()}
    if segment_name:
        names["segment_value"] = segment_name
    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS))
    frame["risk_segment"] = frame["risk_segment"].map(lambda value: word_in(language, value))
    frame = frame.rename(columns=names)
    return safe_frame(frame).to_csv(index=False)
