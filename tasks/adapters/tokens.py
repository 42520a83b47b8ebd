"""API tokens: created once and shown once, stored as SHA-256 digests, looked up by prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict
from tasks.adapters.tables import api_tokens
from tasks.core.policy import TOKEN_ROLES

ROLES = TOKEN_ROLES
SCHEME = "rtn"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
_TOKEN = re.compile(r"^rtn_([0-9a-f]{12})_[A-Za-z0-9_\-]{43}$")


@dataclass(frozen=True)
class Principal:
    """Who a valid token belongs to."""

    name: str
    role: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(engine: Engine, name: str, role: str, expires_at: datetime | None = None) -> str:
    """Store a new token for `name` with `role` and return it (the only time it is shown);
    with `expires_at` it stops working then."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not re.match(NAME_PATTERN, name):
        raise ValueError("token name: 1-100 letters, digits, '.', '_' or '-'")
    prefix = secrets.token_hex(6)
    token = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = {
        "name": name,
        "role": role,
        "prefix": prefix,
        "token_hash": digest(token),
        "created_at": datetime.now(UTC),
        "expires_at": expires_at,
    }
    try:
        with engine.begin() as connection:
            connection.execute(api_tokens.insert().values(**row))
    except sa.exc.IntegrityError as exc:
        raise ValueError(f"a token named {name!r} already exists") from exc
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


def lookup(engine: Engine, token: str) -> Principal | None:
    """The active token's owner, or None; digests are compared in constant time."""
    match = _TOKEN.match(token)
    if match is None:
        return None
    live = api_tokens.c.expires_at.is_(None) | (api_tokens.c.expires_at > datetime.now(UTC))
    query = sa.select(api_tokens.c.name, api_tokens.c.role, api_tokens.c.token_hash).where(
        api_tokens.c.prefix == match.group(1), api_tokens.c.revoked_at.is_(None), live
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest(token)):
        return None
    return Principal(row.name, row.role)
