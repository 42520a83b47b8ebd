"""API tokens managed by admins from the dashboard: list, create (shown once), revoke."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.sessions import AdminPage
from serving.state import State
from serving.web.render import pages_of
from tasks.adapters import tokens

router = APIRouter(include_in_schema=False)


def _live(found: list[dict]) -> list[dict]:
    """Tokens not yet expired (a login's tokens expire within the hour)."""
    now = datetime.now(UTC)

    def expired(row: dict) -> bool:
        at = row["expires_at"]
        return at is not None and (at if at.tzinfo else at.replace(tzinfo=UTC)) <= now

    return [row for row in found if not expired(row)]


async def _page(request: Request, state, session, status: int = 200, **extra) -> Response:
    found = _live(await run_in_threadpool(tokens.list_tokens, state.engine))
    return pages_of(request).render(
        request,
        "tokens.html",
        status=status,
        session=session,
        active="users",
        tokens=found,
        roles=tokens.ROLES,
        **extra,
    )


@router.get("/dashboard/tokens", response_class=HTMLResponse)
async def token_list(request: Request, state: State, session: AdminPage) -> Response:
    return await _page(request, state, session)


@router.post("/dashboard/tokens", response_class=HTMLResponse)
async def create(
    request: Request,
    state: State,
    session: AdminPage,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "app",
) -> Response:
    try:
        token = await run_in_threadpool(tokens.create, state.engine, name.strip(), role)
    except ValueError as error:
        return await _page(
            request, state, session, status=400, messages=[{"kind": "error", "text": str(error)}]
        )
    return await _page(request, state, session, created={"name": name.strip(), "token": token})


@router.post("/dashboard/tokens/{name}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, state: State, session: AdminPage, name: str) -> Response:
    if await run_in_threadpool(tokens.revoke, state.engine, name):
        state.authenticator.forget()
        note = {"kind": "ok", "text": f"token {name!r} revoked"}
    else:
        note = {"kind": "error", "text": f"no active token named {name!r}"}
    return await _page(request, state, session, messages=[note])
