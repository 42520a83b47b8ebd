"""The score store: staging and the merge of staged rows (the open merge transaction:
`score_merge`; runs and their lock: `score_runs`).

A scoring run that replaces scores of its period writes each chunk to
`customer_scores_staging` (idempotent per chunk), and one transaction upserts the staged rows
into `customer_scores`, records the KPI snapshot and marks the run completed. A crash at any
point leaves `customer_scores` as it was. When the period has no rows yet for this model
version (checked inside the transaction, under the run's period lock) the upsert is a plain
INSERT.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.score_runs import RunKey
from tasks.adapters.tables import (
    customer_scores,
    customer_scores_staging,
    kpi_snapshots,
    scoring_runs,
)

SCORE_COLUMNS = [c.name for c in customer_scores.columns if c.name != "run_id"]
RUN_COLUMNS = ("dataset", "as_of", "model_version", "scored_at")  # one value per run: not staged
STAGED_COLUMNS = [c for c in SCORE_COLUMNS if c not in RUN_COLUMNS]
STAGING_COLUMNS = ["run_id", "chunk", *STAGED_COLUMNS]


def stage_chunk(
    engine: Engine, run_id: str, chunk: int, rows: pd.DataFrame | Iterable[pd.DataFrame]
) -> None:
    """Write one chunk of scores to staging; a retried chunk replaces its earlier rows.

    `rows` is the chunk's frame, or its parts as they are computed: on PostgreSQL each part
    goes into one open COPY as soon as it arrives, so the server parses and stores part k while
    the caller computes part k + 1, and the chunk's transaction commits after the last one."""
    parts = [rows] if isinstance(rows, pd.DataFrame) else rows
    frames = (part.assign(run_id=run_id, chunk=chunk)[STAGING_COLUMNS] for part in parts)
    with engine.begin() as connection:
        connection.execute(
            customer_scores_staging.delete().where(
                customer_scores_staging.c.run_id == run_id,
                customer_scores_staging.c.chunk == chunk,
            )
        )
        if engine.dialect.name == "postgresql":
            buffers = (csv_bytes(frame) for frame in frames)
            copy_csv(connection, customer_scores_staging.name, STAGING_COLUMNS, buffers)
        else:
            for frame in frames:
                connection.execute(customer_scores_staging.insert(), _records(frame))


def copy_csv(
    connection: sa.Connection, table: str, columns: list[str], buffers: Iterable[bytes]
) -> int:
    """COPY CSV buffers (one statement, each sent as soon as it is there); the rows copied."""
    raw = connection.connection.driver_connection
    names = ", ".join(columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        for buffer in buffers:
            copy.write(buffer)
    return cursor.rowcount


def csv_bytes(frame: pd.DataFrame, sort_by: str | None = None):
    """CSV written by Arrow (C++, no per-value Python): strings quoted, NULL (None/NaN) as an
    unquoted empty field, floats in shortest round-trip form; rows sorted by `sort_by`."""
    import pyarrow as pa
    from pyarrow import csv

    data = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)  # callers are threads
    if sort_by is not None:
        data = data.sort_by(sort_by)
    sink = pa.BufferOutputStream()
    csv.write_csv(data, sink, csv.WriteOptions(include_header=False, quoting_style="needed"))
    return sink.getvalue()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for executemany: NaN as NULL, JSON text parsed so the JSON type stores it once."""
    records = frame.to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and value != value:
                record[key] = None
        record["top_reasons"] = json.loads(record["top_reasons"])
    return records


def upsert_staged(engine: Engine, run: RunKey, chunk: int | None = None, fresh: bool = False):
    """INSERT .. SELECT of the run's staged rows (one chunk, or all), upserting on the key."""
    where = [customer_scores_staging.c.run_id == run.run_id]
    if chunk is not None:
        where.append(customer_scores_staging.c.chunk == chunk)
    shared = {
        "dataset": sa.literal(run.dataset, sa.String),
        "as_of": sa.literal(run.as_of, sa.Date),
        "model_version": sa.literal(run.model_version, sa.String),
        "scored_at": sa.literal(run.scored_at, sa.DateTime(timezone=True)),
    }
    staged = sa.select(
        *[
            shared[c].label(c) if c in shared else customer_scores_staging.c[c]
            for c in SCORE_COLUMNS
        ],
        sa.literal(run.run_id).label("run_id"),
    ).where(*where)
    target = [*SCORE_COLUMNS, "run_id"]
    insert = _insert(engine)(customer_scores).from_select(target, staged)
    if not fresh:
        keys = [c.name for c in customer_scores.primary_key.columns]
        insert = insert.on_conflict_do_update(
            index_elements=keys,
            set_={c: insert.excluded[c] for c in target if c not in keys},
        )
    return insert.execution_options(preserve_rowcount=True)  # rows written, for the log


def finish_run(
    connection: sa.Connection, engine: Engine, run: RunKey, kpis: dict, counts: dict
) -> None:
    """The end of the merge transaction: KPI snapshot, staging cleared, run completed."""
    run_id = run.run_id
    snapshot = _insert(engine)(kpi_snapshots).values(
        dataset=run.dataset,
        as_of=run.as_of,
        model_version=run.model_version,
        kpis=kpis,
        run_id=run_id,
        created_at=_now(),
    )
    snapshot = snapshot.on_conflict_do_update(
        index_elements=["dataset", "as_of", "model_version"],
        set_={c: snapshot.excluded[c] for c in ("kpis", "run_id", "created_at")},
    )
    connection.execute(snapshot)
    connection.execute(
        customer_scores_staging.delete().where(customer_scores_staging.c.run_id == run_id)
    )
    connection.execute(
        scoring_runs.update()
        .where(scoring_runs.c.run_id == run_id)
        .values(status="completed", finished_at=_now(), **counts)
    )


def period_is_empty(connection: sa.Connection, run: RunKey) -> bool:
    found = connection.execute(
        sa.select(sa.literal(1))
        .select_from(customer_scores)
        .where(
            customer_scores.c.dataset == run.dataset,
            customer_scores.c.as_of == run.as_of,
            customer_scores.c.model_version == run.model_version,
        )
        .limit(1)
    ).first()
    return found is None


def merge_run(engine: Engine, run: RunKey, kpis: dict, counts: dict) -> int:
    """Upsert all staged rows, store the KPI snapshot and complete the run, in one transaction."""
    with engine.begin() as connection:
        fresh = engine.dialect.name == "postgresql" and period_is_empty(connection, run)
        written = connection.execute(upsert_staged(engine, run, fresh=fresh)).rowcount
        finish_run(connection, engine, run, kpis, counts)
    return written


def _insert(engine: Engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif engine.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"score store does not support {engine.dialect.name}")
    return insert


def _now() -> datetime:
    return datetime.now(UTC)


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE the scores table (PostgreSQL; a sample, not a scan) after a run's bulk write:
    until autovacuum gets to it, the planner would plan for the table before the run."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE customer_scores")
