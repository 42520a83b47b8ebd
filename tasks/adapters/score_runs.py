"""Scoring runs: their record, the per-(table, as_of) lock, abandoned runs, past scores.

A run holds the lock of its (table, as_of) for its whole life: a PostgreSQL session advisory
lock (released when the process dies) or, on SQLite, an OS file lock beside the database. A
run still recorded as `running` whose lock nobody holds was killed: the next run marks it
failed ("abandoned") and removes what it staged.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.tables import customer_scores, customer_scores_staging, scoring_runs
from tasks.core.errors import ConcurrentRunError
from tasks.i18n import N_

BUSY = N_("another %(name)s run of %(dataset)s for as_of %(as_of)s is in progress")

JOB = "score"
ABANDONED = "abandoned: its process ended before it finished (its lock was no longer held)"


@dataclass(frozen=True)
class RunKey:
    """What every score row of one run shares: the run, its table, period, model and time."""

    run_id: str
    dataset: str
    as_of: date
    model_version: str
    scored_at: datetime


def _lock_key(name: str, dataset: str, as_of: date) -> int:
    text = f"retainai:{name}:{dataset}:{as_of.isoformat()}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def period_lock(engine: Engine, name: str, dataset: str, as_of: date) -> Iterator[None]:
    """Hold the lock for one (job, table, as_of) for the whole run; a second holder fails.

    PostgreSQL: a session advisory lock (released if the process dies). SQLite: an OS file
    lock beside the database file."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            key = _lock_key(name, dataset, as_of)
            held = connection.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar()
            if not held:
                raise ConcurrentRunError(BUSY, name=name, dataset=dataset, as_of=str(as_of))
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
    path = Path(f"{database}.{name}-{dataset}-{as_of.isoformat()}.lock")
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ConcurrentRunError(BUSY, name=name, dataset=dataset, as_of=str(as_of)) from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_free(engine: Engine, connection: sa.Connection, dataset: str, as_of: date) -> bool:
    """True when nobody holds the run lock of (dataset, as_of) (taken and given back at once)."""
    if engine.dialect.name == "postgresql":
        key = _lock_key(JOB, dataset, as_of)
        if not connection.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar():
            return False
        connection.execute(sa.select(sa.func.pg_advisory_unlock(key)))
        return True
    database = engine.url.database
    if not database or database == ":memory:":
        return True
    path = Path(f"{database}.{JOB}-{dataset}-{as_of.isoformat()}.lock")
    if not path.exists():
        return True
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
    return True


def abandon_dead_runs(engine: Engine, own: tuple[str, date] | None = None) -> list[str]:
    """Mark `running` runs whose lock nobody holds as failed and delete their staged rows.

    `own` is the (dataset, as_of) whose lock the caller holds: its running runs are dead too."""
    with engine.connect() as connection:
        running = connection.execute(
            sa.select(scoring_runs.c.run_id, scoring_runs.c.dataset, scoring_runs.c.as_of).where(
                scoring_runs.c.status == "running"
            )
        ).fetchall()
        dead = [
            row.run_id
            for row in running
            if (row.dataset, row.as_of) == own
            or _lock_free(engine, connection, row.dataset, row.as_of)
        ]
        connection.commit()
    for run_id in dead:
        fail_run(engine, run_id, ABANDONED)
    return dead


def start_run(engine: Engine, **row: Any) -> None:
    """Record a scoring run as running (call while holding its lock), after failing the runs
    that died without finishing and removing what they staged."""
    abandon_dead_runs(engine, own=(row["dataset"], row["as_of"]))
    with engine.begin() as connection:
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


def _now() -> datetime:
    return datetime.now(UTC)


def past_scores(engine: Engine, dataset: str, customer_ids: list[str]) -> pd.DataFrame:
    """Every stored score of these customers of one table (id, as_of, version, probability)."""
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
            query = sa.select(*columns).where(
                customer_scores.c.dataset == dataset, customer_scores.c.customer_id.in_(batch)
            )
            frames.append(
                pd.DataFrame(
                    connection.execute(query).fetchall(), columns=[c.name for c in columns]
                )
            )
    if not frames:
        return pd.DataFrame(columns=[c.name for c in columns])
    return pd.concat(frames, ignore_index=True)
