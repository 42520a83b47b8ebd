"""SQL databases: a table (PostgreSQL: exported with COPY and parsed by Arrow) or a query."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from tasks.adapters.source_errors import one_line
from tasks.core import batches
from tasks.core.errors import ConfigError, DataSourceError, TransientSourceError

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)")  # what sqlalchemy.text() would take as a bind


def read_sql(
    source: str,
    table: str | None,
    query: str | None,
    label: str,
    categorical: frozenset[str] | None = None,
) -> pd.DataFrame | pa.Table:
    """The table or query as a DataFrame; with `categorical` (a set, maybe empty) as a compact
    Arrow table with those columns dictionary-encoded."""
    import sqlalchemy as sa

    if (table is None) == (query is None):
        raise DataSourceError(f"{label}: give exactly one of table or query for a SQL database")
    if table is not None and not _IDENTIFIER.match(table):
        raise DataSourceError(f"{label}: invalid table name, expected name or schema.name")
    engine = _create_engine(source, label)
    try:
        try:
            conn = engine.connect()
        except sa.exc.DBAPIError as exc:
            reason = one_line(exc.orig)
            raise TransientSourceError(f"{label}: cannot connect: {reason}") from exc
        with conn:
            if query is not None:
                frame = pd.read_sql(sa.text(_BIND_LIKE.sub(r"\\:", query)), conn)
                return frame if categorical is None else batches.from_frame(frame)
            schema, _, name = table.rpartition(".")
            if not sa.inspect(conn).has_table(name, schema=schema or None):
                raise DataSourceError(f"{label}: table not found")
            stmt = sa.select(sa.text("*")).select_from(sa.table(name, schema=schema or None))
            if (engine.dialect.name, engine.driver) == ("postgresql", "psycopg"):
                data = _copy_postgres(conn, stmt, label, categorical or frozenset())
                return batches.to_frame(data) if categorical is None else data
            frame = pd.read_sql(stmt, conn)
            return frame if categorical is None else batches.from_frame(frame)
    except sa.exc.SQLAlchemyError as exc:
        reason = one_line(getattr(exc, "orig", None) or exc)
        raise DataSourceError(f"{label}: database read failed: {reason}") from exc
    finally:
        engine.dispose()


def probe_sql(source: str, table: str | None, label: str) -> None:
    """DataSourceError unless the database answers and holds `table` (when one is named)."""
    import sqlalchemy as sa

    if table is not None and not _IDENTIFIER.match(table):
        raise DataSourceError(f"{label}: invalid table name, expected name or schema.name")
    engine = _create_engine(source, label)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            schema, _, name = (table or "").rpartition(".")
            if table and not sa.inspect(conn).has_table(name, schema=schema or None):
                raise DataSourceError(f"{label}: table not found")
    except sa.exc.SQLAlchemyError as exc:
        reason = one_line(getattr(exc, "orig", None) or exc)
        raise TransientSourceError(f"{label}: cannot connect: {reason}") from exc
    finally:
        engine.dispose()


def _create_engine(source: str, label: str):
    import sqlalchemy as sa

    from tasks.adapters.db import make_engine

    try:
        url = sa.engine.make_url(source)
        on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        if on_disk and not Path(url.database).is_file():
            raise DataSourceError(f"{label}: database file not found")
        return make_engine(source, pooled=False)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ConfigError) as exc:
        raise DataSourceError(f"{label}: not a supported path or URL") from exc
    except ImportError as exc:
        raise DataSourceError(f"{label}: database driver {exc.name!r} is not installed") from exc


def _copy_postgres(conn, stmt, label: str, categorical: frozenset[str]) -> pa.Table:
    """Export a whole table with COPY (3-4x faster than read_sql) into a compact Arrow table:
    NULL is null, "" stays "", every value is text, as a CSV file reads.

    The COPY stream is spooled to a temporary file and parsed by Arrow (C++, in parallel);
    `categorical` columns are dictionary-encoded while parsing, other repetitive text
    columns right after (`batches.compact`), so memory follows the compact size."""
    import psycopg

    sql = str(stmt.compile(dialect=conn.dialect))  # identifiers validated, quoted by SQLAlchemy
    with tempfile.TemporaryFile(prefix="retainai-copy-") as spool:
        try:
            with conn.connection.driver_connection.cursor() as cursor:
                cursor.execute(f"SELECT * FROM ({sql}) AS copied LIMIT 0")
                names = [column.name for column in cursor.description]
                options = "FORMAT csv, NULL '\\N', ENCODING 'UTF8'"
                with cursor.copy(f"COPY ({sql}) TO STDOUT WITH ({options})") as copy:
                    for chunk in copy:
                        spool.write(chunk)
        except psycopg.Error as exc:
            raise DataSourceError(f"{label}: database read failed: {one_line(exc)}") from exc
        if spool.tell() == 0:
            return pa.table({name: pa.array([], pa.string()) for name in names})
        spool.seek(0)
        return batches.compact(parse_copy_csv(spool, names, categorical))


def parse_copy_csv(spool, names: list[str], categorical: frozenset[str]) -> pa.Table:
    """COPY's CSV (no header, NULL as \\N) as Arrow text columns, `categorical` ones
    dictionary-encoded while parsing."""
    from pyarrow import csv as arrow_csv

    text = pa.dictionary(pa.int32(), pa.string())
    return arrow_csv.read_csv(
        spool,
        read_options=arrow_csv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=arrow_csv.ParseOptions(newlines_in_values=True),
        convert_options=arrow_csv.ConvertOptions(
            column_types={name: text if name in categorical else pa.string() for name in names},
            null_values=["\\N"],  # NULL, and a quoted "\\N" too (read_csv's na_values did)
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
