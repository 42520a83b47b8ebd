"""Administration for the command line: database schema and expectation suites (users and
API tokens: tasks/services/accounts)."""

from __future__ import annotations

from pathlib import Path

from configs.schema import RunConfig
from tasks.adapters import db
from tasks.adapters.expectations import write_suites
from tasks.services.context import Context
from tasks.services.data.validation import EXPECTATIONS


def upgrade_database(ctx: Context, revision: str = "head") -> str:
    """Apply the application database migrations; returns the revision reached."""
    db.upgrade(ctx.engine, revision)
    return db.current_revision(ctx.engine) or "none"


def write_expectation_suites(config: RunConfig) -> list[Path]:
    """(Re)write the training and scoring suites of a config into expectations/."""
    return write_suites(config, EXPECTATIONS)
