"""Read customer tables from files, S3, SQL databases and paginated JSON APIs into DataFrames.

Values per source kind:
- CSV (path, file://, s3://): all text; blanks stay exactly as in the file, nothing stripped.
- Parquet: the file's own types.
- PostgreSQL table (COPY ... CSV): all text; NULL -> NaN, "" stays "" (a literal `\\N` text
  value would also read as NaN). Columns where at most half the rows are distinct come as
  pandas `category` (the same text values, stored once), the others as object str.
- SQL query, or a table on other dialects (pandas.read_sql): driver types; NULL -> None/NaN.
  The query is run as written; `:name` is not a bind parameter.
- HTTP JSON records: all text like a CSV cell; null or absent -> "", nested values as JSON.

Failures that a later retry may fix (unreachable server or database, timeouts, HTTP/S3 5xx after
our own retries) raise TransientSourceError, a DataSourceError; everything else DataSourceError.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pyarrow as pa

from configs.settings import Settings
from tasks.adapters.source_files import probe_local, probe_s3, read_local, read_s3
from tasks.adapters.source_http import probe_http, read_http
from tasks.adapters.source_limits import ReadLimits
from tasks.adapters.source_sql import probe_sql, read_sql
from tasks.core import batches
from tasks.core.errors import DataSourceError
from tasks.core.redaction import SCHEME, mask_url


def read_source(
    source: str,
    *,
    table: str | None = None,
    query: str | None = None,
    settings: Settings,
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    """Read one customer table from a path, file://, s3://, SQLAlchemy or http(s) URL.

    An empty table or query counts as none: prefect.yaml renders an unset {{ $VAR }} as "".
    `limits` (files only: local and s3://) refuses a file past them while it is read."""
    table, query = table or None, query or None
    label = describe_source(source, table, query)
    match = SCHEME.match(source)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("", "file", "s3", "http", "https") and (table, query) != (None, None):
        raise DataSourceError(f"{label}: table/query only apply to SQL database URLs")
    if scheme in ("", "file"):
        path = Path(unquote(urlsplit(source).path)) if scheme else Path(source).expanduser()
        return read_local(path, label, limits)
    if scheme == "s3":
        return read_s3(source, label, settings, limits)
    if scheme in ("http", "https"):
        return read_http(source, label, settings)
    return read_sql(source, table, query, label)


def probe_source(
    source: str, table: str | None, settings: Settings, seconds: float, base: Path
) -> None:
    """DataSourceError unless `source` can be read, found without reading it: a file that
    exists (a relative path from `base`, where runs start), an S3 object that answers a HEAD,
    an http(s) page that answers, a database that answers and holds `table`. Each request
    waits `seconds` at most."""
    table = table or None
    label = describe_source(source, table)
    match = SCHEME.match(source)
    scheme = match.group(1).lower() if match else ""
    if scheme in ("", "file"):
        path = Path(unquote(urlsplit(source).path)) if scheme else Path(source).expanduser()
        if not path.is_absolute():
            path, label = base / path, f"{label} (in {base})"
        return probe_local(path, label)
    if table is not None and scheme in ("s3", "http", "https"):
        raise DataSourceError(f"{label}: a table only applies to a SQL database URL")
    if scheme == "s3":
        return probe_s3(source, label, settings, seconds)
    if scheme in ("http", "https"):
        return probe_http(source, label, settings, seconds)
    if table is None:
        raise DataSourceError(f"{label}: a database URL needs a table and none is set")
    return probe_sql(source, table, label)


def read_table(
    source: str,
    *,
    table: str | None = None,
    query: str | None = None,
    settings: Settings,
    categorical: frozenset[str] = frozenset(),
) -> pa.Table:
    """The customer table as a compact Arrow table (`categorical` columns dictionary-encoded):
    what scoring streams through in chunks. PostgreSQL tables go from COPY to Arrow directly;
    other sources are read as `read_source` reads them, then made compact."""
    table, query = table or None, query or None
    match = SCHEME.match(source)
    scheme = match.group(1).lower() if match else ""
    if scheme not in ("", "file", "s3", "http", "https"):
        label = describe_source(source, table, query)
        return read_sql(source, table, query, label, categorical=categorical)
    return batches.from_frame(read_source(source, table=table, query=query, settings=settings))


def describe_source(source: str, table: str | None = None, query: str | None = None) -> str:
    """A credential-free label for logs and MLflow: passwords and secret URL parameters masked."""
    table, query = table or None, query or None
    label = mask_url(source) if SCHEME.match(source) else source
    if table is not None:
        label += f" (table {table})"
    if query is not None:
        short = " ".join(query.split())
        label += f" (query {short[:60] + '...' if len(short) > 60 else short})"
    return label
