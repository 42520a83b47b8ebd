"""The dashboard's users: create, register, list, change a role or deactivate, unlock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tasks import i18n
from tasks.adapters import db
from tasks.adapters import users as store
from tasks.core.credentials import (
    check_password,
    check_role,
    hash_password,
    new_password,
    normal_email,
)
from tasks.core.errors import ConflictError, InvalidInputError, NotFoundError
from tasks.i18n import N_
from tasks.services.accounts.commands import (
    CreatedUser,
    LanguageChoice,
    NewUser,
    Registration,
    RoleChange,
)
from tasks.services.context import Context

REGISTRATION_OFF = N_("registration is off")


def now() -> datetime:
    return datetime.now(UTC)


def ensure_store(ctx: Context) -> None:
    """The application database at the current schema (the embedded SQLite one is upgraded in
    place; a server database asks for `retainai db upgrade`): for the command line, whose
    commands may run before the server ever started."""
    db.ensure_schema(ctx.engine, embedded=ctx.settings.database_url is None)


def create_user(ctx: Context, new: NewUser) -> CreatedUser:
    """A new active user; without a password one is generated and returned (shown once)."""
    email, role = normal_email(new.email), check_role(new.role)
    password, shown = new.password, None
    if password is None:
        password = shown = new_password()
    check_password(password, email)
    return CreatedUser(
        store.create_user(ctx.engine, email, hash_password(password), role, now()), shown
    )


def registration_open(ctx: Context) -> bool:
    return ctx.settings.self_registration


def register(ctx: Context, asked: Registration) -> dict[str, Any]:
    """A new viewer account, when self-registration is on (else NotFoundError)."""
    if not registration_open(ctx):
        raise NotFoundError(REGISTRATION_OFF)
    return create_user(ctx, NewUser(asked.email, "viewer", asked.password)).user


def list_users(ctx: Context) -> list[dict[str, Any]]:
    """Every user's id, email, role, state and dates (never a password hash)."""
    return store.list_users(ctx.engine)


def set_role(ctx: Context, change: RoleChange) -> None:
    """Change a user's role or deactivate them; the last active admin stays an admin (checked
    and changed in one transaction). The user's login tokens are revoked by any change; a
    deactivation also ends the user's sessions."""
    found = store.set_role(
        ctx.engine, change.user_id, check_role(change.role), change.active, now()
    )
    if found is None:
        raise NotFoundError(N_("no user %(id)s"), id=change.user_id)
    if not found:
        raise ConflictError(N_("the last active admin cannot be demoted or deactivated"))


def unlock(ctx: Context, email: str) -> int:
    """Forget every failed login of the account, from every address (the number forgotten)."""
    email = normal_email(email)
    if store.user_by_email(ctx.engine, email) is None:
        raise NotFoundError(N_("no user %(email)r"), email=email)
    return store.clear_failures(ctx.engine, email)


def set_language(ctx: Context, choice: LanguageChoice) -> str | None:
    """Set the user's language (None: the deployment's default, then the browser's); the
    language stored is returned. Setting the same one again changes nothing."""
    language = choice.language or None
    if language is not None and language not in i18n.LANGUAGES:
        raise InvalidInputError(
            N_("language: one of %(languages)s, or none for the default"),
            languages=", ".join(i18n.LANGUAGES),
        )
    if not store.update_user(ctx.engine, choice.user_id, language=language):
        raise NotFoundError(N_("no user %(id)s"), id=choice.user_id)
    return language
