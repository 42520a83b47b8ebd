"""The users store: accounts, sessions, login attempts and reset tokens (see user_tables.py).

Only digests of secrets reach this module. A session is ended by deleting its row, so a
logout or a password reset takes effect in every worker at once; so does the login rate
limit, counted from the attempts table."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict, storable_id
from tasks.adapters.user_tables import login_attempts, password_resets, user_sessions, users
from tasks.core.errors import ConfigError

PUBLIC_COLUMNS = ("id", "email", "role", "active", "created_at", "password_changed_at")
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def create_user(engine: Engine, email: str, password_hash: str, role: str, now: datetime):
    row = {"email": email, "password_hash": password_hash, "role": role, "active": True,
           "created_at": now, "password_changed_at": now}  # fmt: skip
    try:
        with engine.begin() as connection:
            new_id = connection.execute(users.insert().values(**row)).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        raise ConfigError(f"a user {email!r} already exists") from None
    return {"id": new_id, **{k: row[k] for k in PUBLIC_COLUMNS if k in row}}


def user_by_email(engine: Engine, email: str) -> dict[str, Any] | None:
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.email == email)).first()
    return None if row is None else row_dict(row)


def user_by_id(engine: Engine, user_id: int) -> dict[str, Any] | None:
    if not storable_id(user_id):
        return None
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.id == user_id)).first()
    return None if row is None else row_dict(row)


def list_users(engine: Engine) -> list[dict[str, Any]]:
    query = sa.select(*[users.c[c] for c in PUBLIC_COLUMNS]).order_by(users.c.email)
    with engine.connect() as connection:
        return [row_dict(row) for row in connection.execute(query)]


def update_user(engine: Engine, user_id: int, **values: Any) -> bool:
    with engine.begin() as connection:
        done = connection.execute(users.update().where(users.c.id == user_id).values(**values))
        return done.rowcount > 0


def active_admins(engine: Engine) -> int:
    query = sa.select(sa.func.count()).where(users.c.role == "admin", users.c.active.is_(True))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def start_session(
    engine: Engine, user_id: int, id_hash: str, csrf: str, now: datetime, address: str | None
) -> None:
    row = {"id_hash": id_hash, "user_id": user_id, "csrf_token": csrf, "created_at": now,
           "last_seen_at": now, "address": (address or "")[:64]}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(user_sessions.insert().values(**row))


def session_user(
    engine: Engine, id_hash: str, now: datetime, idle: timedelta, absolute: timedelta
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(user, session) of a live session of an active user, its last use recorded; an
    expired session is deleted and gives None."""
    query = (
        sa.select(user_sessions, *[users.c[c] for c in PUBLIC_COLUMNS if c != "id"])
        .join(users, users.c.id == user_sessions.c.user_id)
        .where(user_sessions.c.id_hash == id_hash)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    found = row_dict(row)
    created, seen = _aware(found["created_at"], now), _aware(found["last_seen_at"], now)
    if not found["active"] or now - created > absolute or now - seen > idle:
        end_session(engine, id_hash)
        return None
    if now - seen > TOUCH_EVERY:
        with engine.begin() as connection:
            connection.execute(user_sessions.update().where(user_sessions.c.id_hash == id_hash)
                               .values(last_seen_at=now))  # fmt: skip
    user = {"id": found["user_id"], **{c: found[c] for c in PUBLIC_COLUMNS if c != "id"}}
    return user, {"csrf_token": found["csrf_token"], "created_at": created}


def _aware(moment: datetime, now: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


def end_session(engine: Engine, id_hash: str) -> None:
    with engine.begin() as connection:
        connection.execute(user_sessions.delete().where(user_sessions.c.id_hash == id_hash))


def end_sessions(engine: Engine, user_id: int, keep: str | None = None) -> int:
    """End every session of the user (but `keep`, the digest of the one in use)."""
    statement = user_sessions.delete().where(user_sessions.c.user_id == user_id)
    if keep is not None:
        statement = statement.where(user_sessions.c.id_hash != keep)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def record_attempt(
    engine: Engine, email: str, address: str, succeeded: bool, now: datetime
) -> None:
    row = {"email": email[:320], "address": address[:64], "succeeded": succeeded, "at": now}
    with engine.begin() as connection:
        connection.execute(login_attempts.insert().values(**row))


def failures_since(engine: Engine, email: str, address: str, since: datetime) -> tuple[int, int]:
    """Failed logins since `since` for this email and from this address."""
    failed = login_attempts.c.succeeded.is_(False) & (login_attempts.c.at >= since)
    count = sa.func.count()
    with engine.connect() as connection:
        by_email = connection.execute(
            sa.select(count).where(failed, login_attempts.c.email == email)
        ).scalar_one()
        by_address = connection.execute(
            sa.select(count).where(failed, login_attempts.c.address == address)
        ).scalar_one()
    return int(by_email), int(by_address)


def create_reset(
    engine: Engine, token_hash: str, user_id: int, now: datetime, expires: datetime
) -> None:
    row = {"token_hash": token_hash, "user_id": user_id, "created_at": now, "expires_at": expires}
    with engine.begin() as connection:
        connection.execute(password_resets.insert().values(**row))


def use_reset(engine: Engine, token_hash: str, now: datetime, password_hash: str) -> int | None:
    """Spend a reset token once, before it expires: the user's password is set and every
    session of the user ends, in one transaction. Returns the user id, else None."""
    table = password_resets
    with engine.begin() as connection:
        row = connection.execute(
            table.update()
            .where(
                table.c.token_hash == token_hash,
                table.c.used_at.is_(None),
                table.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(table.c.user_id)
        ).first()
        if row is None:
            return None
        user_id = int(row[0])
        connection.execute(users.update().where(users.c.id == user_id).values(
            password_hash=password_hash, password_changed_at=now))  # fmt: skip
        connection.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
    return user_id
