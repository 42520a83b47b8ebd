"""The data contract, derived from the run config: structural checks stop a run, row rules
quarantine rows; `expectation_suite_spec` states the same rules as a GX suite (no GX import here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from configs.schema import RunConfig
from tasks.core.coercion import (
    BETWEEN,
    IN_SET,
    NOT_NULL,
    CoercedFrame,
    RowFinding,
    as_text,
    coerce_frame,
    row_findings,
)
from tasks.core.errors import QuarantineLimitError, StructuralValidationError
from tasks.i18n import N_, Count, Share

__all__ = [
    "CoercedFrame",
    "ContractResult",
    "ExpectationOutcome",
    "Kind",
    "Problem",
    "coerce_frame",
    "expectation_suite_spec",
    "find_row_problems",
    "find_structural_problems",
    "summarize_validation",
    "validate_frame",
]

Kind = Literal["training", "scoring"]
KINDS: tuple[Kind, ...] = ("training", "scoring")
STRUCTURAL, ROW = "structural", "row"
_GX_SEVERITY = {STRUCTURAL: "critical", ROW: "warning"}  # GX's own severity field
_ROW_COUNT, _EXISTS = "expect_table_row_count_to_be_between", "expect_column_to_exist"
_UNIQUE = "expect_column_values_to_be_unique"


@dataclass(frozen=True)
class Problem:
    """One broken rule: column (None for the table), expectation, message, example values."""

    column: str | None
    expectation: str
    message: str
    samples: list[str] = field(default_factory=list)
    rows: int = 0

    def describe(self) -> str:
        where = f"column {self.column!r}" if self.column else "table"
        text = f"{where} {self.expectation}: {self.message}"
        return f"{text}, e.g. {self.samples}" if self.samples else text


@dataclass(frozen=True)
class ContractResult:
    """Clean typed rows (raw index kept), quarantined raw rows + `quarantine_reason`,
    row-level problems, rows per reason kind and blanks filled per column."""

    clean: pd.DataFrame
    quarantined: pd.DataFrame
    problems: list[Problem]
    reason_counts: dict[str, int] = field(default_factory=dict)
    filled: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result from a suite run, JSON-safe."""

    type: str
    column: str | None
    success: bool
    severity: str
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    partial_unexpected_list: list[Any] = field(default_factory=list)
    observed_value: Any = None
    exception: str | None = None


def expectation_suite_spec(config: RunConfig, kind: Kind) -> dict[str, Any]:
    """The contract as a GX 1.x suite dict that `gx.ExpectationSuite(**spec)` accepts."""
    _check_kind(kind)
    data, rules = config.dataset, config.validation
    parse_mostly = _mostly(rules.max_unparseable_share)
    row_mostly = _mostly(rules.max_quarantine_share)
    items = [_expect(_ROW_COUNT, STRUCTURAL, min_value=rules.min_rows)]
    items += [_expect(_EXISTS, STRUCTURAL, column=c) for c in required_columns(config, kind)]
    if data.id_column:
        items += [_expect(t, STRUCTURAL, column=data.id_column) for t in (_UNIQUE, NOT_NULL)]
    if kind == "training":
        target = data.target
        labels = [target.positive, target.negative]
        items.append(_expect(NOT_NULL, STRUCTURAL, column=target.column))
        items.append(_expect(IN_SET, STRUCTURAL, column=target.column, value_set=labels))
    for name, rule in data.numeric.items():
        items.append(_expect(NOT_NULL, STRUCTURAL, column=name, mostly=parse_mostly))
        if rule.min is not None or rule.max is not None:
            limits = {"min_value": rule.min, "max_value": rule.max}
            items.append(_expect(BETWEEN, ROW, column=name, mostly=row_mostly, **limits))
    for name, allowed in data.categorical.items():
        items.append(_expect(IN_SET, ROW, column=name, value_set=list(allowed), mostly=row_mostly))
    meta = {"dataset": data.name, "kind": kind, "generated_by": "tasks.core.contract"}
    return {"name": f"{data.name}-{kind}", "expectations": items, "meta": meta}


def find_structural_problems(
    raw: pd.DataFrame, coerced: CoercedFrame, config: RunConfig, kind: Kind
) -> list[Problem]:
    """Every problem that makes the data unusable as a whole (all of them, not the first)."""
    _check_kind(kind)
    data, rules, frame = config.dataset, config.validation, coerced.frame
    n, size = len(raw), rules.sample_size
    problems = []
    if n < rules.min_rows:
        what = "the data has no rows" if n == 0 else f"the data has {n} rows"
        problems.append(Problem(None, _ROW_COUNT, f"{what}, need at least {rules.min_rows}"))
    for column in required_columns(config, kind):
        if column not in raw.columns:
            problems.append(Problem(column, _EXISTS, _missing(column, raw.columns)))
    if n == 0:
        return problems
    if data.id_column in frame:
        ids = frame[data.id_column]
        blank = ids.isna()
        if blank.any():
            labels = [str(label) for label in ids.index[blank.to_numpy()][:size]]
            message = f"{int(blank.sum())} rows without an id (row labels shown)"
            problems.append(Problem(data.id_column, NOT_NULL, message, labels))
        again = ids.duplicated(keep=False) & ~blank
        if again.any():
            message = f"{ids[again].nunique()} ids appear more than once ({int(again.sum())} rows)"
            problems.append(Problem(data.id_column, _UNIQUE, message, _sample(ids[again], size)))
    target = data.target
    if kind == "training" and target.column in frame:
        bad = ~frame[target.column].isin([target.positive, target.negative])
        if bad.any():
            shown = _raw_text(raw, target.column, bad)
            outside = f"{{{target.positive!r}, {target.negative!r}}}"
            message = f"{int(bad.sum())} rows with labels outside {outside}"
            problems.append(Problem(target.column, IN_SET, message, _sample(shown, size)))
    for name in (c for c in data.numeric if c in frame):
        null = frame[name].isna()
        if null.mean() > rules.max_unparseable_share:
            message = (
                f"{int(null.sum())} of {n} rows ({null.mean():.0%}) are not numbers, "
                f"limit {rules.max_unparseable_share:.0%}"
            )
            shown = _raw_text(raw, name, null)
            problems.append(Problem(name, NOT_NULL, message, _sample(shown, size)))
    return problems


