"""Validation stage: the data contract (Great Expectations suite plus quarantine rules).

The GX suite only reports (the contract's structural and row rules decide what is scored), so
the scoring flow may run it in the background (`background_suite=True`) while the chunks are
scored, and write its report with `finish_validation` before the scores are merged."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

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
    ExpectationOutcome,
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


@dataclass
class _SuiteRun:
    """The GX suite running in a thread; `outcomes()` waits for it (re-raising its error)."""

    frame: pd.DataFrame
    suite: dict
    done: list = field(default_factory=list)
    error: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.thread = threading.Thread(target=self._run, name="gx-suite", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.done.append(run_suite(self.frame, self.suite))
        except BaseException as exc:  # handed to the caller of outcomes()
            self.error.append(exc)
        finally:
            self.frame = None

    def outcomes(self) -> list[ExpectationOutcome]:
        self.thread.join()
        if self.error:
            raise self.error[0]
        return self.done[0]


@dataclass
class _Pending:
    suite_run: _SuiteRun
    result: ContractResult
    suite_name: str
    counts: dict[str, int]
    kind: str


_PENDING: dict[Path, _Pending] = {}
_PENDING_LOCK = threading.Lock()


# Plain module functions (pickled by reference): a task that named the lock itself could not
# be shipped to a Dask worker.
def _hold(report_dir: Path, pending: _Pending) -> None:
    with _PENDING_LOCK:
        _PENDING[Path(report_dir)] = pending


def _release(report_dir: Path) -> _Pending | None:
    with _PENDING_LOCK:
        return _PENDING.pop(Path(report_dir), None)


@task(name="validate", cache_policy=NO_CACHE)
def validate(
    raw: pd.DataFrame,
    config: RunConfig,
    kind: Literal["training", "scoring"],
    report_dir: Path,
    background_suite: bool = False,
) -> ContractResult:
    """Run the suite, quarantine bad rows, save the results; structural failures stop here.

    With `background_suite`, the suite keeps running after this returns and its report is
    written by `finish_validation(report_dir)`, which the caller must call."""
    suite = suite_for(config, kind)
    step(f"validating {len(raw):,} rows against suite {suite['name']}")
    counts = {"suite_rows": min(len(raw), config.validation.suite_rows), "rows": len(raw)}
    sample = _suite_sample(raw, config) if len(raw) else None
    outcomes = []
    running = None
    if sample is not None and background_suite:
        running = _SuiteRun(sample, suite)  # on another core while the contract runs here
    elif sample is not None:
        outcomes = run_suite(sample, suite)
    failure: Exception | None = None
    result: ContractResult | None = None
    try:
        result = validate_frame(raw, config, kind)
    except (StructuralValidationError, QuarantineLimitError) as exc:
        failure = exc
    if running is not None and failure is None:  # reported by finish_validation
        _hold(report_dir, _Pending(running, result, suite["name"], counts, kind))
    else:
        if running is not None:
            outcomes = running.outcomes()
        _write_report(report_dir, result, failure, outcomes, suite["name"], counts, kind)
    if failure is not None:
        raise failure
    if len(result.quarantined):
        write_frame_atomic(result.quarantined, report_dir / "quarantine.csv")
        step(f"quarantined {len(result.quarantined):,} rows: see {report_dir / 'quarantine.csv'}")
    step(f"{len(result.clean):,} rows passed validation")
    return result


def finish_validation(report_dir: Path) -> None:
    """Wait for a background suite started by `validate` and write its report (no-op if none)."""
    pending = _release(report_dir)
    if pending is None:
        return
    outcomes = pending.suite_run.outcomes()
    _write_report(
        report_dir, pending.result, None, outcomes, pending.suite_name, pending.counts, pending.kind
    )


def _write_report(
    report_dir: Path,
    result: ContractResult | None,
    failure: Exception | None,
    outcomes: list[ExpectationOutcome],
    suite_name: str,
    counts: dict[str, int],
    kind: str,
) -> None:
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
