"""Bearer tokens and roles: `app` may only predict; `viewer` also reads scores, KPIs and the
model; `analyst` adds campaigns; `admin` adds training, reloads and tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from serving.refusals import refusal
from tasks.core.policy import PERMISSIONS, allows
from tasks.i18n import N_
from tasks.services import accounts
from tasks.services.accounts import Principal
from tasks.services.context import Context

ACCESS = PERMISSIONS  # the one policy (tasks/core/policy.py): action -> roles allowed
PRINCIPAL = "retainai.principal"  # scope key of the admitted caller
CACHE_ENTRIES = 10_000
ROLE_REFUSED = N_("role %(role)r may not call this endpoint")

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="APIToken",
    description="`Authorization: Bearer rtn_...` from `retainai tokens create --role R --name N`",
)


class Authenticator:
    """Verifies tokens against `api_tokens` (and a login token's user); results (also misses)
    are cached for `ttl` s, so a revocation made elsewhere (another worker, the CLI) applies
    here within `ttl`; one made through this process calls `forget` and applies at once."""

    def __init__(self, context: Context, ttl: float, clock: Callable[[], float] = time.monotonic):
        self.context = context
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[Principal | None, float]] = {}

    async def verify(self, token: str) -> Principal | None:
        if len(token) > accounts.MAX_TOKEN_CHARS:
            return None
        key = accounts.token_key(token)
        hit = self._cache.get(key)
        now = self.clock()
        if hit is not None and hit[1] > now:
            return hit[0]
        try:
            principal = await run_in_threadpool(accounts.identify, self.context, token)
        except sa.exc.SQLAlchemyError as exc:
            raise refusal(503, N_("the token store is unavailable")) from exc
        if self.ttl > 0:
            if len(self._cache) >= CACHE_ENTRIES:
                self._cache.clear()
            self._cache[key] = (principal, now + self.ttl)
        return principal

    def forget(self) -> None:
        """Drop cached lookups (after a revocation, a user's change, a logout through this
        process)."""
        self._cache.clear()


def _unauthorized(message: str) -> HTTPException:
    return refusal(401, message, headers={"WWW-Authenticate": "Bearer"})


async def admit(authenticator: Authenticator, access: str, header: str | None) -> Principal:
    """The owner of the bearer token in `header` if its role may `access`, else 401/403."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(N_("missing bearer token"))
    found = await authenticator.verify(token.strip())
    if found is None:
        raise _unauthorized(N_("invalid or revoked token"))
    if not allows(found.role, access):
        raise refusal(403, ROLE_REFUSED, role=found.role)
    return found


async def authenticate(request: Request, access: str, header: str | None) -> Principal:
    """The caller of `request` if its token is valid and its role may `access`, else 401/403.

    The request guard (serving/guard.py) has usually admitted the caller already and left it
    in the scope: then only the role is checked again, without another token lookup."""
    found = request.scope.get(PRINCIPAL)
    if found is None:
        found = await admit(request.app.state.serving.authenticator, access, header)
        request.scope[PRINCIPAL] = found
    elif not allows(found.role, access):
        raise refusal(403, ROLE_REFUSED, role=found.role)
    return found


def requires(access: str) -> Callable[..., Any]:
    """A dependency admitting the roles allowed `access`; returns the caller's Principal."""

    async def principal(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Principal:
        header = f"Bearer {credentials.credentials}" if credentials else None
        return await authenticate(request, access, header)

    principal.access = access  # type: ignore[attr-defined]  # read by the request guard
    return principal


Predictor = Annotated[Principal, Depends(requires("predict"))]
Reader = Annotated[Principal, Depends(requires("read"))]
Analyst = Annotated[Principal, Depends(requires("campaigns"))]
MessageReader = Annotated[Principal, Depends(requires("messages"))]
Admin = Annotated[Principal, Depends(requires("admin"))]
