"""API tokens: list, create, revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from serving.api.models import Message, TokenCreated, TokenInfo, TokenRequest
from serving.auth import Admin
from serving.state import OrjsonResponse, State
from tasks.core.credentials import TOKEN_NAME_PATTERN
from tasks.services import accounts

router = APIRouter(default_response_class=OrjsonResponse)


@router.get("/admin/tokens", response_model=list[TokenInfo], tags=["tokens"])
async def list_tokens(state: State, _caller: Admin) -> OrjsonResponse:
    """Every API token's name, role, prefix and dates (never the token)."""
    return OrjsonResponse(await run_in_threadpool(accounts.list_tokens, state.context))


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
    new = accounts.NewToken(request.name, request.role, requested_by=caller)
    token = await run_in_threadpool(accounts.create_token, state.context, new)
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
    name: Annotated[str, Path(pattern=TOKEN_NAME_PATTERN)],
    state: State,
    caller: Admin,
) -> Response:
    """Revoke a token (other workers notice within the token cache time); not the caller's own,
    which could leave no admin access: use another admin token or `retainai tokens revoke`."""
    revocation = accounts.TokenRevocation(name, requested_by=caller)
    await run_in_threadpool(accounts.revoke_token, state.context, revocation)
    state.authenticator.forget()
    return Response(status_code=204)
