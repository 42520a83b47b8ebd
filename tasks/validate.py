"""Validation stage: the data contract (Great Expectations suite plus quarantine rules) as
Prefect tasks; the rules and reports are the data service's (tasks/services/data/validation).

The GX suite only reports: the contract's structural and row rules decide what is scored.
Training and monitoring check a whole frame (`validate`); scoring checks a whole table's
columns and ids first (`check_table`), each chunk's rows as it is scored, and runs the suite
on a sample beside the chunks (`report_suite`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.adapters import memory
from tasks.adapters.expectations import run_suite
from tasks.core import batches
from tasks.core.coercion import coerce_frame
from tasks.core.contract import ContractResult, ExpectationOutcome, Kind, structural_error
from tasks.core.contract_chunks import ChunkCheck, table_problems
from tasks.core.progress import step
from tasks.services.data.validation import (  # noqa: F401  (EXPECTATIONS: named for the CLI)
    EXPECTATIONS,
    Validation,
    scoring_report,
    suite_for,
    validate_customers,
)


@task(name="check-table", cache_policy=NO_CACHE)
def check_table(customers: pa.Table, config: RunConfig, kind: Kind) -> None:
    """The rules that need the whole table (columns, row count, blank and repeated ids),
    before any chunk is scored: one StructuralValidationError naming every problem."""
    data = config.dataset
    ids = None
    if data.id_column and data.id_column in customers.column_names:
        ids = customers.column(data.id_column)
    problems = table_problems(customers.column_names, customers.num_rows, ids, config, kind)
    memory.give_back()  # the id check's buffers go back to the system
    if problems:
        raise structural_error(problems)


def suite_sample(customers: pa.Table, config: RunConfig) -> pa.Table:
    """The fixed sample the suite report reads (all a distributed runner ships for it)."""
    return batches.sample_rows(customers, config.validation.suite_rows, config.model.seed)


@task(name="suite-report", cache_policy=NO_CACHE)
def report_suite(customers: pa.Table, config: RunConfig, kind: Kind) -> list[ExpectationOutcome]:
    """The Great Expectations suite on a fixed sample of `validation.suite_rows` rows: the
    recorded report (the contract's own rules check every row and decide)."""
    sample = suite_sample(customers, config)  # the same rows when given the sample
    if sample.num_rows == 0:
        return []
    return run_suite(
        coerce_frame(batches.to_frame(sample), config.dataset).frame, suite_for(config, kind)
    )


@task(name="validate", cache_policy=NO_CACHE)
def validate(
    raw: pd.DataFrame, config: RunConfig, kind: Kind, report_dir: Path, run_id: str | None = None
) -> ContractResult:
    """Run the suite, quarantine bad rows, save the results (and log them to the MLflow run
    `run_id`, failed or not); structural failures stop here."""
    done = validate_customers(raw, config, kind, report_dir, run_id)
    _artifact(kind, done)
    if done.failure is not None:
        raise done.failure
    step(f"{len(done.result.clean):,} rows passed validation")
    return done.result


def validation_report(
    checks: list[ChunkCheck], suite: Any, config: RunConfig, folder: Path, counts: dict
) -> dict:
    """After the last chunk: the shares checked (StructuralValidationError for numbers that
    do not parse in most rows, QuarantineLimitError above the quarantine share) and the
    report written with the suite's outcomes (`suite`: its future), passed or failed."""
    done = scoring_report(checks, suite.result(), config, folder, counts)
    _artifact("scoring", done)
    if done.failure is not None:
        raise done.failure
    return done.report


def _artifact(kind: str, done: Validation) -> None:
    """The Prefect table artifact of one validation."""
    failure = done.failure
    create_table_artifact(
        key=f"{kind}-validation",
        table=[
            {
                "expectation": o.type,
                "column": o.column or "",
                "severity": o.severity,
                "success": o.success,
                "unexpected": o.unexpected_count,
            }
            for o in done.outcomes
        ],
        description=f"{done.suite}: " + ("passed" if failure is None else str(failure)),
    )
