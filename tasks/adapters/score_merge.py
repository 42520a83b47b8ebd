"""The merge transaction of a scoring run, open while its chunks are scored (PostgreSQL).

`open_merge` begins one transaction per run before the first chunk is scored. Nothing written
in it is visible to other sessions before its commit, and a failure anywhere rolls all of it
back, so a run still lands whole or not at all:

- a fresh period (no rows yet for this model version; checked inside the transaction, under
  the run's period lock) takes each chunk's rows straight into `customer_scores` with one
  COPY in the transaction (`write_chunk`): every row is written once, with no staging pass
  (chunks scored in other processes are staged, see `RunMerge.__reduce__`);
- a period being rescored stages each chunk (`scores.stage_chunk`) and upserts it into the
  transaction as soon as it is staged (`add`), so the server merges one chunk while the next
  is computed.

`finish_merge` adds the KPI snapshot, clears staging and commits. If the connection breaks,
a staged run is merged again from staging in a new transaction; a run that copied straight
in fails (its rows went with the transaction) and is rerun whole.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from functools import partial

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tasks.adapters import scores
from tasks.adapters.score_runs import RunKey
from tasks.adapters.tables import customer_scores

TARGET_COLUMNS = [*scores.SCORE_COLUMNS, "run_id"]


class RunMerge:
    """One run's open merge transaction; chunks are written from any thread (one at a time),
    `complete` commits and `close` rolls back whatever was not committed."""

    def __init__(self, engine: Engine, run: RunKey) -> None:
        self.engine, self.run = engine, run
        self.connection = engine.connect()
        self.transaction = self.connection.begin()
        self.fresh = scores.period_is_empty(self.connection, run)
        self.lock = threading.Lock()  # one statement at a time on the connection
        self.merged: set[int] = set()
        self.written = 0
        self.failure: BaseException | None = None
        self.done = False

    def __reduce__(self):
        """A transaction does not travel to another process: there (a distributed task
        runner's worker) the merge unpickles as None, so the chunk is staged and `add` merges
        it from staging."""
        return (type(None), ())

    def copy_chunk(self, chunk: int, parts: Iterable[pd.DataFrame]) -> None:
        """A fresh period's chunk straight into `customer_scores` in one COPY. Its CSV is made
        before the connection is taken (so one thread computes while the server stores
        another's rows), sorted by customer id (the key's index is then filled page by page,
        not at random). Done once: a retried chunk whose rows are in writes nothing."""
        if chunk in self.merged:
            return
        rows = pd.concat([self._target_rows(part) for part in parts], ignore_index=True)
        buffer = scores.csv_bytes(rows, sort_by="customer_id")
        del rows
        copy = partial(scores.copy_csv, self.connection, customer_scores.name, TARGET_COLUMNS)
        self._write(chunk, lambda: copy([buffer]))

    def add(self, chunk: int) -> None:
        """Upsert one staged chunk inside the transaction (nothing if it is in already)."""
        if chunk in self.merged:
            return
        statement = scores.upsert_staged(self.engine, self.run, chunk, self.fresh)
        self._write(chunk, lambda: self.connection.execute(statement).rowcount)

    def _write(self, chunk: int, write) -> None:
        with self.lock:
            self.written += self._guarded(write)
            self.merged.add(chunk)

    def _guarded(self, write) -> int:
        """One statement on the transaction (the caller holds the lock); a failed one fails
        the transaction, and every later write is refused."""
        self._refuse_if_failed()
        try:
            return write()
        except BaseException as exc:
            self.failure = exc
            raise

    def _refuse_if_failed(self) -> None:
        if self.failure is not None:
            raise RuntimeError("the run's merge transaction failed earlier") from self.failure

    def _target_rows(self, part: pd.DataFrame) -> pd.DataFrame:
        run = self.run
        return part.assign(
            dataset=run.dataset,
            as_of=run.as_of.isoformat(),
            model_version=run.model_version,
            scored_at=run.scored_at.isoformat(),
            run_id=run.run_id,
        )[TARGET_COLUMNS]

    def complete(self, kpis: dict, counts: dict, chunks: int) -> int:
        """Upsert staged chunks not added yet, finish and commit; the number of rows written."""
        if self.done:
            return self.written
        self._refuse_if_failed()
        try:
            for chunk in range(chunks):
                self.add(chunk)
            scores.finish_run(self.connection, self.engine, self.run, kpis, counts)
            self.transaction.commit()
        except BaseException as exc:
            self.failure = exc
            raise
        self.done = True
        return self.written

    def close(self) -> None:
        try:
            if self.transaction.is_active:
                self.transaction.rollback()
        finally:
            self.connection.close()


@contextlib.contextmanager
def open_merge(engine: Engine, run: RunKey) -> Iterator[RunMerge | None]:
    """The run's merge transaction, opened now (PostgreSQL; None elsewhere: SQLite has one
    writer, so staging and an open write transaction would block each other)."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    merge = RunMerge(engine, run)
    try:
        yield merge
    finally:
        merge.close()


def write_chunk(
    engine: Engine, merge: RunMerge | None, run: RunKey, chunk: int, parts: Iterable[pd.DataFrame]
) -> None:
    """One scored chunk into the run: copied into the open transaction for a fresh period,
    else staged (and merged by `add` or at the end)."""
    if merge is not None and merge.fresh:
        merge.copy_chunk(chunk, parts)
    else:
        scores.stage_chunk(engine, run.run_id, chunk, parts)


def finish_merge(
    engine: Engine, merge: RunMerge | None, run: RunKey, kpis: dict, counts: dict, chunks: int
) -> int:
    """Commit the run: complete its open merge transaction; if the connection broke and the
    rows were staged (or there is no open transaction) merge everything from staging in one
    new transaction. Returns the rows written. The table's statistics are refreshed after the
    commit, so the pages' queries are planned for what is there now, not for the table before."""
    written = None
    if merge is not None:
        try:
            written = merge.complete(kpis, counts, chunks)
        except sa.exc.OperationalError:
            merge.close()
            if merge.fresh:
                raise  # the copied rows went with the transaction: the run is redone whole
    if written is None:
        written = scores.merge_run(engine, run, kpis, counts)
    scores.refresh_statistics(engine)
    return written
