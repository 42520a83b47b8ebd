"""The stores every flow writes to: the application database schema and the MLflow experiment."""

from __future__ import annotations

from configs.settings import Settings
from tasks.adapters import db, registry


def ensure_database(settings: Settings) -> None:
    """The application database at the current schema (the embedded SQLite one is upgraded
    in place; a server database asks for `retainai db upgrade`)."""
    db.ensure_schema(db.engine_for(settings), embedded=settings.database_url is None)


def prepare_stores(settings: Settings) -> str:
    """Database schema and MLflow experiment; returns the experiment id."""
    ensure_database(settings)
    return registry.configure(settings)
