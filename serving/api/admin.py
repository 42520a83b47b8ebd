"""API tokens: list, create, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from serving.api.models import Message, TokenCreated, TokenInfo, TokenRequest
from serving.auth import Admin
from serving.state import OrjsonResponse, State
from tasks.adapters import tokens
from tasks.adapters.tokens import NAME_PATTERN
from tasks.core.errors import ForbiddenError

router = APIRouter(default_response_class=OrjsonResponse)


@router.get("/admin/tokens", response_model=list[TokenInfo], tags=["tokens"])
async def list_tokens(state: State, _caller: Admin) -> OrjsonResponse:
    """Every API token's name, role, prefix and dates (never the token)."""
    return OrjsonResponse(await run_in_threadpool(tokens.list_tokens, state.engine))


@router.post(
    "/admin/tokens",
    status_code=201,
    response_model=TokenCreated,
    responses={
        409: {"model": Message},
        400: {"model": Message, "description": "Undecodable"},
        403: {"model": Message, "description": "Not an admin, or a login's token"},
    },
    tags=["tokens"],
)
async def create_token(
    request: TokenRequest,
    state: State,
    caller: Admin,
) -> OrjsonResponse:
    """Create a token; the response is the only place it is ever shown. A login's token may
    not create one (it would outlive the login)."""
    if caller.is_login:
        raise ForbiddenError(
            "a login's token may not create API tokens: use an admin API token, the tokens "
            "page of the dashboard or `retainai tokens create`"
        )
    try:
        token = await run_in_threadpool(tokens.create, state.engine, request.name, request.role)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    return OrjsonResponse(
        {"name": request.name, "role": request.role, "token": token}, status_code=201
    )


@router.delete(
    "/admin/tokens/{name}",
    status_code=204,
    responses={
        404: {"model": Message},
        409: {"model": Message, "description": "A token may not revoke itself"},
    },
    tags=["tokens"],
)
async def revoke_token(
    name: Annotated[str, Path(pattern=NAME_PATTERN)],
    state: State,
    caller: Admin,
) -> Response:
    """Revoke a token (other workers notice within the token cache time); not the caller's own,
    which could leave no admin access: use another admin token or `retainai tokens revoke`."""
    if name == caller.name:
        raise HTTPException(
            409,
            "a token may not revoke itself: use another admin token, "
            f"or `retainai tokens revoke {name}` on the server",
        )
    if not await run_in_threadpool(tokens.revoke, state.engine, name):
        raise HTTPException(404, "no active token with this name")
    state.authenticator.forget()
    return Response(status_code=204)
