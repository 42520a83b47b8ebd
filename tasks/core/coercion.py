"""Type raw input (CSV text or typed parquet/SQL columns) and find rows breaking row rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from configs.schema import Dataset

_EXACT_INT = 2**53  # beyond this a float64 no longer holds every integer exactly
NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"


@dataclass(frozen=True)
class CoercedFrame:
    """The typed frame, per numeric column the rows holding text that is not a number,
    and per blank rule the rows it filled."""

    frame: pd.DataFrame
    unparseable: dict[str, pd.Series]
    filled: dict[str, pd.Series]


def coerce_frame(frame: pd.DataFrame, dataset: Dataset) -> CoercedFrame:
    """Type the configured columns present in `frame` (id, numeric, categorical, target).

    Text is stripped and blanks read as missing; numbers are float64 (unparseable text -> NaN,
    flagged in `unparseable`); ids, categories and labels are str. A numeric `blank` rule fills
    a blank only where `when_column == equals`: the Telco quirk, where TotalCharges is blank for
    the 11 customers at tenure 0 (nothing billed yet) and is read as 0. The input is not mutated.
    """
    columns: dict[str, pd.Series] = {}
    unparseable: dict[str, pd.Series] = {}
    filled: dict[str, pd.Series] = {}
    present = set(frame.columns)
    if dataset.id_column in present:
        columns[dataset.id_column] = as_text(frame[dataset.id_column])
    for name in dataset.numeric:
        if name in present:
            columns[name], unparseable[name] = parse_numbers(frame[name])
    for name, rule in dataset.numeric.items():
        blank = rule.blank
        if blank is None or name not in columns or blank.when_column not in columns:
            continue
        where = (
            columns[name].isna() & ~unparseable[name] & (columns[blank.when_column] == blank.equals)
        )
        columns[name] = columns[name].mask(where, blank.fill)
        filled[name] = where
    for name, allowed in dataset.categorical.items():
        if name in present:
            columns[name] = as_category(frame[name], allowed)
    target = dataset.target
    if target.column in present:
        columns[target.column] = as_category(
            frame[target.column], [target.positive, target.negative]
        )
    typed = pd.DataFrame(columns, index=frame.index)
    return CoercedFrame(frame=typed, unparseable=unparseable, filled=filled)


def as_text(series: pd.Series) -> pd.Series:
    """Values as stripped str (object dtype), NaN where null or blank; 1.0 reads as '1'."""
    if ptypes.is_float_dtype(series):
        return format_numbers(series)
    text = series.astype("string")
    if not (ptypes.is_integer_dtype(series) or ptypes.is_bool_dtype(series)):
        text = text.str.strip()
    missing = text.isna() | text.eq("").fillna(True)
    return text.astype(object).mask(missing.to_numpy(), np.nan)


def as_category(series: pd.Series, allowed: list[str]) -> pd.Series:
    """Text of a categorical column; a numeric spelling of an allowed value ('1.0') maps to it."""
    text = as_text(series)
    stray = (text.notna() & ~text.isin(allowed)).to_numpy()
    if stray.any():
        canonical = format_numbers(pd.to_numeric(text[stray], errors="coerce")).to_numpy()
        hit = pd.Series(canonical).isin(allowed).to_numpy()
        values = text.to_numpy(copy=True)
        values[np.flatnonzero(stray)[hit]] = canonical[hit]
        text = pd.Series(values, index=text.index, dtype=object)
    return text


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """float64 values (NaN where blank or not a number) and the mask of non-blank non-numbers."""
    if ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series):
        values = series.astype("float64")
        present = values.notna()
    else:
        text = as_text(series)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        present = text.notna()
    values = values.where(np.isfinite(values))
    return values, present & values.isna()


def format_numbers(values: pd.Series) -> pd.Series:
    """Numbers as short text (object dtype): whole numbers without '.0', NaN stays NaN."""
    values = pd.Series(values, dtype="float64")
    text = values.astype(str).astype(object)
    whole = (
        np.isfinite(values) & (values == np.round(values)) & (values.abs() < _EXACT_INT)
    ).to_numpy()
    text[whole] = values[whole].astype("int64").astype(str)
    return text.mask(values.isna().to_numpy(), np.nan)


def format_number(value: float) -> str:
    """One number as short text: 0.0 -> '0', 2.5 -> '2.5'."""
    return str(int(value)) if float(value).is_integer() and abs(value) < _EXACT_INT else repr(value)


@dataclass(frozen=True)
class RowFinding:
    """Rows breaking one row rule of one column; `values` are the offending values shown."""

    column: str
    expectation: str  # the GX expectation it mirrors, or the config rule ("integer")
    kind: str
    rows: int
    values: pd.Series

    @property
    def key(self) -> str:
        return f"{self.column}: {self.kind}"


class _Reasons:
    """Collects reason text per row (joined by '; ') and one finding per broken rule."""

    def __init__(self, size: int) -> None:
        self.text = np.full(size, "", dtype=object)
        self.findings: list[RowFinding] = []

    def add(
        self, column: str, check: tuple[str, str], mask: pd.Series, detail: Any, shown: pd.Series
    ):
        rows = mask.to_numpy(dtype=bool)
        if not rows.any():
            return
        reason = f"{column}: " + (detail[rows] if isinstance(detail, pd.Series) else detail)
        reason = np.asarray(reason, dtype=object)
        current = self.text[rows]
        self.text[rows] = np.where(current == "", reason, current + "; " + reason)
        self.findings.append(RowFinding(column, *check, int(rows.sum()), shown[rows]))


def row_findings(
    raw: pd.DataFrame, coerced: CoercedFrame, dataset: Dataset
) -> tuple[pd.Series, list[RowFinding]]:
    """Reason text per row ('' when fine) and the findings; vectorised, loops over columns only."""
    frame = coerced.frame
    found = _Reasons(len(frame))
    for name, rule in dataset.numeric.items():
        if name not in frame:
            continue
        values, bad_text = frame[name], coerced.unparseable[name]
        text = as_text(raw[name]).fillna("").astype(str).str.slice(0, 40)
        found.add(name, (NOT_NULL, "not a number"), bad_text, "not a number '" + text + "'", text)
        blank = values.isna() & ~bad_text
        if rule.blank is None:
            found.add(name, (NOT_NULL, "missing"), blank, "missing", text)
        else:
            when, equals = rule.blank.when_column, format_number(rule.blank.equals)
            seen = format_numbers(frame[when]).fillna("missing") if when in frame else "missing"
            check = (NOT_NULL, f"blank while {when} is not {equals}")
            found.add(name, check, blank, f"blank while {when} is " + seen, text)
        shown = format_numbers(values)
        if rule.min is not None:
            low = format_number(rule.min)
            found.add(
                name,
                (BETWEEN, f"below min {low}"),
                values < rule.min,
                shown + f" below min {low}",
                shown,
            )
        if rule.max is not None:
            high = format_number(rule.max)
            found.add(
                name,
                (BETWEEN, f"above max {high}"),
                values > rule.max,
                shown + f" above max {high}",
                shown,
            )
        if rule.integer:
            fraction = values.notna() & (values != np.round(values))
            found.add(
                name, ("integer", "not an integer"), fraction, shown + " not an integer", shown
            )
    for name, allowed in dataset.categorical.items():
        if name in frame:
            text = frame[name]
            found.add(name, (NOT_NULL, "missing"), text.isna(), "missing", text.fillna(""))
            unknown = text.notna() & ~text.isin(allowed)
            found.add(
                name,
                (IN_SET, "unknown category"),
                unknown,
                "unknown category '" + text.astype(str) + "'",
                text,
            )
    return pd.Series(found.text, index=frame.index, dtype=object), found.findings
