"""API tokens: created once and shown once, stored as SHA-256 digests, looked up by prefix.

A login's token belongs to its user (`user_id`): it works only while the user is active,
with the user's current role, and is revoked when the user is deactivated, changes role or
password (see `revoke_logins`). Tokens without a user are the machines' tokens admins make."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict
from tasks.adapters.tables import api_tokens
from tasks.adapters.user_tables import users
from tasks.core.credentials import Principal
from tasks.core.errors import ConflictError
from tasks.i18n import N_

__all__ = ["Principal", "create", "digest", "list_tokens", "lookup", "revoke", "revoke_logins"]
SCHEME = "rtn"
_TOKEN = re.compile(r"^rtn_([0-9a-f]{12})_[A-Za-z0-9_\-]{43}$")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(
    engine: Engine,
    name: str,
    role: str,
    expires_at: datetime | None = None,
    user_id: int | None = None,
) -> str:
    """Store a new token for `name` with `role` and return it (the only time it is shown);
    with `expires_at` it stops working then; with `user_id` it is that user's login token.
    The name and role are checked by the caller (tasks/services/accounts/tokens.py)."""
    prefix = secrets.token_hex(6)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = {
        "name": name,
        "role": role,
        "prefix": prefix,
        "token_hash": digest(token),
        "created_at": datetime.now(UTC),
        "expires_at": expires_at,
        "user_id": user_id,
    }
    try:
        with engine.begin() as connection:
            connection.execute(api_tokens.insert().values(**row))
    except sa.exc.IntegrityError:
        raise ConflictError(N_("a token named %(name)r already exists"), name=name) from None
    return token


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    """Every token's name, role, prefix and dates (never the digest)."""
    names = ("name", "role", "prefix", "created_at", "revoked_at", "expires_at")
    columns = [api_tokens.c[c] for c in names]
    query = sa.select(*columns).order_by(api_tokens.c.created_at, api_tokens.c.id)
    with engine.connect() as connection:
        return [row_dict(row) for row in connection.execute(query)]


def revoke(engine: Engine, name: str) -> bool:
    """Revoke the token called `name`; False if there is no such active token."""
    statement = (
        api_tokens.update()
        .where(api_tokens.c.name == name, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount > 0


def revoke_logins(user_id: int, now: datetime) -> sa.Update:
    """The statement revoking every live login token of the user, to run in the transaction
    that changes the user."""
    return (
        api_tokens.update()
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def lookup(engine: Engine, token: str) -> Principal | None:
    """The active token's owner, or None; digests are compared in constant time. A login's
    token needs its user active and takes the user's current role."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    live = api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > datetime.now(UTC))
    query = (
        sa.select(
            api_tokens.c.name,
            api_tokens.c.role,
            api_tokens.c.token_hash,
            api_tokens.c.user_id,
            users.c.email,
            users.c.role.label("user_role"),
            users.c.active,
        )
        .select_from(api_tokens.outerjoin(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.prefix == match.group(1), api_tokens.c.revoked_at.is_(None), live)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    if row.user_id is None:
        return Principal(row.name, row.role)
    if not row.active:  # deactivated (or gone)
        return None
    return Principal(row.name, row.user_role, row.user_id, row.email)
