"""Batch scoring of validated customers: probability, segment, reasons, lifetime value."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from configs.schema import RunConfig
from tasks.core.inference import CompiledModel, Contributions, fold_engineered
from tasks.core.kpis import assign_risk_segments
from tasks.core.modeling import churn_labels
from tasks.core.survival import SurvivalModel, expected_lifetime

_EXACT_BELOW = 2.0**32  # numbers this large or larger are written by Python


def split_chunks(frame: pd.DataFrame, rows: int) -> list[pd.DataFrame]:
    """Consecutive slices of at most `rows` rows (views, not copies)."""
    return [frame.iloc[start : start + rows] for start in range(0, len(frame), rows)]


def reasons_json(found: Contributions, features: pd.DataFrame, top: int) -> list[str]:
    """The top reasons of every row as compact JSON text (see `reasons_array`)."""
    return reasons_array(found, features, top).to_pylist()


def reasons_array(found: Contributions, features: pd.DataFrame, top: int) -> pa.Array:
    """The top reasons of every row as compact JSON text, an Arrow string array.

    Per row: the `top` contributions largest in absolute value (ties: the earlier column), as
    `[{"feature":name,"value":the row's value,"contribution":c with 6 decimals},...]`, the
    value being json.dumps of the row's value (numbers rounded to 6 decimals first) and the
    contribution f"{c:.6f}". Built column-wise with Arrow string kernels (no Python object per
    row, GIL released); numbers are written from their rounded integer digits, which is
    Python's own text except near a rounding tie, for |x| >= 2**32, non-finite values and
    (shown values) 0 < |x| < 1e-4, which Python formats itself."""
    values = found.values.to_numpy()
    columns = list(found.values.columns)
    rows = len(values)
    top = min(top, values.shape[1])
    if rows == 0 or top == 0:
        return pa.array(["[]"] * rows, pa.string())
    order = _top_order(values, top)
    picks = order.ravel()
    heads = [f'{{"feature":{json.dumps(name)},"value":' for name in columns]
    # each picked cell's own value as JSON, worked out column by column
    by_column = np.argsort(picks, kind="stable")
    bounds = np.searchsorted(picks[by_column], np.arange(len(columns) + 1))
    pieces, source, done = [], np.empty(len(picks), dtype=np.int64), 0
    for j, name in enumerate(columns):
        cells = by_column[bounds[j] : bounds[j + 1]]
        if len(cells):
            pieces.append(_shown_values(features[name], cells // top))
            source[cells] = np.arange(done, done + len(cells))
            done += len(cells)
    shown = pa.concat_arrays(pieces).take(pa.array(source))
    contribution = fixed6(np.take_along_axis(values, order, axis=1).ravel())
    items = pc.binary_join_element_wise(
        pa.array(heads, pa.string()).take(pa.array(picks)),
        shown,
        ',"contribution":',
        contribution,
        "}",
        "",
    )
    lists = pa.ListArray.from_arrays(pa.array(np.arange(0, rows * top + 1, top, np.int32)), items)
    return pc.binary_join_element_wise("[", pc.binary_join(lists, ","), "]", "")


def reason_records(found: Contributions, top: int) -> list[list[dict]]:
    """The `top` largest contributions per row as dicts (API answers): signed, rounded to 6
    decimals, with the row's own value of the column."""
    values = found.values.to_numpy()
    columns = list(found.values.columns)
    order = _top_order(values, min(top, values.shape[1])) if len(values) else []
    shown = found.features
    out = []
    for row, picks in enumerate(order):
        out.append(
            [
                {
                    "feature": columns[j],
                    "value": _plain(shown[columns[j]].iat[row]) if columns[j] in shown else None,
                    "contribution": round(float(values[row, j]), 6),
                    "direction": "raises churn risk" if values[row, j] > 0 else "lowers churn risk",
                }
                for j in picks
            ]
        )
    return out


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _top_order(values: np.ndarray, top: int) -> np.ndarray:
    """Column order of the `top` largest |values| per row, as a stable descending argsort."""
    size = np.abs(values)
    if np.isnan(size).any():
        return np.argsort(-size, axis=1, kind="stable")[:, :top]
    rows = np.arange(len(size))
    order = np.empty((len(size), top), dtype=np.intp)
    for k in range(top):  # argmax takes the first of equal maxima, as the stable sort does
        order[:, k] = pick = size.argmax(axis=1)
        size[rows, pick] = -1.0
    return order


