"""Administration for the command line: database schema, expectation suites, API tokens,
dashboard users."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from configs.schema import RunConfig
from configs.settings import Settings
from tasks import accounts
from tasks.adapters import db, tokens
from tasks.adapters import users as user_store
from tasks.adapters.expectations import write_suites
from tasks.stores import ensure_database
from tasks.validate import EXPECTATIONS


def upgrade_database(settings: Settings, revision: str = "head") -> str:
    """Apply the application database migrations; returns the revision reached."""
    with db.connected(settings) as engine:
        db.upgrade(engine, revision)
        return db.current_revision(engine) or "none"


def write_expectation_suites(config: RunConfig) -> list[Path]:
    """(Re)write the training and scoring suites of a config into expectations/."""
    return write_suites(config, EXPECTATIONS)


def create_token(settings: Settings, name: str, role: str) -> str:
    """A new API token (returned once; only its digest is stored)."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        return tokens.create(engine, name, role)


def list_tokens(settings: Settings) -> list[dict[str, Any]]:
    ensure_database(settings)
    with db.connected(settings) as engine:
        return tokens.list_tokens(engine)


def revoke_token(settings: Settings, name: str) -> bool:
    ensure_database(settings)
    with db.connected(settings) as engine:
        return tokens.revoke(engine, name)


def create_user(
    settings: Settings, email: str, role: str, password: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """A dashboard user (see tasks/accounts.py); the generated password, if any."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        return accounts.create_user(engine, email, role, password)


def list_users(settings: Settings) -> list[dict[str, Any]]:
    ensure_database(settings)
    with db.connected(settings) as engine:
        return user_store.list_users(engine)


def set_user_role(settings: Settings, user_id: int, role: str, active: bool = True) -> None:
    ensure_database(settings)
    with db.connected(settings) as engine:
        accounts.set_role(engine, user_id, role, active)


def unlock_user(settings: Settings, email: str) -> int:
    """Forget the account's failed logins from every address (how many were forgotten)."""
    ensure_database(settings)
    with db.connected(settings) as engine:
        return accounts.unlock(engine, email)
