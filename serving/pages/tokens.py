"""API tokens managed by admins from the dashboard: list, create (shown once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.sessions import AdminPage
from serving.state import State
from serving.web.render import error_text, pages_of, translator
from tasks.core.errors import ConflictError, InvalidInputError, NotFoundError
from tasks.core.policy import TOKEN_ROLES
from tasks.services import accounts

router = APIRouter(include_in_schema=False)


async def _page(request: Request, state, session, status: int = 200, **extra) -> Response:
    found = await run_in_threadpool(accounts.list_tokens, state.context, True)
    return pages_of(request).render(
        request,
        "tokens.html",
        status=status,
        session=session,
        active="tokens",
        tokens=found,
        roles=TOKEN_ROLES,
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
    new = accounts.NewToken(name, role)
    try:
        token = await run_in_threadpool(accounts.create_token, state.context, new)
    except (InvalidInputError, ConflictError) as error:  # the form again, with why: 400
        note = {"kind": "error", "text": error_text(request, session, error)}
        return await _page(request, state, session, status=400, messages=[note])
    return await _page(request, state, session, created={"name": name.strip(), "token": token})


@router.post("/dashboard/tokens/{name}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, state: State, session: AdminPage, name: str) -> Response:
    try:
        await run_in_threadpool(
            accounts.revoke_token, state.context, accounts.TokenRevocation(name)
        )
    except NotFoundError as error:
        note = {"kind": "error", "text": error_text(request, session, error)}
    else:
        state.authenticator.forget()
        text = translator(request, session)("token %(name)s revoked", name=repr(name))
        note = {"kind": "ok", "text": text}
    return await _page(request, state, session, messages=[note])
