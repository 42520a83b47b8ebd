"""The model's description, reloads, training runs and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from starlette.concurrency import run_in_threadpool

from serving.api.models import (
    Message,
    ModelDescription,
    Reload,
    TokenCreated,
    TokenInfo,
    TokenRequest,
    TrainingRun,
)
from serving.auth import Admin, Reader
from serving.model_holder import describe
from serving.state import OrjsonResponse, State
from tasks.core.credentials import TOKEN_NAME_PATTERN
from tasks.core.errors import ConcurrentRunError, ConfigError
from tasks.services import accounts

router = APIRouter(default_response_class=OrjsonResponse)
UNAVAILABLE = {503: {"model": Message}}


@router.get("/model", response_model=ModelDescription, responses=UNAVAILABLE, tags=["model"])
async def model(state: State, _caller: Reader) -> OrjsonResponse:
    """The served version, its alias, training metrics and the request schema."""
    current = state.holder.current
    if current is None:
        raise HTTPException(503, "no model is loaded yet")
    return OrjsonResponse({**describe(current), "feature_schema": state.parser.json_schema()})


@router.post("/admin/reload", response_model=Reload, responses=UNAVAILABLE, tags=["model"])
async def reload(state: State, _caller: Admin) -> OrjsonResponse:
    """Check the alias now and swap to its version if it moved (requests keep flowing)."""
    try:
        previous, version = await state.holder.refresh()
    except Exception as exc:
        raise HTTPException(503, f"reload failed, still serving the old model: {exc}") from exc
    return OrjsonResponse(
        {"previous_version": previous, "version": version, "changed": previous != version}
    )


@router.post(
    "/trigger-training",
    status_code=202,
    response_model=TrainingRun,
    responses={
        409: {"model": Message, "description": "A run is going, or no training data is set"}
    },
    tags=["model"],
)
async def trigger_training(state: State, _caller: Admin) -> OrjsonResponse:
    """Start the training flow (Prefect deployment run, else a local subprocess)."""
    try:
        started = await run_in_threadpool(state.launcher.start)
    except (ConcurrentRunError, ConfigError) as exc:  # the service is fine; the request is not
        raise HTTPException(409, str(exc)) from exc
    return OrjsonResponse(started, status_code=202)


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
