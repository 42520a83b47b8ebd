"""The users store: accounts, sessions, login attempts and reset tokens (see user_tables.py).

Only digests of secrets reach this module. A session is ended by deleting its row, so a
logout or a password reset takes effect in every worker at once; so does login throttling,
counted from the attempts table (a failure is forgotten by deleting its row). Ending a user's
sessions also revokes the user's login tokens (the API's sessions), in the same transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict, storable_id
from tasks.adapters.tokens import revoke_logins
from tasks.adapters.user_tables import login_attempts, password_resets, user_sessions, users
from tasks.core.errors import ConflictError
from tasks.core.throttle import Failures
from tasks.i18n import N_

PUBLIC_COLUMNS = (
    "id",
    "email",
    "role",
    "active",
    "created_at",
    "password_changed_at",
    "language",
)
TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def create_user(engine: Engine, email: str, password_hash: str, role: str, now: datetime):
    row = {
        "email": email,
        "password_hash": password_hash,
        "role": role,
        "active": True,
        "created_at": now,
        "password_changed_at": now,
    }
    try:
        with engine.begin() as connection:
            new_id = connection.execute(users.insert().values(**row)).inserted_primary_key[0]
    except sa.exc.IntegrityError:
        raise ConflictError(N_("a user %(email)r already exists"), email=email) from None
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


def set_role(engine: Engine, user_id: int, role: str, active: bool, now: datetime) -> bool | None:
    """Give the user `role` and `active`, unless that leaves no active admin: False then, None
    without such a user. One transaction: the active admins' rows are locked first (on
    PostgreSQL two demotions wait for each other), and the update itself matches only while
    another active admin remains. A change revokes the user's login tokens; a deactivation
    also ends the user's sessions."""
    if not storable_id(user_id):
        return None
    is_admin = (users.c.role == "admin") & users.c.active.is_(True)
    other = users.alias("other")
    others = (
        sa.select(sa.func.count())
        .where(other.c.role == "admin", other.c.active.is_(True), other.c.id != user_id)
        .scalar_subquery()
    )
    update = users.update().where(users.c.id == user_id).values(role=role, active=active)
    if role != "admin" or not active:
        update = update.where(sa.or_(sa.not_(is_admin), others > 0))
    with engine.begin() as connection:
        locked = sa.select(users.c.id).where(is_admin).order_by(users.c.id).with_for_update()
        connection.execute(locked).all()
        before = connection.execute(
            sa.select(users.c.role, users.c.active).where(users.c.id == user_id)
        ).first()
        if before is None:
            return None
        if connection.execute(update).rowcount == 0:
            return False
        if (before.role, before.active) != (role, active):
            connection.execute(revoke_logins(user_id, now))
        if not active:
            connection.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
    return True


def start_session(
    engine: Engine, user_id: int, id_hash: str, csrf: str, now: datetime, address: str | None
) -> None:
    row = {
        "id_hash": id_hash,
        "user_id": user_id,
        "csrf_token": csrf,
        "created_at": now,
        "last_seen_at": now,
        "address": (address or "")[:64],
    }
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
            connection.execute(
                user_sessions.update()
                .where(user_sessions.c.id_hash == id_hash)
                .values(last_seen_at=now)
            )
    user = {"id": found["user_id"], **{c: found[c] for c in PUBLIC_COLUMNS if c != "id"}}
    return user, {"csrf_token": found["csrf_token"], "created_at": created}


