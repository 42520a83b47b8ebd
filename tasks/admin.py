"""Administration for the command line: database schema and expectation suites (users and
API tokens: tasks/services/accounts)."""

from __future__ import annotations

from pathlib import Path

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import db
from tasks.adapters.expectations import write_suites
from tasks.validate import EXPECTATIONS


def upgrade_database(settings: Settings, revision: str = "head") -> str:
    """Apply the application database migrations; returns the revision reached."""
    with db.connected(settings) as engine:
        db.upgrade(engine, revision)
        return db.current_revision(engine) or "none"


def write_expectation_suites(config: RunConfig) -> list[Path]:
    """(Re)write the training and scoring suites of a config into expectations/."""
    return write_suites(config, EXPECTATIONS)
