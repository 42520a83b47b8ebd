"""Type raw input (CSV text or typed parquet/SQL columns) and find rows breaking row rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from configs.schema import Dataset
from tasks.core.labels import read_labels

_EXACT_INT = 2**53  # beyond this a float64 no longer holds every integer exactly
NOT_NULL = "expect_column_values_to_not_be_null"
BETWEEN = "expect_column_values_to_be_between"
IN_SET = "expect_column_values_to_be_in_set"


@dataclass(frozen=True)
class CoercedFrame:
    """The typed frame; per numeric column the rows whose text is not a number; per blank rule
    the rows it filled."""

    frame: pd.DataFrame
    unparseable: dict[str, pd.Series]
    filled: dict[str, pd.Series]
    # per categorical column, which typed values are allowed (saves row_findings a lookup)
    allowed: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)


def coerce_frame(
    frame: pd.DataFrame, dataset: Dataset, keep_categories: bool = False
) -> CoercedFrame:
    """Type the configured columns present in `frame` (ids, categories, labels: stripped str).

    Numbers become float64, non-numbers NaN and flagged. The `blank` rule is the Telco quirk:
    TotalCharges is blank at tenure 0 (nothing billed yet), read as 0 there only. With
    `keep_categories`, a categorical column whose categories are all allowed values stays
    categorical (the same values, no text object per row: what the compiled model reads
    fastest). No mutation."""
    columns: dict[str, pd.Series] = {}
    unparseable: dict[str, pd.Series] = {}
    filled: dict[str, pd.Series] = {}
    allowed_rows: dict[str, np.ndarray] = {}
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
            columns[name], allowed_rows[name] = _as_category(frame[name], allowed, keep_categories)
    target = dataset.target
    if target.column in present:
        columns[target.column] = read_labels(frame[target.column], target)
    typed = pd.DataFrame(columns, index=frame.index, copy=False)  # fresh series: no copy needed
    return CoercedFrame(typed, unparseable, filled, allowed_rows)


def as_text(series: pd.Series) -> pd.Series:
    """Values as stripped str (object dtype), NaN where null or blank; 1.0 reads as '1'."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # each distinct value once
        return _by_category(series, as_text)
    if ptypes.is_float_dtype(series):
        return format_numbers(series)
    values = series.astype(object)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind == "empty":
        return pd.Series(np.nan, index=series.index, dtype=object)
    if kind != "string":
        values = values.map(str, na_action="ignore")
    values = _strip(values)
    return values.mask(values.isna() | values.eq(""), np.nan)


#: Every character str.strip() removes (those for which str.isspace() is true).
WHITESPACE = [chr(c) for c in range(0x110000) if chr(c).isspace()]


