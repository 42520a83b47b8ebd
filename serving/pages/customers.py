"""The customers pages: current scores sorted, filtered and paginated (the rules:
tasks/services/customers), and one customer's score history, reasons, lifetime figures and
campaigns."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from configs.vocabulary import RISK_SEGMENTS
from serving import charts
from serving.sessions import ViewerPage
from serving.state import State
from serving.web.render import pages_of, translator
from tasks.core.errors import NotFoundError
from tasks.core.message_facts import readable
from tasks.services import customers as service

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
Text = Annotated[str, Query(max_length=100)]  # a form sends "" for "any"
Low = Annotated[str, Query(alias="min", max_length=20)]
High = Annotated[str, Query(alias="max", max_length=20)]


@router.get("/dashboard/customers", response_class=HTMLResponse)
async def customers(
    request: Request,
    state: State,
    session: ViewerPage,
    q: Text = "",
    risk: Text = "",
    value: Text = "",
    low: Low = "",
    high: High = "",
    sort: Text = "churn_score",
    order: Text = "desc",
    offset: int = 0,
    after: Text = "",
) -> Response:
    data = state.config.dataset
    wanted = service.customer_filter(
        sort=sort,
        order=order,
        limit=PAGE_ROWS,
        offset=offset,
        segment=risk or None,
        segment_value=value or None,
        min_probability=service.probability_bound(low),
        max_probability=service.probability_bound(high),
        search=q or None,
    )
    query = service.CustomerQuery(state.config, wanted, after=after or None, with_reasons=True)
    found = await run_in_threadpool(service.list_customers, state.context, query)
    shown = {
        "q": q,
        "risk": risk,
        "value": value,
        "min": wanted.min_probability,
        "max": wanted.max_probability,
        "sort": sort,
        "order": order,
    }
    kept = {k: v for k, v in shown.items() if v not in ("", None)}

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
        next_url=page_url(offset + PAGE_ROWS, found.next_cursor) if found.more else None,
        previous_url=(page_url(0 if keyset else previous_offset(offset)) if offset else None),
    )


def previous_offset(offset: int) -> int:
    return offset - PAGE_ROWS if offset > PAGE_ROWS else 0


@router.get("/dashboard/customers/{customer_id}", response_class=HTMLResponse)
async def customer(
    request: Request, state: State, session: ViewerPage, customer_id: str
) -> Response:
    data = state.config.dataset
    ref = service.CustomerRef(data.name, customer_id)
    try:
        found = await run_in_threadpool(service.customer_view, state.context, ref)
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
    reasons = [{**r, "feature": readable(str(r["feature"]))} for r in detail["top_reasons"] or []]
    drawn = [charts.score_history_chart(detail["history"]), charts.reasons_chart(reasons)]
    segment = data.roles.segment
    return pages_of(request).render(
        request,
        "customer.html",
        session=session,
        active="customers",
        customer=detail,
        charts=[c for c in drawn if c],
        campaigns=found.campaigns,
        segment_name=readable(segment) if segment else None,
    )
