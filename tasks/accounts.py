"""What people do with their accounts, as plain functions for the CLI and the web app: create
users, log in and out, change or reset a password, manage roles.

A login is refused with one message whatever was wrong (unknown email, wrong password,
inactive account), after the same hashing work. Failed logins are counted in the database
over `login_window_minutes`, per account and per client address, so every worker shares the
limit. A session id is random and rotated at every login (never taken from the request);
only its digest is stored. A reset token is emailed, valid once and for
`reset_token_minutes`, and using it ends every session of the user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from configs.settings import Settings
from tasks.adapters import users as store
from tasks.core.credentials import (
    check_password,
    check_role,
    digest,
    dummy_verify,
    hash_password,
    new_password,
    new_secret,
    normal_email,
    verify_password,
)
from tasks.core.errors import ConfigError, LoginRefusedError, TooManyAttemptsError

REFUSED = "wrong email or password"


@dataclass(frozen=True)
class Session:
    """A logged-in user: `session_id` goes into the cookie, `csrf_token` into every form."""

    user: dict[str, Any]
    session_id: str
    csrf_token: str


def _now() -> datetime:
    return datetime.now(UTC)


def create_user(
    engine: Engine, email: str, role: str, password: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """A new active user; without a password one is generated and returned (shown once)."""
    email, role = normal_email(email), check_role(role)
    shown = None
    if password is None:
        password = shown = new_password()
    check_password(password, email)
    return store.create_user(engine, email, hash_password(password), role, _now()), shown


def login(
    engine: Engine,
    settings: Settings,
    email: str,
    password: str,
    address: str,
    start_session: bool = True,
) -> Session:
    """A new session for the right email and password, else LoginRefusedError (or
    TooManyAttemptsError while the account or the address has too many recent failures).
    Without `start_session` only the user is returned (an API login's token is made apart)."""
    now, window = _now(), timedelta(minutes=settings.login_window_minutes)
    email = (email or "").strip().lower()[:320]
    by_email, by_address = store.failures_since(engine, email, address, now - window)
    if by_email >= settings.login_max_failures or (
        by_address >= settings.login_max_failures_per_address
    ):
        raise TooManyAttemptsError("too many failed logins: try again later",
                                   int(window.total_seconds()))  # fmt: skip
    user = store.user_by_email(engine, email)
    if user is None or not user["active"]:
        dummy_verify(password)
        store.record_attempt(engine, email, address, False, now)
        raise LoginRefusedError(REFUSED)
    matches, rehashed = verify_password(password, user["password_hash"])
    store.record_attempt(engine, email, address, matches, now)
    if not matches:
        raise LoginRefusedError(REFUSED)
    if rehashed:
        store.update_user(engine, user["id"], password_hash=rehashed)
    public = {k: user[k] for k in store.PUBLIC_COLUMNS}
    if not start_session:
        return Session(public, "", "")
    session_id, csrf = new_secret(), new_secret()
    store.start_session(engine, user["id"], digest(session_id), csrf, now, address)
    return Session(public, session_id, csrf)


def current(engine: Engine, settings: Settings, session_id: str | None) -> Session | None:
    """The live session behind a cookie's id, or None (unknown, ended or timed out)."""
    if not session_id or len(session_id) > 100:
        return None
    found = store.session_user(
        engine, digest(session_id), _now(),
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_absolute_hours),
    )  # fmt: skip
    return None if found is None else Session(found[0], session_id, found[1]["csrf_token"])


def logout(engine: Engine, session_id: str) -> None:
    store.end_session(engine, digest(session_id))


def change_password(engine: Engine, session: Session, old: str, new: str) -> None:
    """Set a new password after checking the current one; the user's other sessions end."""
    user = store.user_by_id(engine, session.user["id"])
    if user is None or not verify_password(old, user["password_hash"])[0]:
        raise ConfigError("the current password is wrong")
    check_password(new, user["email"])
    store.update_user(engine, user["id"], password_hash=hash_password(new),
                      password_changed_at=_now())  # fmt: skip
    store.end_sessions(engine, user["id"], keep=digest(session.session_id))


def request_reset(engine: Engine, settings: Settings, email: str) -> tuple[str, str] | None:
    """(address, token) to email when the account exists and is active, else None (the
    caller answers the same either way)."""
    try:
        email = normal_email(email)
    except ConfigError:
        return None
    user = store.user_by_email(engine, email)
    if user is None or not user["active"]:
        return None
    token, now = new_secret(), _now()
    expires = now + timedelta(minutes=settings.reset_token_minutes)
    store.create_reset(engine, digest(token), user["id"], now, expires)
    return user["email"], token


def reset_password(engine: Engine, token: str, new: str) -> None:
    """Set the password of the token's user once; every session of the user ends."""
    check_password(new)
    if not token or len(token) > 100:
        raise ConfigError("this reset link is not valid: ask for a new one")
    if store.use_reset(engine, digest(token), _now(), hash_password(new)) is None:
        raise ConfigError("this reset link is used, expired or unknown: ask for a new one")


def set_role(engine: Engine, user_id: int, role: str, active: bool = True) -> None:
    """Change a user's role or deactivate them; the last active admin stays an admin (checked
    and changed in one transaction). The user's login tokens are revoked by any change; a
    deactivation also ends the user's sessions."""
    found = store.set_role(engine, user_id, check_role(role), active, _now())
    if found is None:
        raise ConfigError(f"no user {user_id}")
    if not found:
        raise ConfigError("the last active admin cannot be demoted or deactivated")
