"""What people do with their accounts, as plain functions for the CLI and the web app: create
users, log in and out, change or reset a password, manage roles.

A login is refused with one message whatever was wrong (unknown email, wrong password,
inactive account), after the same work: one Argon2 verification. Failed password checks
(logins and the profile's current password) are kept in the database, so every worker
shares them, and make the next check wait (tasks/core/throttle.py): per account and
address, per account, per address. A success clears the account's failures from that
address; a password reset or `retainai users unlock` clears them all. A session id is random
and rotated at every login (never taken from the request); only its digest is stored. A
reset token is emailed (at most `reset_mails_per_hour` per account), valid once and for
`reset_token_minutes`; using it ends every session and every other reset link of the user."""

from __future__ import annotations

import logging
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
    hash_password,
    new_password,
    new_secret,
    normal_email,
    verify_password,
)
from tasks.core.errors import (
    ConfigError,
    ConflictError,
    LoginRefusedError,
    NotFoundError,
    TooManyAttemptsError,
)
from tasks.core.throttle import Limit, LoginLimits, in_words, login_wait

log = logging.getLogger("retainai.accounts")
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
    TooManyAttemptsError while recent failures ask to wait).
    Without `start_session` only the user is returned (an API login's token is made apart)."""
    now, email, address = _now(), (email or "").strip().lower()[:320], address[:64]
    _admit_check(engine, settings, email, address, now)
    user = store.user_by_email(engine, email)
    known = user is not None and user["active"]
    matches, rehashed = verify_password(password, user["password_hash"] if known else None)
    if not matches:
        raise LoginRefusedError(REFUSED)
    store.clear_failures(engine, email, address)
    store.record_attempt(engine, email, address, True, now)
    if rehashed:
        store.update_user(engine, user["id"], password_hash=rehashed)
    public = {k: user[k] for k in store.PUBLIC_COLUMNS}
    if not start_session:
        return Session(public, "", "")
    session_id, csrf = new_secret(), new_secret()
    store.start_session(engine, user["id"], digest(session_id), csrf, now, address)
    return Session(public, session_id, csrf)


def _limits(settings: Settings) -> LoginLimits:
    longest, first = settings.login_max_delay_minutes * 60, settings.login_delay_seconds
    return LoginLimits(
        pair=Limit(settings.login_free_failures, first, longest),
        account=Limit(settings.login_max_failures, first, settings.login_account_max_delay_seconds),
        address=Limit(settings.login_max_failures_per_address, first, longest),
    )


def _admit_check(
    engine: Engine, settings: Settings, email: str, address: str, now: datetime
) -> None:
    """Raise TooManyAttemptsError (with the exact wait) while recent failures ask to wait;
    else record this check as failed before the password is verified, so guesses sent in
    parallel count at once (a success then clears it). Logins and password changes share it."""
    since = now - timedelta(minutes=settings.login_window_minutes)
    known_since = now - timedelta(days=settings.login_known_address_days)
    history = store.login_history(engine, email, address, since, known_since)
    wait = login_wait(*history, now, _limits(settings))
    if wait > 0:
        raise TooManyAttemptsError(f"too many wrong passwords: try again in {in_words(wait)}", wait)
    store.record_attempt(engine, email, address, False, now)


def unlock(engine: Engine, email: str) -> int:
    """Forget every failed login of the account, from every address (the number forgotten)."""
    email = normal_email(email)
    if store.user_by_email(engine, email) is None:
        raise NotFoundError(f"no user {email!r}")
    return store.clear_failures(engine, email)


def current(engine: Engine, settings: Settings, session_id: str | None) -> Session | None:
    """The live session behind a cookie's id, or None (unknown, ended or timed out)."""
    if not session_id or len(session_id) > 100:
        return None
    found = store.session_user(
        engine,
        digest(session_id),
        _now(),
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_absolute_hours),
    )
    return None if found is None else Session(found[0], session_id, found[1]["csrf_token"])


def logout(engine: Engine, session_id: str) -> None:
    store.end_session(engine, digest(session_id))


def change_password(
    engine: Engine, settings: Settings, session: Session, old: str, new: str, address: str
) -> None:
    """Set a new password after checking the current one (throttled like a login); the
    user's other sessions end."""
    user = store.user_by_id(engine, session.user["id"])
    if user is None:
        raise ConfigError("the current password is wrong")
    now, address = _now(), address[:64]
    _admit_check(engine, settings, user["email"], address, now)
    if not verify_password(old, user["password_hash"])[0]:
        raise ConfigError("the current password is wrong")
    store.clear_failures(engine, user["email"], address)
    check_password(new, user["email"])
    store.update_user(
        engine, user["id"], password_hash=hash_password(new), password_changed_at=_now()
    )
    store.end_sessions(engine, user["id"], keep=digest(session.session_id))


def request_reset(engine: Engine, settings: Settings, email: str) -> tuple[str, str] | None:
    """(address, token) to email when the account exists, is active and has had fewer than
    `reset_mails_per_hour` links in the last hour, else None (the caller answers the same
    either way)."""
    try:
        email = normal_email(email)
    except ConfigError:
        return None
    user = store.user_by_email(engine, email)
    if user is None or not user["active"]:
        return None
    now = _now()
    sent = store.resets_since(engine, user["id"], now - timedelta(hours=1))
    if sent >= settings.reset_mails_per_hour:
        log.warning("no reset link for user %s: %s sent in the last hour", user["id"], sent)
        return None
    token = new_secret()
    expires = now + timedelta(minutes=settings.reset_token_minutes)
    store.create_reset(engine, digest(token), user["id"], now, expires)
    return user["email"], token


def reset_password(engine: Engine, token: str, new: str) -> None:
    """Set the password of the token's user once, under the same rule as every password;
    every session and every other reset link of the user ends, their failed logins too."""
    user = None
    if token and len(token) <= 100:
        user = store.reset_user(engine, digest(token), _now())
    if user is None:
        raise ConfigError("this reset link is used, expired or unknown: ask for a new one")
    check_password(new, user["email"])
    if store.use_reset(engine, digest(token), _now(), hash_password(new)) is None:
        raise ConfigError("this reset link is used, expired or unknown: ask for a new one")


def set_role(engine: Engine, user_id: int, role: str, active: bool = True) -> None:
    """Change a user's role or deactivate them; the last active admin stays an admin (checked
    and changed in one transaction). The user's login tokens are revoked by any change; a
    deactivation also ends the user's sessions."""
    found = store.set_role(engine, user_id, check_role(role), active, _now())
    if found is None:
        raise NotFoundError(f"no user {user_id}")
    if not found:
        raise ConflictError("the last active admin cannot be demoted or deactivated")
