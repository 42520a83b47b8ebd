"""Logging in and out: dashboard sessions, an API login's short-lived token, the password
change of a logged-in user.

A login is refused with one message whatever was wrong (unknown email, wrong password,
inactive account), after the same work: one Argon2 verification. Failed password checks
(logins and the profile's current password) are kept in the database, so every worker
shares them, and make the next check wait (tasks/core/throttle.py): per account and
address, per account, per address. A success clears the account's failures from that
address; a password reset or `retainai users unlock` clears them all. A session id is random
and rotated at every login (never taken from the request); only its digest is stored."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from configs.settings import Settings
from tasks.adapters import tokens
from tasks.adapters import users as store
from tasks.core.credentials import (
    Principal,
    check_password,
    digest,
    hash_password,
    new_secret,
    verify_password,
)
from tasks.core.errors import (
    ConflictError,
    InvalidInputError,
    LoginRefusedError,
    TooManyAttemptsError,
)
from tasks.core.throttle import Limit, LoginLimits, login_wait
from tasks.i18n import N_
from tasks.services.accounts.commands import LoginAttempt, LoginToken, PasswordChange, Session
from tasks.services.accounts.users import now
from tasks.services.context import Context

REFUSED = N_("wrong email or password")
WRONG_CURRENT = N_("the current password is wrong")
WAITS = {  # (unit, one) -> the message; `in_words` of tasks/core/throttle.py, translatable
    ("second", True): N_("too many wrong passwords: try again in %(n)s second"),
    ("second", False): N_("too many wrong passwords: try again in %(n)s seconds"),
    ("minute", True): N_("too many wrong passwords: try again in %(n)s minute"),
    ("minute", False): N_("too many wrong passwords: try again in %(n)s minutes"),
}


def login(ctx: Context, attempt: LoginAttempt) -> Session:
    """A new session for the right email and password, else LoginRefusedError (or
    TooManyAttemptsError while recent failures ask to wait). Without `start_session` only the
    user is returned, with no session id."""
    engine, at = ctx.engine, now()
    email, address = (attempt.email or "").strip().lower()[:320], attempt.address[:64]
    _admit_check(ctx, email, address, at)
    user = store.user_by_email(engine, email)
    known = user is not None and user["active"]
    matches, rehashed = verify_password(attempt.password, user["password_hash"] if known else None)
    if not matches:
        raise LoginRefusedError(REFUSED)
    store.clear_failures(engine, email, address)
    store.record_attempt(engine, email, address, True, at)
    if rehashed:
        store.update_user(engine, user["id"], password_hash=rehashed)
    public = {k: user[k] for k in store.PUBLIC_COLUMNS}
    if not attempt.start_session:
        return Session(public, "", "")
    session_id, csrf = new_secret(), new_secret()
    store.start_session(engine, user["id"], digest(session_id), csrf, at, address)
    return Session(public, session_id, csrf)


def _limits(settings: Settings) -> LoginLimits:
    longest, first = settings.login_max_delay_minutes * 60, settings.login_delay_seconds
    return LoginLimits(
        pair=Limit(settings.login_free_failures, first, longest),
        account=Limit(settings.login_max_failures, first, settings.login_account_max_delay_seconds),
        address=Limit(settings.login_max_failures_per_address, first, longest),
    )


def _admit_check(ctx: Context, email: str, address: str, at: datetime) -> None:
    """Raise TooManyAttemptsError (with the exact wait) while recent failures ask to wait;
    else record this check as failed before the password is verified, so guesses sent in
    parallel count at once (a success then clears it). Logins and password changes share it."""
    settings = ctx.settings
    since = at - timedelta(minutes=settings.login_window_minutes)
    known_since = at - timedelta(days=settings.login_known_address_days)
    store.forget_attempts_before(ctx.engine, email, address, min(since, known_since))
    history = store.login_history(ctx.engine, email, address, since, known_since)
    wait = login_wait(*history, at, _limits(settings))
    if wait > 0:
        raise _too_many(wait)
    store.record_attempt(ctx.engine, email, address, False, at)


def _too_many(wait: int) -> TooManyAttemptsError:
    n, unit = (wait, "second") if wait < 60 else (math.ceil(wait / 60), "minute")
    return TooManyAttemptsError(WAITS[unit, n == 1], wait, n=n)


def login_token(ctx: Context, attempt: LoginAttempt) -> LoginToken:
    """An API login: the user's short-lived bearer token (acting with the user's current role,
    revoked when the user changes), after the same checks as a dashboard login."""
    user = login(ctx, LoginAttempt(attempt.email, attempt.password, attempt.address, False)).user
    minutes = ctx.settings.login_token_minutes
    expires = now() + timedelta(minutes=minutes)
    name = f"login-{user['id']}-{new_secret()[:12]}"
    token = tokens.create(ctx.engine, name, user["role"], expires_at=expires, user_id=user["id"])
    shown = {k: user[k] for k in ("id", "email", "role")}
    return LoginToken(token, minutes * 60, shown)


def end_login(ctx: Context, caller: Principal) -> None:
    """The API logout: the login's token is revoked (an API token is revoked apart)."""
    if not caller.is_login:
        raise ConflictError(
            N_(
                "only a login's token ends with a logout: revoke API token %(name)r "
                "with DELETE /admin/tokens/{name}"
            ),
            name=caller.name,
        )
    tokens.revoke(ctx.engine, caller.name)


def current(ctx: Context, session_id: str | None) -> Session | None:
    """The live session behind a cookie's id, or None (unknown, ended or timed out)."""
    if not session_id or len(session_id) > 100:
        return None
    settings = ctx.settings
    found = store.session_user(
        ctx.engine,
        digest(session_id),
        now(),
        timedelta(minutes=settings.session_idle_minutes),
        timedelta(hours=settings.session_absolute_hours),
    )
    return None if found is None else Session(found[0], session_id, found[1]["csrf_token"])


def logout(ctx: Context, session_id: str) -> None:
    store.end_session(ctx.engine, digest(session_id))


def change_password(ctx: Context, change: PasswordChange) -> None:
    """Set a new password after checking the current one (throttled like a login); the
    user's other sessions and login tokens end."""
    engine = ctx.engine
    user = store.user_by_id(engine, change.session.user["id"])
    if user is None:
        raise InvalidInputError(WRONG_CURRENT)
    at, address = now(), change.address[:64]
    _admit_check(ctx, user["email"], address, at)
    if not verify_password(change.current, user["password_hash"])[0]:
        raise InvalidInputError(WRONG_CURRENT)
    store.clear_failures(engine, user["email"], address)
    check_password(change.new, user["email"])
    store.update_user(
        engine, user["id"], password_hash=hash_password(change.new), password_changed_at=now()
    )
    store.end_sessions(engine, user["id"], keep=digest(change.session.session_id))
