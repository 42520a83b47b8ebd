"""The retention team's pages under /dashboard/ (overview, profile, users), and the original
product's JSON routes beside them (`/dashboard/kpis`, `/dashboard/clients`, with a token)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving import charts
from serving.api.models import LegacyClients, LegacyKpis, Message
from serving.auth import Reader
from serving.errors import status_of
from serving.sessions import AdminPage, ViewerPage, client_address
from serving.state import OrjsonResponse, State
from serving.web.render import NO_STORE, pages_of
from tasks import accounts
from tasks.adapters import retention_store as store
from tasks.adapters import users as user_store
from tasks.core.dashboard import format_change, format_figure, kpi_cards, legacy_kpis
from tasks.core.errors import ConfigError, ConflictError, NotFoundError, TooManyAttemptsError
from tasks.core.policy import USER_ROLES as ROLES

router = APIRouter(tags=["dashboard"], default_response_class=OrjsonResponse)


def _overview(engine, dataset: str) -> dict:
    history = store.kpi_history(engine, dataset)
    if not history:
        return {"cards": [], "charts": []}
    latest, previous = history[-1], (history[-2] if len(history) > 1 else None)
    cards = kpi_cards(latest["kpis"], previous["kpis"] if previous else None)
    for card in cards:
        card["shown"] = format_figure(card["value"], card["kind"])
        card["change_shown"] = format_change(card["change"], card["kind"])
    drawn = [
        charts.segment_chart(latest["kpis"]),
        charts.revenue_chart(latest["kpis"]),
        charts.history_chart(history),
    ]
    return {
        "cards": cards,
        "charts": [c for c in drawn if c],
        "as_of": latest["as_of"],
        "model_version": latest["model_version"],
        "previous_as_of": previous["as_of"] if previous else None,
    }


@router.get("/dashboard/", response_class=HTMLResponse, include_in_schema=False)
async def overview(request: Request, state: State, session: ViewerPage) -> Response:
    dataset = state.config.dataset.name
    found = await run_in_threadpool(_overview, state.engine, dataset)
    return pages_of(request).render(
        request, "overview.html", session=session, active="overview", dataset=dataset, **found
    )


@router.get("/dashboard/heatmaps", response_class=HTMLResponse, include_in_schema=False)
async def heatmaps(request: Request, state: State, session: ViewerPage) -> Response:
    """Churn rate (observed, else mean score) by pairs of columns, as the scoring run stored
    them in its KPI snapshot."""
    found = await run_in_threadpool(store.latest_kpis, state.engine, state.config.dataset.name)
    tables = (found["kpis"].get("heatmaps") or {}) if found else {}
    drawn = []
    for name, table in tables.items():
        if table.get("churn_rate") is not None:
            drawn.append(charts.heatmap_chart(name, table, "churn_rate"))
        drawn.append(charts.heatmap_chart(name, table, "mean_score"))
    as_of = found["as_of"] if found else None
    return pages_of(request).render(
        request, "heatmaps.html", session=session, active="heatmaps", charts=drawn, as_of=as_of
    )


@router.get("/dashboard/profile", response_class=HTMLResponse, include_in_schema=False)
async def profile(request: Request, session: ViewerPage) -> Response:
    return pages_of(request).render(request, "profile.html", session=session, active="profile")


@router.post("/dashboard/profile", response_class=HTMLResponse, include_in_schema=False)
async def change_password(
    request: Request,
    state: State,
    session: ViewerPage,
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
) -> Response:
    headers = {}
    try:
        address = client_address(request)
        await run_in_threadpool(
            accounts.change_password, state.engine, state.settings, session, current, new, address
        )
    except TooManyAttemptsError as error:
        note, status = {"kind": "error", "text": str(error)}, 429
        headers["Retry-After"] = str(error.retry_after)
    except ConfigError as error:
        note, status = {"kind": "error", "text": str(error)}, 400
    else:
        state.authenticator.forget()  # the user's login tokens were revoked
        note, status = {"kind": "ok", "text": "Password changed; other sessions ended."}, 200
    page = pages_of(request)
    response = page.render(
        request, "profile.html", status=status, session=session, messages=[note], active="profile"
    )
    response.headers.update(headers)
    return response


async def _users_page(request, state, session, status=200, **extra) -> Response:
    users = await run_in_threadpool(user_store.list_users, state.engine)
    return pages_of(request).render(
        request,
        "users.html",
        status=status,
        session=session,
        active="users",
        users=users,
        roles=ROLES,
        **extra,
    )


@router.get("/dashboard/users", response_class=HTMLResponse, include_in_schema=False)
async def users(request: Request, state: State, session: AdminPage) -> Response:
    return await _users_page(request, state, session)


@router.post("/dashboard/users", response_class=HTMLResponse, include_in_schema=False)
async def create_user(
    request: Request,
    state: State,
    session: AdminPage,
    email: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "viewer",
) -> Response:
    try:
        user, password = await run_in_threadpool(accounts.create_user, state.engine, email, role)
    except (ConfigError, ConflictError) as error:
        return await _users_page(
            request,
            state,
            session,
            status=status_of(error)[0],
            messages=[{"kind": "error", "text": str(error)}],
        )
    created = {"email": user["email"], "role": user["role"], "password": password}
    return await _users_page(request, state, session, created=created)


@router.post("/dashboard/users/{user_id}", include_in_schema=False)
async def update_user(
    request: Request,
    state: State,
    session: AdminPage,
    user_id: int,
    role: Annotated[str, Form()] = "viewer",
    active: Annotated[str, Form()] = "",
) -> Response:
    try:
        await run_in_threadpool(accounts.set_role, state.engine, user_id, role, active == "yes")
    except (ConfigError, ConflictError, NotFoundError) as error:
        return await _users_page(
            request,
            state,
            session,
            status=status_of(error)[0],
            messages=[{"kind": "error", "text": str(error)}],
        )
    state.authenticator.forget()  # the user's login tokens were revoked
    return RedirectResponse("/dashboard/users", status_code=303, headers=NO_STORE)


@router.get(
    "/dashboard/kpis",
    response_model=LegacyKpis,
    responses={404: {"model": Message, "description": "No KPI snapshot yet"}},
)
async def legacy_kpi_figures(state: State, _caller: Reader) -> OrjsonResponse:
    """The latest KPIs in the original product's shape: total_clients, churn_rate (percent:
    observed where labels exist, else the mean predicted), at_risk_count, avg_churn_score,
    lifetime_value (null without a value role)."""
    found = await run_in_threadpool(store.latest_kpis, state.engine, state.config.dataset.name)
    if found is None:
        raise HTTPException(404, "no KPI snapshot yet: run `retainai score`")
    return OrjsonResponse(legacy_kpis(found["kpis"]))


@router.get("/dashboard/clients", response_model=LegacyClients)
async def legacy_clients(
    state: State,
    _caller: Reader,
    sort: Literal[tuple(store.SORT_KEYS)] = "churn_score",  # type: ignore[valid-type]
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> OrjsonResponse:
    """Current scores in the original product's shape: `clients` (churn_score 0 to 1) and
    `total` (the customers of the latest KPI snapshot)."""
    dataset = state.config.dataset.name
    items = await run_in_threadpool(
        store.list_customers, state.engine, dataset, sort, order, limit, offset, None
    )
    snapshot = await run_in_threadpool(store.latest_kpis, state.engine, dataset)
    total = snapshot["kpis"].get("customers_scored", 0) if snapshot else 0
    clients = [
        {
            **{k: v for k, v in item.items() if k != "churn_probability"},
            "churn_score": item["churn_probability"],
        }
        for item in items
    ]
    return OrjsonResponse({"clients": clients, "total": total})
