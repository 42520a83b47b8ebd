"""The customers pages: current scores sorted, filtered and paginated, and one customer's
score history, reasons, lifetime figures and campaigns."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import pages_of
from tasks.adapters import campaign_store
from tasks.adapters import retention_store as store
from tasks.core.kpis import segment_range
from tasks.core.message_facts import readable

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
SORTS = (
    ("churn_score", "churn probability"),
    ("lifetime_value", "lifetime value"),
    ("monthly_value", "monthly value"),
    ("customer_id", "customer id"),
)
Low = Annotated[str, Query(alias="min", max_length=20)]  # a form sends "" for "any"
High = Annotated[str, Query(alias="max", max_length=20)]


def probability(text: str) -> float | None:
    """A probability typed in the filter; blank or not one in [0, 1]: no bound."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


@router.get("/dashboard/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    state: State,
    session: ViewerPage,
    q: Annotated[str, Query(max_length=64)] = "",
    risk: Literal["", "high", "medium", "low"] = "",
    value: Annotated[str, Query(max_length=100)] = "",
    low: Low = "",
    high: High = "",
    sort: Literal["churn_score", "lifetime_value", "monthly_value", "customer_id"] = "churn_score",
    order: Literal["asc", "desc"] = "desc",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    after: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    data = state.config.dataset
    lowest, highest = probability(low), probability(high)
    if risk:  # the segment as a probability range too: the index is ordered by probability
        floor, ceiling = segment_range(state.config.segments, risk)
        lowest = floor if lowest is None or (floor is not None and floor > lowest) else lowest
        highest = (
            ceiling if highest is None or (ceiling is not None and ceiling < highest) else (highest)
        )
    cursor = read_cursor(after) if sort == "churn_score" else None
    rows = await run_in_threadpool(
        store.list_customers,
        state.engine,
        data.name,
        sort,
        order,
        PAGE_ROWS + 1,
        offset,
        risk or None,
        segment_value=value or None,
        min_probability=lowest,
        max_probability=highest,
        id_prefix=q.strip() or None,
        with_reasons=True,
        after=cursor,
    )
    wanted = {
        "q": q,
        "risk": risk,
        "value": value,
        "min": probability(low),
        "max": probability(high),
        "sort": sort,
        "order": order,
    }
    kept = {k: v for k, v in wanted.items() if v not in ("", None)}

    def page_url(start: int, last: dict | None = None) -> str:
        mark = {"after": f"{last['churn_probability']!r}:{last['customer_id']}"} if last else {}
        return "/dashboard/customers?" + urlencode({**kept, "offset": start, **mark})

    more = len(rows) > PAGE_ROWS
    rows = rows[:PAGE_ROWS]
    keyset = sort == "churn_score"
    segment = data.roles.segment
    return pages_of(request).render(
        request,
        "customers.html",
        session=session,
        active="customers",
        dataset=data.name,
        rows=rows,
        wanted=wanted,
        sorts=SORTS,
        keyset=keyset,
        segment_name=readable(segment) if segment else None,
        segment_values=data.segment_values if segment else [],
        first=offset + 1 if rows else 0,
        last=offset + len(rows),
        next_url=(page_url(offset + PAGE_ROWS, rows[-1] if keyset else None) if more else None),
        previous_url=(page_url(0 if keyset else previous_offset(offset)) if offset else None),
    )


def read_cursor(text: str) -> tuple[float, str] | None:
    """The keyset cursor of a page link: '<probability>:<customer id>' (else None)."""
    score, _, customer = text.partition(":")
    try:
        return (float(score), customer) if customer else None
    except ValueError:
        return None


def previous_offset(offset: int) -> int:
    return offset - PAGE_ROWS if offset > PAGE_ROWS else 0


@router.get("/dashboard/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    request: Request, state: State, session: ViewerPage, customer_id: str
) -> Response:
    data = state.config.dataset
    found = await run_in_threadpool(store.customer_detail, state.engine, data.name, customer_id)
    if found is None:
        text = f"No score for customer {customer_id!r}."
        back = {"link": "/dashboard/customers", "link_text": "All customers"}
        return pages_of(request).render(
            request,
            "message.html",
            status=404,
            session=session,
            heading="No such customer",
            text=text,
            **back,
        )
    campaigns = await run_in_threadpool(
        campaign_store.customer_campaigns, state.engine, data.name, customer_id
    )
    reasons = [{**r, "feature": readable(str(r["feature"]))} for r in found["top_reasons"] or []]
    drawn = [charts.score_history_chart(found["history"]), charts.reasons_chart(reasons)]
    segment = data.roles.segment
    return pages_of(request).render(
        request,
        "customer.html",
        session=session,
        active="customers",
        customer=found,
        charts=[c for c in drawn if c],
        campaigns=campaigns,
        segment_name=readable(segment) if segment else None,
    )
