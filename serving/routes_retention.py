"""The retention API: KPIs, customers by risk, one customer's scores, campaign requests."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from starlette.concurrency import run_in_threadpool

from serving.api_models import (
    Campaign,
    CampaignRequest,
    CustomerDetail,
    CustomerPage,
    KpiSnapshot,
    Message,
    RiskSegment,
)
from serving.auth import Analyst, Reader
from serving.state import OrjsonResponse, State
from tasks.adapters import retention_store as store

router = APIRouter(tags=["retention"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}
UNPARSEABLE = {400: {"model": Message, "description": "The body cannot be decoded"}}


@router.get("/kpis", response_model=KpiSnapshot, responses=NOT_FOUND)
async def kpis(state: State, _caller: Reader) -> OrjsonResponse:
    """The latest KPI snapshot of a scoring run."""
    found = await run_in_threadpool(store.latest_kpis, state.engine, state.config.dataset.name)
    if found is None:
        raise HTTPException(404, "no KPI snapshot yet: run `retainai score`")
    return OrjsonResponse(found)


@router.get("/customers", response_model=CustomerPage)
async def customers(
    _caller: Reader,
    state: State,
    sort: Literal[tuple(store.SORT_KEYS)] = "churn_score",  # type: ignore[valid-type]
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    segment: RiskSegment | None = None,
) -> OrjsonResponse:
    """Customers' current scores, sorted and paginated; `segment` filters by risk segment."""
    dataset = state.config.dataset.name
    items = await run_in_threadpool(
        store.list_customers, state.engine, dataset, sort, order, limit, offset, segment
    )
    next_offset = offset + limit if len(items) == limit else None
    return OrjsonResponse(
        {"items": items, "limit": limit, "offset": offset, "next_offset": next_offset}
    )


@router.get("/customers/{customer_id}", response_model=CustomerDetail, responses=NOT_FOUND)
async def customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=64)],
    state: State,
    _caller: Reader,
) -> OrjsonResponse:
    """One customer's latest score with reasons and lifetime value, and the score history."""
    dataset = state.config.dataset.name
    found = await run_in_threadpool(store.customer_detail, state.engine, dataset, customer_id)
    if found is None:
        raise HTTPException(404, "no score for this customer")
    return OrjsonResponse(found)


@router.post("/campaigns", status_code=201, response_model=Campaign, responses=UNPARSEABLE)
async def create_campaign(
    request: CampaignRequest,
    state: State,
    caller: Analyst,
) -> OrjsonResponse:
    """Record a campaign request for a segment filter (generation is a later step)."""
    column = state.config.dataset.roles.segment
    allowed = state.config.dataset.segment_values
    message = f"not a {column} value; allowed: {allowed}" if column else "the table has no segment"
    wrong = [
        {
            "loc": ["body", "segment_filter", "segment_values", i],
            "msg": message,
            "type": "literal_error",
        }
        for i, value in enumerate(request.segment_filter.segment_values or [])
        if value not in allowed
    ]
    if wrong:
        return OrjsonResponse({"detail": wrong}, status_code=422)
    created = await run_in_threadpool(
        store.create_campaign,
        state.engine,
        request.name,
        request.segment_filter.model_dump(mode="json"),
        request.holdout_share,
        caller.name,
    )
    return OrjsonResponse(created, status_code=201)
