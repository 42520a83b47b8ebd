"""Administration for the command line: database schema, expectation suites, API tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db, tokens
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
