"""The retention API: KPIs, customers by risk, one customer's scores (campaigns:
routes_campaigns)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from starlette.concurrency import run_in_threadpool

from serving.api.models import (
    CustomerDetail,
    CustomerPage,
    KpiSnapshot,
    Message,
    RiskSegment,
)
from serving.auth import Reader
from serving.state import OrjsonResponse, State
from tasks.adapters import retention_store as store
from tasks.core.kpis import segment_range

router = APIRouter(tags=["retention"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}


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
    floor, ceiling = segment_range(state.config.segments, segment) if segment else (None, None)
    items = await run_in_threadpool(
        store.list_customers,
        state.engine,
        dataset,
        sort,
        order,
        limit,
        offset,
        segment,
        min_probability=floor,
        max_probability=ceiling,
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
