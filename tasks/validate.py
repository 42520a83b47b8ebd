"""Validation stage: the data contract (Great Expectations suite plus quarantine rules)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Literal

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from configs.schema import RunConfig
from tasks.adapters.expectations import load_suite, run_suite
from tasks.adapters.storage import write_frame_atomic, write_json_atomic
from tasks.core.coercion import coerce_frame
from tasks.core.contract import (
    ContractResult,
    expectation_suite_spec,
    summarize_validation,
    validate_frame,
)
from tasks.core.errors import ConfigError, QuarantineLimitError, StructuralValidationError
from tasks.progress import step

EXPECTATIONS = Path(__file__).resolve().parents[1] / "expectations"


def suite_for(config: RunConfig, kind: Literal["training", "scoring"]) -> dict:
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


def _suite_sample(raw: pd.DataFrame, config: RunConfig) -> pd.DataFrame:
    """The coerced rows the GX suite runs on: all, or a fixed sample of `suite_rows`."""
    limit = config.validation.suite_rows
    if len(raw) > limit:
        raw = raw.sample(n=limit, random_state=config.model.seed).sort_index()
    return coerce_frame(raw, config.dataset).frame


@task(name="validate", cache_policy=NO_CACHE)
def validate(
    raw: pd.DataFrame,
    config: RunConfig,
    kind: Literal["training", "scoring"],
    report_dir: Path,
) -> ContractResult:
    """Run the suite, quarantine bad rows, save the results; structural failures stop here."""
    suite = suite_for(config, kind)
    step(f"validating {len(raw):,} rows against suite {suite['name']}")
    outcomes = run_suite(_suite_sample(raw, config), suite) if len(raw) else []
    failure: Exception | None = None
    result: ContractResult | None = None
    try:
        result = validate_frame(raw, config, kind)
    except (StructuralValidationError, QuarantineLimitError) as exc:
        failure = exc
    report = (
        summarize_validation(result, outcomes)
        if result is not None
        else {"error": str(failure), "expectations": [asdict(o) for o in outcomes]}
    )
    report = {
        "suite": suite["name"],
        "passed": failure is None,
        "suite_rows": min(len(raw), config.validation.suite_rows),
        "rows": len(raw),
        **report,
    }
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
        description=f"{suite['name']}: " + ("passed" if failure is None else str(failure)),
    )
    if failure is not None:
        raise failure
    if len(result.quarantined):
        write_frame_atomic(result.quarantined, report_dir / "quarantine.csv")
        step(f"quarantined {len(result.quarantined):,} rows: see {report_dir / 'quarantine.csv'}")
    step(f"{len(result.clean):,} rows passed validation")
    return result