def _aware(moment: datetime, now: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written in UTC."""
    return moment.replace(tzinfo=now.tzinfo) if moment.tzinfo is None else moment


def end_session(engine: Engine, id_hash: str) -> None:
    with engine.begin() as connection:
        connection.execute(user_sessions.delete().where(user_sessions.c.id_hash == id_hash))


def end_sessions(engine: Engine, user_id: int, keep: str | None = None) -> int:
    """End every session of the user (but `keep`, the digest of the one in use) and revoke
    every login token of the user."""
    statement = user_sessions.delete().where(user_sessions.c.user_id == user_id)
    if keep is not None:
        statement = statement.where(user_sessions.c.id_hash != keep)
    with engine.begin() as connection:
        connection.execute(revoke_logins(user_id, datetime.now(UTC)))
        return connection.execute(statement).rowcount


def record_attempt(
    engine: Engine, email: str, address: str, succeeded: bool, now: datetime
) -> None:
    row = {"email": email[:320], "address": address[:64], "succeeded": succeeded, "at": now}
    with engine.begin() as connection:
        connection.execute(login_attempts.insert().values(**row))


def forget_attempts_before(engine: Engine, email: str, address: str, before: datetime) -> int:
    """Forget the attempts of this email and from this address older than `before` (no rule
    reads them any more), so the table stays as large as the rules' windows."""
    table = login_attempts
    statement = table.delete().where(
        (table.c.email == email) | (table.c.address == address), table.c.at < before
    )
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def login_history(
    engine: Engine, email: str, address: str, since: datetime, known_since: datetime
) -> tuple[Failures, Failures, Failures, bool]:
    """Failed logins since `since` of this email from this address, of this email and from
    this address; and whether this email logged in from this address since `known_since`."""
    table = login_attempts
    failed = table.c.succeeded.is_(False) & (table.c.at >= since)
    scopes = (
        (table.c.email == email) & (table.c.address == address),
        table.c.email == email,
        table.c.address == address,
    )
    known = sa.select(sa.func.count()).where(
        table.c.succeeded.is_(True),
        table.c.email == email,
        table.c.address == address,
        table.c.at >= known_since,
    )
    with engine.connect() as connection:
        found = []
        for scope in scopes:
            query = sa.select(sa.func.count(), sa.func.max(table.c.at)).where(failed, scope)
            count, latest = connection.execute(query).one()
            found.append(Failures(int(count), None if latest is None else _aware(latest, since)))
        seen = connection.execute(known).scalar_one() > 0
    return found[0], found[1], found[2], seen


def clear_failures(engine: Engine, email: str, address: str | None = None) -> int:
    """Forget the failed logins of this email (only those from `address` when given)."""
    table = login_attempts
    statement = table.delete().where(table.c.email == email, table.c.succeeded.is_(False))
    if address is not None:
        statement = statement.where(table.c.address == address)
    with engine.begin() as connection:
        return connection.execute(statement).rowcount


def create_reset(
    engine: Engine, token_hash: str, user_id: int, now: datetime, expires: datetime
) -> None:
    row = {"token_hash": token_hash, "user_id": user_id, "created_at": now, "expires_at": expires}
    with engine.begin() as connection:
        connection.execute(password_resets.insert().values(**row))


def resets_since(engine: Engine, user_id: int, since: datetime) -> int:
    """Reset links made for the user since `since` (used or not)."""
    table = password_resets
    query = sa.select(sa.func.count()).where(
        table.c.user_id == user_id, table.c.created_at >= since
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def reset_user(engine: Engine, token_hash: str, now: datetime) -> dict[str, Any] | None:
    """The active user of a reset token that is unused and unexpired, else None."""
    table = password_resets
    query = (
        sa.select(users)
        .join(table, table.c.user_id == users.c.id)
        .where(
            table.c.token_hash == token_hash, table.c.used_at.is_(None), table.c.expires_at > now
        )
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None or not row.active else row_dict(row)


def use_reset(engine: Engine, token_hash: str, now: datetime, password_hash: str) -> int | None:
    """Spend a reset token once, before it expires: the user's password is set, every
    session of the user ends, the user's login tokens are revoked, the user's other reset links
    end and their failed logins are forgotten, in one transaction. Returns the user id, else
    None."""
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
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, password_changed_at=now)
        )
        connection.execute(user_sessions.delete().where(user_sessions.c.user_id == user_id))
        connection.execute(revoke_logins(user_id, now))
        connection.execute(
            table.update()
            .where(table.c.user_id == user_id, table.c.used_at.is_(None))
            .values(used_at=now)
        )
        email = sa.select(users.c.email).where(users.c.id == user_id).scalar_subquery()
        connection.execute(
            login_attempts.delete().where(
                login_attempts.c.email == email, login_attempts.c.succeeded.is_(False)
            )
        )
    return user_id
