"""Ingestion stage: read the customer table from any supported source."""

from __future__ import annotations

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.settings import Settings
from tasks.adapters.sources import describe_source, read_source
from tasks.core.errors import TransientSourceError
from tasks.progress import step


def _transient(task, task_run, state) -> bool:
    try:
        state.result()
    except TransientSourceError:
        return True
    except Exception:
        return False
    return False


@task(
    name="ingest",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def ingest(source: str, table: str | None = None, query: str | None = None) -> pd.DataFrame:
    """Read customers; only transient failures (server down, timeouts) are retried."""
    step(f"reading {describe_source(source, table, query)}")
    frame = read_source(source, table=table, query=query, settings=Settings())
    step(f"read {len(frame):,} rows x {frame.shape[1]} columns")
    return frame