def find_row_problems(raw: pd.DataFrame, coerced: CoercedFrame, config: RunConfig) -> pd.Series:
    """Per row, why it breaks row rules ('' when fine; several reasons joined by '; ')."""
    return row_findings(raw, coerced, config.dataset)[0]


def validate_frame(raw: pd.DataFrame, config: RunConfig, kind: Kind) -> ContractResult:
    """Coerce, raise on structural problems, quarantine rows that break row rules.

    Scoring needs no target; one that is present is kept in `clean` (as text, unchecked) so
    monitoring can compare scores with labels."""
    _check_kind(kind)
    rules = config.validation
    coerced = coerce_frame(raw, config.dataset)
    structural = find_structural_problems(raw, coerced, config, kind)
    if structural:
        raise structural_error(structural)
    reasons, findings = row_findings(raw, coerced, config.dataset)
    bad = (reasons != "").to_numpy()
    counts = {f.key: f.rows for f in findings}
    if bad.mean() > rules.max_quarantine_share:
        top = sorted(counts.items(), key=lambda kv: -kv[1])[: rules.sample_size]
        listed = ", ".join(f"{key} ({count})" for key, count in top)
        raise quarantine_limit(int(bad.sum()), len(raw), rules.max_quarantine_share, listed)
    # Numbers stay float64 (whole-number rules are checked above): the model signature
    # declares doubles, so training, batch scoring and serving feed one type.
    clean = coerced.frame.iloc[np.flatnonzero(~bad)] if bad.any() else coerced.frame
    quarantined = raw.iloc[np.flatnonzero(bad)].copy()
    quarantined["quarantine_reason"] = reasons.to_numpy()[bad]
    problems = [_row_problem(f, rules.sample_size) for f in findings]
    filled = {name: int(mask.sum()) for name, mask in coerced.filled.items()}
    return ContractResult(clean, quarantined, problems, counts, filled)


def quarantine_limit(bad: int, rows: int, limit: float, reasons: str) -> QuarantineLimitError:
    """Too many rows broke row rules: how many, against the limit, and the commonest reasons."""
    return QuarantineLimitError(
        N_(
            "%(bad)s of %(rows)s rows (%(share)s) break row rules, above the limit of %(limit)s;"
            " top reasons: %(reasons)s"
        ),
        bad=Count(bad),
        rows=Count(rows),
        share=Share(bad / rows if rows else 0.0),
        limit=Share(limit),
        reasons=reasons,
    )


def structural_error(problems: Sequence[Problem]) -> StructuralValidationError:
    """One error naming every structural problem."""
    described = "; ".join(p.describe() for p in problems)
    return StructuralValidationError(f"data breaks its contract: {described}")


def summarize_validation(
    result: ContractResult, outcomes: Sequence[ExpectationOutcome] = ()
) -> dict[str, Any]:
    """A JSON-able record of one validation: row counts, quarantine reasons, GX outcomes."""
    rows_in = len(result.clean) + len(result.quarantined)
    failed = [o for o in outcomes if not o.success]
    return {
        "rows_in": rows_in,
        "rows_clean": len(result.clean),
        "rows_quarantined": len(result.quarantined),
        "quarantined_share": round(len(result.quarantined) / rows_in, 6) if rows_in else 0.0,
        "quarantine_reasons": dict(sorted(result.reason_counts.items(), key=lambda kv: -kv[1])),
        "blanks_filled": dict(result.filled),
        "expectations": {
            "evaluated": len(outcomes),
            "successful": len(outcomes) - len(failed),
            "failed": [f"{o.type}({o.column or 'table'})" for o in failed],
            "results": [asdict(o) for o in outcomes],
        },
    }


def _row_problem(finding: RowFinding, size: int) -> Problem:
    message = f"{finding.rows} rows quarantined: {finding.kind}"
    samples = _sample(finding.values, size)
    return Problem(finding.column, finding.expectation, message, samples, finding.rows)


def required_columns(config: RunConfig, kind: Kind) -> list[str]:
    """The columns a table must carry for `kind` (training adds the target)."""
    data = config.dataset
    return [*data.input_columns, data.target.column] if kind == "training" else data.input_columns


def _expect(kind: str, severity: str, **kwargs: Any) -> dict[str, Any]:
    """One expectation; None values and mostly=1.0 are left out, as GX itself writes them."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None and (k, v) != ("mostly", 1.0)}
    meta = {"severity": severity}
    return {"type": kind, "kwargs": kwargs, "meta": meta, "severity": _GX_SEVERITY[severity]}


def _mostly(share: float) -> float:
    return round(1.0 - share, 10)


def _missing(column: str, present: pd.Index) -> str:
    near = [str(c) for c in present if str(c).strip().lower() == column.lower()]
    return f"missing from the data (found {near[0]!r})" if near else "missing from the data"


def _raw_text(raw: pd.DataFrame, column: str, rows: pd.Series) -> pd.Series:
    return as_text(raw[column])[rows.to_numpy()].fillna("")


def _sample(values: pd.Series, size: int) -> list[str]:
    return [str(v) for v in pd.unique(values.to_numpy())[:size]]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
