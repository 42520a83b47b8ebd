"""The score store: staging, atomic merge, run bookkeeping and the per-period run lock.

A scoring run writes each chunk to `customer_scores_staging` (idempotent per chunk), then one
transaction upserts the staged rows into `customer_scores`, records the KPI snapshot and
marks the run completed. A crash at any point leaves `customer_scores` as it was.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.tables import (
    customer_scores,
    customer_scores_staging,
    kpi_snapshots,
    scoring_runs,
)
from tasks.core.errors import ConcurrentRunError

SCORE_COLUMNS = [c.name for c in customer_scores.columns if c.name != "run_id"]
STAGING_COLUMNS = ["run_id", "chunk", *SCORE_COLUMNS]


def _lock_key(name: str, as_of: date) -> int:
    digest = hashlib.sha256(f"retainai:{name}:{as_of.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def period_lock(engine: Engine, name: str, as_of: date) -> Iterator[None]:
    """Hold the lock for one (job, as_of) for the whole run; a second holder fails at once.

    PostgreSQL: a session advisory lock (released if the process dies). SQLite: an OS file
    lock beside the database file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _lock_key(name, as_of)
            held = connection.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar()
            if not held:
                raise ConcurrentRunError(f"another {name} run for as_of {as_of} is in progress")
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    path = Path(f"{database}.{name}-{as_of.isoformat()}.lock")
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConcurrentRunError(
                f"another {name} run for as_of {as_of} is in progress"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_run(engine: Engine, **row: Any) -> None:
    """Record a scoring run as running and clear staging rows a crashed run left behind."""
    with engine.begin() as connection:
        connection.execute(
            customer_scores_staging.delete().where(
                customer_scores_staging.c.run_id.in_(
                    sa.select(scoring_runs.c.run_id).where(
                        scoring_runs.c.as_of == row["as_of"], scoring_runs.c.status != "completed"
                    )
                )
            )
        )
        connection.execute(scoring_runs.insert().values(status="running", started_at=_now(), **row))


def fail_run(engine: Engine, run_id: str, error: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            customer_scores_staging.delete().where(customer_scores_staging.c.run_id == run_id)
        )
        connection.execute(
            scoring_runs.update()
            .where(scoring_runs.c.run_id == run_id)
            .values(status="failed", error=error[:2000], finished_at=_now())
        )


def stage_chunk(engine: Engine, run_id: str, chunk: int, rows: pd.DataFrame) -> None:
    """Write one chunk of scores to staging; a retried chunk replaces its earlier rows."""
    frame = rows.assign(run_id=run_id, chunk=chunk)[STAGING_COLUMNS]
    with engine.begin() as connection:
        connection.execute(
            customer_scores_staging.delete().where(
                customer_scores_staging.c.run_id == run_id,
                customer_scores_staging.c.chunk == chunk,
            )
        )
        if engine.dialect.name == "postgresql":
            _copy(connection, customer_scores_staging.name, frame)
        else:
            connection.execute(customer_scores_staging.insert(), _records(frame))


def _copy(connection: sa.Connection, table: str, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
    columns = ", ".join(frame.columns)
    raw = connection.connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(buffer.getvalue())


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows for executemany: NaN as NULL, JSON text parsed so the JSON type stores it once."""
    records = frame.to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and value != value:
                record[key] = None
        record["top_reasons"] = json.loads(record["top_reasons"])
    return records


def merge_run(
    engine: Engine, run_id: str, as_of: date, model_version: str, kpis: dict, counts: dict
) -> int:
    """Upsert the staged rows, store the KPI snapshot and complete the run, in one transaction."""
    staged = sa.select(
        *[customer_scores_staging.c[c] for c in SCORE_COLUMNS],
        sa.literal(run_id).label("run_id"),
    ).where(customer_scores_staging.c.run_id == run_id)
    target = [*SCORE_COLUMNS, "run_id"]
    insert = _insert(engine)(customer_scores).from_select(target, staged)
    keys = [c.name for c in customer_scores.primary_key.columns]
    upsert = insert.on_conflict_do_update(
        index_elements=keys,
        set_={c: insert.excluded[c] for c in target if c not in keys},
    )
    snapshot = _insert(engine)(kpi_snapshots).values(
        as_of=as_of, model_version=model_version, kpis=kpis, run_id=run_id, created_at=_now()
    )
    snapshot = snapshot.on_conflict_do_update(
        index_elements=["as_of", "model_version"],
        set_={c: snapshot.excluded[c] for c in ("kpis", "run_id", "created_at")},
    )
    with engine.begin() as connection:
        written = connection.execute(upsert).rowcount
        connection.execute(snapshot)
        connection.execute(
            customer_scores_staging.delete().where(customer_scores_staging.c.run_id == run_id)
        )
        connection.execute(
            scoring_runs.update()
            .where(scoring_runs.c.run_id == run_id)
            .values(status="completed", finished_at=_now(), **counts)
        )
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


def past_scores(engine: Engine, customer_ids: list[str]) -> pd.DataFrame:
    """Every stored score of these customers (id, as_of, model_version, probability)."""
    columns = [
        customer_scores.c.customer_id,
        customer_scores.c.as_of,
        customer_scores.c.model_version,
        customer_scores.c.churn_probability,
    ]
    frames = []
    with engine.connect() as connection:
        for start in range(0, len(customer_ids), 10_000):
            batch = customer_ids[start : start + 10_000]
            query = sa.select(*columns).where(customer_scores.c.customer_id.in_(batch))
            frames.append(
                pd.DataFrame(
                    connection.execute(query).fetchall(), columns=[c.name for c in columns]
                )
            )
    if not frames:
        return pd.DataFrame(columns=[c.name for c in columns])
    return pd.concat(frames, ignore_index=True)
