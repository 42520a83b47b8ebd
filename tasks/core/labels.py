"""Churn labels and customer ids read the same everywhere: training, scoring, outcomes, API.

A label matches the configured positive or negative one when both read the same: case and
surrounding spaces do not matter, numbers compare as numbers (1.0 is 1), and 1/true/yes and
0/false/no are one label each. An id is text: a number is written without a decimal part
(6273, not 6273.0) and text ids keep their leading zeros.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from configs.dataset import Target

_TRUE, _FALSE = frozenset({"1", "true", "yes"}), frozenset({"0", "false", "no"})
_EXACT_INT = 2**53


def label_key(value: Any) -> str | None:
    """The comparable form of one label; None for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    text = (value if isinstance(value, str) else canonical_id(value)).strip().lower()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None and math.isfinite(number):
        text = canonical_id(number)
    if text in _TRUE:
        return "true"
    if text in _FALSE:
        return "false"
    return text


def label_keys(target: Target) -> tuple[str, str]:
    """The comparable forms of the configured (positive, negative) pair."""
    positive, negative = label_key(target.positive), label_key(target.negative)
    if positive is None or negative is None or positive == negative:
        raise ValueError(
            f"target labels {target.positive!r} and {target.negative!r} do not read as two labels"
        )
    return positive, negative


def read_labels(series: pd.Series, target: Target) -> pd.Series:
    """Labels as the configured positive/negative text; other values keep their own text and
    missing ones are NaN (object dtype). Each distinct value is read once."""
    positive, negative = label_keys(target)
    if isinstance(series.dtype, pd.CategoricalDtype):
        distinct = series.cat.categories.to_numpy(dtype=object)
        codes = series.cat.codes.to_numpy()
    else:
        codes, distinct = pd.factorize(series.astype(object), use_na_sentinel=True)
        distinct = np.asarray(distinct, dtype=object)
    read = np.empty(len(distinct) + 1, dtype=object)
    for position, value in enumerate(distinct):
        key = label_key(value)
        shown = value.strip() if isinstance(value, str) else canonical_id(value)
        read[position] = (
            target.positive
            if key == positive
            else target.negative
            if key == negative
            else (shown if key is not None else np.nan)
        )
    read[-1] = np.nan  # code -1: missing
    return pd.Series(read[np.asarray(codes, dtype=np.intp)], index=series.index, dtype=object)


def churned(series: pd.Series, target: Target) -> pd.Series:
    """1.0 churned, 0.0 stayed, NaN missing; ValueError naming labels outside the pair."""
    read = read_labels(series, target)
    known = read.dropna()
    outside = sorted({str(v) for v in known} - {target.positive, target.negative})
    if outside:
        pair = f"{{{target.positive!r}, {target.negative!r}}}"
        raise ValueError(f"labels outside the configured pair {pair}: {outside[:5]}")
    return read.map({target.positive: 1.0, target.negative: 0.0}).astype(float)


def canonical_id(value: Any) -> str:
    """One id as text: whole numbers without a decimal part, text stripped as it is."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if number.is_integer() and abs(number) < _EXACT_INT:
            return str(int(number))
        return repr(number)
    return str(value).strip()
