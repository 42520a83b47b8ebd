"""Checking customers against the data contract: the Great Expectations suite reports, the
contract's structural and row rules decide what is kept (bad rows are quarantined with their
reasons). Training and monitoring check a whole frame (`validate_customers`); scoring checks
a table's columns and ids first, each chunk's rows as it is scored, then the shares over all
chunks (`scoring_report`). Every validation writes validation.json, passed or failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from configs.schema import RunConfig
from tasks.adapters import registry
from tasks.adapters.expectations import load_suite, run_suite
from tasks.adapters.storage import write_frame_atomic, write_json_atomic
from tasks.core.coercion import coerce_frame
from tasks.core.contract import (
    ContractResult,
    ExpectationOutcome,
    Kind,
    expectation_suite_spec,
    summarize_validation,
    validate_frame,
)
from tasks.core.contract_chunks import ChunkCheck, check_shares
from tasks.core.errors import ConfigError, QuarantineLimitError, StructuralValidationError
from tasks.core.progress import step

EXPECTATIONS = Path(__file__).resolve().parents[3] / "expectations"


@dataclass(frozen=True)
class Validation:
    """One validation: its report (as written), the suite's outcomes, and the result or the
    failure that stops the run."""

    suite: str
    report: dict[str, Any]
    outcomes: list[ExpectationOutcome]
    result: ContractResult | None
    failure: Exception | None


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


def validate_customers(
    raw: pd.DataFrame, config: RunConfig, kind: Kind, report_dir: Path, run_id: str | None
) -> Validation:
    """Run the suite on a sample, apply the contract, write the report (and log it to the
    MLflow run `run_id`, failed or not) and the quarantined rows."""
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
    report = write_report(report_dir, result, failure, outcomes, suite["name"], counts)
    if run_id is not None:
        registry.log_run(run_id, artifacts=[report_dir / "validation.json"], folder="validation")
    if result is not None and len(result.quarantined):
        write_frame_atomic(result.quarantined, report_dir / "quarantine.csv")
        step(f"quarantined {len(result.quarantined):,} rows: see {report_dir / 'quarantine.csv'}")
    return Validation(suite["name"], report, outcomes, result, failure)


def scoring_report(
    checks: list[ChunkCheck],
    outcomes: list[ExpectationOutcome],
    config: RunConfig,
    folder: Path,
    counts: dict,
) -> Validation:
    """After the last chunk of a scoring run: the shares checked (StructuralValidationError
    for numbers that do not parse in most rows, QuarantineLimitError above the quarantine
    share, returned as the failure) and the report written with the suite's outcomes."""
    name = suite_for(config, "scoring")["name"]
    sizes = {
        "suite_rows": min(counts["rows_in"], config.validation.suite_rows),
        "rows": counts["rows_in"],
    }
    try:
        reason_counts, filled = check_shares(checks, config)
    except (StructuralValidationError, QuarantineLimitError) as exc:
        report = write_report(folder, None, exc, outcomes, name, sizes)
        return Validation(name, report, outcomes, None, exc)
    quarantined = [c.result.quarantined for c in checks]
    scored = pd.DataFrame(index=pd.RangeIndex(counts["rows_scored"]))
    joined = pd.concat(quarantined) if quarantined else pd.DataFrame()
    result = ContractResult(scored, joined, [], reason_counts, filled)
    report = write_report(folder, result, None, outcomes, name, sizes)
    return Validation(name, report, outcomes, result, None)


def write_report(
    report_dir: Path,
    result: ContractResult | None,
    failure: Exception | None,
    outcomes: list[ExpectationOutcome],
    suite_name: str,
    counts: dict[str, int],
) -> dict:
    """validation.json of one validation, passed or failed."""
    report: dict[str, Any] = (
        summarize_validation(result, outcomes)
        if result is not None
        else {"error": str(failure), "expectations": [asdict(o) for o in outcomes]}
    )
    report = {"suite": suite_name, "passed": failure is None, **counts, **report}
    write_json_atomic(report_dir / "validation.json", report)
    return report
