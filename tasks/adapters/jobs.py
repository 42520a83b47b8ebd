"""The durable background jobs of the application database: enqueue, claim, renew, finish.

A job is one piece of background work (write a campaign's messages, send one...) on a
subject (`campaign:12`). At most one job per subject is active (queued or running) at a
time: a partial unique index says so, so two doors enqueuing at once get the same job. A
worker claims a queued job, or a running one whose lease ran out (its worker died), and
renews the lease while it works; claiming is safe with several workers (FOR UPDATE SKIP
LOCKED on PostgreSQL, a conditional UPDATE elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters.db import row_dict
from tasks.adapters.tables import metadata

ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled")

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject", sa.String(100), nullable=False),  # e.g. campaign:12
    sa.Column("state", sa.String(12), nullable=False),  # queued running done failed cancelled
    sa.Column("payload", sa.JSON, nullable=False),  # the job's parameters (never a secret)
    sa.Column("progress", sa.JSON),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("stop_requested", sa.Boolean, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("worker", sa.String(100)),
    sa.Column("created_by", sa.String(320), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("lease_until", sa.DateTime(timezone=True)),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Index(
        "uq_jobs_active_subject",
        "subject",
        unique=True,
        postgresql_where=sa.text("state IN ('queued', 'running')"),
        sqlite_where=sa.text("state IN ('queued', 'running')"),
    ),
    sa.Index("ix_jobs_state_created", "state", "created_at"),
    sa.Index("ix_jobs_subject_created", "subject", "created_at"),
)


def _now() -> datetime:
    return datetime.now(UTC)


def enqueue(
    engine: Engine, kind: str, subject: str, payload: dict[str, Any], created_by: str
) -> tuple[dict[str, Any], bool]:
    """(the subject's active job, True when this call queued it). When one is already
    queued or running (of any kind), that one comes back and nothing is queued."""
    row = {
        "kind": kind,
        "subject": subject,
        "state": "queued",
        "payload": payload,
        "attempts": 0,
        "stop_requested": False,
        "created_by": created_by,
        "created_at": _now(),
    }
    for _ in range(3):  # the active one may end between the insert and the read
        try:
            with engine.begin() as connection:
                new_id = connection.execute(jobs.insert().values(**row)).inserted_primary_key[0]
            return get(engine, new_id), True
        except sa.exc.IntegrityError:
            found = active(engine, subject)
            if found is not None:
                return found, False
    raise RuntimeError(f"no job could be queued for {subject}")  # pragma: no cover


def get(engine: Engine, job_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        return row_dict(connection.execute(jobs.select().where(jobs.c.id == job_id)).one())


def active(engine: Engine, subject: str) -> dict[str, Any] | None:
    """The subject's queued or running job, if any."""
    query = jobs.select().where(jobs.c.subject == subject, jobs.c.state.in_(ACTIVE))
    with engine.connect() as connection:
        found = connection.execute(query).first()
    return row_dict(found) if found is not None else None


def latest(engine: Engine, subject: str, kind: str | None = None) -> dict[str, Any] | None:
    """The subject's newest job (of `kind`), whatever its state."""
    query = jobs.select().where(jobs.c.subject == subject)
    if kind is not None:
        query = query.where(jobs.c.kind == kind)
    query = query.order_by(jobs.c.id.desc()).limit(1)
    with engine.connect() as connection:
        found = connection.execute(query).first()
    return row_dict(found) if found is not None else None


def _claimable(now: datetime):
    lapsed = sa.and_(jobs.c.state == "running", jobs.c.lease_until < now)
    return sa.or_(jobs.c.state == "queued", lapsed)


def claim(
    engine: Engine, worker: str, lease_seconds: float, max_attempts: int
) -> dict[str, Any] | None:
    """The oldest claimable job, now running for `worker` with a fresh lease; None when
    there is none. A lapsed job already tried `max_attempts` times is failed instead."""
    while True:
        now = _now()
        with engine.begin() as connection:
            query = sa.select(jobs.c.id, jobs.c.attempts).where(_claimable(now))
            query = query.order_by(jobs.c.created_at, jobs.c.id).limit(1)
            if engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            found = connection.execute(query).first()
            if found is None:
                return None
            if found.attempts >= max_attempts:
                values = {
                    "state": "failed",
                    "finished_at": now,
                    "error": f"its worker stopped answering {found.attempts} times",
                }
            else:
                values = {
                    "state": "running",
                    "worker": worker,
                    "attempts": found.attempts + 1,
                    "started_at": now,
                    "lease_until": now + timedelta(seconds=lease_seconds),
                }
            taken = connection.execute(
                jobs.update()
                .where(jobs.c.id == found.id, _claimable(now), jobs.c.attempts == found.attempts)
                .values(**values)
            ).rowcount
        if taken and values["state"] == "running":
            return get(engine, found.id)
        # another worker took it first, or it was failed: look again


def renew(
    engine: Engine, job_id: int, worker: str, lease_seconds: float, progress=None
) -> dict[str, Any] | None:
    """Extend the lease of a job `worker` runs (and store its progress); the job's row, or
    None when it is no longer this worker's (its lease ran out and another took it)."""
    values: dict[str, Any] = {"lease_until": _now() + timedelta(seconds=lease_seconds)}
    if progress is not None:
        values["progress"] = progress
    with engine.begin() as connection:
        changed = connection.execute(
            jobs.update()
            .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
            .values(**values)
        ).rowcount
    return get(engine, job_id) if changed else None


def finish(
    engine: Engine, job_id: int, worker: str, state: str, error: str | None = None, progress=None
) -> bool:
    """End a job `worker` runs as done, failed or cancelled; False when it was not its."""
    values: dict[str, Any] = {"state": state, "error": error, "finished_at": _now()}
    if progress is not None:
        values["progress"] = progress
    with engine.begin() as connection:
        return bool(
            connection.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
                .values(**values)
            ).rowcount
        )


def release(engine: Engine, job_id: int, worker: str) -> bool:
    """Give a job `worker` runs back to the queue, untried (its worker is shutting down)."""
    with engine.begin() as connection:
        return bool(
            connection.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.worker == worker, jobs.c.state == "running")
                .values(
                    state="queued",
                    worker=None,
                    lease_until=None,
                    attempts=jobs.c.attempts - 1,
                )
            ).rowcount
        )


def stop(engine: Engine, subject: str, kind: str) -> str | None:
    """Stop the subject's active job of `kind`: a queued one is cancelled at once, a running
    one is asked to stop (its worker stops between two batches). The job's state then, or
    None when there was none."""
    now = _now()
    with engine.begin() as connection:
        ours = sa.and_(jobs.c.subject == subject, jobs.c.kind == kind)
        cancelled = connection.execute(
            jobs.update()
            .where(ours, jobs.c.state == "queued")
            .values(state="cancelled", finished_at=now, error="stopped before it started")
        ).rowcount
        if cancelled:
            return "cancelled"
        asked = connection.execute(
            jobs.update().where(ours, jobs.c.state == "running").values(stop_requested=True)
        ).rowcount
    return "running" if asked else None
