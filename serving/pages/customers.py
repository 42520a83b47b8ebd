"""The customers pages: current scores sorted, filtered and paginated (the rules:
tasks/services/customers), and one customer's score history, reasons, lifetime figures and
campaigns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from configs.vocabulary import RISK_SEGMENTS
from serving import charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import NO_STORE, day_of, language_of, pages_of, translator
from tasks.core.errors import NotFoundError
from tasks.core.message_facts import readable
from tasks.services import customers as service

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
Text = Annotated[str, Query(max_length=100)]  # a form sends "" for "any"
Low = Annotated[str, Query(alias="min", max_length=20)]
High = Annotated[str, Query(alias="max", max_length=20)]


PAGE_SIZES = (25, 50, 100, 500)


@dataclass(frozen=True)
class Listing:
    """The customers list's query string, read once for the page and its CSV export."""

    q: str
    risk: str
    value: str
    low: str
    high: str
    sort: str
    order: str

    def filter(self, limit: int = PAGE_ROWS, offset: int = 0) -> service.CustomerFilter:
        return service.customer_filter(
            sort=self.sort,
            order=self.order,
            limit=limit,
            offset=offset,
            segment=self.risk or None,
            segment_value=self.value or None,
            min_probability=service.probability_bound(self.low),
            max_probability=service.probability_bound(self.high),
            search=self.q or None,
        )


def listing(
    q: Text = "",
    risk: Text = "",
    value: Text = "",
    low: Low = "",
    high: High = "",
    sort: Text = "churn_score",
    order: Text = "desc",
) -> Listing:
    return Listing(q, risk, value, low, high, sort, order)


Wanted = Annotated[Listing, Depends(listing)]


@router.get("/dashboard/customers.csv")
async def customers_csv(
    request: Request, state: State, session: ViewerPage, asked: Wanted
) -> Response:
    """The filtered list, every page of it, as a CSV file (cells safe for spreadsheets)."""
    data = state.config.dataset
    query = service.CustomerQuery(state.config, asked.filter())
    segment = data.roles.segment
    name = readable(segment) if segment else None
    language = language_of(request, session)
    text = await run_in_threadpool(service.export_customers, state.context, query, name, language)
    filename = f"customers-{data.name}.csv"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/dashboard/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    state: State,
    session: ViewerPage,
    asked: Wanted,
    offset: int = 0,
    after: Text = "",
    size: int = PAGE_ROWS,
) -> Response:
    data = state.config.dataset
    size = size if size in PAGE_SIZES else PAGE_ROWS
    wanted = asked.filter(limit=size, offset=offset)
    query = service.CustomerQuery(state.config, wanted, after=after or None, with_reasons=True)
    found = await run_in_threadpool(service.list_customers, state.context, query)
    total = await run_in_threadpool(service.count_customers, state.context, query)
    q, risk, value, sort, order = asked.q, asked.risk, asked.value, asked.sort, asked.order
    shown = {
        "q": q,
        "risk": risk,
        "value": value,
        "min": wanted.min_probability,
        "max": wanted.max_probability,
        "sort": sort,
        "order": order,
    }
    filters = {k: v for k, v in shown.items() if v not in ("", None)}
    shown["size"] = size
    kept = {**filters, **({"size": size} if size != PAGE_ROWS else {})}

    def page_url(start: int, cursor: str | None = None) -> str:
        mark = {"after": cursor} if cursor else {}
        return "/dashboard/customers?" + urlencode({**kept, "offset": start, **mark})

    rows, keyset = found.items, sort == "churn_score"
    segment = data.roles.segment
    return pages_of(request).render(
        request,
        "customers.html",
        session=session,
        active="customers",
        dataset=data.name,
        rows=rows,
        wanted=shown,
        sorts=tuple(service.SORTS.items()),
        risks=RISK_SEGMENTS,
        keyset=keyset,
        segment_name=readable(segment) if segment else None,
        segment_values=data.segment_values if segment else [],
        first=offset + 1 if rows else 0,
        last=offset + len(rows),
        total=total,
        currency=data.currency,
        page_sizes=PAGE_SIZES,
        csv_url="/dashboard/customers.csv" + ("?" + urlencode(filters) if filters else ""),
        next_url=page_url(offset + size, found.next_cursor) if found.more else None,
        previous_url=(page_url(0 if keyset else previous_offset(offset, size)) if offset else None),
    )


def previous_offset(offset: int, size: int = PAGE_ROWS) -> int:
    return offset - size if offset > size else 0


@router.get("/dashboard/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    request: Request, state: State, session: ViewerPage, customer_id: str
) -> Response:
    data = state.config.dataset
    ref = service.CustomerRef(data.name, customer_id)
    try:
        found = await run_in_threadpool(service.customer_view, state.context, ref, state.config)
    except NotFoundError:
        _ = translator(request, session)
        text = _("No score for customer %(id)s.", id=repr(customer_id))
        back = {"link": "/dashboard/customers", "link_text": _("All customers")}
        return pages_of(request).render(
            request,
            "message.html",
            status=404,
            session=session,
            heading=_("No such customer"),
            text=text,
            **back,
        )
    detail = found.detail
    _ = translator(request, session)
    history = charts.score_history_chart(detail["history"], day_of(request, session), _=_)
    drawn = [history, charts.reasons_chart(detail["reasons"], _=_)]
    segment = data.roles.segment
    return pages_of(request).render(
        request,
        "customer.html",
        session=session,
        active="customers",
        customer=detail,
        charts=[c for c in drawn if c],
        campaigns=found.campaigns,
        contact=found.contact,
        currency=data.currency,
        segment_name=readable(segment) if segment else None,
    )
