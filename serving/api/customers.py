"""The retention API's customers: current scores sorted, filtered and paginated (the same
rules as the customers page: tasks/services/customers), and one customer's scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from serving.api.models import CustomerDetail, CustomerPage, Message
from serving.auth import Reader
from serving.state import OrjsonResponse, State
from tasks.services import customers as service

router = APIRouter(tags=["retention"], default_response_class=OrjsonResponse)
NOT_FOUND = {404: {"model": Message}}


@router.get("/customers", response_model=CustomerPage)
async def customers(
    _caller: Reader,
    state: State,
    wanted: Annotated[service.CustomerFilter, Query()],
) -> OrjsonResponse:
    """Customers' current scores, sorted and paginated; `segment` filters by risk segment,
    `segment_value` by the segment role's value, `min_probability`/`max_probability` by churn
    score, `search` by the start of the customer id."""
    query = service.CustomerQuery(state.config, wanted)
    found = await run_in_threadpool(service.list_customers, state.context, query)
    return OrjsonResponse(
        {
            "items": found.items,
            "limit": wanted.limit,
            "offset": wanted.offset,
            "next_offset": found.next_offset,
        }
    )


@router.get("/customers/{customer_id}", response_model=CustomerDetail, responses=NOT_FOUND)
async def customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=64)],
    state: State,
    _caller: Reader,
) -> OrjsonResponse:
    """One customer's latest score with reasons (as stored, and in business words) and
    lifetime value, and the score history."""
    ref = service.CustomerRef(state.config.dataset.name, customer_id)
    found = await run_in_threadpool(service.customer_detail, state.context, ref, state.config)
    return OrjsonResponse(found)
