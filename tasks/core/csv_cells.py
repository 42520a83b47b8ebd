"""CSV cells safe to open in a spreadsheet: a text cell that starts like a formula is escaped.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets (a quarantined row or an LLM-written SMS could carry
`=HYPERLINK(...)`). Every CSV the product writes for people goes through `safe_frame` or
`safe_cell`, which prefix such text with `'` (shown as text, not run). Numbers are never
touched, also when written as text: `-3.5` and `+4915112345678` stay as they are."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def safe_cell(value: Any) -> Any:
    """`value`, or `'value` when it is text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells and column names are safe (numbers untouched)."""
    safe = frame.copy(deep=False)
    safe.columns = [safe_cell(name) for name in frame.columns]
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        safe.isetitem(position, column.map(safe_cell))
    return safe
