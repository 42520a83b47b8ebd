"""The retention API's KPIs: the latest snapshot of a scoring run."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from serving.api.models import KpiSnapshot, Message
from serving.auth import Reader
from serving.state import OrjsonResponse, State
from tasks.services import customers as service

router = APIRouter(tags=["retention"], default_response_class=OrjsonResponse)


@router.get("/kpis", response_model=KpiSnapshot, responses={404: {"model": Message}})
async def kpis(state: State, _caller: Reader) -> OrjsonResponse:
    """The latest KPI snapshot of a scoring run."""
    dataset = state.config.dataset.name
    return OrjsonResponse(await run_in_threadpool(service.latest_kpis, state.context, dataset))
