"""Ingestion stage: read the customer table from any supported source."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from configs.settings import Settings
from tasks.adapters import memory
from tasks.adapters.sources import describe_source, read_source, read_table
from tasks.core.errors import ConfigError, TransientSourceError
from tasks.core.redaction import carries_secret, mask_url
from tasks.progress import step

_SETTING = {"training": "RETAINAI_TRAINING_SOURCE", "scoring": "RETAINAI_SCORING_SOURCE"}


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


def describe(source: str, table: str | None = None, query: str | None = None) -> str:
    """A credential-free label of a source, for run records and logs."""
    return describe_source(source, table, query)


def check_parameter(value: str | None, option: str) -> None:
    """Refuse a source given as a run parameter when it holds a password, token or key:
    Prefect keeps a run's parameters and shows them to anyone who can see the run."""
    if value and carries_secret(value):
        raise ConfigError(
            f"{option} {mask_url(value)} holds a password or token, which would be kept with "
            "the run's parameters: set it in RETAINAI_TRAINING_SOURCE or "
            "RETAINAI_SCORING_SOURCE and leave the option out (tokens: RETAINAI_SOURCE_TOKEN)"
        )


def source_of(
    settings: Settings, kind: str, data: str | None, table: str | None, query: str | None
) -> tuple[str, str | None, str | None]:
    """The source a flow reads: `data` when given (never one holding a secret), else the
    `kind` ("training" or "scoring") source of the settings, read where the flow runs."""
    if data:
        check_parameter(data, "--data")
        return data, table, query
    configured = getattr(settings, f"{kind}_source")
    if configured is None:
        raise ConfigError(f"no {kind} data: set {_SETTING[kind]} (or give --data)")
    if kind == "scoring" and table is None and query is None:
        table = settings.scoring_table
    return configured.get_secret_value(), table, query
