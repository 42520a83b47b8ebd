"""The application database: engines, Alembic migrations and the promotion log."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from configs.settings import Settings
from tasks.adapters.tables import model_promotions
from tasks.core.errors import ConfigError, DataSourceError, TransientSourceError
from tasks.core.redaction import mask_url

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, pool_size: int | None = None, pooled: bool = True) -> Engine:
    """The one engine factory: a short connect timeout (a server that is down fails fast),
    connections checked before use; `pool_size` for a service shared by threads, `pooled`
    False for a one-off read (no connection kept)."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"database URL is not valid: {exc}") from exc
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {"pool_pre_ping": True}
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if pool_size is not None:
            connect_args["check_same_thread"] = False
    elif backend in ("postgresql", "mysql", "mariadb"):
        connect_args["connect_timeout"] = 5
    if pool_size is not None:
        options |= {"pool_size": pool_size, "max_overflow": pool_size, "pool_timeout": 10}
    if not pooled:
        options = {"poolclass": sa.pool.NullPool}
    return sa.create_engine(parsed, connect_args=connect_args, **options)


MAX_ID = 2**31 - 1  # the largest id an Integer id column holds on every supported database


def probe_database(url: str) -> str | None:
    """None when the database at `url` exists and answers a query, else why not (a check:
    a SQLite file that does not exist is not created)."""
    where = mask_url(url)
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return f"the database URL {where} is not a SQLAlchemy URL"
    name = parsed.database or ""
    on_disk = parsed.get_backend_name() == "sqlite" and name not in ("", ":memory:")
    if on_disk and not Path(name).is_file():
        return f"the database file of {where} does not exist"
    try:
        engine = make_engine(url, pooled=False)
    except (ConfigError, ImportError) as exc:
        return f"the database {where}: {exc}"
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        if f'database "{name}" does not exist' in reason:
            return f"the database {where} does not exist (`retainai stack up` creates it)"
        return f"the database {where} does not answer: {reason}"
    finally:
        engine.dispose()
    return None


def storable_id(value: int) -> bool:
    """Whether `value` can be the id of a stored row: any other id finds nothing (and SQLite
    raises OverflowError on an integer beyond 64 bits instead of finding nothing)."""
    return 1 <= value <= MAX_ID


def row_dict(row: Any) -> dict[str, Any]:
    """A result row as a plain dict: str keys (orjson refuses str subclasses), and UTC on
    the naive timestamps SQLite hands back (every timestamp is stored in UTC)."""
    return {
        str(key): value.replace(tzinfo=UTC) if _naive(value) else value
        for key, value in row._mapping.items()
    }


def _naive(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is None


_ENGINES: dict[tuple[int, str], Engine] = {}
_ENGINES_LOCK = threading.Lock()
SHARED_POOL_SIZE = 5


def engine_for(settings: Settings, pool_size: int | None = None) -> Engine:
    """The process's one engine on the application database, made on first use and shared by
    its threads (a forked process makes its own); `pool_size` applies to the first use."""
    url = settings.resolved_database_url
    key = (os.getpid(), url)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = make_engine(url, pool_size=pool_size or SHARED_POOL_SIZE)
            _ENGINES[key] = engine
    return engine


def dispose_engines() -> None:
    """Close every pooled connection of this process's engines (at shutdown, or before a
    database is dropped); the engines stay usable and reconnect on their next use."""
    with _ENGINES_LOCK:
        for (pid, _), engine in _ENGINES.items():
            if pid == os.getpid():
                engine.dispose()


@contextlib.contextmanager
def connected(settings: Settings) -> Iterator[Engine]:
    """The process's engine on the application database for the length of a block."""
    yield engine_for(settings)


def _alembic_config(connection: sa.Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` in one transaction."""
    from alembic import command

    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except sa.exc.OperationalError as exc:
        raise DataSourceError(f"database {_label(engine)} is unreachable: {exc.orig}") from exc


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def ensure_schema(engine: Engine, embedded: bool, attempts: int = 3) -> None:
    """Upgrade the embedded SQLite database in place; ask for `db upgrade` anywhere else.

    A server that does not answer is retried `attempts` times with backoff, then reported."""
    for attempt in range(1, attempts + 1):
        try:
            current = current_revision(engine)
            break
        except sa.exc.OperationalError as exc:
            if attempt == attempts:
                raise TransientSourceError(
                    f"database {_label(engine)} is unreachable after {attempts} attempts: "
                    f"{str(exc.orig).strip().splitlines()[0]}"
                ) from exc
            time.sleep(0.5 * 2**attempt)
    if current == head_revision():
        return
    if embedded:
        upgrade(engine)
        return
    raise ConfigError(
        f"database {_label(engine)} is at revision {current or 'none'}, "
        f"expected {head_revision()}: run `retainai db upgrade`"
    )


def _label(engine: Engine) -> str:
    return mask_url(engine.url.render_as_string(hide_password=True))


def record_promotion(engine: Engine, **row: Any) -> None:
    """Append one entry to the promotion log."""
    row.setdefault("created_at", datetime.now(UTC))
    with engine.begin() as connection:
        connection.execute(model_promotions.insert().values(**row))


def promotion_history(engine: Engine, model_name: str) -> list[dict[str, Any]]:
    """The promotion log of one registered model, oldest first."""
    query = (
        sa.select(model_promotions)
        .where(model_promotions.c.model_name == model_name)
        .order_by(model_promotions.c.created_at, model_promotions.c.id)
    )
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def upsert(engine: Engine, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert or replace one row by its primary key (PostgreSQL and SQLite)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**key, **values)
    statement = statement.on_conflict_do_update(
        index_elements=list(key), set_={k: statement.excluded[k] for k in values}
    )
    with engine.begin() as connection:
        connection.execute(statement)
