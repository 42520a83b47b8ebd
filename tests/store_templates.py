"""One migrated MLflow store per test session, copied for every test that needs a fresh one.

MLflow makes a new SQLite tracking store by running its Alembic migrations, several seconds
each time, and many tests start from an empty state folder. The first store a session needs
is migrated for real by MLflow (once, shared by the xdist workers under a file lock) and kept
as a template; after that an empty SQLite database MLflow is about to initialize in this
process receives the template's pages instead (the SQLite backup API, so engines already open
on it see them), and a test that starts MLflow as a process seeds its store file with
`seed_mlflow_store`. Only the migrated, empty schema is copied: MLflow still creates the
default experiment and everything else in each store itself."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

_TEMPLATE_NAME = "mlflow-template.db"
_folder: Path | None = None


def mlflow_template() -> Path:
    """The migrated, empty MLflow SQLite store of this session (made on first use)."""
    assert _folder is not None, "mlflow_store_templates (tests/conftest.py) is not active"
    path = _folder / _TEMPLATE_NAME
    with (_folder / f"{_TEMPLATE_NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not path.exists():
            import sqlalchemy as sa

            partial = _folder / f"{_TEMPLATE_NAME}.partial"
            partial.unlink(missing_ok=True)
            engine = sa.create_engine(f"sqlite:///{partial}")
            try:
                _ORIGINAL[0](engine)
            finally:
                engine.dispose()
            partial.rename(path)
    return path


def seed_mlflow_store(path: Path) -> Path:
    """Put the session's migrated store at `path` (for an MLflow a test starts as a process)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mlflow_template(), path)
    return path


_ORIGINAL: list = []


def _initialize_tables(engine) -> None:
    """MLflow's table initialization, from the template for an empty SQLite file."""
    from mlflow.store.db.utils import _is_empty_database

    database = engine.url.database
    if engine.dialect.name != "sqlite" or database in (None, "", ":memory:"):
        return _ORIGINAL[0](engine)
    if not _is_empty_database(engine):
        return _ORIGINAL[0](engine)  # an older schema: MLflow's own upgrade
    with sqlite3.connect(mlflow_template()) as template:
        target = engine.raw_connection()
        try:
            template.backup(target.driver_connection)
        finally:
            target.close()
    template.close()


@contextlib.contextmanager
def fresh_stores_from_template(folder: Path) -> Iterator[None]:
    """While the block runs, fresh MLflow SQLite stores in this process start from the
    template kept in `folder`."""
    global _folder
    import mlflow.store.db.utils as utils
    import mlflow.store.model_registry.sqlalchemy_store as registry

    _folder = folder
    _ORIGINAL[:] = [utils._initialize_tables]
    patch = pytest.MonkeyPatch()
    patch.setattr(utils, "_initialize_tables", _initialize_tables)
    patch.setattr(registry, "_initialize_tables", _initialize_tables)
    try:
        yield
    finally:
        patch.undo()
        _folder = None
