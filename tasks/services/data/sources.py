"""Where customers are read from: the source a run reads (never one that passes a secret as a
run parameter) and the configured sources as admins see them."""

from __future__ import annotations

import pandas as pd

from configs.settings import Settings
from tasks.adapters.sources import describe_source, read_source
from tasks.core.errors import ConfigError, InvalidInputError
from tasks.core.redaction import carries_secret, mask_url
from tasks.services.context import Context

_SETTING = {"training": "RETAINAI_TRAINING_SOURCE", "scoring": "RETAINAI_SCORING_SOURCE"}


def describe(source: str, table: str | None = None, query: str | None = None) -> str:
    """A credential-free label of a source, for run records and logs."""
    return describe_source(source, table, query)


def check_parameter(value: str | None, option: str) -> None:
    """Refuse a source given as a run parameter when it holds a password, token or key:
    Prefect keeps a run's parameters and shows them to anyone who can see the run."""
    if value and carries_secret(value):
        raise InvalidInputError(
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


def configured_sources(ctx: Context) -> dict[str, str | None]:
    """The configured sources as admins see them: where, never with what credentials."""
    settings = ctx.settings
    found = {
        "training (RETAINAI_TRAINING_SOURCE)": settings.training_source,
        "scoring (RETAINAI_SCORING_SOURCE)": settings.scoring_source,
    }
    return {label: value and mask_url(value.get_secret_value()) for label, value in found.items()}


def read_customers(
    ctx: Context, source: str, table: str | None = None, query: str | None = None
) -> pd.DataFrame:
    """The customer table of a source (a file, a URL, a database table or query)."""
    return read_source(source, table=table, query=query, settings=ctx.settings)
