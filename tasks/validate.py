"""Validation stage: the data contract (Great Expectations suite plus quarantine rules).

The GX suite only reports: the contract's structural and row rules decide what is scored.
Training and monitoring check a whole frame (`validate`); scoring checks a whole table's
columns and ids first (`check_table`), each chunk's rows as it is scored, and runs the suite
on a sample beside the chunks (`report_suite`)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.adapters import memory, registry
from tasks.adapters.expectations import load_suite, run_suite
from tasks.adapters.storage import write_frame_atomic, write_json_atomic
from tasks.core import batches
from tasks.core.coercion import coerce_frame
from tasks.core.contract import (
    ContractResult,
    ExpectationOutcome,
    Kind,
    expectation_suite_spec,
    structural_error,
    summarize_validation,
    validate_frame,
)
from tasks.core.contract_chunks import ChunkCheck, check_shares, table_problems
from tasks.core.errors import ConfigError, QuarantineLimitError, StructuralValidationError
from tasks.progress import step

EXPECTATIONS = Path(__file__).resolve().parents[1] / "expectations"


def suite_for(config: RunConfig, kind: Kind) -> dict:
    """The stored suite for this data set, refused if it no longer matches the config."""
    generated = expectation_suite_spec(config, kind)
    path = EXPECTATIONS / f"{generated['name']}.json"
    if not path.is_file():
        return generated
    stored = load_suite(path)
    if stored != generated:
        raise ConfigError(
            f"{path} does not match the config: run `retainai expectations write --config ...`"
        )
    return stored


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
    suite = suite_for(config, kind)
    step(f"validating {len(raw):,} rows against suite {suite['name']}")
    counts = {"suite_rows": min(len(raw), config.validation.suite_rows), "rows": len(raw)}
    outcomes = []
    if len(raw):
        sample = raw
        if len(raw) > config.validation.suite_rows:
            sample = raw.sample(n=config.validation.suite_rows, random_state=config.model.seed)
        outcomes = run_suite(coerce_frame(sample.sort_index(), config.dataset).frame, suite)
    failure: Exception | None = None
    result: ContractResult | None = None
    try:
        result = validate_frame(raw, config, kind)
    except (StructuralValidationError, QuarantineLimitError) as exc:
        failure = exc
    write_report(report_dir, result, failure, outcomes, suite["name"], counts, kind)
    if run_id is not None:
        registry.log_run(run_id, artifacts=[report_dir / "validation.json"], folder="validation")
    if failure is not None:
        raise failure
    if len(result.quarantined):
        write_frame_atomic(result.quarantined, report_dir / "quarantine.csv")
        step(f"quarantined {len(result.quarantined):,} rows: see {report_dir / 'quarantine.csv'}")
    step(f"{len(result.clean):,} rows passed validation")
    return result


def validation_report(
    checks: list[ChunkCheck], suite: Any, config: RunConfig, folder: Path, counts: dict
) -> dict:
    """After the last chunk: the shares checked (StructuralValidationError for numbers that
    do not parse in most rows, QuarantineLimitError above the quarantine share) and the
    report written with the suite's outcomes (`suite`: its future), passed or failed."""
    outcomes = suite.result()
    name = suite_for(config, "scoring")["name"]
    sizes = {
        "suite_rows": min(counts["rows_in"], config.validation.suite_rows),
        "rows": counts["rows_in"],
    }
    try:
        reason_counts, filled = check_shares(checks, config)
    except (StructuralValidationError, QuarantineLimitError) as exc:
        write_report(folder, None, exc, outcomes, name, sizes, "scoring")
        raise
    quarantined = [c.result.quarantined for c in checks]
    scored = pd.DataFrame(index=pd.RangeIndex(counts["rows_scored"]))
    joined = pd.concat(quarantined) if quarantined else pd.DataFrame()
    result = ContractResult(scored, joined, [], reason_counts, filled)
    return write_report(folder, result, None, outcomes, name, sizes, "scoring")


def write_report(
    report_dir: Path,
    result: ContractResult | None,
    failure: Exception | None,
    outcomes: list[ExpectationOutcome],
    suite_name: str,
    counts: dict[str, int],
    kind: str,
) -> dict:
    """validation.json and the Prefect table artifact of one validation."""
    report: dict[str, Any] = (
        summarize_validation(result, outcomes)
        if result is not None
        else {"error": str(failure), "expectations": [asdict(o) for o in outcomes]}
    )
    report = {"suite": suite_name, "passed": failure is None, **counts, **report}
    write_json_atomic(report_dir / "validation.json", report)
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
            for o in outcomes
        ],
        description=f"{suite_name}: " + ("passed" if failure is None else str(failure)),
    )
    return report