def _shown_values(column: pd.Series, rows: np.ndarray) -> pa.Array:
    """The column's value on each of `rows` as JSON text (numbers rounded to 6 decimals)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=False) == "string":  # each one once
            texts = [json.dumps(c) for c in categories] + [json.dumps("nan")]
            codes = column.cat.codes.to_numpy()[rows].astype(np.int64)
            codes[codes < 0] = len(texts) - 1
            return pa.array(texts, pa.string()).take(pa.array(codes))
    values = column.to_numpy()[rows]
    if values.dtype.kind in "fi":
        return json_numbers(values.astype(float))
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        codes, uniques = pd.factorize(values)
        return pa.array([json.dumps(u) for u in uniques], pa.string()).take(pa.array(codes))
    return pa.array([json.dumps(str(v)) for v in values.tolist()], pa.string())


def fixed6(values: np.ndarray) -> pa.Array:
    """f"{v:.6f}" of every value."""
    text, exact, _ = _decimal_text(values, strip=False)
    return _fill_in(text, exact, values, lambda v: f"{v:.6f}")


def json_numbers(values: np.ndarray) -> pa.Array:
    """json.dumps(round(v, 6)) of every value."""
    text, exact, units = _decimal_text(values, strip=True)
    exact &= (units == 0) | (units >= 100)  # below 1e-4 repr() writes an exponent
    return _fill_in(text, exact, values, lambda v: json.dumps(round(v, 6)))


def _decimal_text(values: np.ndarray, strip: bool) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The values rounded to 6 decimals as sign, whole part, '.', 6 digits (`strip`: without
    trailing zeros, at least one digit: repr of round(v, 6)); `exact` marks the values for
    which that is the text Python itself writes.

    units = rint(|v| * 1e6) is the correctly rounded 6-decimal value unless |v| * 1e6 is
    within its own rounding error of a tie (then Python decides). Below 2**32 the doubles are
    finer than 1e-6, so the 6-decimal number is the shortest text that reads back as
    round(v, 6), which is what repr() writes."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = magnitude * 1e6
        units = np.rint(scaled)
        exact = np.isfinite(values) & (magnitude < _EXACT_BELOW)
        exact &= np.abs(scaled - np.floor(scaled) - 0.5) > scaled * 2.0**-50
    units = np.where(exact, units, 0.0)
    whole = units // 1e6
    digits = pc.cast(pa.array((units - whole * 1e6).astype(np.int64)), pa.string())
    fraction = pc.utf8_lpad(digits, width=6, padding="0")
    if strip:
        fraction = pc.utf8_rtrim(fraction, characters="0")
        fraction = pc.if_else(pc.equal(fraction, ""), "0", fraction)
    sign = pc.if_else(pa.array(np.signbit(values)), "-", "")
    whole_text = pc.cast(pa.array(whole.astype(np.int64)), pa.string())
    return pc.binary_join_element_wise(sign, whole_text, ".", fraction, ""), exact, units


def _fill_in(text: pa.Array, exact: np.ndarray, values: np.ndarray, write) -> pa.Array:
    """`text` with the values it does not write exactly written by Python."""
    if exact.all():
        return text
    written = [write(v) for v in values[~exact].tolist()]
    return pc.replace_with_mask(text, pa.array(~exact), pa.array(written, pa.string()))


def _role_numbers(clean: pd.DataFrame, column: str | None) -> np.ndarray:
    """The role column's numbers, or NaN (stored as NULL) for a table without the role."""
    if column is None:
        return np.full(len(clean), np.nan)
    return clean[column].to_numpy(dtype=float)


def _role_texts(clean: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(clean), None, dtype=object)
    return clean[column].astype(str).to_numpy()


def score_customers(
    model: CompiledModel,
    survival: SurvivalModel | None,
    clean: pd.DataFrame,
    config: RunConfig,
    as_of,
    model_version: str,
    scored_at,
) -> pd.DataFrame:
    """One output row per customer, in the shape of the `customer_scores` table: the
    probability and the reasons from the same contributions of the compiled model (the
    reasons by business column: engineered features of one column folded onto it)."""
    data = config.dataset
    found = model.contributions(clean[data.feature_columns])
    probability = found.scores()
    by_column = fold_engineered(found, model.specs)  # reasons name business columns
    out = pd.DataFrame(
        {
            "customer_id": clean[data.id_column].astype(str).to_numpy(),
            "as_of": as_of,
            "model_version": model_version,
            "churn_probability": probability,
            "risk_segment": assign_risk_segments(probability, config.segments),
            "top_reasons": pd.arrays.ArrowStringArray(
                reasons_array(by_column, by_column.features, config.model.top_reasons)
            ),
            "monthly_value": _role_numbers(clean, data.roles.value),
            "segment_value": _role_texts(clean, data.roles.segment),
            "scored_at": scored_at,
        }
    )
    if survival is not None:
        lifetime = expected_lifetime(survival, clean, config.lifetime)
        out["expected_remaining_months"] = lifetime["expected_remaining_months"].to_numpy()
        out["lifetime_value"] = lifetime["lifetime_value"].to_numpy()
    else:
        out["expected_remaining_months"] = np.nan
        out["lifetime_value"] = np.nan
    return out


KPI_COLUMNS = [
    "churn_probability",
    "risk_segment",
    "monthly_value",
    "segment_value",
    "expected_remaining_months",
    "lifetime_value",
]


def kpi_columns(scored: pd.DataFrame) -> pd.DataFrame:
    """What the KPIs need of scored rows, compact: a million rows in ~40 MB."""
    kept = scored[KPI_COLUMNS].copy()
    for name in ("risk_segment", "segment_value"):
        kept[name] = kept[name].astype("category")
    return kept.reset_index(drop=True)


def curve_counts(
    clean: pd.DataFrame, risk_segments: np.ndarray, config: RunConfig
) -> pd.DataFrame | None:
    """Labelled customers counted per duration, outcome, segment role value and risk segment
    (columns duration, churned, [segment role], risk_segment, customers): all the survival
    curves need, a few hundred rows however many customers. None when the batch has no
    labels or the table no duration."""
    data = config.dataset
    if data.target.column not in clean or data.roles.duration is None:
        return None
    keys = {
        "duration": clean[data.roles.duration].to_numpy(dtype=float),
        "churned": churn_labels(clean, config).astype(bool),
    }
    if data.roles.segment:
        keys[data.roles.segment] = _role_texts(clean, data.roles.segment)
    keys["risk_segment"] = np.asarray(risk_segments, dtype=object)
    counted = pd.DataFrame(keys).value_counts(sort=False, dropna=False)
    return counted.rename("customers").reset_index()


def joined_counts(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Curve counts of several batches as one table."""
    frame = pd.concat(parts, ignore_index=True)
    keys = [c for c in frame.columns if c != "customers"]
    return frame.groupby(keys, sort=False, dropna=False)["customers"].sum().reset_index()
