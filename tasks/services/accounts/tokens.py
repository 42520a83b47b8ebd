"""API tokens: created once and shown once (only a SHA-256 digest is stored), listed,
revoked, and looked up for every API request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tasks.adapters import tokens as store
from tasks.core.credentials import Principal, check_token_name, check_token_role
from tasks.core.errors import ConflictError, ForbiddenError, NotFoundError
from tasks.i18n import N_
from tasks.services.accounts.commands import NewToken, TokenRevocation
from tasks.services.context import Context

MAX_TOKEN_CHARS = 200


def create_token(ctx: Context, new: NewToken) -> str:
    """A new API token (returned once). A login's token may not create one: it would outlive
    the login."""
    if new.requested_by is not None and new.requested_by.is_login:
        raise ForbiddenError(
            "a login's token may not create API tokens: use an admin API token, the tokens "
            "page of the dashboard or `retainai tokens create`"
        )
    return store.create(ctx.engine, check_token_name(new.name.strip()), check_token_role(new.role))


def list_tokens(ctx: Context, live_only: bool = False) -> list[dict[str, Any]]:
    """Every token's name, role, prefix and dates (never the token); with `live_only`, the
    tokens not yet expired (a login's tokens expire within the hour)."""
    found = store.list_tokens(ctx.engine)
    if not live_only:
        return found
    at = datetime.now(UTC)

    def expired(row: dict[str, Any]) -> bool:
        end = row["expires_at"]
        return end is not None and (end if end.tzinfo else end.replace(tzinfo=UTC)) <= at

    return [row for row in found if not expired(row)]


def revoke_token(ctx: Context, revocation: TokenRevocation) -> None:
    """Revoke an active token; an API token may not revoke itself (it could leave no admin
    access)."""
    name, caller = revocation.name, revocation.requested_by
    if caller is not None and name == caller.name:
        raise ConflictError(
            N_(
                "a token may not revoke itself: use another admin token, "
                "or `retainai tokens revoke %(name)s` on the server"
            ),
            name=name,
        )
    if not store.revoke(ctx.engine, name):
        raise NotFoundError(N_("no active token named %(name)r"), name=name)


def identify(ctx: Context, token: str) -> Principal | None:
    """The owner of an active token, or None (unknown, revoked, expired, a deactivated user)."""
    if len(token) > MAX_TOKEN_CHARS:
        return None
    return store.lookup(ctx.engine, token)


def token_key(token: str) -> str:
    """The token's digest: what a cache of lookups may keep instead of the token."""
    return store.digest(token)
