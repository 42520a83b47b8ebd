"""The data contract checked chunk by chunk, for tables scored as a stream of chunks.

`validate_frame` checks a whole frame at once. A large scoring table is checked in three
steps with the same rules and the same messages: the whole-table rules first (columns, row
count, ids: one compact pass), the row rules on each chunk as it is scored, and the shares
(numbers that do not parse, quarantined rows) once every chunk is done, before anything is
committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from configs.schema import RunConfig
from tasks.core.coercion import NOT_NULL, WHITESPACE, as_text, coerce_frame, row_findings
from tasks.core.contract import (
    ContractResult,
    Kind,
    Problem,
    quarantine_limit,
    required_columns,
    structural_error,
)

_ROW_COUNT, _EXISTS = "expect_table_row_count_to_be_between", "expect_column_to_exist"
_UNIQUE = "expect_column_values_to_be_unique"


@dataclass(frozen=True)
class ChunkCheck:
    """One chunk's row check: clean typed rows, quarantined raw rows, and its counts."""

    result: ContractResult
    rows: int  # rows checked (clean + quarantined)
    missing_numbers: dict[str, int] = field(default_factory=dict)  # per numeric column


def table_problems(
    columns: Sequence[str],
    rows: int,
    ids: pa.ChunkedArray | None,
    config: RunConfig,
    kind: Kind,
) -> list[Problem]:
    """The rules that need the whole table: required columns, row count, blank and repeated
    ids (`ids` raw, canonicalised here; a text column stays in Arrow: no Python string per
    row, so a table of millions is checked in its compact size)."""
    data, rules = config.dataset, config.validation
    problems = []
    if rows < rules.min_rows:
        what = "the data has no rows" if rows == 0 else f"the data has {rows} rows"
        problems.append(Problem(None, _ROW_COUNT, f"{what}, need at least {rules.min_rows}"))
    present = set(columns)
    for column in required_columns(config, kind):
        if column not in present:
            near = [c for c in columns if c.strip().lower() == column.lower()]
            found = f" (found {near[0]!r})" if near else ""
            problems.append(Problem(column, _EXISTS, f"missing from the data{found}"))
    if ids is None or rows == 0:
        return problems
    text = canonical_ids(ids)
    blank = text.is_null()
    size = rules.sample_size
    blanks = pc.sum(blank).as_py() or 0
    if blanks:
        labels = [str(i) for i in pc.indices_nonzero(blank)[:size].to_pylist()]
        message = f"{blanks} rows without an id (row positions shown)"
        problems.append(Problem(data.id_column, NOT_NULL, message, labels))
    counts = pc.value_counts(text.drop_null())  # values in the order they first appear
    again = pc.greater(counts.field("counts"), 1)
    repeated = counts.filter(again)
    if len(repeated):
        total = pc.sum(repeated.field("counts")).as_py()
        message = f"{len(repeated)} ids appear more than once ({total} rows)"
        samples = [str(v) for v in repeated.field("values")[:size].to_pylist()]
        problems.append(Problem(data.id_column, _UNIQUE, message, samples))
    return problems


def canonical_ids(ids: pa.ChunkedArray) -> pa.Array:
    """Ids as `as_text` reads them (stripped text, null where null or blank), in Arrow for
    text columns; other types go through `as_text`."""
    if pa.types.is_dictionary(ids.type):
        ids = ids.cast(ids.type.value_type)
    if not (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type)):
        series = as_text(ids.to_pandas())
        return pa.array(series.to_numpy(), type=pa.string(), from_pandas=True)
    text = pc.utf8_trim(ids.combine_chunks(), characters="".join(WHITESPACE))
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, text.type), text)


def check_chunk(raw: pd.DataFrame, config: RunConfig) -> ChunkCheck:
    """Row rules on one chunk: typed clean rows and quarantined rows with their reasons."""
    coerced = coerce_frame(raw, config.dataset, keep_categories=True)
    reasons, findings = row_findings(raw, coerced, config.dataset)
    bad = (reasons != "").to_numpy()
    clean = coerced.frame.iloc[np.flatnonzero(~bad)] if bad.any() else coerced.frame
    quarantined = _plain(raw.iloc[np.flatnonzero(bad)])
    quarantined["quarantine_reason"] = reasons.to_numpy()[bad]
    counts = {f.key: f.rows for f in findings}
    filled = {name: int(mask.sum()) for name, mask in coerced.filled.items()}
    missing = {
        name: int(coerced.frame[name].isna().sum())
        for name in config.dataset.numeric
        if name in coerced.frame
    }
    return ChunkCheck(ContractResult(clean, quarantined, [], counts, filled), len(raw), missing)


def _plain(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows as their own frame, categorical columns as text: a few quarantined rows keep no
    reference to the chunk, nor to a categories index as long as the table's distinct values."""
    categorical = [c for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)]
    return rows.astype(dict.fromkeys(categorical, object)).copy()


def check_shares(checks: Sequence[ChunkCheck], config: RunConfig) -> tuple[dict, dict]:
    """After the last chunk: StructuralValidationError where most numbers do not parse,
    QuarantineLimitError above the quarantine share; else (reason counts, blanks filled)."""
    rules = config.validation
    rows = sum(c.rows for c in checks)
    problems = []
    for name in config.dataset.numeric:
        missing = sum(c.missing_numbers.get(name, 0) for c in checks)
        if rows and missing / rows > rules.max_unparseable_share:
            message = (
                f"{missing} of {rows} rows ({missing / rows:.0%}) are not numbers, "
                f"limit {rules.max_unparseable_share:.0%}"
            )
            problems.append(Problem(name, NOT_NULL, message))
    if problems:
        raise structural_error(problems)
    counts: dict[str, int] = {}
    filled: dict[str, int] = {}
    for check in checks:
        for key, value in check.result.reason_counts.items():
            counts[key] = counts.get(key, 0) + value
        for key, value in check.result.filled.items():
            filled[key] = filled.get(key, 0) + value
    bad = sum(len(c.result.quarantined) for c in checks)
    if rows and bad / rows > rules.max_quarantine_share:
        top = sorted(counts.items(), key=lambda kv: -kv[1])[: rules.sample_size]
        listed = ", ".join(f"{key} ({count})" for key, count in top)
        raise quarantine_limit(bad, rows, rules.max_quarantine_share, listed)
    return counts, filled
