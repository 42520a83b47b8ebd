"""Ingestion stage: read the customer table from any supported source (retried only when the
failure is transient)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import memory
from tasks.adapters.sources import describe_source, read_source, read_table
from tasks.core.errors import TransientSourceError
from tasks.core.progress import step

# which source a run reads (and the refusal of secrets passed as run parameters): the data
# service's, named here for the flows
from tasks.services.data.sources import check_parameter, describe, source_of  # noqa: F401


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
def ingest(source: str, table: str | None, query: str | None, settings: Settings) -> pd.DataFrame:
    """Read customers; only transient failures (server down, timeouts) are retried."""
    step(f"reading {describe_source(source, table, query)}")
    frame = read_source(source, table=table, query=query, settings=settings)
    step(f"read {len(frame):,} rows x {frame.shape[1]} columns")
    return frame


@task(
    name="ingest-table",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
)
def ingest_table(
    source: str, table: str | None, query: str | None, config: RunConfig, settings: Settings
) -> pa.Table:
    """Read customers into a compact Arrow table (the config's categorical columns stored once
    per distinct value); only transient failures are retried."""
    step(f"reading {describe_source(source, table, query)}")
    categorical = frozenset(config.dataset.categorical) | {config.dataset.target.column}
    data = read_table(source, table=table, query=query, settings=settings, categorical=categorical)
    memory.give_back()  # the parse's buffers go back to the system
    step(f"read {data.num_rows:,} rows x {data.num_columns} columns")
    return data