def _strip(values: pd.Series) -> pd.Series:
    """`values.str.strip()` of an object series of str: Arrow finds the values that start or
    end with whitespace, and only those are stripped (by Python, so exactly as str.strip)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.to_numpy(), type=pa.large_string(), from_pandas=True)
    spaces = pa.array(WHITESPACE, type=pa.large_string())
    edges = pc.or_(
        pc.is_in(pc.utf8_slice_codeunits(text, 0, 1), value_set=spaces),
        pc.is_in(pc.utf8_slice_codeunits(text, -1, 2**31 - 1), value_set=spaces),
    )
    rows = np.flatnonzero(edges.fill_null(False).to_numpy(zero_copy_only=False))
    if len(rows) == 0:
        return values
    out = values.copy()
    out.iloc[rows] = [value.strip() for value in values.iloc[rows].tolist()]
    return out


def _by_category(series: pd.Series, function) -> pd.Series:
    """`function` of a categorical series, computed on its categories and spread to its rows
    (NaN where the row is missing): the same values, each distinct one worked out once."""
    categories = series.cat.categories.to_numpy(dtype=object)
    done = function(pd.Series(np.append(categories, np.nan), dtype=object))  # last: missing
    codes = series.cat.codes.to_numpy().astype(np.intp)
    codes[codes < 0] = len(categories)
    return pd.Series(done.to_numpy().take(codes), index=series.index, dtype=done.dtype)


def as_category(series: pd.Series, allowed: list[str]) -> pd.Series:
    """Text of a categorical column; a numeric spelling of an allowed value ('1.0') maps to it."""
    return _as_category(series, allowed)[0]


def _as_category(
    series: pd.Series, allowed: list[str], keep: bool = False
) -> tuple[pd.Series, np.ndarray]:
    """`as_category` and, per row, whether the result is one of the allowed values (`keep`:
    a categorical series of allowed categories as it is)."""
    if keep and isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if categories.dtype == object and categories.isin(allowed).all():
            return series, series.cat.codes.to_numpy() >= 0
    known = series.isin(allowed).to_numpy()
    values = series.to_numpy(dtype=object, copy=True)
    result = known
    if not known.all():  # slow path only for rows that are not already an allowed value
        text = as_text(series[~known])
        numbers = format_numbers(pd.to_numeric(text, errors="coerce"))
        fixed = text.where(~numbers.isin(allowed), numbers)
        values[~known] = fixed.to_numpy()
        result = known.copy()
        result[~known] = fixed.isin(allowed).to_numpy()
    return pd.Series(values, index=series.index, dtype=object), result


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """float64 values (NaN where blank or not a number) and the mask of non-blank non-numbers."""
    numeric = ptypes.is_numeric_dtype(series) and not ptypes.is_bool_dtype(series)
    if numeric:
        values = series
    elif isinstance(series.dtype, pd.CategoricalDtype):  # parse each distinct text once
        values = _by_category(
            series, lambda text: pd.to_numeric(text, errors="coerce").astype("float64")
        )
    else:
        values = pd.to_numeric(series.astype(object), errors="coerce")
    values = values.astype("float64")
    values = values.where(np.isfinite(values))
    unparseable = pd.Series(False, index=series.index)
    missing = values.isna().to_numpy()
    if missing.any():  # tell blanks from text that is not a number, on those rows only
        unparseable[missing] = as_text(series[missing]).notna().to_numpy()
    return values, unparseable


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
        self,
        column: str,
        rule: tuple[str, str],
        mask: pd.Series,
        values: pd.Series | None = None,
        template: str = "",
    ) -> None:
        """Flag `mask` rows as f"{column}: {template or kind}", '{}' standing for the value."""
        rows = mask.to_numpy(dtype=bool)
        if not rows.any():
            return
        expectation, kind = rule
        shown = _shown(values[rows]) if values is not None else pd.Series([], dtype=object)
        prefix, _, suffix = f"{column}: {template or kind}".partition("{}")
        reason = (prefix + shown + suffix).to_numpy() if values is not None else prefix
        current = self.text[rows]
        self.text[rows] = np.where(current == "", reason, current + "; " + reason)
        self.findings.append(RowFinding(column, expectation, kind, int(rows.sum()), shown))


def row_findings(
    raw: pd.DataFrame, coerced: CoercedFrame, dataset: Dataset
) -> tuple[pd.Series, list[RowFinding]]:
    """Reason text per row ('' when fine) and the findings; vectorised, loops over columns only."""
    frame, found = coerced.frame, _Reasons(len(coerced.frame))
    for name, rule in dataset.numeric.items():
        if name not in frame:
            continue
        values, bad_text = frame[name], coerced.unparseable[name]
        found.add(name, (NOT_NULL, "not a number"), bad_text, raw[name], "not a number '{}'")
        blank = values.isna() & ~bad_text
        if rule.blank is None:
            found.add(name, (NOT_NULL, "missing"), blank)
        elif rule.blank.when_column in frame:
            when, equals = rule.blank.when_column, format_number(rule.blank.equals)
            label = f"blank while {when} is not {equals}"
            found.add(name, (NOT_NULL, label), blank, frame[when], f"blank while {when} is {{}}")
        for limit, word, broken in (
            (rule.min, "below min", np.less),
            (rule.max, "above max", np.greater),
        ):
            if limit is not None:
                label = f"{word} {format_number(limit)}"
                found.add(name, (BETWEEN, label), broken(values, limit), values, f"{{}} {label}")
        if rule.integer:
            fraction = values.notna() & (values != np.round(values))
            found.add(name, ("integer", "not an integer"), fraction, values, "{} not an integer")
    for name, allowed in dataset.categorical.items():
        if name not in frame:
            continue
        text = frame[name]
        rows = coerced.allowed.get(name)
        known = text.isin(allowed) if rows is None else pd.Series(rows, index=text.index)
        if not known.all():  # the common case skips both checks
            missing = text.isna() & ~known
            found.add(name, (NOT_NULL, "missing"), missing)
            unknown = ~known & ~missing
            found.add(name, (IN_SET, "unknown category"), unknown, text, "unknown category '{}'")
    return pd.Series(found.text, index=frame.index, dtype=object), found.findings


def _shown(values: pd.Series) -> pd.Series:
    """Values as they appear in reasons: short text, NaN as 'missing', at most 40 characters."""
    text = format_numbers(values) if ptypes.is_float_dtype(values) else as_text(values)
    return text.fillna("missing").astype(str).str.slice(0, 40)
