"""The original product's JSON routes under /dashboard/ (with a token): `/dashboard/kpis`
and `/dashboard/clients`. Beside the dashboard's pages, they answer in JSON whatever the
client accepts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from serving.api.models import LegacyClients, LegacyKpis, Message
from serving.auth import Reader
from serving.errors import api_language, status_of
from serving.state import OrjsonResponse, State
from tasks import i18n
from tasks.core.errors import NotFoundError
from tasks.services import customers as service

router = APIRouter(tags=["dashboard"], default_response_class=OrjsonResponse)


@router.get(
    "/dashboard/kpis",
    response_model=LegacyKpis,
    responses={404: {"model": Message, "description": "No KPI snapshot yet"}},
)
async def legacy_kpi_figures(request: Request, state: State, _caller: Reader) -> OrjsonResponse:
    """The latest KPIs in the original product's shape: total_clients, churn_rate (percent:
    observed where labels exist, else the mean predicted), at_risk_count, avg_churn_score,
    lifetime_value (null without a value role)."""
    dataset = state.config.dataset.name
    try:
        found = await run_in_threadpool(service.legacy_kpi_figures, state.context, dataset)
    except NotFoundError as error:  # JSON, though under the pages' prefix
        detail = i18n.translate_error(error, api_language(request))
        raise HTTPException(status_of(error)[0], detail) from None
    return OrjsonResponse(found)


@router.get("/dashboard/clients", response_model=LegacyClients)
async def legacy_clients(
    state: State,
    _caller: Reader,
    wanted: Annotated[service.CustomerFilter, Query()],
) -> OrjsonResponse:
    """Current scores in the original product's shape: `clients` (churn_score 0 to 1) and
    `total` (the customers of the latest KPI snapshot); filtered like `/customers`."""
    query = service.CustomerQuery(state.config, wanted)
    return OrjsonResponse(await run_in_threadpool(service.legacy_clients, state.context, query))
