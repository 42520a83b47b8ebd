"""Great Expectations behind one small API: the only module that imports great_expectations.

GX is slow to import, so it is imported inside `run_suite` only; suites live as plain JSON.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from configs.schema import RunConfig
from tasks.adapters.storage import write_json_atomic
from tasks.core.contract import KINDS, ExpectationOutcome, expectation_suite_spec
from tasks.core.errors import ConfigError


def load_suite(path: str | Path) -> dict[str, Any]:
    """Read a suite JSON file written by `save_suite`."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise ConfigError(f"expectation suite not found: {path}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("expectations"), list):
        raise ConfigError(f"{path}: not an expectation suite (no 'expectations' list)")
    return spec


def save_suite(spec: dict[str, Any], path: str | Path) -> Path:
    """Write a suite as stable JSON (sorted keys, indented), atomically."""
    return write_json_atomic(Path(path), spec)


def write_suites(config: RunConfig, folder: str | Path) -> list[Path]:
    """(Re)write `<dataset>-training.json` and `<dataset>-scoring.json` from the config."""
    specs = [expectation_suite_spec(config, kind) for kind in KINDS]
    return [save_suite(spec, Path(folder) / f"{spec['name']}.json") for spec in specs]


def run_suite(frame: pd.DataFrame, spec: dict[str, Any]) -> list[ExpectationOutcome]:
    """Run a suite on a coerced frame in a throwaway in-memory context; outcomes in suite order."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral", project_config=_quiet_config())
    batch = (
        context.data_sources.add_pandas("contract")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(gx.ExpectationSuite(**copy.deepcopy(spec)))
    validation = gx.ValidationDefinition(data=batch, suite=suite, name=suite.name)
    run = validation.run(
        batch_parameters={"dataframe": frame},
        result_format={"result_format": "BASIC", "partial_unexpected_count": 10},
    )
    by_id = {result.expectation_config.id: result for result in run.results}
    return [_outcome(by_id[expectation.id]) for expectation in suite.expectations]


def _quiet_config() -> Any:
    """In-memory stores, no data docs, no progress bars, no analytics."""
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    details = result.result or {}
    info = result.exception_info or {}
    raised = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    if info.get("raised_exception"):
        raised.append(info)
    return ExpectationOutcome(
        type=config.type,
        column=config.kwargs.get("column"),
        success=bool(result.success),
        severity=str((config.meta or {}).get("severity", "structural")),
        unexpected_count=_json_safe(details.get("unexpected_count")),
        unexpected_percent=_json_safe(details.get("unexpected_percent")),
        partial_unexpected_list=_json_safe(details.get("partial_unexpected_list") or []),
        observed_value=_json_safe(details.get("observed_value")),
        exception=str(raised[0].get("exception_message")) if raised else None,
    )


def _json_safe(value: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN/NA as None, anything else as text."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None if pd.isna(value) else str(value)
